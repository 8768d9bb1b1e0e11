"""The center's front page: what each role sees first, the work that needs them now. One aggregate query
plus short lists."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role, has_perm

from .models import Order, OrderStatus, overdue_q


def dashboard_context(tenant: Tenant, membership: Membership) -> dict:
    now = timezone.now()
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    open_orders = Order.objects.for_tenant(tenant).open()
    if membership.role == Role.TECHNICIAN:
        open_orders = open_orders.filter(technician=membership)  # a technician's numbers are their own
    counts = open_orders.aggregate(
        open=Count("id"),
        new=Count("id", filter=Q(status=OrderStatus.NEW)),
        overdue=Count("id", filter=overdue_q(now)),
        awaiting_approval=Count("id", filter=Q(status=OrderStatus.AWAITING_APPROVAL)),
        awaiting_parts=Count("id", filter=Q(status=OrderStatus.AWAITING_PARTS)),
        ready=Count("id", filter=Q(status=OrderStatus.READY)),
        mine=Count("id", filter=Q(technician=membership)),
    )
    counts["today"] = Order.objects.for_tenant(tenant).filter(created_at__gte=today_start).count()
    related = ("client", "item", "service_type", "technician__user")
    context: dict = {"counts": counts, "role": membership.role}
    if membership.role == Role.TECHNICIAN or counts["mine"]:
        context["my_jobs"] = (
            open_orders.filter(technician=membership)
            .select_related(*related)
            .order_by("-priority", "promised_at", "id")[:8]
        )
    if has_perm(membership.role, Perm.ORDERS_HANDOVER):
        context["ready_orders"] = (
            open_orders.filter(status=OrderStatus.READY)
            .select_related(*related)
            .order_by("promised_at", "id")[:8]
        )
    if has_perm(membership.role, Perm.ORDERS_PLAN):
        context["unplanned"] = (
            open_orders.filter(status=OrderStatus.NEW)
            .select_related(*related)
            .order_by("-priority", "created_at", "id")[:8]
        )
        context["overdue_orders"] = (
            open_orders.filter(overdue_q(now)).select_related(*related).order_by("promised_at", "id")[:8]
        )
    return context
