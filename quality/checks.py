"""The quality check: who may pass it (the center's independent-check rule), and the record of every check.

- With `QualitySettings.independent_check` on, "Checked, ready for pickup" is refused to the technician
  assigned to the order and to whoever moved it to the quality check ("work done"): someone else whose
  role may check (the lifecycle's rule for `pass_check`: owners and managers on any order) passes it.
  A guard the lifecycle asks (`independent_check_guard`), so orders/ does not know this app.
- Every check, passed or failed ("back to work" with a reason), is recorded by a listener on the status
  event as a QualityCheck with the checker, the technician whose work it was and the service type. A
  failed check is rework: `rework_summary` counts it per technician (or service type) and period.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from orders.lifecycle import Transition, prepared
from orders.models import EventKind, Order, OrderEvent, OrderStatus
from orders.permissions import check_actor
from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .models import QualityCheck, QualitySettings

CHECK_ACTIONS = {"pass_check": True, "return_to_work": False}
GUARD_KEY = "independent_check"
SETTINGS_KEY = "quality_settings"


def settings_of(order: Order) -> QualitySettings:
    """The center's quality settings: prepared for a page's orders (one query for all), else read afresh."""
    data = prepared(order)
    if data is not None and SETTINGS_KEY in data:
        return data[SETTINGS_KEY]
    return QualitySettings.for_tenant(order.tenant_id)


def _finishers(orders: list[Order]) -> dict[int, int | None]:
    """order id -> the user who last moved it to the quality check ("work done"), one query."""
    rows = (
        OrderEvent.objects.filter(
            tenant_id__in={o.tenant_id for o in orders},
            order__in=[o.pk for o in orders],
            kind=EventKind.STATUS,
            to_status=OrderStatus.QUALITY_CHECK,
        )
        .order_by("order_id", "created_at", "id")
        .values_list("order_id", "actor_id")
    )
    found: dict[int, int | None] = {}
    for order_id, actor_id in rows:
        found[order_id] = actor_id  # the last one wins
    return found


def prepare(orders: list[Order]) -> None:
    by_tenant = {
        tenant_id: QualitySettings.for_tenant(tenant_id) for tenant_id in {o.tenant_id for o in orders}
    }
    waiting = [
        o
        for o in orders
        if o.status == OrderStatus.QUALITY_CHECK and by_tenant[o.tenant_id].independent_check
    ]
    finishers = _finishers(waiting) if waiting else {}
    for order in orders:
        data = prepared(order)
        if data is None:
            continue
        data[SETTINGS_KEY] = by_tenant[order.tenant_id]
        if order.pk in {o.pk for o in waiting}:
            data[GUARD_KEY] = finishers.get(order.pk)


def _finisher(order: Order) -> int | None:
    data = prepared(order)
    if data is not None and GUARD_KEY in data:
        return data[GUARD_KEY]
    return _finishers([order]).get(order.pk)


def independent_check_problem(order: Order, by: Membership) -> str | None:
    """Why `by` may not pass this order's quality check under the center's rule, or None."""
    if not settings_of(order).independent_check:
        return None
    if order.technician_id is not None and by.pk == order.technician_id:
        return _(
            "This center's quality check is done by someone other than the technician who did the work: "
            "ask a manager to check it."
        )
    if _finisher(order) == by.user_id:
        return _(
            "This center's quality check is done by someone other than the person who finished the work: "
            "ask a colleague to check it."
        )
    return None


def independent_check_guard(order: Order, t: Transition, by: Membership | None) -> str | None:
    if t.action != "pass_check" or by is None:
        return None
    return independent_check_problem(order, by)


def record_check(event: OrderEvent) -> None:
    """Listener: a pass or a failure of the quality check becomes a QualityCheck (in the event's transaction)."""
    if event.kind != EventKind.STATUS or event.action not in CHECK_ACTIONS:
        return
    order = event.order
    checker = (
        Membership.objects.filter(tenant_id=order.tenant_id, user_id=event.actor_id).first()
        if event.actor_id
        else None
    )
    QualityCheck.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        event=event,
        passed=CHECK_ACTIONS[event.action],
        checker=checker,
        technician_id=order.technician_id,
        service_type_id=order.service_type_id,
        independent=checker is not None and checker.pk != order.technician_id,
        reason=event.message,
        created_at=event.created_at,
    )


# --- Metrics ---------------------------------------------------------------------------------------
def checks(
    tenant: Tenant | int, *, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[QualityCheck]:
    qs = QualityCheck.objects.for_tenant(tenant)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def rework(tenant: Tenant | int, **period) -> QuerySet[QualityCheck]:
    """Failed checks (back to work): rework, to count per technician, service type or order."""
    return checks(tenant, **period).filter(passed=False)


def rework_summary(
    tenant: Tenant | int,
    *,
    by: str = "technician",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """Checks, failures (rework) and the share of failures per technician or service type: one grouped query.

    Each row: {"key": id, "name": str, "checks": n, "failed": n, "rate": 0..1}."""
    if by not in {"technician", "service_type"}:
        raise ValueError(by)
    name = "technician__user__full_name" if by == "technician" else "service_type__name"
    rows = (
        checks(tenant, since=since, until=until)
        .order_by()
        .values(by, name)
        .annotate(total=Count("id"), failed=Count("id", filter=Q(passed=False)))
        .order_by("-failed", name)
    )
    return [
        {
            "key": row[by],
            "name": row[name] or "",
            "checks": row["total"],
            "failed": row["failed"],
            "rate": row["failed"] / row["total"] if row["total"] else 0.0,
        }
        for row in rows[:200]
    ]


def order_checks(order: Order) -> list[QualityCheck]:
    return list(
        QualityCheck.objects.filter(tenant_id=order.tenant_id, order=order).select_related(
            "checker__user", "technician__user"
        )
    )


def save_settings(tenant: Tenant, *, independent_check: bool, by: Membership) -> QualitySettings:
    """The center's quality rules, changed by a manager (the same right as editing checklists)."""
    check_actor(by, Perm.CATALOGUE_MANAGE, tenant_id=tenant.pk)
    with transaction.atomic():
        stored = QualitySettings.objects.for_tenant(tenant).select_for_update().first()
        before = snapshot(stored or QualitySettings(tenant=tenant))
        saved, _created = QualitySettings.objects.update_or_create(
            tenant=tenant, defaults={"independent_check": independent_check, "updated_by": by.user}
        )
        if (changed := changes(before, snapshot(saved)))["after"]:
            record(by, Action.QUALITY_CHANGED, "", changed)
    return saved
