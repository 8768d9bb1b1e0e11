"""The managers' dashboard: its figures, computed from the daily rollups (quality.rollups) and, for "now", from
the open orders alone. Views and CSV exports call these; docs/quality.md, "The managers' dashboard", explains
every figure.

Queries per page, whatever the history (tested): the open orders' counts (one aggregate over open orders
only), the rollups per day, per (service type, technician), the histograms of the period, the technicians
with their profiles, two for the calendars (available hours), one each for the SLA figures (`sla_now`,
`sla_compliance`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import OPEN_STATUSES, Order, OrderStatus, ServiceType, Stage, statuses_of_stage
from servicedesk.tenancy.access import tenant_cache_key
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role, has_perm

from .models import MEASURE_FIELDS, DailyRollup, SlaClock
from .rollups import COUNTERS, WorkClock, local_midnight, merge_histograms, percentile, technician_measure
from .rollups import histograms_generation as rollups_generation

TECHNICIAN_PREFIX = technician_measure(0)[:-1]  # "repair."

PERIODS = {"7": 7, "30": 30, "90": 90}
DEFAULT_PERIOD = "30"
MAX_RANGE_DAYS = 366
DEFAULT_READY_DAYS = 3  # "ready, not collected for N days or more"

S = OrderStatus

# The time table's columns: measure -> label. "repair" is the technicians' own time (diagnostics and work).
STAGE_MEASURES: dict[str, object] = {
    "request": _("Request"),
    "planning": _("Planning"),
    "execution": _("Execution"),
    "handover": _("Handover"),
    "e2e": _("End to end"),
}
WAIT_MEASURES: dict[str, object] = {
    "repair": _("Diagnostics and repair"),
    "wait_client": _("Waiting on the client"),
    "wait_parts": _("Waiting for parts"),
    "pickup": _("Ready until collected"),
}


# --- What is asked ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The dashboard's filters, validated (quality.forms.DashboardForm)."""

    tenant: Tenant
    first: date
    last: date
    period: str = DEFAULT_PERIOD  # "7", "30", "90" or "custom"
    location: Location | None = None
    service_type: ServiceType | None = None
    ready_days: int = DEFAULT_READY_DAYS

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def query(self) -> dict[str, str]:
        """The dashboard's own query string (for its CSV links and the period buttons)."""
        query = {"period": self.period}
        if self.period == "custom":
            query.update({"start": self.first.isoformat(), "end": self.last.isoformat()})
        if self.location:
            query["location"] = str(self.location.pk)
        if self.service_type:
            query["service_type"] = str(self.service_type.pk)
        if self.ready_days != DEFAULT_READY_DAYS:
            query["ready_days"] = str(self.ready_days)
        return query

    def order_filters(self) -> dict[str, str]:
        """The same location and service type as the order list's filters."""
        filters = {}
        if self.location:
            filters["intake_location"] = str(self.location.pk)
        if self.service_type:
            filters["service_type"] = str(self.service_type.pk)
        return filters

    def rollups(self, first: date | None = None, last: date | None = None) -> QuerySet[DailyRollup]:
        rows = DailyRollup.objects.for_tenant(self.tenant).filter(
            day__gte=first or self.first, day__lte=last or self.last
        )
        if self.location:
            rows = rows.filter(location=self.location)
        if self.service_type:
            rows = rows.filter(service_type=self.service_type)
        return rows.order_by()


def default_scope(tenant: Tenant, today: date | None = None) -> Scope:
    today = today or tenant.local_date()
    return Scope(tenant=tenant, first=today - timedelta(days=PERIODS[DEFAULT_PERIOD] - 1), last=today)


class Links:
    """URLs of the order list with the dashboard's location and service type plus the figure's own filters."""

    def __init__(self, scope: Scope) -> None:
        self.base = reverse("orders:list", args=[scope.tenant.slug])
        self.common = scope.order_filters()
        self._common = urlencode(self.common)
        self.scope = scope

    def orders(self, **filters: object) -> str:
        # The dashboard's own filters win over a figure's (a service type chosen above is the one linked).
        query = {
            key: value for key, value in filters.items() if value not in (None, "") and key not in self.common
        }
        own = urlencode(query)
        return (
            f"{self.base}?{own}&{self._common}"
            if own and self._common
            else f"{self.base}?{own or self._common}"
        )

    def taken_in(self, first: date, last: date, **more: object) -> str:
        return self.orders(view="", created_after=first.isoformat(), created_before=last.isoformat(), **more)

    def closed(self, status: str, first: date, last: date, **more: object) -> str:
        return self.orders(
            view="", status=status, closed_after=first.isoformat(), closed_before=last.isoformat(), **more
        )

    def completed(self, first: date | None = None, last: date | None = None, **more: object) -> str:
        return self.closed(S.HANDED_OVER, first or self.scope.first, last or self.scope.last, **more)


# --- Figures ------------------------------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: object
    value: int | None
    url: str
    hint: object = ""
    warn: bool = False


@dataclass
class Now:
    open: Figure
    stages: list[Figure]
    waiting: list[Figure]
    sla: list[Figure]


def now_figures(scope: Scope, links: Links, now: datetime | None = None) -> Now:
    """The open orders as they are now (location and service type apply, the period does not): one aggregate
    over the open orders only (their count stays about the same however long the history)."""
    now = now or timezone.now()
    today = scope.tenant.local_date(now)
    stale_day = today - timedelta(days=scope.ready_days)
    stale_before = local_midnight(stale_day + timedelta(days=1), scope.tenant.tz)
    orders = Order.objects.for_tenant(scope.tenant).filter(status__in=OPEN_STATUSES)
    # Grouped by status, location and service type, and narrowed here: filtered in SQL, SQLite's planner walked
    # every order of the service type (its foreign-key index) instead of the open ones (the status index).
    counts = dict.fromkeys(["total", "overdue", "ready_stale", *(str(status) for status in OPEN_STATUSES)], 0)
    for row in (
        orders.order_by()
        .values("status", "intake_location_id", "service_type_id")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(promised_at__lt=now)),
            ready_stale=Count("id", filter=Q(status=S.READY, status_changed_at__lt=stale_before)),
        )
    ):
        if scope.location and row["intake_location_id"] != scope.location.pk:
            continue
        if scope.service_type and row["service_type_id"] != scope.service_type.pk:
            continue
        counts["total"] += row["n"]
        counts[row["status"]] += row["n"]
        counts["overdue"] += row["overdue"]
        counts["ready_stale"] += row["ready_stale"]
    stages = [Stage.REQUEST, Stage.PLANNING, Stage.EXECUTION, Stage.HANDOVER]
    for stage in stages:
        counts[f"stage_{stage}"] = sum(counts[status] for status in statuses_of_stage(stage))
    counts["wait_client"] = counts[S.AWAITING_APPROVAL]
    counts["wait_parts"] = counts[S.AWAITING_PARTS]
    counts["on_hold"] = counts[S.ON_HOLD]
    if scope.location:
        orders = orders.filter(intake_location=scope.location)
    if scope.service_type:
        orders = orders.filter(service_type=scope.service_type)
    return Now(
        open=Figure("open", _("Open orders"), counts["total"], links.orders(view="open")),
        stages=[
            Figure(
                f"stage_{stage}",
                Stage(stage).label,
                counts[f"stage_{stage}"],
                links.orders(view="", stage=stage),
            )
            for stage in stages
        ],
        waiting=[
            Figure(
                "wait_client",
                _("Waiting on the client"),
                counts["wait_client"],
                links.orders(view="", status=S.AWAITING_APPROVAL),
                _("estimate sent, no answer yet"),
            ),
            Figure(
                "wait_parts",
                _("Waiting for parts"),
                counts["wait_parts"],
                links.orders(view="", status=S.AWAITING_PARTS),
            ),
            Figure("on_hold", _("On hold"), counts["on_hold"], links.orders(view="", status=S.ON_HOLD)),
            Figure(
                "overdue",
                _("Past the promised date"),
                counts["overdue"],
                links.orders(view="", overdue="on"),
                warn=counts["overdue"] > 0,
            ),
            Figure(
                "ready_stale",
                _("Ready, not collected"),
                counts["ready_stale"],
                links.orders(view="", status=S.READY, status_since_before=stale_day.isoformat()),
                _("for %(days)s days or more") % {"days": scope.ready_days},
                warn=counts["ready_stale"] > 0,
            ),
        ],
        sla=sla_now(orders, links),
    )


@dataclass
class FlowDay:
    day: date
    taken_in: int = 0
    completed: int = 0
    cancelled: int = 0
    backlog: int = 0  # open at the end of the day
    taken_in_url: str = ""
    completed_url: str = ""
    cancelled_url: str = ""
    backlog_url: str = ""


@dataclass
class Flow:
    days: list[FlowDay]
    taken_in: Figure
    completed: Figure
    cancelled: Figure
    backlog_start: int
    backlog_end: int


def flow_figures(scope: Scope, links: Links, open_now: int, today: date | None = None) -> Flow:
    """Taken in, handed over and cancelled per day, and the backlog (open orders at the end of each day).

    The backlog is counted back from the open orders now: open at the end of day d = open now - (taken in -
    closed) on each day after d up to today, so the rollups are read from the period's first day to today
    (one grouped query)."""
    today = today or scope.tenant.local_date()
    per_day = {
        row["day"]: row
        for row in scope.rollups(scope.first, max(today, scope.last))
        .values("day")
        .annotate(taken_in=Sum("taken_in"), completed=Sum("completed"), cancelled=Sum("cancelled"))
    }
    backlog = {}
    running = open_now
    day = max(today, scope.last)
    while day >= scope.first:
        backlog[day] = running
        that_day = per_day.get(day)
        if that_day:
            running -= that_day["taken_in"] - that_day["completed"] - that_day["cancelled"]
        day -= timedelta(days=1)
    days = []
    for day in scope.days:
        sums = per_day.get(day)
        days.append(
            FlowDay(
                day=day,
                taken_in=sums["taken_in"] if sums else 0,
                completed=sums["completed"] if sums else 0,
                cancelled=sums["cancelled"] if sums else 0,
                backlog=backlog[day] if day <= today else 0,
                taken_in_url=links.taken_in(day, day),
                completed_url=links.completed(day, day),
                cancelled_url=links.closed(S.CANCELLED, day, day),
                backlog_url=links.orders(view="", open_on=day.isoformat()),
            )
        )
    return Flow(
        days=days,
        taken_in=Figure(
            "taken_in", _("Taken in"), sum(d.taken_in for d in days), links.taken_in(scope.first, scope.last)
        ),
        completed=Figure("completed", _("Handed over"), sum(d.completed for d in days), links.completed()),
        cancelled=Figure(
            "cancelled",
            _("Cancelled"),
            sum(d.cancelled for d in days),
            links.closed(S.CANCELLED, scope.first, scope.last),
        ),
        backlog_start=running,
        backlog_end=backlog.get(min(scope.last, today), 0),
    )


# --- Time, people, service types (one pass over the period's rollups) ----------------------------------


@dataclass
class Totals:
    """Sums of the counters over some cells, with the histograms merged."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    hist: dict[str, dict] = field(default_factory=lambda: defaultdict(dict))

    def add_counts(self, row: Mapping) -> None:
        for name in COUNTERS:
            self.counts[name] += row.get(name) or 0

    def median(self, measure: str) -> int | None:
        return percentile(self.hist.get(measure, {}), 0.5)

    def p90(self, measure: str) -> int | None:
        return percentile(self.hist.get(measure, {}), 0.9)

    @property
    def first_time_rate(self) -> float | None:
        return self.counts["first_time"] / self.counts["completed"] if self.counts["completed"] else None

    @property
    def average_rating(self) -> float | None:
        return (
            self.counts["rating_sum"] / self.counts["rating_count"] if self.counts["rating_count"] else None
        )

    @property
    def work_hours(self) -> float:
        return self.counts["work_seconds"] / 3600


@dataclass
class Cells:
    by_type: dict[int, Totals]
    by_technician: dict[int | None, Totals]
    total: Totals


def period_cells(scope: Scope, today: date | None = None) -> Cells:
    """The period's rollups summed per service type, per technician and in all: the counters in the database
    (one grouped query, at most types x technicians rows), the histograms merged here (period_histograms)."""
    by_type: dict[int, Totals] = defaultdict(Totals)
    by_technician: dict[int | None, Totals] = defaultdict(Totals)
    total = Totals()
    rows = (
        scope.rollups()
        .values("service_type_id", "technician_id")
        .annotate(**{name: Sum(name) for name in COUNTERS})
    )
    for row in rows:
        for target in (by_type[row["service_type_id"]], by_technician[row["technician_id"]], total):
            target.add_counts(row)
    types, technicians, overall = period_histograms(scope, today or scope.tenant.local_date())
    for service_type_id, hist in types.items():
        by_type[service_type_id].hist.update(hist)
    for technician_id, hist in technicians.items():
        by_technician[technician_id].hist["repair"] = hist
    total.hist.update(overall)
    return Cells(dict(by_type), dict(by_technician), total)


Histograms = tuple[
    dict[int, dict[str, dict]], dict[int, dict], dict[str, dict]
]  # per type, per technician, all


def _merge_rows(rows, into: Histograms) -> None:
    types, technicians, overall = into
    for service_type_id, hist in rows:
        per_type = types.setdefault(service_type_id, {})
        for measure, histogram in (hist or {}).items():
            if measure.startswith(TECHNICIAN_PREFIX):
                merge_histograms(
                    technicians.setdefault(int(measure[len(TECHNICIAN_PREFIX) :]), {}), histogram
                )
                continue
            merge_histograms(per_type.setdefault(measure, {}), histogram)
            merge_histograms(overall.setdefault(measure, {}), histogram)


def _merge_histograms(into: Histograms, part: Histograms) -> None:
    types, technicians, overall = into
    for service_type_id, hists in part[0].items():
        target = types.setdefault(service_type_id, {})
        for measure, histogram in hists.items():
            merge_histograms(target.setdefault(measure, {}), histogram)
    for technician_id, histogram in part[1].items():
        merge_histograms(technicians.setdefault(technician_id, {}), histogram)
    for measure, histogram in part[2].items():
        merge_histograms(overall.setdefault(measure, {}), histogram)


def period_histograms(scope: Scope, today: date) -> Histograms:
    """The histograms of the period's handed-over orders: per service type and measure, per technician (repair
    times) and in all, from each cell's row without a technician (quality.rollups): about 24 rows a day.

    The days before today never change once past (a handover counts on the day it happens), so their merge is
    cached per scope, under the tenant's rollup generation (bumped when a recomputation changes a past day).
    One query either way: today's rows when the past is cached, else the whole period's."""
    from django.core.cache import cache

    past_last = min(scope.last, today - timedelta(days=1))
    generation = rollups_generation(scope.tenant.pk)
    key = tenant_cache_key(
        scope.tenant,
        "dashboard-histograms",
        generation,
        scope.first,
        past_last,
        scope.location.pk if scope.location else 0,
        scope.service_type.pk if scope.service_type else 0,
    )
    past = None
    if generation is not None and scope.first <= past_last:
        try:
            past = cache.get(key)
        except Exception:  # no cache: compute (rollups_generation has said so in the log)
            past = None
    merged: Histograms = ({}, {}, {})
    if past is not None or scope.first > past_last:
        if scope.last >= today:
            _merge_rows(
                scope.rollups(today, today)
                .filter(technician__isnull=True)
                .values_list("service_type_id", "hist"),
                merged,
            )
        if past is not None:
            _merge_histograms(merged, past)
        return merged
    past = ({}, {}, {})
    today_rows = []
    for day, service_type_id, hist in (
        scope.rollups().filter(technician__isnull=True).values_list("day", "service_type_id", "hist")
    ):
        if day <= past_last:
            _merge_rows(((service_type_id, hist),), past)
        else:
            today_rows.append((service_type_id, hist))
    if generation is not None:
        try:
            cache.set(key, past, 26 * 3600)
        except Exception:
            pass
    _merge_histograms(merged, past)
    _merge_rows(today_rows, merged)
    return merged


@dataclass
class TimeRow:
    label: object
    completed: int
    url: str
    cells: list[tuple[int | None, int | None]]  # (median, p90) per measure, in the order of the columns
    service_type_id: int | None = None


@dataclass
class TimeTable:
    columns: list[tuple[str, object]]
    rows: list[TimeRow]
    total: TimeRow


def time_table(
    scope: Scope, links: Links, cells: Cells, service_types: list[ServiceType], measures: dict[str, object]
) -> TimeTable:
    columns = list(measures.items())

    def row(label, totals: Totals, url: str, service_type_id=None) -> TimeRow:
        return TimeRow(
            label,
            totals.counts["completed"],
            url,
            [(totals.median(m), totals.p90(m)) for m, _label in columns],
            service_type_id,
        )

    rows = [
        row(
            st.name,
            cells.by_type[st.pk],
            links.completed(service_type=st.pk) if not scope.service_type else links.completed(),
            st.pk,
        )
        for st in service_types
        if st.pk in cells.by_type and cells.by_type[st.pk].counts["completed"]
    ]
    return TimeTable(columns, rows, row(_("All services"), cells.total, links.completed()))


@dataclass
class TechnicianRow:
    membership: Membership | None
    name: str
    completed: int
    completed_url: str
    median_repair: int | None
    first_time_rate: float | None
    failed_checks: int
    work_hours: float
    available_hours: float | None
    average_rating: float | None
    ratings: int

    @property
    def load(self) -> float | None:
        return self.work_hours / self.available_hours if self.available_hours else None


def technicians_table(
    scope: Scope, links: Links, cells: Cells, now: datetime | None = None
) -> list[TechnicianRow]:
    """Everyone with jobs or work in the period, and every active technician: their completed jobs, median repair
    time, first-time-fix rate, hours logged against the hours available, average rating."""
    ids = [pk for pk in cells.by_technician if pk is not None]
    members = list(
        Membership.objects.for_tenant(scope.tenant)
        .filter(Q(pk__in=ids) | Q(role=Role.TECHNICIAN, is_active=True))
        .select_related("user", "technician_profile")
        .order_by("user__full_name", "pk")
    )
    available = available_hours(scope, members, now)
    rows = []
    for member in members:
        totals = cells.by_technician.get(member.pk) or Totals()
        rows.append(
            TechnicianRow(
                membership=member,
                name=member.user.full_name or member.user.email,
                completed=totals.counts["completed"],
                # The order list offers the active technicians, managers and owners (orders.services.technician_choices).
                completed_url=links.completed(technician=member.pk) if member.is_active else "",
                median_repair=totals.median("repair"),
                first_time_rate=totals.first_time_rate,
                failed_checks=totals.counts["failed_checks"],
                work_hours=totals.work_hours,
                available_hours=available.get(member.pk),
                average_rating=totals.average_rating,
                ratings=totals.counts["rating_count"],
            )
        )
    nobody = cells.by_technician.get(None)
    if nobody and nobody.counts["completed"]:
        rows.append(
            TechnicianRow(
                membership=None,
                name=str(_("No technician")),
                completed=nobody.counts["completed"],
                completed_url="",
                median_repair=nobody.median("repair"),
                first_time_rate=nobody.first_time_rate,
                failed_checks=nobody.counts["failed_checks"],
                work_hours=nobody.work_hours,
                available_hours=None,
                average_rating=nobody.average_rating,
                ratings=nobody.counts["rating_count"],
            )
        )
    return rows


def available_hours(scope: Scope, members: list[Membership], now: datetime | None = None) -> dict[int, float]:
    """Hours each technician could work in the period up to now: the business hours of their home workshop (the
    center's standard week without one) on their working days (TechnicianProfile.working_days; every day
    without a profile). Two queries, for every technician together."""
    from . import hours

    now = now or timezone.now()
    tz = scope.tenant.tz
    start = local_midnight(scope.first, tz)
    end = min(local_midnight(scope.last + timedelta(days=1), tz), now)
    if end <= start or not members:
        return {}
    workshops = {getattr(getattr(m, "technician_profile", None), "home_workshop_id", None) for m in members}
    locations = list(Location.objects.for_tenant(scope.tenant).filter(pk__in=[w for w in workshops if w]))
    calendars = hours.calendars_for(scope.tenant, locations)
    # Each day's bounds, clipped to [start, end): computed once for every workshop.
    days = [
        (day, max(start, local_midnight(day, tz)), min(end, local_midnight(day + timedelta(days=1), tz)))
        for day in scope.days
    ]
    per_workshop: dict[int | None, list[tuple[int, int]]] = {}  # workshop -> [(weekday, working seconds)]
    result = {}
    for member in members:
        profile = getattr(member, "technician_profile", None)
        workshop = profile.home_workshop_id if profile else None
        if workshop not in calendars:
            workshop = None
        if workshop not in per_workshop:
            clock = WorkClock(
                calendars[workshop], scope.first - timedelta(days=1), scope.last + timedelta(days=1)
            )
            per_workshop[workshop] = [
                (day.weekday(), clock.seconds_between(low, high)) for day, low, high in days
            ]
        working_days = set(profile.working_days or []) if profile else set(range(7))
        result[member.pk] = (
            sum(seconds for weekday, seconds in per_workshop[workshop] if weekday in working_days) / 3600
        )
    return result


@dataclass
class ServiceTypeRow:
    service_type: ServiceType
    taken_in: int
    taken_in_url: str
    completed: int
    completed_url: str
    cancelled: int
    cancelled_url: str
    median_e2e: int | None
    p90_e2e: int | None
    first_time_rate: float | None
    average_rating: float | None
    ratings: int
    work_hours: float


def service_types_table(
    scope: Scope, links: Links, cells: Cells, service_types: list[ServiceType]
) -> list[ServiceTypeRow]:
    rows = []
    for st in service_types:
        totals = cells.by_type.get(st.pk)
        if totals is None:
            continue
        extra: dict[str, object] = {} if scope.service_type else {"service_type": st.pk}
        rows.append(
            ServiceTypeRow(
                service_type=st,
                taken_in=totals.counts["taken_in"],
                taken_in_url=links.taken_in(scope.first, scope.last, **extra),
                completed=totals.counts["completed"],
                completed_url=links.completed(None, None, **extra),
                cancelled=totals.counts["cancelled"],
                cancelled_url=links.closed(S.CANCELLED, scope.first, scope.last, **extra),
                median_e2e=totals.median("e2e"),
                p90_e2e=totals.p90("e2e"),
                first_time_rate=totals.first_time_rate,
                average_rating=totals.average_rating,
                ratings=totals.counts["rating_count"],
                work_hours=totals.work_hours,
            )
        )
    return rows


# --- SLA (the SLA clocks are another part of issue 9: these read them once they exist) ----------------

SLA_TARGETS: dict[str, object] = {
    "plan": _("Time to plan"),
    "ready": _("Time to ready"),
    "arrival": _("On-site arrival"),
    "handover": _("Handover after ready"),
}
# The order list's filter for an order's SLA state (Order.sla_state): orders.filters.OrderFilter.sla.
SLA_ORDER_FILTER = "sla"


def sla_now(open_orders: QuerySet[Order], links: Links) -> list[Figure]:
    """Open orders at risk and breached (Order.sla_state, indexed)."""
    counts = open_orders.order_by().aggregate(
        at_risk=Count("id", filter=Q(sla_state="at_risk")),
        breached=Count("id", filter=Q(sla_state="breached")),
    )
    return [
        Figure(
            "sla_at_risk",
            _("At risk"),
            counts["at_risk"],
            links.orders(view="", **{SLA_ORDER_FILTER: "at_risk"}),
            _("three quarters of a target's time used"),
            warn=counts["at_risk"] > 0,
        ),
        Figure(
            "sla_breached",
            _("Breached"),
            counts["breached"],
            links.orders(view="", **{SLA_ORDER_FILTER: "breached"}),
            warn=counts["breached"] > 0,
        ),
    ]


@dataclass
class SlaRow:
    target: str
    label: object
    met: int
    missed: int
    weeks: list[tuple[date, int, int]]  # (Monday, met, missed)

    @property
    def rate(self) -> float | None:
        return self.met / (self.met + self.missed) if self.met + self.missed else None


def sla_compliance(scope: Scope) -> list[SlaRow]:
    """Per target: the clocks that stopped in the period, met or missed, and the same per week (Monday first,
    the center's calendar). One grouped query over SlaClock (indexed by tenant and stop time)."""
    tz = scope.tenant.tz
    clocks = SlaClock.objects.for_tenant(scope.tenant).filter(
        state__in=["met", "missed"],
        stopped_at__gte=local_midnight(scope.first, tz),
        stopped_at__lt=local_midnight(scope.last + timedelta(days=1), tz),
    )
    if scope.location:
        clocks = clocks.filter(order__intake_location=scope.location)
    if scope.service_type:
        clocks = clocks.filter(order__service_type=scope.service_type)
    rows = {target: SlaRow(target, label, 0, 0, []) for target, label in SLA_TARGETS.items()}
    for row in (
        clocks.order_by()
        .annotate(week=TruncWeek("stopped_at", tzinfo=tz))
        .values("target", "week")
        .annotate(met=Count("id", filter=Q(state="met")), missed=Count("id", filter=Q(state="missed")))
        .order_by("target", "week")
    ):
        target = rows.get(row["target"])
        if target is None:
            continue
        week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        target.met += row["met"]
        target.missed += row["missed"]
        target.weeks.append((week, row["met"], row["missed"]))
    return list(rows.values())


# --- The whole page -----------------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    now: Now
    flow: Flow
    stage_times: TimeTable
    wait_times: TimeTable
    technicians: list[TechnicianRow]
    service_types: list[ServiceTypeRow]
    sla: list[SlaRow]
    total: Totals


def build(scope: Scope, service_types: list[ServiceType], now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    links = Links(scope)
    current = now_figures(scope, links, now)
    cells = period_cells(scope)
    if scope.service_type:
        service_types = [st for st in service_types if st.pk == scope.service_type.pk]
    return Dashboard(
        scope=scope,
        now=current,
        flow=flow_figures(scope, links, current.open.value or 0, scope.tenant.local_date(now)),
        stage_times=time_table(scope, links, cells, service_types, STAGE_MEASURES),
        wait_times=time_table(scope, links, cells, service_types, WAIT_MEASURES),
        technicians=technicians_table(scope, links, cells, now),
        service_types=service_types_table(scope, links, cells, service_types),
        sla=sla_compliance(scope),
        total=cells.total,
    )


MEASURE_LABELS = {**STAGE_MEASURES, **WAIT_MEASURES}
assert set(MEASURE_LABELS) == set(MEASURE_FIELDS)


def managers_landing(membership: Membership) -> str | None:
    """After log-in, owners and managers (REPORTS_VIEW) land here rather than on the front page's counters,
    once the center has history to show (a rollup row): a new center's owner lands on the front page and
    its setup steps. Registered with servicedesk.tenancy.landing in QualityConfig.ready()."""
    if not has_perm(membership.role, Perm.REPORTS_VIEW):
        return None
    if not DailyRollup.objects.filter(tenant_id=membership.tenant_id).exists():
        return None
    return reverse("quality:dashboard", kwargs={"tenant_slug": membership.tenant.slug})
