"""{% order_notifications order %}: the order page's notifications panel, in one query."""

from __future__ import annotations

from django import template

from orders.services import format_phone, mask_phone

from ..models import Audience, Channel, Notification

register = template.Library()

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


@register.inclusion_tag("notifications/_panel.html", takes_context=True)
def order_notifications(context, order) -> dict:
    perms = context.get("perms_")
    request = context.get("request")
    rows = list(
        Notification.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).order_by("-id")[: PANEL_LIMIT + 1]
    )
    can_see_contacts = bool(perms and perms.clients_view)
    return {
        "order": order,
        "tenant": context.get("tenant"),
        "rows": [(row, shown_recipient(row, can_see_contacts)) for row in rows[:PANEL_LIMIT]],
        "more": len(rows) > PANEL_LIMIT,
        "can_manage": bool(perms and perms.notifications_manage),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }
