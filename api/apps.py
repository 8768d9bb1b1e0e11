from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API (/api/v1/) and the API keys it is used with. A leaf app: nothing imports it."""

    name = "api"
    verbose_name = _("REST API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders.timeline import on_order_event

        from . import (
            schema,  # noqa: F401  registers the API key's security scheme with drf-spectacular
            webhooks,
        )

        on_order_event(webhooks.on_order_event)
