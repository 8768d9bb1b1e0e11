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
        from django.utils.translation import gettext_lazy as _

        from orders.panels import Panel, register_panel
        from orders.personal_data import register_data_holder
        from orders.setup import SetupStep, register_setup_step
        from orders.timeline import on_order_event
        from servicedesk.tenancy.roles import Perm
        from servicedesk.tenancy.signals import owner_confirmed

        from . import checks  # noqa: F401 - registers the system checks
        from .events import on_order_event as listener
        from .panels import notifications_panel
        from .personal_data import HOLDER

        on_order_event(listener)
        register_data_holder(HOLDER)
        register_panel(Panel("notifications", "notifications/_panel.html", notifications_panel, position=300))
        owner_confirmed.connect(_release_held, dispatch_uid="notifications.release_held")
        register_setup_step(
            SetupStep(
                key="messages",
                position=50,
                title=_("Message texts"),
                hint=_("Read the e-mails and SMS clients get, set quiet hours, save or edit them."),
                url_name="notifications:settings",
                done=_messages_reviewed,
                perm=Perm.NOTIFICATIONS_MANAGE,
            )
        )


def _messages_reviewed(tenant) -> bool:
    """The setup checklist's message texts: the center saved its notification settings or a text of its own."""
    from .models import MessageTemplate, NotificationSettings

    return (
        NotificationSettings.objects.for_tenant(tenant).exists()
        or MessageTemplate.objects.for_tenant(tenant).exists()
    )
