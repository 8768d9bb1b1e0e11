from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        from orders.panels import Panel, register_panel
        from orders.timeline import on_order_event
        from reception.targets import register_wait_targets

        from .clocks import on_order_event as sla_listener
        from .panel import sla_panel
        from .rollups import on_order_event as keep_rollups_current
        from .standards import reception_wait_targets

        # SLA clocks follow every order event, in its transaction; the order page shows them.
        on_order_event(sla_listener)
        # The managers' dashboard reads daily rollups, kept current in the event's transaction.
        on_order_event(keep_rollups_current)
        register_panel(Panel("sla", "quality/_sla_panel.html", sla_panel, position=100, column="side"))
        # The reception board measures each wait against the center's "reception wait" standard.
        register_wait_targets(reception_wait_targets)
