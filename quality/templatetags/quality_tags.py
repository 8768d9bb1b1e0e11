"""{% aftersales_panel %}: the order page's warranty and complaints panel, in at most three queries."""

from __future__ import annotations

from django import template

from orders.models import OrderStatus

from ..models import Complaint, WarrantyClaim
from ..warranty import coverage

register = template.Library()


@register.inclusion_tag("quality/_panel.html", takes_context=True)
def aftersales_panel(context) -> dict:
    order = context["order"]
    perms = context.get("perms_")
    handed_over = order.status == OrderStatus.HANDED_OVER
    return {
        "order": order,
        "tenant": context.get("tenant"),
        "cover": coverage(order) if handed_over else None,
        "claims": list(WarrantyClaim.objects.filter(tenant_id=order.tenant_id, original=order)
                       .select_related("order").order_by("-created_at", "-id")[:20]),
        "complaints": list(Complaint.objects.filter(tenant_id=order.tenant_id, order=order)
                           .order_by("-opened_at", "-id")[:20]),
        "can_claim": handed_over and bool(perms and getattr(perms, "orders_create", False)),
        "can_complain": bool(perms and getattr(perms, "complaints_open", False)),
        "can_manage_complaints": bool(perms and getattr(perms, "complaints_manage", False)),
    }
