from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TechniciansConfig(AppConfig):
    name = "technicians"
    verbose_name = _("Technicians and stock")

    def ready(self) -> None:
        from orders.lifecycle import on_order_event

        from .listeners import on_order_event as listener

        on_order_event(listener)
