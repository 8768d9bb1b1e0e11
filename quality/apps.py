from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        from orders.lifecycle import on_order_event

        from .clocks import on_order_event as sla_listener

        on_order_event(sla_listener)
