from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        from orders.timeline import on_order_event

        from .rollups import on_order_event as keep_rollups_current

        on_order_event(keep_rollups_current)
