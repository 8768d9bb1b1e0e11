"""The quality app's panels on the order page (registered in QualityConfig.ready()): the checklist and its
quality checks; the warranty and complaints. Each a fixed number of queries."""

from __future__ import annotations

from typing import Any

from orders.models import Order, OrderStatus
from servicedesk.tenancy.access import TenantRequest
from servicedesk.tenancy.roles import Perm, has_perm

from . import checklists, checks
from .models import Complaint, WarrantyClaim
from .warranty import coverage


def checklist_panel(request: TenantRequest, order: Order) -> dict | None:
    state = checklists.state_of(order)
    order_checks = checks.order_checks(order)
    if state is None and not order_checks:
        return None  # an order without a checklist that was never checked: nothing to show
    return {"state": state, "checks": order_checks}


def job_card_checklist(request: TenantRequest, order: Order) -> dict | None:
    """The checklist's summary on a technician's job card (My jobs). It reads what
    orders.lifecycle.prepare_guards() loaded for the page's orders: no queries of its own."""
    state = checklists.state_of(order)
    if state is None:
        return None
    current = state.current
    return {"state": state, "current": current, "missing": current.missing if current else []}


def aftersales_panel(request: TenantRequest, order: Order) -> dict[str, Any] | None:
    role = request.membership.role
    handed_over = order.status == OrderStatus.HANDED_OVER
    return {
        "cover": coverage(order) if handed_over else None,
        "claims": list(
            WarrantyClaim.objects.filter(tenant_id=order.tenant_id, original=order)
            .select_related("order")
            .order_by("-created_at", "-id")[:20]
        ),
        "complaints": list(
            Complaint.objects.filter(tenant_id=order.tenant_id, order=order).order_by("-opened_at", "-id")[
                :20
            ]
        ),
        "can_claim": handed_over and has_perm(role, Perm.ORDERS_CREATE),
        "can_complain": has_perm(role, Perm.COMPLAINTS_OPEN),
        "can_manage_complaints": has_perm(role, Perm.COMPLAINTS_MANAGE),
    }
