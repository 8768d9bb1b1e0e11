"""The technicians' panel on the order page (registered with orders.panels in TechniciansConfig.ready())."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from orders.models import LineItem, Order
from orders.permissions import actor_problem
from servicedesk.tenancy.access import TenantRequest
from servicedesk.tenancy.roles import Perm, has_perm
from stock import services as stock
from stock.models import Part, PartReservation, StockLevel

from . import worklog
from .forms import LabourForm
from .models import WorkLog

SUGGESTED_PARTS = 25  # parts offered by name; any other by its SKU


def work_panel(request: TenantRequest, order: Order) -> dict:
    """The technicians panel on the order page: work log, reservations, parts used. Five queries."""
    membership, tenant = request.membership, request.tenant
    entries = list(WorkLog.objects.filter(tenant=tenant, order=order).select_related("technician__user"))
    reservations = list(
        PartReservation.objects.filter(tenant=tenant, order=order).select_related("part", "location")
    )
    used = list(LineItem.objects.filter(tenant=tenant, order=order, kind=LineItem.Kind.PART))
    running_mine = next((e for e in entries if e.is_running and e.technician_id == membership.pk), None)
    role = membership.role
    # The services' own rules (orders/permissions.py), so the panel offers only what they will accept.
    may_work = actor_problem(membership, Perm.ORDERS_WORK, order) is None
    may_reserve = actor_problem(membership, stock.RESERVE_PERMS, order) is None
    location = None
    suggested = []
    if order.is_open and may_reserve:
        location = stock.stock_location(order)
        reserved_ids = {r.part_id for r in reservations}
        suggested = [
            lvl
            for lvl in StockLevel.objects.filter(
                tenant=tenant,
                location=location,
                part__is_active=True,
                on_hand__gt=F("reserved"),
                part__service_type_rows__service_type_id=order.service_type_id,
            )
            .select_related("part")
            .order_by("part__name")[:SUGGESTED_PARTS]
            if lvl.part_id not in reserved_ids
        ]
    service_parts = []
    if order.is_open and may_reserve:
        service_parts = list(
            Part.objects.filter(
                tenant=tenant, is_active=True, service_type_rows__service_type_id=order.service_type_id
            ).order_by("name", "id")[:SUGGESTED_PARTS]
        )
    now = timezone.now()
    total = sum((e.duration(now) for e in entries), timedelta(0))
    unbilled = [e for e in entries if not e.is_running and e.line_item_id is None]
    return {
        "order": order,
        "entries": entries,
        "reservations": reservations,
        "used": used,
        "running_mine": running_mine,
        "may_work": may_work and order.is_open,
        "may_time": may_work and order.is_open and order.status in worklog.EXECUTION_STATUSES,
        "may_plan": has_perm(role, Perm.ORDERS_PLAN) and order.is_open,
        # Billing labour plans the money and writes the bill's lines: the office's and the workshop's right.
        "may_bill": has_perm(role, Perm.ORDERS_PLAN) and has_perm(role, Perm.ORDERS_WORK) and order.is_open,
        "may_reserve": order.is_open and may_reserve,
        "stock_location": location,
        "suggested": suggested,
        "total": worklog.format_duration(total),
        "unbilled": worklog.format_duration(sum((e.duration() for e in unbilled), timedelta(0)))
        if unbilled
        else "",
        "service_parts": service_parts,
        "labour_form": LabourForm(),
        "tenant": tenant,
        "membership": membership,
        "tz": tenant.time_zone,
    }
