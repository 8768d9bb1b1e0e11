from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from servicedesk.tenancy.signals import tenant_created

        from . import personal_data, setup  # noqa: F401 - register their own steps and data holder
        from .catalogues import on_tenant_created
        from .presentation import register_fragments

        register_fragments()

        tenant_created.connect(on_tenant_created, dispatch_uid="orders.starter_catalogue")
