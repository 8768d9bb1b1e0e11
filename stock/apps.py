from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "stock"
    verbose_name = _("Parts and stock")

    def ready(self) -> None:
        from orders.timeline import on_order_event

        from .listeners import on_order_event as listener

        on_order_event(listener)
