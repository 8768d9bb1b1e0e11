"""The order page's warranty and complaints panel (registered with orders.panels in QualityConfig.ready()):
what the warranty covers until when, the claims on the order, its complaints. At most three queries."""

from __future__ import annotations

from typing import Any

from orders.models import Order, OrderStatus
from servicedesk.tenancy.access import TenantRequest
from servicedesk.tenancy.roles import Perm, has_perm

from .models import Complaint, WarrantyClaim
from .warranty import coverage


def aftersales_panel(request: TenantRequest, order: Order) -> dict[str, Any] | None:
    role = request.membership.role
    handed_over = order.status == OrderStatus.HANDED_OVER
    return {
        "cover": coverage(order) if handed_over else None,
        "claims": list(WarrantyClaim.objects.filter(tenant_id=order.tenant_id, original=order)
                       .select_related("order").order_by("-created_at", "-id")[:20]),
        "complaints": list(Complaint.objects.filter(tenant_id=order.tenant_id, order=order)
                           .order_by("-opened_at", "-id")[:20]),
        "can_claim": handed_over and has_perm(role, Perm.ORDERS_CREATE),
        "can_complain": has_perm(role, Perm.COMPLAINTS_OPEN),
        "can_manage_complaints": has_perm(role, Perm.COMPLAINTS_MANAGE),
    }
