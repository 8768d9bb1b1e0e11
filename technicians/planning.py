"""Planning: who does what, when. Guards run before orders.services.assign(), which writes the event.

- `visit_conflicts()` / overlapping visits: refused (one technician cannot be in two places).
- `assignment_warnings()`: a missing skill, a day over capacity, a visit outside working hours or by
  someone who does not do visits. Warnings, not refusals: the planner confirms and assigns anyway.
- `plan()`: the guarded assignment used by the planning board (and offered to the order page).
- `board()`: the planning board's data in a constant number of queries.
- `suggestions()`: who should do a job on a day, best first (skill, hours left, same workshop).

When a job happens: a visit at its slot (Order.visit_start), an in-shop job at its planned WorkSlot, else on
its promised day (`moment_between`, `job_day`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders import visits
from orders.event_text import say
from orders.lifecycle import OrderChanged, TransitionRefused, bump_version, transition
from orders.models import EventKind, Order, OrderStatus
from orders.permissions import check_actor
from orders.services import assign, technician_choices
from orders.timeline import record_event
from servicedesk.formats import format_date, format_datetime
from servicedesk.pagination import BoundedCount
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm
from stock import services as stock

from .models import TechnicianProfile, WorkSlot

ZERO = Decimal("0")
KEEP = object()  # "as the order has it now", where None means "none"


class NeedsConfirmation(ValidationError):
    """The assignment raises warnings the planner has not accepted yet; .messages are the warnings."""


def profile_of(member: Membership) -> TechnicianProfile:
    """The member's profile, or an unsaved one with the defaults (Mon-Fri 9-18, no skills recorded)."""
    try:
        return member.technician_profile
    except TechnicianProfile.DoesNotExist:
        return TechnicianProfile(tenant_id=member.tenant_id, membership=member)


def slot_of(order: Order) -> WorkSlot | None:
    """The in-shop job's planned slot, if any (select_related("work_slot") makes this free)."""
    try:
        return order.work_slot
    except WorkSlot.DoesNotExist:
        return None


def moment_between(lower: datetime | None, upper: datetime | None) -> Q:
    """Jobs whose moment (visit slot, else planned work slot, else promised time) is in [lower, upper)."""

    def within(field: str) -> Q:
        q = Q()
        if lower is not None:
            q &= Q(**{f"{field}__gte": lower})
        if upper is not None:
            q &= Q(**{f"{field}__lt": upper})
        return q

    return (
        within("visit_start")
        | (Q(visit_start__isnull=True) & within("work_slot__start"))
        | (Q(visit_start__isnull=True, work_slot__isnull=True) & within("promised_at"))
    )


def visit_end(order: Order, start: datetime | None = None, end: datetime | None = None) -> datetime | None:
    """A visit's end: as booked, else its start plus the service's usual duration."""
    start = start if start is not None else order.visit_start
    end = end if end is not None else order.visit_end
    if start is None:
        return None
    return end or start + timedelta(minutes=order.service_type.default_duration_minutes or 60)


def job_hours(order: Order, slot: WorkSlot | None = None) -> Decimal:
    """The time a job is expected to take: the visit slot, the planned work slot, else the service's usual
    duration."""
    if order.visit_start:
        delta = visit_end(order) - order.visit_start
        return (Decimal(delta.total_seconds()) / 3600).quantize(Decimal("0.01"))
    slot = slot if slot is not None else slot_of(order) if order.pk else None
    if slot is not None:
        return slot.hours
    return (Decimal(order.service_type.default_duration_minutes or 60) / 60).quantize(Decimal("0.01"))


def job_day(order: Order, tz, slot: WorkSlot | None = None) -> date | None:
    """The local day a job is booked for: the visit's day, the planned work day, else the promised day."""
    slot = slot if slot is not None else slot_of(order) if order.pk else None
    moment = order.visit_start or (slot.start if slot is not None else None) or order.promised_at
    return timezone.localtime(moment, tz).date() if moment else None


def visit_conflicts(
    order: Order, technician: Membership, start: datetime, end: datetime | None
) -> list[Order]:
    """The technician's other open visits overlapping [start, end)."""
    end = visit_end(order, start, end)
    candidates = (
        Order.objects.for_tenant(order.tenant_id)
        .filter(
            technician=technician,
            visit_start__isnull=False,
            visit_start__lt=end,
            visit_start__gte=start - timedelta(days=2),
        )
        .exclude(pk=order.pk)
        .open()
        .select_related("service_type")
        .order_by("visit_start")
    )
    return [other for other in candidates if visit_end(other) > start]


def check_no_overlap(
    order: Order, technician: Membership | None, start: datetime | None, end: datetime | None
) -> None:
    if technician is None or start is None:
        return
    clashes = visit_conflicts(order, technician, start, end)
    if clashes:
        tz = order.tenant.tz
        other = clashes[0]
        raise ValidationError(
            _("%(name)s already has a visit then: order #%(number)s, %(start)s – %(end)s.")
            % {
                "name": technician.user,
                "number": other.number,
                "start": format_datetime(other.visit_start, tz),
                "end": timezone.localtime(visit_end(other), tz).strftime("%H:%M"),
            }
        )


def booked_hours(technician: Membership, day: date, tz, *, exclude: Order | None = None) -> Decimal:
    """Hours of the technician's open jobs booked on that local day."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = start + timedelta(days=1)
    qs = (
        Order.objects.for_tenant(technician.tenant_id)
        .filter(technician=technician)
        .open()
        .filter(moment_between(start, end))
        .select_related("service_type", "work_slot")
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return sum((job_hours(o) for o in qs), ZERO)


def assignment_warnings(
    order: Order,
    technician: Membership | None,
    *,
    visit_start: datetime | None = None,
    visit_end_at: datetime | None = None,
    work_start: datetime | None = None,
    work_end: datetime | None = None,
    workshop: Location | None | object = KEEP,
) -> list[str]:
    """What a planner should know before assigning: sentences, empty when all is well.

    `workshop` is the job's workshop as it will be (the order's when not given); `work_start`/`work_end`
    an in-shop job's planned slot as it will be (the order's current one when not given)."""
    if technician is None:
        return []
    warnings = []
    profile = profile_of(technician)
    name = technician.user
    tz = order.tenant.tz
    if profile.pk is None or not profile.skill_rows.filter(service_type_id=order.service_type_id).exists():
        warnings.append(
            _("%(name)s has no recorded skill for “%(service)s”.")
            % {"name": name, "service": order.service_type.name}
        )
    if profile.pk is not None and not profile.is_active:
        warnings.append(_("%(name)s is marked as not taking jobs.") % {"name": name})
    start = visit_start or order.visit_start
    if order.needs_visit and profile.pk is not None and not profile.does_visits:
        warnings.append(_("%(name)s does not do on-site visits.") % {"name": name})
    job_workshop = order.workshop if workshop is KEEP else workshop
    home = profile.home_workshop if profile.pk is not None else None
    if isinstance(job_workshop, Location) and home is not None and job_workshop.pk != home.pk:
        warnings.append(
            _("The job is in %(workshop)s, but %(name)s works in %(home)s.")
            % {"workshop": job_workshop.name, "name": name, "home": home.name}
        )
    probe = Order(
        tenant_id=order.tenant_id,
        service_type=order.service_type,
        visit_start=start,
        visit_end=visit_end_at or order.visit_end,
        promised_at=order.promised_at,
    )
    probe_slot = None
    if start is None:
        current = slot_of(order) if order.pk else None
        slot_start = work_start or (current.start if current else None)
        if slot_start is not None:
            slot_end = work_end or (
                current.end
                if current is not None and work_start is None
                else slot_start + timedelta(minutes=order.service_type.default_duration_minutes or 60)
            )
            probe_slot = WorkSlot(start=slot_start, end=slot_end)
    day = job_day(probe, tz, probe_slot)
    if day is not None:
        capacity = profile.capacity_hours(day)
        booked = booked_hours(technician, day, tz, exclude=order)
        needed = job_hours(probe, probe_slot)
        if capacity <= 0:
            warnings.append(_("%(day)s is a day off for %(name)s.") % {"day": format_date(day), "name": name})
        elif booked + needed > capacity:
            warnings.append(
                _("%(name)s would have %(total)s h booked on %(day)s, over the %(capacity)s h working day.")
                % {"name": name, "total": booked + needed, "day": format_date(day), "capacity": capacity}
            )
        if start is None and probe_slot is not None and capacity > 0:
            day_from, day_to = profile.working_window(day, tz)
            if probe_slot.start < day_from or probe_slot.end > day_to:
                warnings.append(
                    _("The planned work is outside %(name)s's working hours (%(from)s–%(to)s).")
                    % {
                        "name": name,
                        "from": profile.day_start.strftime("%H:%M"),
                        "to": profile.day_end.strftime("%H:%M"),
                    }
                )
        if start is not None and capacity > 0:
            day_from, day_to = profile.working_window(day, tz)
            if start < day_from or visit_end(probe) > day_to:
                warnings.append(
                    _("The visit is outside %(name)s's working hours (%(from)s–%(to)s).")
                    % {
                        "name": name,
                        "from": profile.day_start.strftime("%H:%M"),
                        "to": profile.day_end.strftime("%H:%M"),
                    }
                )
    return warnings


@dataclass
class PlanResult:
    warnings: list[str]
    planned: bool = False
    plan_problem: str = ""
    parts_moved: list = field(default_factory=list)


def plan(
    order: Order,
    *,
    technician: Membership | None,
    workshop: Location | None,
    by: Membership,
    expected_version: int,
    visit_address: str | None = None,
    visit_start: datetime | None = None,
    visit_end_at: datetime | None = None,
    accept_warnings: bool = False,
    mark_planned: bool = False,
    release_parts: bool = False,
    work_start: datetime | None = None,
    work_end: datetime | None = None,
) -> PlanResult:
    """Guarded assignment: refuse overlapping visits, warn (unless accepted), then orders.services.assign().

    `work_start` (and optionally `work_end`, else the service's usual duration) plans an in-shop job's work
    for a day and time: its WorkSlot, which the board and the hours left count instead of the promised day.

    Raises ValidationError (refusals, or warnings not accepted: .warnings on the result of
    assignment_warnings) and OrderChanged.
    """
    check_actor(by, Perm.ORDERS_PLAN, order)
    for obj in (technician, workshop):
        if obj is not None and obj.tenant_id != order.tenant_id:
            raise ValidationError(_("Unknown technician or workshop."))
    if order.needs_visit and visit_start is None and order.visit_start is None and technician is not None:
        raise ValidationError(_("An on-site visit needs a time slot."))
    if work_start is not None and order.needs_visit:
        raise ValidationError(_("An on-site visit is planned by its visit slot."))
    if work_end is not None and work_start is None:
        raise ValidationError(_("Enter when the work starts."))
    if work_start is not None:
        work_end = work_end or work_start + timedelta(
            minutes=order.service_type.default_duration_minutes or 60
        )
        if work_end <= work_start:
            raise ValidationError(_("The work must end after it starts."))
        if work_end - work_start > timedelta(hours=24):
            raise ValidationError(_("A work slot can be at most 24 hours."))
    with transaction.atomic():
        if technician is not None:
            # Serialise planning per technician (PostgreSQL row lock), so two planners cannot both pass the
            # overlap check for the same slot.
            Membership.objects.select_for_update().filter(pk=technician.pk).first()
        start = visit_start if visit_start is not None else order.visit_start
        if visit_end_at is not None:
            end = visit_end_at
        elif visit_start is not None:  # a new start without an end: the service's usual duration
            end = visit_end(order, visit_start, None)
        else:
            end = order.visit_end
        slot_changed = visit_start is not None or visit_end_at is not None
        if order.needs_visit or start is not None:
            # Past or backwards slots are refused before any warning is asked (orders.visits: the one rule).
            visits.check_slot(start, end, booked_start=order.visit_start, tz=order.tenant.tz)
            check_no_overlap(order, technician, start, end)
        warnings = assignment_warnings(
            order,
            technician,
            visit_start=start,
            visit_end_at=end,
            work_start=work_start,
            work_end=work_end,
            workshop=workshop,
        )
        if not visits.same_slot(start, order.visit_start):
            outside = visits.hours_warning(workshop or order.workshop or order.intake_location, start, end)
            if outside:
                warnings.append(outside)
        if warnings and not accept_warnings:
            raise NeedsConfirmation(warnings)
        version_before = order.version
        moved = []
        if release_parts and workshop != order.workshop:
            moved = stock.release_all(order, by_user=by.user, reason=_("Order moved to another workshop"))
        assign(
            order,
            technician=technician,
            workshop=workshop,
            by=by,
            expected_version=expected_version,
            visit_address=visit_address,
            visit_start=visit_start,
            visit_end=end if slot_changed else None,
        )
        if work_start is not None and work_end is not None:  # (work_end is set above with work_start)
            # assign() checked the version if it changed anything; otherwise this is the check.
            plan_work(
                order,
                work_start,
                work_end,
                by=by,
                expected_version=expected_version if order.version == version_before else order.version,
            )
    result = PlanResult(warnings=warnings, parts_moved=moved)
    if mark_planned and order.status == OrderStatus.NEW:
        try:
            transition(order, "plan", by=by, expected_version=order.version)
            result.planned = True
        except (TransitionRefused, OrderChanged) as problem:
            result.plan_problem = str(problem)
    return result


def plan_work(order: Order, start: datetime, end: datetime, *, by: Membership, expected_version: int) -> None:
    """Set the in-shop job's work slot (inside plan()'s transaction, after its version check) and say so on
    the timeline. The version moves on too, so a stale plan form is refused."""
    current = slot_of(order)
    if current is not None and current.start == start and current.end == end:
        return
    bump_version(order, expected_version)
    WorkSlot.objects.update_or_create(
        tenant_id=order.tenant_id, order=order, defaults={"start": start, "end": end}
    )
    order._state.fields_cache.pop("work_slot", None)
    # Stored as data and worded in the reader's language and clock (orders.event_text).
    record_event(
        order,
        EventKind.ASSIGNED,
        actor=by.user,
        text=say(gettext_noop("work planned: %(start)s – %(end)s"), start=start, end=end),
        data={"work_start": start.isoformat(), "work_end": end.isoformat()},
    )


# --- The board -------------------------------------------------------------------------------------
@dataclass
class Cell:
    day: date
    capacity: Decimal
    jobs: list[Order] = field(default_factory=list)
    hours: Decimal = ZERO

    @property
    def over(self) -> bool:
        return self.hours > self.capacity

    @property
    def load_percent(self) -> int:
        if self.capacity <= 0:
            return 100 if self.hours > 0 else 0
        return min(int(self.hours * 100 / self.capacity), 100)

    @property
    def load_bucket(self) -> int:
        """The load rounded to tens: the CSS class load-0 ... load-100 (no inline styles under the CSP)."""
        return int(round(self.load_percent / 10) * 10)


@dataclass
class Row:
    member: Membership
    profile: TechnicianProfile
    cells: list[Cell]
    backlog: list[Order] = field(default_factory=list)  # the first few overdue or undated open jobs
    backlog_count: int = 0  # all of them, up to BOARD_COUNT_LIMIT
    later: int = 0  # open jobs booked after the range, up to BOARD_COUNT_LIMIT
    open_jobs: int = 0  # up to BOARD_COUNT_LIMIT
    # A count that stopped at BOARD_COUNT_LIMIT: shown as "1000 ...+" (the order list's bounded count says so).
    open_jobs_more: bool = False
    backlog_more: bool = False
    later_more: bool = False

    @property
    def skills(self) -> list:
        return [row.service_type for row in self.profile.skill_rows.all()] if self.profile.pk else []


@dataclass
class Board:
    start: date
    days: list[date]
    rows: list[Row]
    unassigned: list[Order]
    unassigned_more: bool


BOARD_UNASSIGNED_LIMIT = 60


def board_members(tenant: Tenant):
    """Who appears on the board: technicians, and anyone else with an active technician profile."""
    return (
        technician_choices(tenant)
        .filter(Q(role="technician") | Q(technician_profile__is_active=True))
        .select_related("technician_profile__home_workshop")
        .prefetch_related("technician_profile__skill_rows__service_type")
    )


# What the board reads of a week's job (its day, its hours, its chip: technicians.views.board_row_values):
# converting every column of five tables for a few hundred jobs was most of the board's time (issue 12).
BOARD_JOB_COLUMNS = [
    "tenant_id",
    "number",
    "status",
    "technician_id",
    "visit_start",
    "visit_end",
    "promised_at",
    "service_type__name",
    "service_type__default_duration_minutes",
    "item__kind",
    "item__brand",
    "item__model",
    "work_slot__start",
    "work_slot__end",
    "workshop__name",
]
BACKLOG_CHIPS = 4
BOARD_JOBS_LIMIT = 3000
BOARD_JOB_ORDER = ("visit_start", "promised_at", "id")


# Each technician's counts (open jobs, overdue or undated, later) stop at this many (then "1000+"): the board
# costs the same for a technician with 300 open jobs and one with 30,000 (issue 12's growth rule).
BOARD_COUNT_LIMIT = 1000


def board_counts(tenant: Tenant, member_ids: list[int], upper: datetime, undated_or_overdue: Q):
    """(member id, open jobs, overdue or undated, later by visit, later by work slot, later by promised time)
    for each member, each count bounded (BoundedCount: at most BOARD_COUNT_LIMIT + 1 rows read), in one
    statement. Counting every open job of every technician with one aggregate read all of them (90,000 rows
    and 500 ms at 1,000,000 orders in the pathological shape). "Later" (the job's moment after the range,
    moment_between) is counted in its three disjoint parts, each a range of an index (the technician's
    visits, the work slots, the open jobs by promised time), where one OR over all three read every open job
    to find the few later ones."""
    mine = Order.objects.for_tenant(tenant).filter(technician_id=OuterRef("pk")).open()

    def bounded(queryset) -> BoundedCount:
        return BoundedCount(queryset.order_by().values("pk")[: BOARD_COUNT_LIMIT + 1])

    return (
        Membership.objects.filter(tenant=tenant, pk__in=member_ids)
        .annotate(
            total=bounded(mine),
            backlog=bounded(mine.filter(undated_or_overdue)),
            later_visit=bounded(mine.filter(visit_start__gte=upper)),
            later_slot=bounded(mine.filter(visit_start__isnull=True, work_slot__start__gte=upper)),
            later_promised=bounded(
                mine.filter(visit_start__isnull=True, work_slot__isnull=True, promised_at__gte=upper)
            ),
        )
        .order_by()
        .values_list("pk", "total", "backlog", "later_visit", "later_slot", "later_promised")
    )


def week_parts(jobs, lower: datetime, upper: datetime, limit: int) -> list:
    """The first `limit` of `jobs.filter(moment_between(lower, upper))` in the board's order, as its three
    disjoint parts, each a range of an index that stops after `limit` rows: visits in the range
    (orders_visit_day_idx, in time order), planned work slots in the range (tech_workslot_start_idx), undated
    by either and promised in the range (orders_open_tech_promised_idx). Each part is sorted by the board's
    order, so the first `limit` of all are among the parts' first `limit`. The OR of the three could use none
    of the indexes and read every open job of the tenant (500 ms at 1,000,000 orders, pathological shape)."""
    parts = [
        jobs.filter(visit_start__gte=lower, visit_start__lt=upper),
        jobs.filter(visit_start__isnull=True, work_slot__start__gte=lower, work_slot__start__lt=upper),
        jobs.filter(
            visit_start__isnull=True, work_slot__isnull=True, promised_at__gte=lower, promised_at__lt=upper
        ),
    ]
    return [part.order_by(*BOARD_JOB_ORDER)[:limit] for part in parts]


def ids_of_any(querysets: list) -> RawSQL:
    """The ids of the rows of any of these (disjoint) querysets, as one subquery: a UNION ALL of each one's
    ids (each keeps its own ordering and limit, and its own index: an OR of them in one WHERE would not)."""
    parts: list[str] = []
    params: list[object] = []
    for queryset in querysets:
        sql, part_params = queryset.values("pk").query.sql_with_params()
        # A LIMIT inside a UNION needs a SELECT of its own around it (SQLite, PostgreSQL alike).
        parts.append(f"SELECT * FROM ({sql}) AS part_{len(parts)}")
        params.extend(part_params)
    return RawSQL(" UNION ALL ".join(parts), params)


def first_of_each(jobs, technician_ids: list[int], count: int) -> RawSQL:
    """The ids of the first `count` jobs of each technician, undated first, then by promised time (the caller
    keeps `count`), as one subquery: a UNION ALL of two small queries per technician (the undated ones by id,
    the dated ones by promised time), each an index range scan that stops after `count` rows
    (orders_open_tech_promised_idx). Numbering every overdue job with a window function sorted the whole
    backlog (26,000 rows at 100,000 orders to keep 48: issue 12); this reads at most 2 x count per technician
    whatever the backlog's size."""
    # Each kind of part is compiled once, for a placeholder technician, and repeated with each one's id in
    # its place: compiling 24 querysets cost more than running them.
    placeholder = -9_191_919  # no real id or other value of these queries
    mine = jobs.filter(technician_id=placeholder)
    templates = [
        part.values("pk")[:count].query.sql_with_params()
        for part in (
            mine.filter(promised_at__isnull=True).order_by("id"),
            mine.filter(promised_at__isnull=False).order_by("promised_at", "id"),
        )
    ]
    parts: list[str] = []
    params: list[object] = []
    for technician_id in technician_ids:
        for sql, part_params in templates:
            # A LIMIT inside a UNION needs a SELECT of its own around it (SQLite, PostgreSQL alike).
            parts.append(f"SELECT * FROM ({sql}) AS first_{len(parts)}")
            params.extend(technician_id if value == placeholder else value for value in part_params)
    if not parts:
        return RawSQL("SELECT NULL WHERE 1 = 0", [])
    return RawSQL(" UNION ALL ".join(parts), params)


def board(tenant: Tenant, start: date, days: int = 7) -> Board:
    """The board in a fixed number of queries, reading only the jobs inside the range (plus counts and the
    first few overdue jobs per technician), so a tenant with years of orders costs the same."""
    tz = tenant.tz
    day_list = [start + timedelta(days=i) for i in range(days)]
    lower = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    upper = lower + timedelta(days=days)
    today_start = timezone.make_aware(
        datetime.combine(timezone.localtime(timezone.now(), tz).date(), datetime.min.time()), tz
    )
    rows: dict[int, Row] = {}
    for member in board_members(tenant):
        profile = profile_of(member)
        rows[member.pk] = Row(
            member=member,
            profile=profile,
            cells=[Cell(day=d, capacity=profile.capacity_hours(d)) for d in day_list],
        )
    open_jobs = Order.objects.for_tenant(tenant).filter(technician_id__in=list(rows)).open()
    undated_or_overdue = Q(visit_start__isnull=True, work_slot__isnull=True) & (
        Q(promised_at__isnull=True) | Q(promised_at__lt=today_start)
    )
    for member_id, total, overdue, *later_parts in board_counts(
        tenant, list(rows), upper, undated_or_overdue
    ):
        row, later = rows[member_id], sum(later_parts)
        row.open_jobs, row.open_jobs_more = min(total, BOARD_COUNT_LIMIT), total > BOARD_COUNT_LIMIT
        row.backlog_count, row.backlog_more = min(overdue, BOARD_COUNT_LIMIT), overdue > BOARD_COUNT_LIMIT
        row.later, row.later_more = min(later, BOARD_COUNT_LIMIT), later > BOARD_COUNT_LIMIT
    for job in (
        Order.objects.for_tenant(tenant)
        .filter(pk__in=ids_of_any(week_parts(open_jobs, lower, upper, BOARD_JOBS_LIMIT)))
        .select_related("service_type", "item", "work_slot", "workshop")
        .only(*BOARD_JOB_COLUMNS)
        .order_by(*BOARD_JOB_ORDER)[:BOARD_JOBS_LIMIT]
    ):
        day = job_day(job, tz)
        cell = rows[job.technician_id].cells[(day - start).days]
        cell.jobs.append(job)
        cell.hours += job_hours(job)
    first_overdue = (
        Order.objects.for_tenant(tenant)
        .filter(pk__in=first_of_each(open_jobs.filter(undated_or_overdue), list(rows), BACKLOG_CHIPS))
        .select_related("service_type")
        .order_by("technician_id", F("promised_at").asc(nulls_first=True), "id")
    )
    for job in first_overdue:
        backlog = rows[job.technician_id].backlog
        if len(backlog) < BACKLOG_CHIPS:
            backlog.append(job)
    unassigned_qs = (  # the first 61 entries of orders_unassigned_idx, however many wait
        Order.objects.for_tenant(tenant)
        .filter(technician__isnull=True)
        .open()
        .select_related("service_type", "client", "item", "work_slot")
        .order_by("-priority", "promised_at", "id")
    )
    unassigned = list(unassigned_qs[: BOARD_UNASSIGNED_LIMIT + 1])
    return Board(
        start=start,
        days=day_list,
        rows=list(rows.values()),
        unassigned=unassigned[:BOARD_UNASSIGNED_LIMIT],
        unassigned_more=len(unassigned) > BOARD_UNASSIGNED_LIMIT,
    )


# --- Who should do it ------------------------------------------------------------------------------
@dataclass
class Suggestion:
    member: Membership
    profile: TechnicianProfile
    skilled: bool
    same_workshop: bool | None  # None: the job has no workshop yet, or the technician no home workshop
    capacity: Decimal
    booked: Decimal

    @property
    def hours_left(self) -> Decimal:
        return max(self.capacity - self.booked, ZERO)

    @property
    def takes_jobs(self) -> bool:
        return self.profile.pk is None or self.profile.is_active


def suggestions(order: Order, day: date, workshop: Location | None | object = KEEP) -> list[Suggestion]:
    """Everyone on the board, best first for this job on this local day: taking jobs, skilled in the
    service, hours left that day, then in the job's workshop; ties by name. Four queries whatever the
    team's size (members, profiles' skills, the day's jobs)."""
    tenant = order.tenant
    tz = tenant.tz
    job_workshop = order.workshop if workshop is KEEP else workshop
    members = list(board_members(tenant).select_related("user"))
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    booked: dict[int, Decimal] = {}
    for job in (
        Order.objects.for_tenant(tenant)
        .filter(technician__in=members)
        .open()
        .exclude(pk=order.pk)
        .filter(moment_between(start, start + timedelta(days=1)))
        .select_related("service_type", "work_slot")
    ):
        if job.technician_id is not None:  # (always: filtered on the members)
            booked[job.technician_id] = booked.get(job.technician_id, ZERO) + job_hours(job)
    found = []
    for member in members:
        profile = profile_of(member)
        skills = {row.service_type_id for row in profile.skill_rows.all()} if profile.pk else set()
        home = profile.home_workshop_id if profile.pk else None
        found.append(
            Suggestion(
                member=member,
                profile=profile,
                skilled=order.service_type_id in skills,
                same_workshop=(
                    None
                    if not isinstance(job_workshop, Location) or home is None
                    else home == job_workshop.pk
                ),
                capacity=profile.capacity_hours(day),
                booked=booked.get(member.pk, ZERO),
            )
        )
    found.sort(
        key=lambda s: (
            not s.takes_jobs,
            not s.skilled,
            s.hours_left <= 0,
            s.same_workshop is False,
            -s.hours_left,
            str(s.member.user).lower(),
        )
    )
    return found


def day_visits(tenant: Tenant, day: date, technician: Membership | None = None):
    """Visits on a local day, ordered by technician and time (the day view and route sheet)."""
    tz = tenant.tz
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    qs = (
        Order.objects.for_tenant(tenant)
        .filter(visit_start__gte=start, visit_start__lt=start + timedelta(days=1))
        .exclude(status=OrderStatus.CANCELLED)
        .select_related("client", "item", "service_type", "technician__user")
        .order_by("technician__user__full_name", "visit_start", "id")
    )
    if technician is not None:
        qs = qs.filter(technician=technician)
    return qs
