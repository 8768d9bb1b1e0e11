from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from orders.timeline import on_order_event

        from . import checks  # noqa: F401 - registers the system checks
        from .events import on_order_event as listener

        on_order_event(listener)
