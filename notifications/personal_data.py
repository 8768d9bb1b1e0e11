"""What the outbox holds on a client, for their data report and their erasure (orders.personal_data)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Client
from orders.personal_data import DataHolder, Erasing, Row

from .models import Audience, Notification, State

# Not sent after an erasure: the address is gone, and so is the text that named the client.
UNSENT_STATES = [State.PENDING, State.SENDING, State.HELD, State.CHECKING, State.UNKNOWN]


def collect(client: Client) -> list[Row]:
    messages = (
        Notification.objects.for_tenant(client.tenant_id)
        .filter(order__client_id=client.pk, audience=Audience.CLIENT)
        .select_related("order")
        .order_by("created_at", "id")
    )
    return [
        {
            _("Order"): f"#{message.order.number}",
            _("Message"): message.get_kind_display(),
            _("Channel"): message.get_channel_display(),
            _("Recipient"): message.recipient,
            _("Subject"): message.subject,
            _("State"): message.get_state_display(),
            _("Created"): message.created_at,
            _("Sent"): message.sent_at,
        }
        for message in messages
    ]


def erase(erasing: Erasing) -> int:
    """Every message about the client's orders loses its text (staff alerts name the client too) and its
    attachment; the client's own lose their address, and those not yet sent are never sent."""
    client = erasing.client
    rows = Notification.objects.for_tenant(client.tenant_id).filter(order__client_id=client.pk)
    changed = 0
    for row in rows.order_by("pk").only("pk", "audience", "recipient", "state", "last_error"):
        update = {
            "subject": erasing.mark,
            "body": erasing.mark,
            "body_html": "",
            "attachment": "",
            "attachment_name": "",
            "last_error": erasing.scrub(row.last_error),
        }
        if row.audience == Audience.CLIENT:
            # Unique per (source, channel, recipient): each row gets its own placeholder.
            update["recipient"] = f"erased-{row.pk}"
        if row.state in UNSENT_STATES:
            update["state"] = State.FAILED
            update["last_error"] = _("Not sent: the client's personal data was erased.")
            update["claim_token"] = ""
        Notification.objects.filter(pk=row.pk).update(**update)
        changed += 1
    return changed


HOLDER = DataHolder(
    key="notifications",
    label=gettext_lazy("Messages sent to the client"),
    collect=collect,
    erase=erase,
    kept=gettext_lazy(
        "Kept: that a message of each kind was sent and when (the outbox row, without its text, address or "
        "attachment). Messages not sent yet are cancelled."
    ),
    position=30,
)
