"""The work log: timers, entries by hand, durations by day, labour billing. The only code that writes WorkLog.

Times are stored as aware UTC datetimes, so a duration is plain subtraction (a night across a DST change is
an hour shorter or longer, as the clock on the wall says). Days are the tenant's local days: a period is
split at local midnight when reports group by day or clip to a date range.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.event_text import Text, joined, say
from orders.models import EventKind, LineItem, Order, OrderStatus
from orders.permissions import check_actor
from orders.services import add_line_item, check_open
from orders.timeline import record_event
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role

from .models import TechnicianProfile, WorkLog

# A timer runs only while the order is being worked on; leaving these statuses stops it.
EXECUTION_STATUSES = frozenset({OrderStatus.DIAGNOSTICS, OrderStatus.IN_PROGRESS})
MAX_MANUAL_HOURS = 16
REPORT_ORDERS = 200  # the report lists the orders with the most time


def format_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def duration_text(delta: timedelta) -> Text:
    """format_duration as timeline data (orders/event_text.py): read in the reader's language."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return say(gettext_noop("%(h)d h %(m)02d min"), h=hours, m=minutes)
    return say(gettext_noop("%(m)d min"), m=minutes)


def hours(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_can_log(order: Order, technician: Membership, by: Membership) -> None:
    check_actor(by, Perm.ORDERS_WORK, order)  # a technician logs time only on orders assigned to them
    if technician.tenant_id != order.tenant_id:
        raise ValidationError(_("Unknown technician."))
    if not technician.is_active:
        raise ValidationError(_("%(name)s is no longer active here.") % {"name": technician.user})
    if by.role == Role.TECHNICIAN and by.pk != technician.pk:
        raise ValidationError(_("You can log only your own time."))


def running_timer(technician: Membership) -> WorkLog | None:
    return (
        WorkLog.objects.filter(tenant_id=technician.tenant_id, technician=technician, ended_at__isnull=True)
        .select_related("order")
        .first()
    )


@dataclass
class TimerStart:
    entry: WorkLog
    stopped: WorkLog | None  # the timer that was running on another order and was stopped


@transaction.atomic
def start_timer(order: Order, *, technician: Membership, by: Membership) -> TimerStart:
    """Start the technician's timer on the order; a timer running on another order is stopped first."""
    _check_can_log(order, technician, by)
    if order.status not in EXECUTION_STATUSES:
        raise ValidationError(
            _(
                "The timer runs during diagnostics and work; order #%(number)s is “%(status)s”. Start diagnostics or work first."
            )
            % {"number": order.number, "status": order.get_status_display()}
        )
    current = running_timer(technician)
    stopped = None
    if current is not None:
        if current.order_id == order.pk:
            raise ValidationError(_("The timer is already running on this order."))
        stopped = stop_timer(technician, by=by)
    try:
        with transaction.atomic():
            entry = WorkLog.objects.create(
                tenant_id=order.tenant_id,
                order=order,
                technician=technician,
                started_at=timezone.now(),
                source=WorkLog.Source.TIMER,
                created_by=by.user,
            )
    except IntegrityError:  # another request started one at the same moment: the database said no
        raise ValidationError(
            _("A timer is already running for %(name)s.") % {"name": technician.user}
        ) from None
    return TimerStart(entry=entry, stopped=stopped)


def _close(
    entry: WorkLog, *, at: datetime, by_user, automatic: bool, why: Text | None = None
) -> WorkLog | None:
    end = max(at, entry.started_at + timedelta(seconds=1))
    changed = WorkLog.objects.filter(pk=entry.pk, ended_at__isnull=True).update(
        ended_at=end, stopped_automatically=automatic
    )
    if not changed:
        return None
    entry.ended_at, entry.stopped_automatically = end, automatic
    said = say(
        gettext_noop("Work logged by %(name)s: %(start)s – %(end)s (%(duration)s)"),
        name=entry.technician.user if entry.technician_id else "—",
        start=entry.started_at,
        end=end,
        duration=duration_text(entry.duration()),
    )
    if why:
        said = joined(". ", [said, why])
    record_event(
        entry.order,
        EventKind.WORK_LOG,
        actor=by_user,
        text=said,
        data={
            "work_log": entry.pk,
            "technician": entry.technician_id,
            "started_at": entry.started_at.isoformat(),
            "ended_at": end.isoformat(),
            "seconds": int(entry.duration().total_seconds()),
            "automatic": automatic,
        },
    )
    return entry


@transaction.atomic
def stop_timer(technician: Membership, *, by: Membership) -> WorkLog | None:
    """Stop the technician's running timer, if any. Returns the finished entry."""
    # No order here: a technician stops their own timer even on an order taken from them meanwhile.
    check_actor(by, Perm.ORDERS_WORK, tenant_id=technician.tenant_id)
    if by.role == Role.TECHNICIAN and by.pk != technician.pk:
        raise ValidationError(_("You can stop only your own timer."))
    entry = (
        WorkLog.objects.select_for_update()
        .filter(tenant_id=technician.tenant_id, technician=technician, ended_at__isnull=True)
        .first()
    )
    if entry is None:
        return None
    entry = WorkLog.objects.select_related("order__tenant", "technician__user").get(pk=entry.pk)
    return _close(entry, at=timezone.now(), by_user=by.user, automatic=False)


def stop_order_timers(
    order: Order, *, by_user=None, why: Text | None = None, only_other_than: int | None = None
) -> list[WorkLog]:
    """Stop every timer running on the order (called when it leaves execution, or is reassigned)."""
    qs = WorkLog.objects.filter(tenant_id=order.tenant_id, order=order, ended_at__isnull=True)
    if only_other_than is not None:
        qs = qs.exclude(technician_id=only_other_than)
    stopped = []
    now = timezone.now()
    for entry in qs.select_related("technician__user", "order__tenant"):
        entry.order = order
        if _close(entry, at=now, by_user=by_user, automatic=True, why=why):
            stopped.append(entry)
    return stopped


@transaction.atomic
def add_manual(
    order: Order, *, technician: Membership, start: datetime, end: datetime, reason: str, by: Membership
) -> WorkLog:
    """A period entered by hand (the timer was forgotten, work done off-line): needs a reason."""
    _check_can_log(order, technician, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the time is entered by hand."))
    if start is None or end is None:
        raise ValidationError(_("Enter both the start and the end."))
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError(_("Times must carry a time zone."))
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # real durations, also across a DST change
    if end <= start:
        raise ValidationError(_("The end must be after the start."))
    if end > timezone.now() + timedelta(minutes=5):
        raise ValidationError(_("The end is in the future; log work once it is done."))
    if end - start > timedelta(hours=MAX_MANUAL_HOURS):
        raise ValidationError(
            _("One entry can be at most %(h)d hours; split longer work into days.") % {"h": MAX_MANUAL_HOURS}
        )
    if order.created_at and end < order.created_at - timedelta(days=1):
        raise ValidationError(_("That is before the order was taken in."))
    overlap = (
        WorkLog.objects.filter(tenant_id=order.tenant_id, technician=technician, started_at__lt=end)
        .filter(Q(ended_at__gt=start) | Q(ended_at__isnull=True))
        .select_related("order")
        .first()
    )
    if overlap is not None:
        raise ValidationError(
            _("%(name)s already has time logged then (order #%(number)s).")
            % {"name": technician.user, "number": overlap.order.number}
        )
    entry = WorkLog.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        technician=technician,
        started_at=start,
        ended_at=end,
        source=WorkLog.Source.MANUAL,
        reason=reason[:300],
        created_by=by.user,
    )
    record_event(
        order,
        EventKind.WORK_LOG,
        actor=by.user,
        text=say(
            gettext_noop("Work entered by hand for %(name)s: %(start)s – %(end)s (%(duration)s). %(reason)s"),
            name=technician.user,
            start=start,
            end=end,
            duration=duration_text(end - start),
            reason=reason,
        ),
        data={
            "work_log": entry.pk,
            "technician": technician.pk,
            "started_at": start.isoformat(),
            "ended_at": end.isoformat(),
            "seconds": int((end - start).total_seconds()),
            "manual": True,
        },
    )
    return entry


# --- Durations by day and reports -----------------------------------------------------------------
def split_by_day(start: datetime, end: datetime, tz) -> dict[date, timedelta]:
    """How much of [start, end) falls on each local day of the zone. Sums to end - start exactly."""
    out: dict[date, timedelta] = defaultdict(timedelta)
    # In UTC: Python subtracts two datetimes of the same zone by their wall clocks, which is wrong across DST.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return {}
    cursor = start
    while cursor < end:
        local_day = timezone.localtime(cursor, tz).date()
        next_midnight = timezone.make_aware(
            datetime.combine(local_day + timedelta(days=1), time.min), tz
        ).astimezone(UTC)
        piece_end = min(end, next_midnight)
        out[local_day] += piece_end - cursor
        cursor = piece_end
    return dict(out)


def day_bounds(first: date, last: date, tz) -> tuple[datetime, datetime]:
    """[first 00:00, last+1 00:00) in the zone, as aware datetimes."""
    return (
        timezone.make_aware(datetime.combine(first, time.min), tz),
        timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz),
    )


def clipped(start: datetime, end: datetime, lower: datetime, upper: datetime) -> timedelta:
    return max(min(end, upper) - max(start, lower), timedelta(0))


@dataclass
class HoursRow:
    key: object
    label: str
    total: timedelta = timedelta(0)
    by_day: dict[date, timedelta] = field(default_factory=lambda: defaultdict(timedelta))
    entries: int = 0

    @property
    def hours(self) -> Decimal:
        return hours(self.total)


@dataclass
class HoursReport:
    first: date
    last: date
    technicians: list[HoursRow]
    orders: list[HoursRow]
    total: timedelta
    days: list[date]

    @property
    def total_hours(self) -> Decimal:
        return hours(self.total)


def hours_report(
    tenant: Tenant,
    first: date,
    last: date,
    *,
    technician: Membership | None = None,
    now: datetime | None = None,
) -> HoursReport:
    """Hours per technician and per order between two local dates (inclusive), clipped to the range.

    Running timers count up to now. Three queries: the entries (as tuples), their technicians, and the
    orders with the most time (REPORT_ORDERS of them).
    """
    tz = tenant.tz
    lower, upper = (bound.astimezone(UTC) for bound in day_bounds(first, last, tz))
    now = now or timezone.now()
    qs = (
        WorkLog.objects.for_tenant(tenant)
        .filter(started_at__lt=upper)
        .filter(Q(ended_at__gt=lower) | Q(ended_at__isnull=True))
    )
    if technician is not None:
        qs = qs.filter(technician=technician)
    # Plain tuples, not model instances: a month of a big center is tens of thousands of entries.
    by_tech: dict[int, HoursRow] = {}
    by_order: dict[int, HoursRow] = {}
    total = timedelta(0)
    for tech_id, order_id, started_at, ended_at in (
        qs.order_by()
        .values_list("technician_id", "order_id", "started_at", "ended_at")
        .iterator(chunk_size=5000)
    ):
        start, stop = max(started_at, lower), min(ended_at or now, upper)
        if stop <= start:
            continue
        tech = by_tech.get(tech_id) or by_tech.setdefault(tech_id, HoursRow(tech_id, ""))
        order = by_order.get(order_id) or by_order.setdefault(order_id, HoursRow(order_id, ""))
        for row in (tech, order):
            row.entries += 1
            row.total += stop - start
        for day, piece in split_by_day(start, stop, tz).items():
            tech.by_day[day] += piece
        total += stop - start
    members = Membership.objects.filter(pk__in=list(by_tech)).select_related("user").in_bulk()
    for tech_id, row in by_tech.items():
        row.key = members[tech_id]
        row.label = str(row.key.user)
    top_orders = sorted(by_order.values(), key=lambda r: -r.total.total_seconds())[:REPORT_ORDERS]
    numbers = Order.objects.filter(tenant=tenant, pk__in=[r.key for r in top_orders]).in_bulk()
    for row in top_orders:
        row.key = numbers[row.key]
        row.label = f"#{row.key.number}"
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return HoursReport(
        first=first,
        last=last,
        total=total,
        days=days,
        technicians=sorted(by_tech.values(), key=lambda r: r.label.lower()),
        orders=top_orders,
    )


def logged_total(
    tenant: Tenant, first: date, last: date, technician: Membership, *, now: datetime | None = None
) -> timedelta:
    """The time one technician logged between two local dates (inclusive), clipped to them, a running timer up
    to now: hours_report(...).total for one technician (my jobs' "logged today"), in one query of the
    entries that end in or after the range or still run (tech_worklog_tech_end_idx), without the report's
    rows, days and orders. The report's own query reads every entry the technician ever started before the
    range's end (3,900 rows to find a day's 108 at 1,000,000 orders, pathological shape)."""
    lower, upper = (bound.astimezone(UTC) for bound in day_bounds(first, last, tenant.tz))
    now = now or timezone.now()
    total = timedelta(0)
    for started_at, ended_at in (
        WorkLog.objects.for_tenant(tenant)
        .filter(technician=technician, started_at__lt=upper)
        .filter(Q(ended_at__gt=lower) | Q(ended_at__isnull=True))
        .order_by()
        .values_list("started_at", "ended_at")
    ):
        total += clipped(started_at, ended_at or now, lower, upper)
    return total


# --- Labour ----------------------------------------------------------------------------------------
class RateSource:
    TECHNICIAN = "technician"
    SERVICE_TYPE = "service_type"


def service_type_rate(order: Order) -> Decimal:
    """The service type's price per hour: its base price over its usual duration."""
    service_type = order.service_type
    minutes = service_type.default_duration_minutes or 60
    return (service_type.base_price * 60 / Decimal(minutes)).quantize(Decimal("0.01"))


@transaction.atomic
def bill_labour(order: Order, *, by: Membership, rate_source: str = RateSource.TECHNICIAN) -> list[LineItem]:
    """Turn the order's finished, unbilled work-log time into labour line items: one per technician.

    Both rights: planning the money (ORDERS_PLAN) and writing the bill's lines (ORDERS_WORK, as
    orders.services.add_line_item checks again): owners and managers."""
    check_actor(by, Perm.ORDERS_PLAN, order)
    check_actor(by, Perm.ORDERS_WORK, order)
    if rate_source not in {RateSource.TECHNICIAN, RateSource.SERVICE_TYPE}:
        raise ValidationError(_("Unknown rate."))
    check_open(order)
    entries = list(
        WorkLog.objects.select_for_update()
        .filter(tenant_id=order.tenant_id, order=order, ended_at__isnull=False, line_item__isnull=True)
        .order_by("id")
    )
    if not entries:
        raise ValidationError(_("There is no unbilled finished work on this order."))
    per_tech: dict[int, list[WorkLog]] = defaultdict(list)
    for entry in entries:
        per_tech[entry.technician_id].append(entry)
    members = {m.pk: m for m in Membership.objects.filter(pk__in=per_tech).select_related("user")}
    profiles = {
        p.membership_id: p
        for p in TechnicianProfile.objects.filter(tenant_id=order.tenant_id, membership_id__in=per_tech)
    }
    lines = []
    for tech_id, tech_entries in per_tech.items():
        total = sum((e.duration() for e in tech_entries), timedelta(0))
        quantity = hours(total)
        if quantity <= 0:
            continue
        if rate_source == RateSource.TECHNICIAN:
            profile = profiles.get(tech_id)
            rate = profile.hourly_rate if profile else Decimal("0")
        else:
            rate = service_type_rate(order)
        line = add_line_item(
            order,
            kind=LineItem.Kind.WORK,
            description=(
                _("Labour: %(name)s, %(hours)s h") % {"name": members[tech_id].user, "hours": quantity}
            )[:200],
            quantity=quantity,
            unit_price=rate,
            by=by,
            performed_by=members[tech_id],
        )
        WorkLog.objects.filter(pk__in=[e.pk for e in tech_entries]).update(line_item=line)
        lines.append(line)
    if not lines:
        raise ValidationError(_("The logged time is too short to bill."))
    return lines
