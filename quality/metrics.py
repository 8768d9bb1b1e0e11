"""The registry of metrics the system can compute: what service standards and goals are set on.

Each metric is a small typed function over a scope (the center, and optionally one location and one
service type) and a run of periods (a week, a month, a quarter, or any span of days). It reads its rows
for the whole run with one or two indexed range queries (tenant first, then the period's column), at
most MAX_ROWS of them, and returns one `Reading` per period. Nothing is stored: a standard or a goal
asks again when its page is shown.

Every metric is built from *items* (a client's wait, an order's time to ready, a rating ...). An item
that is finished has its value; one still running (a client still waiting, an order not yet ready) has
the value it has reached so far, which can only grow. A reading's `value` is the mean of the finished
items; against a threshold ("<= 5 min") an item counts once its verdict is certain: a finished one by
its value, a running one as soon as it has already broken an "at most" threshold (or already reached an
"at least" one). So an order stuck unplanned for ten days is a failure today, not only once it moves.
How each figure is computed: docs/quality.md, "Standards and goals".
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean

from django.core.cache import cache
from django.db import models
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import EventKind, Order, OrderEvent, OrderStatus
from reception.models import Visit, VisitState
from reception.services import STALE_AFTER
from servicedesk.tenancy.access import tenant_cache_key
from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.roles import StrOrPromise

from .calendar import WorkingCalendar, working_time_between
from .hours import calendars_for
from .models import Comparison, Feedback, PeriodKind

# The most rows one metric reads for one run of periods; a reading that hit it says so (`partial`).
MAX_ROWS = 100_000


# --- Periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days on the center's calendar, `first` to `last` inclusive."""

    first: date
    last: date
    kind: str = ""

    def bounds(self, tz) -> tuple[datetime, datetime]:
        """The instants of local midnight before `first` and after `last`: [start, end)."""
        return (
            datetime.combine(self.first, time.min, tzinfo=tz),
            datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=tz),
        )

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return date_format(self.first, "F Y")
        if self.kind == PeriodKind.QUARTER:
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.first.month - 1) // 3 + 1,
                "year": self.first.year,
            }
        if self.kind == PeriodKind.WEEK:
            return _("Week of %(date)s") % {"date": date_format(self.first, "j M")}
        return (
            f"{date_format(self.first, 'SHORT_DATE_FORMAT')} – {date_format(self.last, 'SHORT_DATE_FORMAT')}"
        )

    @property
    def short_label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return date_format(self.first, "M Y")
        if self.kind == PeriodKind.QUARTER:
            return f"Q{(self.first.month - 1) // 3 + 1} {self.first.year}"
        return date_format(self.first, "j M")


def period_of(kind: str, day: date) -> Period:
    """The week (Monday to Sunday), month or quarter that contains `day`."""
    if kind == PeriodKind.WEEK:
        first = day - timedelta(days=day.weekday())
        return Period(first, first + timedelta(days=6), kind)
    if kind == PeriodKind.MONTH:
        first = day.replace(day=1)
    elif kind == PeriodKind.QUARTER:
        first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    else:
        raise ValueError(f"Unknown period kind {kind!r}")
    months = 1 if kind == PeriodKind.MONTH else 3
    after = date(first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1, 1)
    return Period(first, after - timedelta(days=1), kind)


def periods_up_to(kind: str, day: date, count: int) -> list[Period]:
    """`count` periods, oldest first; the last one contains `day`."""
    periods = [period_of(kind, day)]
    while len(periods) < count:
        periods.insert(0, period_of(kind, periods[0].first - timedelta(days=1)))
    return periods


def periods_between(kind: str, first_day: date, last_day: date) -> list[Period]:
    """The periods from the one containing `first_day` to the one containing `last_day`, oldest first."""
    periods = [period_of(kind, first_day)]
    while periods[-1].last < last_day:
        periods.append(period_of(kind, periods[-1].last + timedelta(days=1)))
    return periods


# --- Scope, thresholds, readings -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a metric looks at: the center, and optionally one location and one service type."""

    tenant: Tenant
    location_id: int | None = None
    service_type_id: int | None = None


def compare(value: float, comparison: str, target: float) -> bool:
    return value <= target if comparison == Comparison.AT_MOST else value >= target


@dataclass(frozen=True)
class Threshold:
    """A per-item limit, e.g. "at most 5 minutes" (the first half of "wait <= 5 min for 90 % of clients")."""

    comparison: str
    value: float


@dataclass(frozen=True)
class Item:
    """One client's wait, one order's time, one rating ... placed in a period by `at`.

    `value` once finished; while still running `value` is None and `so_far` is what it has reached (it can
    only grow). An item with neither (an order promised for later, not ready yet) is not counted yet.
    """

    at: datetime
    value: float | None
    so_far: float | None = None


@dataclass(frozen=True)
class Reading:
    """A metric over one period."""

    period: Period
    count: int = 0  # finished items: the value is their mean
    value: float | None = None
    judged: int = 0  # items whose verdict against the threshold is certain
    within: int = 0  # of those, the ones that meet it
    running: int = 0  # items still running (not in `count`)
    partial: bool = (
        False  # the run of periods had more than MAX_ROWS rows: this is computed from the first ones
    )

    @property
    def share(self) -> float | None:
        """Percent of the judged items that meet the threshold."""
        return self.within / self.judged * 100 if self.judged else None


def readings(
    periods: Sequence[Period],
    tz,
    items: Iterable[Item],
    threshold: Threshold | None = None,
    *,
    partial: bool = False,
) -> list[Reading]:
    """Put each item in its period (by its local date) and sum up each period."""
    # The periods' bounds as instants: an item is placed by comparing instants, no time-zone arithmetic per item.
    # In UTC, as the rows come: comparing datetimes of one tzinfo skips the offset look-ups.
    starts = [period.bounds(tz)[0].astimezone(UTC) for period in periods]
    end = periods[-1].bounds(tz)[1].astimezone(UTC)
    buckets: list[list[Item]] = [[] for _period in periods]
    for item in items:
        if item.at < end:
            index = bisect.bisect_right(starts, item.at) - 1
            if index >= 0:
                buckets[index].append(item)
    result = []
    for period, bucket in zip(periods, buckets, strict=True):
        finished = [item.value for item in bucket if item.value is not None]
        judged = within = 0
        if threshold is not None:
            for item in bucket:
                if item.value is not None:
                    judged += 1
                    within += compare(item.value, threshold.comparison, threshold.value)
                elif item.so_far is not None and (
                    compare(item.so_far, threshold.comparison, threshold.value)
                    == (threshold.comparison == Comparison.AT_LEAST)
                ):
                    # Running, and already past an "at most" limit (a failure) or over an "at least" one (a success).
                    judged += 1
                    within += threshold.comparison == Comparison.AT_LEAST
        result.append(
            Reading(
                period=period,
                count=len(finished),
                value=fmean(finished) if finished else None,
                judged=judged,
                within=within,
                partial=partial,
                running=sum(1 for item in bucket if item.value is None and item.so_far is not None),
            )
        )
    return result


# --- The metrics -----------------------------------------------------------------------------------


class WorkingTimeIndex:
    """Working time from a fixed origin to any instant, for many look-ups over one calendar: the working
    periods of the days from `first` to `last` in order, with the working time before each (prefix sums).
    between(a, b) = at(b) - at(a): one bisection instead of walking the days, and exactly what
    quality.calendar.working_time_between gives (the same periods, the same timedelta sums; tested)."""

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self.calendar, self.first, self.last = calendar, first, last
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.before: list[timedelta] = []
        total = timedelta()
        day = first - timedelta(days=1)  # a day's periods may begin the evening before in its UTC instants
        while day <= last + timedelta(days=1):
            for opens, closes in calendar.periods_on(day):
                self.starts.append(opens)
                self.ends.append(closes)
                self.before.append(total)
                total += closes - opens
            day += timedelta(days=1)
        # Instants the index answers for: those whose local date lies within first..last.
        self.low = datetime.combine(first, time.min, tzinfo=calendar.tz).astimezone(UTC)
        self.high = datetime.combine(last + timedelta(days=1), time.min, tzinfo=calendar.tz).astimezone(UTC)

    def covers(self, moment: datetime) -> bool:
        return self.low <= moment < self.high

    def at(self, moment: datetime) -> timedelta:
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return timedelta()
        return self.before[index] + min(moment, self.ends[index]) - self.starts[index]

    def between(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return timedelta()
        if not (self.covers(start) and self.covers(end)):
            return working_time_between(self.calendar, start, end)
        return self.at(end) - self.at(start)


@dataclass
class Context:
    """What one page's metrics share: the center's working calendars (read once, on first need) and their
    working-time indexes."""

    tenant: Tenant
    now: datetime = field(default_factory=timezone.now)
    # Readings are kept this long in the cache (0: never; the standards page uses STANDARDS_CACHE_SECONDS).
    cache_seconds: int = 0
    _calendars: dict[int | None, WorkingCalendar] | None = None
    _indexes: dict[int, WorkingTimeIndex] = field(default_factory=dict)
    _items: dict[tuple, tuple[datetime, datetime, Items]] = field(default_factory=dict)
    _wanted: dict[tuple, tuple[datetime, datetime]] = field(default_factory=dict)

    def prefetch(self, metric: Metric, scope: Scope, periods: Sequence[Period]) -> None:
        """Say a metric will be asked for these periods: its rows are then read once, for the widest span."""
        start, end = _span(scope, periods)
        key = (metric.key, scope)
        if key in self._wanted:
            start, end = min(start, self._wanted[key][0]), max(end, self._wanted[key][1])
        self._wanted[key] = (start, end)

    def items(self, metric: Metric, scope: Scope, start: datetime, end: datetime) -> Items:
        key = (metric.key, scope)
        cached = self._items.get(key)
        if cached is None or cached[0] > start or cached[1] < end:
            wanted = self._wanted.get(key, (start, end))
            span = (min(start, wanted[0]), max(end, wanted[1]))
            cached = self._items[key] = (*span, metric.function(self, scope, *span))
        return cached[2]

    def calendar(self, location_id: int) -> WorkingCalendar:
        if self._calendars is None:
            self._calendars = calendars_for(self.tenant)
        return self._calendars[location_id]

    def working_hours(self, location_id: int, start: datetime, end: datetime) -> float:
        index = self._indexes.get(location_id)
        if index is None or not index.covers(start):
            tz = self.tenant.tz
            first = timezone.localtime(start, tz).date() - timedelta(
                days=7
            )  # some room for the next look-ups
            if index is not None:
                first = min(first, index.first)
            last = max(
                timezone.localtime(self.now, tz).date() + timedelta(days=1),
                timezone.localtime(end, tz).date(),
            )
            index = self._indexes[location_id] = WorkingTimeIndex(self.calendar(location_id), first, last)
        return index.between(start, end).total_seconds() / 3600


# A metric's items from start to end (instants), and whether MAX_ROWS cut them short.
Items = tuple[list[Item], bool]
MetricFunction = Callable[[Context, Scope, datetime, datetime], Items]


def _span(scope: Scope, periods: Sequence[Period]) -> tuple[datetime, datetime]:
    return periods[0].bounds(scope.tenant.tz)[0], periods[-1].bounds(scope.tenant.tz)[1]


def _orders(scope: Scope):
    orders = Order.objects.for_tenant(scope.tenant)
    if scope.location_id:
        orders = orders.filter(intake_location_id=scope.location_id)
    if scope.service_type_id:
        orders = orders.filter(service_type_id=scope.service_type_id)
    return orders


def _first_status(scope: Scope, orders, status: str) -> dict[int, datetime]:
    """Order id -> when it first reached `status`, for the orders of a queryset (one grouped query)."""
    events = (
        OrderEvent.objects.for_tenant(scope.tenant)
        .filter(kind=EventKind.STATUS, to_status=status, order__in=orders.values("id"))
        .values("order_id")
        .annotate(at=Min("created_at"))
        .order_by()
    )
    return {row["order_id"]: row["at"] for row in events}


def reception_wait(context: Context, scope: Scope, start: datetime, end: datetime) -> Items:
    """Minutes from check-in to the start of service, per client served at reception (by check-in time).

    Clients still waiting count with their wait so far; clients who left without service do not count."""
    visits = Visit.objects.for_tenant(scope.tenant).filter(
        checked_in_at__gte=start, checked_in_at__lt=end, state__in=[VisitState.SERVED, VisitState.WAITING]
    )
    if scope.location_id:
        visits = visits.filter(location_id=scope.location_id)
    rows = list(visits.order_by().values_list("checked_in_at", "state", "wait_seconds")[:MAX_ROWS])
    stale = context.now - STALE_AFTER
    items = [
        Item(at, (seconds or 0) / 60)
        if state == VisitState.SERVED
        else Item(at, None, max(0.0, (context.now - at).total_seconds() / 60))
        for at, state, seconds in rows
        if state == VisitState.SERVED and seconds is not None or state == VisitState.WAITING and at >= stale
    ]
    return items, len(rows) == MAX_ROWS


def _time_to(status: str):
    def measure(context: Context, scope: Scope, start: datetime, end: datetime) -> Items:
        orders = _orders(scope).filter(created_at__gte=start, created_at__lt=end)
        rows = list(
            orders.order_by().values_list("id", "created_at", "intake_location_id", "status")[:MAX_ROWS]
        )
        reached = _first_status(scope, orders, status)
        items = []
        for order_id, created, location_id, current in rows:
            if order_id in reached:
                items.append(Item(created, context.working_hours(location_id, created, reached[order_id])))
            elif current not in (OrderStatus.CANCELLED, OrderStatus.HANDED_OVER):
                items.append(Item(created, None, context.working_hours(location_id, created, context.now)))
        return items, len(rows) == MAX_ROWS

    return measure


time_to_plan = _time_to(OrderStatus.PLANNED)
time_to_plan.__doc__ = """Working hours from intake to "planned" (a technician assigned), per order taken in during the period."""
time_to_ready = _time_to(OrderStatus.READY)
time_to_ready.__doc__ = (
    """Working hours from intake to "ready for pickup", per order taken in during the period."""
)


def on_time(context: Context, scope: Scope, start: datetime, end: datetime) -> Items:
    """Percent of the orders promised in the period that were ready by the promised time.

    Not ready and the promise passed: late. Not ready and promised for later: not counted yet. Cancelled: left out."""
    orders = (
        _orders(scope)
        .filter(promised_at__gte=start, promised_at__lt=end)
        .exclude(status=OrderStatus.CANCELLED)
    )
    rows = list(orders.order_by().values_list("id", "promised_at")[:MAX_ROWS])
    ready = _first_status(scope, orders, OrderStatus.READY)
    items = []
    for order_id, promised in rows:
        if order_id in ready:
            items.append(Item(promised, 100.0 if ready[order_id] <= promised else 0.0))
        elif promised < context.now:
            items.append(Item(promised, 0.0))
    return items, len(rows) == MAX_ROWS


def first_time_fix(context: Context, scope: Scope, start: datetime, end: datetime) -> Items:
    """Percent of the orders taken in during the period and handed over that were fixed the first time:
    they never failed the quality check (no "check failed, back to work") and the client has not brought
    them back under warranty (no order taken in as their warranty return)."""
    orders = _orders(scope).filter(status=OrderStatus.HANDED_OVER, created_at__gte=start, created_at__lt=end)
    failed_check = OrderEvent.objects.filter(
        tenant_id=scope.tenant.pk, order=OuterRef("pk"), kind=EventKind.STATUS, action="return_to_work"
    )
    came_back = Order.objects.filter(tenant_id=scope.tenant.pk, warranty_of=OuterRef("pk")).exclude(
        status=OrderStatus.CANCELLED
    )
    rows = list(
        orders.order_by()
        .annotate(failed=Exists(failed_check), came_back=Exists(came_back))
        .values_list("created_at", "failed", "came_back")[:MAX_ROWS]
    )
    items = [Item(created, 0.0 if failed or back else 100.0) for created, failed, back in rows]
    return items, len(rows) == MAX_ROWS


def warranty_days(context: Context, scope: Scope, start: datetime, end: datetime) -> Items:
    """Days of warranty on the work, per order taken in during the period and handed over (from the
    handover day to the warranty's last day)."""
    orders = _orders(scope).filter(
        status=OrderStatus.HANDED_OVER,
        created_at__gte=start,
        created_at__lt=end,
        warranty_until__isnull=False,
        closed_at__isnull=False,
    )
    rows = list(orders.order_by().values_list("created_at", "closed_at", "warranty_until")[:MAX_ROWS])
    tz = scope.tenant.tz
    items = [
        Item(created, float((until - timezone.localtime(closed, tz).date()).days))
        for created, closed, until in rows
    ]
    return items, len(rows) == MAX_ROWS


def average_rating(context: Context, scope: Scope, start: datetime, end: datetime) -> Items:
    """The clients' ratings (1-5 stars) received in the period."""
    feedback = Feedback.objects.for_tenant(scope.tenant).filter(created_at__gte=start, created_at__lt=end)
    if scope.location_id:
        feedback = feedback.filter(order__intake_location_id=scope.location_id)
    if scope.service_type_id:
        feedback = feedback.filter(order__service_type_id=scope.service_type_id)
    rows = list(feedback.order_by().values_list("created_at", "rating")[:MAX_ROWS])
    return [Item(at, float(rating)) for at, rating in rows], len(rows) == MAX_ROWS


# --- The registry ----------------------------------------------------------------------------------


class Unit(models.TextChoices):
    MINUTES = "minutes", pgettext_lazy("unit", "min")
    HOURS = "hours", pgettext_lazy("unit", "working h")
    PERCENT = "percent", pgettext_lazy("unit", "%")
    DAYS = "days", pgettext_lazy("unit", "days")
    STARS = "stars", pgettext_lazy("unit", "★")


@dataclass(frozen=True)
class Metric:
    key: str
    label: StrOrPromise
    unit: str
    higher_is_better: bool
    # A value per client or order, so a share of them can be asked for ("for 90 % of clients"); a percent
    # metric is already a share.
    per_item: bool
    items: StrOrPromise  # what the items are, as counted ("clients", "orders", "ratings"; genitive plural in Russian)
    function: MetricFunction
    by_service_type: bool = True
    maximum: float | None = None  # the largest value it can take (100 %, 5 stars)
    about: StrOrPromise = (
        ""  # how it is computed, for people (the functions' docstrings say it for developers)
    )

    @property
    def unit_label(self) -> StrOrPromise:
        return Unit(self.unit).label


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in [
        Metric(
            "reception_wait",
            _("Reception wait"),
            Unit.MINUTES,
            False,
            True,
            pgettext_lazy("counted items", "clients"),
            reception_wait,
            by_service_type=False,
            about=_(
                "Minutes from check-in to the start of service, per client served at reception (by check-in "
                "time). Clients still waiting count with their wait so far; clients who left without service "
                "do not count."
            ),
        ),
        Metric(
            "time_to_plan",
            _("Time to plan"),
            Unit.HOURS,
            False,
            True,
            pgettext_lazy("counted items", "orders"),
            time_to_plan,
            about=_(
                "Working hours from intake until a technician is assigned, per order taken in during the "
                "period. Orders not planned yet count with their time so far."
            ),
        ),
        Metric(
            "time_to_ready",
            _("Time to ready (repair time)"),
            Unit.HOURS,
            False,
            True,
            pgettext_lazy("counted items", "orders"),
            time_to_ready,
            about=_(
                "Working hours from intake to “ready for pickup”, per order taken in during the "
                "period. Orders not ready yet count with their time so far."
            ),
        ),
        Metric(
            "on_time",
            _("Ready by the promised time"),
            Unit.PERCENT,
            True,
            False,
            pgettext_lazy("counted items", "orders"),
            on_time,
            maximum=100,
            about=_(
                "Percent of the orders promised in the period that were ready by the promised time. Not "
                "ready when the promise passed: late. Promised for later and not ready yet: not counted yet. "
                "Cancelled orders are left out."
            ),
        ),
        Metric(
            "first_time_fix",
            _("Fixed the first time"),
            Unit.PERCENT,
            True,
            False,
            pgettext_lazy("counted items", "orders"),
            first_time_fix,
            maximum=100,
            about=_(
                "Percent of the orders taken in during the period and handed over that never failed the "
                "quality check."
            ),
        ),
        Metric(
            "warranty_days",
            _("Warranty on the work"),
            Unit.DAYS,
            True,
            True,
            pgettext_lazy("counted items", "orders"),
            warranty_days,
            about=_(
                "Days of warranty on the work, per order taken in during the period and handed over (from "
                "the handover day to the warranty's last day)."
            ),
        ),
        Metric(
            "average_rating",
            _("Client rating"),
            Unit.STARS,
            True,
            True,
            pgettext_lazy("counted items", "ratings"),
            average_rating,
            maximum=5,
            about=_(
                "The clients' ratings (1 to 5 stars) received in the period, for the location and service of "
                "their order."
            ),
        ),
    ]
}
METRIC_CHOICES = [(metric.key, metric.label) for metric in METRICS.values()]


def measure(
    metric: Metric | str,
    scope: Scope,
    periods: Sequence[Period],
    *,
    threshold: Threshold | None = None,
    context: Context | None = None,
) -> list[Reading]:
    """The metric over each of the periods (contiguous, oldest first), with a threshold if one is asked.

    The items come from the context, which reads them once per metric and scope for the widest span asked
    (`Context.prefetch`): a page with a weekly and a monthly standard on one metric reads its rows once."""
    metric = METRICS[metric] if isinstance(metric, str) else metric
    context = context or Context(scope.tenant)
    key = None
    if context.cache_seconds:
        key = tenant_cache_key(
            scope.tenant,
            "metric",
            metric.key,
            scope.location_id,
            scope.service_type_id,
            *[f"{period.first}:{period.last}" for period in periods],
            threshold.comparison if threshold else "",
            threshold.value if threshold else "",
        )
        cached = cache.get(key)
        if cached is not None:
            return cached
    start, end = _span(scope, periods)
    items, partial = context.items(metric, scope, start, end)
    result = readings(periods, scope.tenant.tz, items, threshold, partial=partial)
    if key is not None:
        cache.set(key, result, context.cache_seconds)
    return result
