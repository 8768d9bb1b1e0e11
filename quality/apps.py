from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        from orders.panels import Panel, register_panel
        from orders.timeline import on_order_event

        from .clocks import on_order_event as sla_listener
        from .panel import sla_panel

        on_order_event(sla_listener)
        register_panel(Panel("sla", "quality/_sla_panel.html", sla_panel, position=100, column="side"))
