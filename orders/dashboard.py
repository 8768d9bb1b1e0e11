"""The center's front page: what each role sees first, the work that needs them now. One query of bounded
counters plus short lists."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import QuerySet
from django.utils import timezone

from servicedesk.compiled import CompiledQuery
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role, has_perm

from .models import OPEN_STATUSES, Order, OrderStatus, overdue_q

# Each counter counts at most this many orders (then it reads "1000+"), so the page costs the same for a
# center of 10,000 orders and one of 1,000,000, however many of them are open (issue 12's growth rule).
COUNT_LIMIT = 1000
# The counters, in the order of the statement's columns. "open" is the sum of the open statuses' counts, each
# read on the status index (tenant, status, created): one range over every open order would walk them all in
# a center whose open set grows. "overdue" is read on the partial index of open orders by promised time
# (orders_open_promised_idx): PostgreSQL uses it (an index-only scan of at most COUNT_LIMIT + 1 entries, 0.2 ms
# at 100,000 orders; counted per status it read the table: 23 ms). SQLite uses that index only when the closed
# statuses are written into the SQL (the fastpages branch's ConstantIn lookup on open_q); until then it reads
# the tenant's orders by promised time (about 7 ms at 20,000 orders; per status, its planner still took that
# path for "new" once orders_new_priority_idx existed).
COUNTED_STATUSES = sorted(status.value for status in OPEN_STATUSES)
COUNTERS = ["mine", "today", "overdue", *COUNTED_STATUSES]


def _counted(tenant_id: int, membership_id: int, only_mine: bool, now: datetime, today_start: datetime):
    orders = Order.objects.for_tenant(tenant_id)
    if only_mine:
        orders = orders.filter(technician_id=membership_id)  # a technician's numbers are their own
    bounded = [
        # A technician's open orders named by their statuses (the same rows as .open()): the technician index.
        orders.filter(status__in=COUNTED_STATUSES, technician_id=membership_id),
        Order.objects.for_tenant(tenant_id).filter(created_at__gte=today_start),
        orders.filter(overdue_q(now)),
        *(orders.filter(status=status) for status in COUNTED_STATUSES),
    ]
    return [queryset.order_by().values("pk")[: COUNT_LIMIT + 1] for queryset in bounded]


def _one_row(parts: list[str]) -> str:
    return "SELECT " + ", ".join(
        f"(SELECT COUNT(*) FROM ({part}) counted_{i})" for i, part in enumerate(parts)
    )


# Stand-ins (servicedesk.compiled): ids no row has, instants no order has.
_NOW, _TODAY = datetime(1901, 1, 2, tzinfo=UTC), datetime(1901, 1, 1, tzinfo=UTC)
_COUNTS = {
    only_mine: CompiledQuery(
        lambda tenant_id, membership_id, now, today, only_mine=only_mine: _counted(
            tenant_id, membership_id, only_mine, now, today
        ),
        -1,
        -2,
        _NOW,
        _TODAY,
        combine=_one_row,
    )
    for only_mine in (False, True)
}


def bounded_counts(tenant: Tenant, membership: Membership, now: datetime, today_start: datetime) -> dict:
    """The dashboard's counters in one statement: {name: count}, a count that stopped at COUNT_LIMIT shown as
    "1000+" (the order list's bounded count says the same); "open" sums the open statuses."""
    only_mine = membership.role == Role.TECHNICIAN
    (row,) = _COUNTS[only_mine].rows(tenant.pk, membership.pk, now, today_start)
    found = dict(zip(COUNTERS, row, strict=True))
    more = {name for name, count in found.items() if count > COUNT_LIMIT}
    counts = {name: found[name] for name in ("mine", "today", "overdue", *COUNTED_STATUSES)}
    counts["open"] = sum(found[status] for status in COUNTED_STATUSES)
    if more & set(COUNTED_STATUSES):
        more.add("open")
    return {name: f"{COUNT_LIMIT}+" if name in more else count for name, count in counts.items()}


# What a short list shows of an order (orders/_dashboard_list.html): its number, item or service, client, status
# and whether it is overdue.
LIST_RELATED = ("client", "item", "service_type")
LIST_FIELDS = (
    "tenant_id",
    "number",
    "status",
    "promised_at",
    "priority",
    "created_at",
    "client__name",
    "item__kind",
    "item__brand",
    "item__model",
    "service_type__name",
)


def dashboard_context(tenant: Tenant, membership: Membership) -> dict:
    now = timezone.now()
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    # The short lists read what orders/_dashboard_list.html shows, nothing more (a third of the columns).
    open_orders: QuerySet[Order] = (
        Order.objects.for_tenant(tenant).open().only(*LIST_FIELDS).select_related(*LIST_RELATED)
    )
    if membership.role == Role.TECHNICIAN:
        open_orders = open_orders.filter(technician=membership)
    counts = bounded_counts(tenant, membership, now, today_start)
    context: dict = {"counts": counts, "role": membership.role}
    if membership.role == Role.TECHNICIAN or counts["mine"]:
        context["my_jobs"] = open_orders.filter(technician=membership).order_by(
            "-priority", "promised_at", "id"
        )[:8]
    if has_perm(membership.role, Perm.ORDERS_HANDOVER):
        context["ready_orders"] = open_orders.filter(status=OrderStatus.READY).order_by("promised_at", "id")[
            :8
        ]
    if has_perm(membership.role, Perm.ORDERS_PLAN):
        context["unplanned"] = open_orders.filter(status=OrderStatus.NEW).order_by(
            "-priority", "created_at", "id"
        )[:8]
        context["overdue_orders"] = open_orders.filter(overdue_q(now)).order_by("promised_at", "id")[:8]
    return context
