from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        # The reception board measures each wait against the center's "reception wait" standard.
        from reception.targets import register_wait_targets

        from .standards import reception_wait_targets

        register_wait_targets(reception_wait_targets)
