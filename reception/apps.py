from django.apps import AppConfig


class ReceptionConfig(AppConfig):
    name = "reception"
    verbose_name = "Reception queue"

    def ready(self) -> None:
        from orders.personal_data import register_data_holder

        from .personal_data import HOLDER

        register_data_holder(HOLDER)
