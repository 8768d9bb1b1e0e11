"""The notifications panel on the order page (registered with orders.panels in NotificationsConfig.ready()):
what was sent to whom about this order, and its state. One query."""

from __future__ import annotations

from typing import Any

from orders.models import Order
from orders.services import format_phone, mask_phone
from servicedesk.tenancy.access import TenantRequest
from servicedesk.tenancy.roles import Perm, has_perm

from .models import Audience, Channel, Notification

PANEL_LIMIT = 30


def mask_email(address: str) -> str:
    name, _at, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def shown_recipient(row: Notification, can_see_contacts: bool) -> str:
    """Client contacts only for roles that may see clients (technicians see a masked form)."""
    if row.audience == Audience.STAFF:
        return row.recipient
    if can_see_contacts:
        return format_phone(row.recipient) if row.channel == Channel.SMS else row.recipient
    return mask_phone(row.recipient) if row.channel == Channel.SMS else mask_email(row.recipient)


def notifications_panel(request: TenantRequest, order: Order) -> dict[str, Any]:
    role = request.membership.role
    rows = list(
        Notification.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).order_by("-id")[
            : PANEL_LIMIT + 1
        ]
    )
    can_see_contacts = has_perm(role, Perm.CLIENTS_VIEW)
    return {
        "rows": [(row, shown_recipient(row, can_see_contacts)) for row in rows[:PANEL_LIMIT]],
        "more": len(rows) > PANEL_LIMIT,
        "can_manage": has_perm(role, Perm.NOTIFICATIONS_MANAGE),
        "next": request.get_full_path(),
    }
