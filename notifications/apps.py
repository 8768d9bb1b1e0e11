from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _release_held(sender: object, *, tenant_id: int, **kwargs: object) -> None:
    from .outbox import release_held

    release_held(tenant_id)


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from orders.panels import Panel, register_panel
        from orders.timeline import on_order_event
        from servicedesk.tenancy.signals import owner_confirmed

        from . import checks  # noqa: F401 - registers the system checks
        from .events import on_order_event as listener
        from .panels import notifications_panel

        on_order_event(listener)
        register_panel(Panel("notifications", "notifications/_panel.html", notifications_panel, position=300))
        owner_confirmed.connect(_release_held, dispatch_uid="notifications.release_held")
