from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TechniciansConfig(AppConfig):
    name = "technicians"
    verbose_name = _("Technicians")

    def ready(self) -> None:
        from orders.panels import Panel, register_panel
        from orders.timeline import on_order_event
        from servicedesk.fragments import register_fingerprint
        from stock import services as stock

        from .listeners import home_workshop
        from .listeners import on_order_event as listener
        from .panels import work_panel
        from .views import board_row_values, job_card_values, unassigned_values

        on_order_event(listener)
        stock.home_workshop_of = home_workshop
        register_panel(Panel("work", "technicians/_order_panel.html", work_panel, position=100))
        register_fingerprint("technicians.job_card", job_card_values)
        register_fingerprint("technicians.board_row", board_row_values)
        register_fingerprint("technicians.unassigned", unassigned_values)
