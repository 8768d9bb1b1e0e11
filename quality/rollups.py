"""Daily rollups: what the managers' dashboard reads instead of the orders.

One `DailyRollup` row per day (the center's calendar) x intake location x service type x technician holds
counters, sums of working time and histograms of working time. Two ways fill them, and they must agree
(tests/quality/test_rollups.py checks that they do):

- `on_order_event`, an order-event listener: inside the transaction that records the event, it adds what
  the event contributes to its cell (an order taken in, handed over, cancelled; work logged; a rating);
- `recompute(tenant, since)`: deletes the rows from `since` on and computes them again from the raw rows
  (orders, their status events, work-log entries, feedback). The periodic task `quality.repair_rollups`
  runs it for the last few days of every center; `manage.py rebuild_rollups` for all days.

What each event contributes, and to which cell (docs/quality.md, "The managers' dashboard"):

- taken in: the day of `Order.created_at`, no technician (none is assigned at intake);
- handed over / cancelled: the day of `Order.closed_at`, the order's technician then (the last one: a closed
  order cannot be reassigned). A handed-over order also brings its working time end to end and per stage
  (from its status events, in the business hours of its intake location), its failed quality checks and
  whether it had none (first-time fix). Its sums of working time go to the technician's cell; its
  histograms to the cell's row *without* a technician (day x location x service type), which holds the
  histograms of all the cell's handed-over orders, the technicians' repair times under "repair.<id>": the
  dashboard then merges a few rows a day instead of one per technician;
- work logged: the day the entry started, the entry's technician, its whole length (calendar time);
- a rating: the day of the feedback, the technician it names.

Working time is counted by `WorkClock`: the same arithmetic as quality.calendar.working_time_between (it is
tested against it), but with the calendar's periods laid out once, so a rebuild of a million orders does not
walk the calendar day by day for each.

Percentiles: each measure has a histogram over fixed log-scale buckets (BUCKETS): bucket 0 is under a
minute, then each bucket is 2^(1/4) (about 1.19) times wider than the one before. A percentile read from the
histogram is the geometric middle of its bucket, so it is within 9.1 % of the exact value (nearest-rank) of
the orders behind it.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import CLOSED_STATUSES, EventKind, Order, OrderEvent, OrderStatus
from servicedesk.tenancy.models import Location, Tenant

from .calendar import DAY, WorkingCalendar
from .models import MEASURE_FIELDS, DailyRollup, Feedback

log = logging.getLogger(__name__)

S = OrderStatus

# --- Measures and buckets ----------------------------------------------------------------------------

# The time an order spends in a status counts into these measures (end to end counts everything).
MEASURES: dict[str, tuple[str, ...]] = {
    S.NEW: ("request",),
    S.PLANNED: ("planning",),
    S.DIAGNOSTICS: ("execution", "repair"),
    S.IN_PROGRESS: ("execution", "repair"),
    S.AWAITING_APPROVAL: ("execution", "wait_client"),
    S.AWAITING_PARTS: ("execution", "wait_parts"),
    S.ON_HOLD: ("execution",),
    S.QUALITY_CHECK: ("handover",),
    S.READY: ("handover", "pickup"),
}
assert {m for ms in MEASURES.values() for m in ms} | {"e2e"} == set(MEASURE_FIELDS)

COUNTERS = (
    "taken_in",
    "completed",
    "cancelled",
    "first_time",
    "failed_checks",
    "work_seconds",
    "rating_sum",
    "rating_count",
    *(f"{m}_seconds" for m in MEASURE_FIELDS),
)

BUCKET_RATIO = 2**0.25  # four buckets per doubling
BUCKET_BASE = 60  # seconds: bucket 0 is [0, 60), bucket k >= 1 is [60 * r^(k-1), 60 * r^k)
BUCKET_COUNT = 100  # the last one is open-ended (from about 60 * 2^24.75 s: 70 years of working time)
PRECISION = math.sqrt(BUCKET_RATIO) - 1  # 0.0905: the largest relative error of a value read from a bucket
BUCKETS: tuple[int, ...] = (0, *(round(BUCKET_BASE * BUCKET_RATIO**k) for k in range(BUCKET_COUNT - 1)))
# BUCKETS[k] is the lower bound of bucket k, in seconds (rounded to whole seconds, as the values are).


def bucket_of(seconds: int) -> int:
    """The histogram bucket of a duration in whole seconds."""
    return max(bisect.bisect_right(BUCKETS, seconds) - 1, 0)


def bucket_value(index: int) -> int:
    """The value a bucket stands for: the geometric middle of its bounds (30 s for "under a minute")."""
    if index <= 0:
        return BUCKET_BASE // 2
    if index >= BUCKET_COUNT - 1:
        return BUCKETS[-1]
    return round(math.sqrt(BUCKETS[index] * BUCKETS[index + 1]))


def percentile(histogram: Mapping[int | str, int], fraction: float) -> int | None:
    """The nearest-rank percentile of a histogram (fraction 0.5: the median), as its bucket's value; None
    when it is empty. Nearest rank: the smallest bucket holding at least ceil(fraction * n) of the n values."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(math.ceil(fraction * total - 1e-9), 1)
    seen = 0
    for index in sorted(histogram, key=int):
        seen += histogram[index]
        if seen >= rank:
            return bucket_value(int(index))
    return bucket_value(int(max(histogram, key=int)))  # pragma: no cover (rank <= total)


def merge_histograms(into: dict, histogram: Mapping[str | int, int]) -> None:
    """Add a histogram into another (keys as they come: strings from JSON; percentile() reads either)."""
    get = into.get
    for index, count in histogram.items():
        into[index] = get(index, 0) + count


# --- Working time, fast -------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


class WorkClock:
    """Working time between instants in one calendar over a range of local dates, by table look-up.

    The calendar's working periods from `first` to `last` are laid out once (sorted, never overlapping) with
    the working time before each, so `between(a, b)` is two binary searches: W(b) - W(a). Instants outside
    the range count only the periods inside it: build the clock for the dates you ask about, with a day's
    margin (`for_span`). Exact to the microsecond; equal to quality.calendar.working_time_between within the
    range (tested).
    """

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self.first, self.last = first, last
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        total = 0
        day = first
        while day <= last:
            for opens, closes in calendar.periods_on(day):
                start, end = _micros(opens), _micros(closes)
                if ends and start < ends[-1]:
                    start = ends[-1]  # never count a moment twice, whatever a zone change did
                if end <= start:
                    continue
                starts.append(start)
                ends.append(end)
                before.append(total)
                total += end - start
            day += DAY
        self._starts, self._ends, self._before, self._total = starts, ends, before, total
        self._worked_at_end = [b + (e - s) for s, e, b in zip(starts, ends, before, strict=True)]

    @classmethod
    def for_span(cls, calendar: WorkingCalendar, start: datetime, end: datetime) -> WorkClock:
        tz = calendar.tz
        return cls(calendar, start.astimezone(tz).date() - DAY, end.astimezone(tz).date() + DAY)

    def worked_until(self, moment: datetime) -> int:
        """Working microseconds from the start of the range to `moment`."""
        at = _micros(moment)
        i = bisect.bisect_right(self._starts, at) - 1
        if i < 0:
            return 0
        return self._before[i] + min(at - self._starts[i], self._ends[i] - self._starts[i])

    def between(self, start: datetime, end: datetime) -> int:
        """Working microseconds from start to end (0 when end is not after start)."""
        if end <= start:
            return 0
        return self.worked_until(end) - self.worked_until(start)

    def seconds_between(self, start: datetime, end: datetime) -> int:
        return self.between(start, end) // 1_000_000

    def after(self, start: datetime, micros: int) -> datetime | None:
        """The instant at which `micros` of working time from `start` are used up (None beyond the range): as
        quality.calendar.add_working_time, a duration that fills a period ends at its closing time."""
        target = self.worked_until(start) + micros
        i = bisect.bisect_left(self._worked_at_end, target)
        if i >= len(self._starts):
            return None
        return max(start, _EPOCH + timedelta(microseconds=self._starts[i] + target - self._before[i]))


# --- What an order contributes ----------------------------------------------------------------------

Key = tuple[date, int, int, int | None]  # day, location id, service type id, technician id (or None)


class Tally:
    """The counters and histograms of one cell, or what one event adds to it (plain dicts: a rebuild makes
    millions of these)."""

    __slots__ = ("counts", "hist")

    def __init__(
        self, counts: dict[str, int] | None = None, hist: dict[str, dict[int, int]] | None = None
    ) -> None:
        self.counts = counts if counts is not None else {}
        self.hist = hist if hist is not None else {}

    def bump(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def add(self, other: Tally) -> None:
        counts = self.counts
        for name, value in other.counts.items():
            counts[name] = counts.get(name, 0) + value
        for measure, histogram in other.hist.items():
            target = self.hist.get(measure)
            if target is None:
                self.hist[measure] = dict(histogram)
                continue
            for index, count in histogram.items():
                target[index] = target.get(index, 0) + count


def local_day(moment: datetime, tz) -> date:
    return moment.astimezone(tz).date()


@dataclass(frozen=True)
class ClosedOrder:
    """What closing an order contributes needs these of it."""

    created_at: datetime
    closed_at: datetime
    status: str
    location_id: int
    service_type_id: int
    technician_id: int | None


StatusStep = tuple[datetime, str, str]  # (at, from status, to status), in the order they happened


def handed_over_tally(
    order: ClosedOrder, steps: Iterable[StatusStep], clock: WorkClock, *, came_back: bool = False
) -> tuple[Tally, Tally]:
    """A handed-over order's contribution, from its status steps (the time before the first step is "new"):
    (for the technician's cell) completed, first-time fix (no failed check and, `came_back` False, no warranty
    return within RETURN_WINDOW), failed checks and its working time end to end and per measure; (for the
    cell without a technician) the histograms of those times."""
    spent: dict[str, int] = dict.fromkeys(MEASURE_FIELDS, 0)  # microseconds
    status: str = S.NEW
    since, end = order.created_at, order.closed_at
    failed = 0
    for at, from_status, to_status in steps:
        for measure in MEASURES.get(status, ()):
            spent[measure] += clock.between(since, at)
        if from_status == S.QUALITY_CHECK and to_status == S.IN_PROGRESS:
            failed += 1
        status, since = to_status, max(since, at)
        if to_status == S.HANDED_OVER:
            end = at
            break
    else:
        for measure in MEASURES.get(status, ()):
            spent[measure] += clock.between(since, end)
    spent["e2e"] = clock.between(order.created_at, end)
    counts = {"completed": 1, "failed_checks": failed, "first_time": 0 if failed or came_back else 1}
    hist = {}
    for measure, micros in spent.items():
        seconds = micros // 1_000_000
        counts[f"{measure}_seconds"] = seconds
        hist[measure] = {bucket_of(seconds): 1}
    if order.technician_id is not None:
        hist[technician_measure(order.technician_id)] = hist["repair"]
    return Tally(counts), Tally(hist=hist)


def technician_measure(technician_id: int) -> str:
    """The histogram of a technician's repair times, kept on the cell's row without a technician."""
    return f"repair.{technician_id}"


def closing_contribution(
    order: ClosedOrder, steps: Iterable[StatusStep], clock: WorkClock | None, tz, *, came_back: bool = False
) -> list[tuple[Key, Tally]]:
    day = local_day(order.closed_at, tz)
    key = (day, order.location_id, order.service_type_id, order.technician_id)
    if order.status == S.HANDED_OVER:
        if clock is None:
            raise ValueError("A handed-over order's times need the working clock of its location.")
        scalars, histograms = handed_over_tally(order, steps, clock, came_back=came_back)
        return [(key, scalars), ((day, order.location_id, order.service_type_id, None), histograms)]
    return [(key, Tally({"cancelled": 1}))]


def _tally(**counts: int) -> Tally:
    return Tally(counts)


# --- Writing cells ------------------------------------------------------------------------------------

# pg_advisory_xact_lock's first key: "QROL". The second is the tenant's id.
_LOCK_CLASS = 0x51524F4C


def _lock(tenant_id: int, *, exclusive: bool) -> None:
    """Listeners hold the tenant's rollup lock shared (they do not wait for each other), a recompute holds it
    exclusively: it waits for the events in flight and the next ones wait for it, so none is lost or counted
    twice. SQLite has one writer at a time anyway."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_LOCK_CLASS, tenant_id])


# The dashboard caches the merged histograms of past days (quality.dashboard.period_histograms): they change only
# when a recomputation changes them (a handover counts on the day it happens, so past days' histograms are
# final). This generation, part of the cache key, is bumped after a commit that changed a past day's histograms.
def generation_key(tenant_id: int) -> str:
    from servicedesk.tenancy.access import tenant_cache_key

    return tenant_cache_key(tenant_id, "rollups-generation")


def histograms_generation(tenant_id: int) -> str | None:
    """The current generation ("0" before any bump); None when the cache does not answer (compute, cache nothing)."""
    from django.core.cache import cache

    try:
        return str(cache.get(generation_key(tenant_id)) or "0")
    except Exception:
        log.warning("The cache did not answer for the rollups' generation", exc_info=True)
        return None


def bump_histograms_generation(tenant_id: int) -> None:
    from django.core.cache import cache

    def bump() -> None:
        try:
            cache.set(generation_key(tenant_id), secrets.token_hex(8), None)  # random: never an old one again
        except Exception:
            log.warning(
                "The cache did not answer: the dashboard may show past histograms up to a day old",
                exc_info=True,
            )

    transaction.on_commit(bump)


def _key_filter(key: Key) -> Q:
    day, location_id, service_type_id, technician_id = key
    q = Q(day=day, location_id=location_id, service_type_id=service_type_id)
    return q & (Q(technician__isnull=True) if technician_id is None else Q(technician_id=technician_id))


def add_to_cells(tenant_id: int, cells: Mapping[Key, Tally], today: date | None = None) -> None:
    """Add tallies to their cells, creating missing rows; under the tenant's shared rollup lock, each row
    locked while it is changed (two events may add to one cell at once). Histograms added to a day before
    `today` (None: unknown) make the dashboard's cached past histograms stale: their generation is bumped."""
    if not cells:
        return
    if any(tally.hist and (today is None or key[0] < today) for key, tally in cells.items()):
        bump_histograms_generation(tenant_id)
    with transaction.atomic():
        _lock(tenant_id, exclusive=False)
        keys = sorted(cells, key=lambda k: (k[0], k[1], k[2], k[3] or 0))
        DailyRollup.objects.bulk_create(
            [
                DailyRollup(
                    tenant_id=tenant_id, day=k[0], location_id=k[1], service_type_id=k[2], technician_id=k[3]
                )
                for k in keys
            ],
            ignore_conflicts=True,
        )
        for key in keys:
            tally = cells[key]
            row = DailyRollup.objects.select_for_update().get(_key_filter(key), tenant_id=tenant_id)
            for name, value in tally.counts.items():
                setattr(row, name, getattr(row, name) + value)
            if tally.hist:
                hist = {measure: dict(buckets) for measure, buckets in (row.hist or {}).items()}
                for measure, histogram in tally.hist.items():
                    target = hist.setdefault(measure, {})
                    for index, count in histogram.items():
                        target[str(index)] = target.get(str(index), 0) + count
                row.hist = hist
            row.save(update_fields=[*tally.counts, *(["hist"] if tally.hist else [])])


# --- The listener -------------------------------------------------------------------------------------


def on_order_event(event: OrderEvent) -> None:
    """Registered with orders' event listeners in QualityConfig.ready(): runs in the event's transaction."""
    kind = event.kind
    if kind == EventKind.CREATED:
        cells = _created(event.order)
        if event.order.warranty_of_id is not None:
            _add(cells, _return_moves(event.order, taken_in=True))
    elif kind == EventKind.STATUS and event.to_status in CLOSED_STATUSES:
        cells = _closed(event.order)
        if event.to_status == S.CANCELLED and event.order.warranty_of_id is not None:
            _add(cells, _return_moves(event.order, taken_in=False))
    elif kind == EventKind.WORK_LOG:
        cells = _work_logged(event)
    elif kind == EventKind.FEEDBACK:
        cells = _rated(event)
    else:
        return
    add_to_cells(event.tenant_id, cells, today=event.order.tenant.local_date())


def _tz(order: Order):
    return order.tenant.tz


def _add(cells: dict[Key, Tally], more: Mapping[Key, Tally]) -> None:
    for key, tally in more.items():
        cells.setdefault(key, Tally()).add(tally)


# --- Warranty returns -----------------------------------------------------------------------------------
# An order is fixed the first time when it never failed its quality check and no warranty return of it
# (Order.warranty_of, not cancelled) was taken in within RETURN_WINDOW of its handover (Order.closed_at), as
# the issue defines first-time fix. The handover counts it; a return taken in later takes it back out of the
# handover's cell (and the return's cancellation puts it back), in the transaction of the return's event.
RETURN_WINDOW = timedelta(days=30)


def _returns_within(tenant_id: int, closed: Mapping[int, datetime]) -> set[int]:
    """Of these handed-over orders (id -> closed_at), the ones with a return taken in within the window."""
    if not closed:
        return set()
    rows = (
        Order.objects.filter(tenant_id=tenant_id, warranty_of_id__in=list(closed))
        .exclude(status=S.CANCELLED)
        .order_by()
        .values_list("warranty_of_id", "created_at")
    )
    return {original for original, created in rows if created <= closed[original] + RETURN_WINDOW}


def _return_moves(order: Order, *, taken_in: bool) -> dict[Key, Tally]:
    """What a return taken in (or cancelled) changes in its original's cell: first_time -1 (or +1) when the
    original was handed over, counted as fixed the first time, and this return is the only one in the window."""
    original = (
        Order.objects.filter(tenant_id=order.tenant_id, pk=order.warranty_of_id or 0, status=S.HANDED_OVER)
        .values_list(
            "pk", "closed_at", "status_changed_at", "intake_location_id", "service_type_id", "technician_id"
        )
        .first()
    )
    if original is None:
        return {}
    original_id, closed_at, changed_at, location_id, service_type_id, technician_id = original
    closed_at = closed_at or changed_at
    if order.created_at > closed_at + RETURN_WINDOW:
        return {}
    failed = OrderEvent.objects.filter(
        tenant_id=order.tenant_id,
        order_id=original_id,
        kind=EventKind.STATUS,
        from_status=S.QUALITY_CHECK,
        to_status=S.IN_PROGRESS,
    ).exists()
    others = (
        Order.objects.filter(
            tenant_id=order.tenant_id, warranty_of_id=original_id, created_at__lte=closed_at + RETURN_WINDOW
        )
        .exclude(status=S.CANCELLED)
        .exclude(pk=order.pk)
        .exists()
    )
    if failed or others:
        return {}  # never counted, or another return took it out already
    key = (local_day(closed_at, _tz(order)), location_id, service_type_id, technician_id)
    if (
        taken_in
        and not DailyRollup.objects.filter(
            _key_filter(key), tenant_id=order.tenant_id, first_time__gte=1
        ).exists()
    ):
        return {}  # handed over before the rollups were kept: nothing to take out (a rebuild counts it)
    return {key: _tally(first_time=-1 if taken_in else 1)}


def _created(order: Order) -> dict[Key, Tally]:
    key = (local_day(order.created_at, _tz(order)), order.intake_location_id, order.service_type_id, None)
    return {key: _tally(taken_in=1)}


def _closed(order: Order) -> dict[Key, Tally]:
    closed = ClosedOrder(
        order.created_at,
        order.closed_at or order.status_changed_at,
        order.status,
        order.intake_location_id,
        order.service_type_id,
        order.technician_id,
    )
    steps: list[StatusStep] = []
    clock = None
    if order.status == S.HANDED_OVER:
        steps = list(
            OrderEvent.objects.filter(tenant_id=order.tenant_id, order_id=order.pk, kind=EventKind.STATUS)
            .order_by("created_at", "id")
            .values_list("created_at", "from_status", "to_status")
        )
        end = max([closed.closed_at, *(at for at, _f, _t in steps)])
        calendar = calendars_for(order.tenant, [order.intake_location_id])[order.intake_location_id]
        clock = WorkClock.for_span(calendar, order.created_at, end)
    came_back = order.status == S.HANDED_OVER and bool(
        _returns_within(order.tenant_id, {order.pk: closed.closed_at})
    )
    cells: dict[Key, Tally] = defaultdict(Tally)
    for key, tally in closing_contribution(closed, steps, clock, _tz(order), came_back=came_back):
        cells[key].add(tally)
    return cells


def _work_logged(event: OrderEvent) -> dict[Key, Tally]:
    data = event.data or {}
    try:
        started = datetime.fromisoformat(data["started_at"])
        seconds = int(data["seconds"])
        technician_id = int(data["technician"]) if data.get("technician") is not None else None
    except (KeyError, TypeError, ValueError):
        log.warning(
            "Work-log event %s without start, seconds or technician: not counted (the repair will)", event.pk
        )
        return {}
    order = event.order
    key = (local_day(started, _tz(order)), order.intake_location_id, order.service_type_id, technician_id)
    return {key: _tally(work_seconds=seconds)}


def _rated(event: OrderEvent) -> dict[Key, Tally]:
    feedback_id = (event.data or {}).get("feedback")
    row = (
        (
            Feedback.objects.filter(tenant_id=event.tenant_id, pk=feedback_id)
            .values_list("created_at", "technician_id", "rating")
            .first()
        )
        if feedback_id
        else None
    )
    if row is None:
        return {}
    created_at, technician_id, rating = row
    order = event.order
    key = (local_day(created_at, _tz(order)), order.intake_location_id, order.service_type_id, technician_id)
    return {key: _tally(rating_sum=rating, rating_count=1)}


# --- Calendars of many locations --------------------------------------------------------------------


def calendars_for(
    tenant: Tenant, location_ids: Iterable[int] | None = None
) -> dict[int | None, WorkingCalendar]:
    """Location id -> its working calendar, for the tenant's locations (or these), in two queries."""
    from . import hours

    locations = Location.objects.for_tenant(tenant)
    if location_ids is not None:
        locations = locations.filter(pk__in=list(location_ids))
    return hours.calendars_for(tenant, list(locations))


# --- Recomputing from the raw rows --------------------------------------------------------------------

CHUNK = 2000


def local_midnight(day: date, tz) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def _status_steps(tenant_id: int, order_ids: list[int]) -> dict[int, list[StatusStep]]:
    steps: dict[int, list[StatusStep]] = defaultdict(list)
    rows = (
        OrderEvent.objects.filter(tenant_id=tenant_id, order_id__in=order_ids, kind=EventKind.STATUS)
        .order_by("order_id", "created_at", "id")
        .values_list("order_id", "created_at", "from_status", "to_status")
    )
    for order_id, at, from_status, to_status in rows:
        steps[order_id].append((at, from_status, to_status))
    return steps


def compute(tenant: Tenant, since: date | None = None) -> dict[Key, Tally]:
    """Every cell from `since` (None: all days) on, computed from the raw rows alone."""
    tz = tenant.tz
    start = local_midnight(since, tz) if since else None
    cells: dict[Key, Tally] = defaultdict(Tally)

    def after(field_name: str) -> dict:
        return {f"{field_name}__gte": start} if start else {}

    orders = Order.objects.for_tenant(tenant).order_by()
    for created_at, location_id, service_type_id in (
        orders.filter(**after("created_at"))
        .values_list("created_at", "intake_location_id", "service_type_id")
        .iterator(chunk_size=CHUNK)
    ):
        cells[(local_day(created_at, tz), location_id, service_type_id, None)].bump("taken_in")

    closed = list(
        orders.filter(status__in=CLOSED_STATUSES, **after("closed_at"))
        .values_list(
            "id",
            "created_at",
            "closed_at",
            "status_changed_at",
            "status",
            "intake_location_id",
            "service_type_id",
            "technician_id",
        )
        .iterator(chunk_size=CHUNK)
    )
    if closed:
        calendars = calendars_for(tenant)
        first = min(row[1] for row in closed)
        last = max([timezone.now(), *(row[2] or row[3] for row in closed)])
        clocks = {
            location_id: WorkClock.for_span(calendar, first, last)
            for location_id, calendar in calendars.items()
        }
        for offset in range(0, len(closed), CHUNK):
            chunk = closed[offset : offset + CHUNK]
            handed = [row[0] for row in chunk if row[4] == S.HANDED_OVER]
            steps = _status_steps(tenant.pk, handed) if handed else {}
            came_back = _returns_within(
                tenant.pk, {row[0]: row[2] or row[3] for row in chunk if row[4] == S.HANDED_OVER}
            )
            for (
                order_id,
                created_at,
                closed_at,
                changed_at,
                status,
                location_id,
                service_type_id,
                technician_id,
            ) in chunk:
                order = ClosedOrder(
                    created_at, closed_at or changed_at, status, location_id, service_type_id, technician_id
                )
                order_steps = steps.get(order_id, [])
                clock = clocks[location_id]
                latest = max([order.closed_at, *(at for at, _f, _t in order_steps)])
                if latest > last:  # an event stamped after now (a test's moved clock): a clock of its own
                    clock = WorkClock.for_span(calendars[location_id], created_at, latest)
                for key, tally in closing_contribution(
                    order, order_steps, clock, tz, came_back=order_id in came_back
                ):
                    cells[key].add(tally)

    from technicians.models import WorkLog

    work = (
        WorkLog.objects.for_tenant(tenant)
        .filter(ended_at__isnull=False, **after("started_at"))
        .order_by()
        .values_list(
            "started_at", "ended_at", "technician_id", "order__intake_location_id", "order__service_type_id"
        )
    )
    for started_at, ended_at, technician_id, location_id, service_type_id in work.iterator(chunk_size=CHUNK):
        assert ended_at is not None  # filtered above
        seconds = int((ended_at.astimezone(UTC) - started_at.astimezone(UTC)).total_seconds())
        cells[(local_day(started_at, tz), location_id, service_type_id, technician_id)].bump(
            "work_seconds", seconds
        )

    ratings = (
        Feedback.objects.for_tenant(tenant)
        .filter(**after("created_at"))
        .order_by()
        .values_list(
            "created_at", "technician_id", "rating", "order__intake_location_id", "order__service_type_id"
        )
    )
    for created_at, technician_id, rating, location_id, service_type_id in ratings.iterator(chunk_size=CHUNK):
        cell = cells[(local_day(created_at, tz), location_id, service_type_id, technician_id)]
        cell.bump("rating_sum", rating)
        cell.bump("rating_count")
    return dict(cells)


ROW_COLUMNS = ("tenant_id", "day", "location_id", "service_type_id", "technician_id", *COUNTERS, "hist")


def insert_cells(tenant_id: int, cells: Mapping[Key, Tally], batch: int = 5000) -> int:
    """Insert new rows for these cells (none of them may exist yet), in batches of plain INSERTs: the ORM's
    per-field preparation cost most of a full rebuild's time."""
    quote = connection.ops.quote_name
    json_value = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {quote(DailyRollup._meta.db_table)} ({', '.join(quote(c) for c in ROW_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * (len(ROW_COLUMNS) - 1))}, {json_value})"
    )
    day_value = connection.ops.adapt_datefield_value
    rows = []
    written = 0
    with connection.cursor() as cursor:
        for (day, location_id, service_type_id, technician_id), tally in cells.items():
            counts = tally.counts
            if not any(counts.values()) and not tally.hist:
                continue
            hist = {m: {str(i): c for i, c in sorted(h.items())} for m, h in tally.hist.items()}
            rows.append(
                (
                    tenant_id,
                    day_value(day),
                    location_id,
                    service_type_id,
                    technician_id,
                    *(counts.get(name, 0) for name in COUNTERS),
                    json.dumps(hist, separators=(",", ":")),
                )
            )
            if len(rows) >= batch:
                cursor.executemany(sql, rows)
                written, rows = written + len(rows), []
        if rows:
            cursor.executemany(sql, rows)
            written += len(rows)
    return written


@dataclass(frozen=True)
class Recomputed:
    tenant: str
    since: date | None
    rows: int


def recompute(tenant: Tenant, since: date | None = None) -> Recomputed:
    """Replace the tenant's rollups from `since` on (None: all) with a recomputation from the raw rows.

    One transaction under the tenant's exclusive rollup lock: order events of the center wait meanwhile
    (a second or so for a few days; minutes for a full rebuild of a big center). If the histograms of a day
    before today changed, the dashboard's cache of them is dropped (a new generation)."""
    with transaction.atomic():
        _lock(tenant.pk, exclusive=True)
        old = DailyRollup.objects.for_tenant(tenant)
        if since is not None:
            old = old.filter(day__gte=since)
        before = _past_histograms(tenant, since)
        old.delete()
        written = insert_cells(tenant.pk, compute(tenant, since))
        if since is None or _past_histograms(tenant, since) != before:
            bump_histograms_generation(tenant.pk)
    return Recomputed(tenant.slug, since, written)


def _past_histograms(tenant: Tenant, since: date | None) -> dict | None:
    """The histograms of the days from `since` to yesterday (None for a full rebuild: not compared)."""
    if since is None:
        return None
    rows = (
        DailyRollup.objects.for_tenant(tenant)
        .filter(day__gte=since, day__lt=tenant.local_date(), technician__isnull=True)
        .order_by()
        .values_list("day", "location_id", "service_type_id", "hist")
    )
    return {
        (day, location_id, service_type_id): hist for day, location_id, service_type_id, hist in rows if hist
    }


def repair(days: int) -> list[Recomputed]:
    """Recompute the last `days` days (the center's calendar, today included) of every active center."""
    done = []
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        since = tenant.local_date() - timedelta(days=max(days, 1) - 1)
        try:
            done.append(recompute(tenant, since))
        except Exception:  # one center's failure must not stop the others'; the next run tries again
            log.exception("Recomputing the rollups of %s failed", tenant.slug)
    return done
