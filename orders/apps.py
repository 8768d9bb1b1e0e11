from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from servicedesk.tenancy.signals import tenant_created

        from . import setup  # noqa: F401 - registers the setup checklist's own steps
        from .catalogues import on_tenant_created

        tenant_created.connect(on_tenant_created, dispatch_uid="orders.starter_catalogue")
