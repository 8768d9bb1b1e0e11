"""The registry of metrics (quality.metrics): each one on a small hand-built data set equals a value
counted by hand. The clock stands at Wednesday 15 April 2026, 12:00 on the center's wall clock; the
locations work the standard week (Monday-Friday 9:00-13:00 and 14:00-19:00, Saturday 10:00-16:00); 6-19
April has no public holiday in Russia. "This week" is Monday 13 to Sunday 19 April."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from orders.models import EventKind, OrderStatus
from quality import metrics
from quality.metrics import Comparison, Period, PeriodKind, Scope, Threshold
from reception.models import Visit, VisitState
from tests.factories import (
    FeedbackFactory,
    LocationFactory,
    OrderEventFactory,
    OrderFactory,
    ServiceTypeFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-04-15 12:00")]

WEEK = Period(date(2026, 4, 13), date(2026, 4, 19), PeriodKind.WEEK)
LAST_WEEK = Period(date(2026, 4, 6), date(2026, 4, 12), PeriodKind.WEEK)
AT_MOST = Comparison.AT_MOST
AT_LEAST = Comparison.AT_LEAST


@pytest.fixture
def place(tenant_a, location_a):
    location_a.tenant = tenant_a
    return location_a


@pytest.fixture
def other_place(tenant_a):
    return LocationFactory(tenant=tenant_a, name="Second office")


def at(clock, day: int, hour: int, minute: int = 0) -> datetime:
    """That April day's wall time in the centers' zone."""
    return clock.at(date(2026, 4, day), hour, minute)


def order(place, clock, *, created: tuple, status=OrderStatus.NEW, promised: tuple | None = None, **fields):
    made = OrderFactory(
        tenant=place.tenant,
        intake_location=place,
        workshop=place,
        status=status,
        created_at=at(clock, *created),
        promised_at=at(clock, *promised) if promised else None,
        **fields,
    )
    made.tenant = place.tenant
    return made


def reached(made, status: str, when: datetime, action: str = "") -> None:
    OrderEventFactory(
        tenant=made.tenant,
        order=made,
        kind=EventKind.STATUS,
        to_status=status,
        action=action,
        created_at=when,
    )


def one(metric: str, place, threshold: Threshold | None = None, *, periods=(WEEK,), **scope) -> list:
    return metrics.measure(metric, Scope(place.tenant, **scope), list(periods), threshold=threshold)


# --- Periods --------------------------------------------------------------------------------------


def test_periods_are_whole_weeks_months_and_quarters():
    assert metrics.period_of("week", date(2026, 4, 15)) == WEEK
    assert metrics.period_of("week", date(2026, 4, 19)) == WEEK  # Sunday ends the week
    assert metrics.period_of("month", date(2026, 2, 10)) == Period(
        date(2026, 2, 1), date(2026, 2, 28), "month"
    )
    assert metrics.period_of("quarter", date(2026, 12, 31)) == Period(
        date(2026, 10, 1), date(2026, 12, 31), "quarter"
    )
    assert metrics.periods_up_to("month", date(2026, 1, 15), 3) == [
        Period(date(2025, 11, 1), date(2025, 11, 30), "month"),
        Period(date(2025, 12, 1), date(2025, 12, 31), "month"),
        Period(date(2026, 1, 1), date(2026, 1, 31), "month"),
    ]
    assert [p.first for p in metrics.periods_between("week", date(2026, 4, 15), date(2026, 5, 1))] == [
        date(2026, 4, 13),
        date(2026, 4, 20),
        date(2026, 4, 27),
    ]
    with pytest.raises(ValueError):
        metrics.period_of("decade", date(2026, 4, 15))


def test_a_period_runs_from_local_midnight_to_local_midnight(clock):
    start, end = WEEK.bounds(clock.tz)
    assert (start, end) == (clock.at(date(2026, 4, 13), 0), clock.at(date(2026, 4, 20), 0))


# --- Reception wait -------------------------------------------------------------------------------


TICKETS = itertools.count(1)


def visit(place, clock, arrived: datetime, state=VisitState.SERVED, minutes: float | None = None) -> Visit:
    seconds = None if minutes is None else int(minutes * 60)
    return VisitFactory(
        tenant=place.tenant,
        location=place,
        day=arrived.date(),
        ticket=next(TICKETS),
        state=state,
        checked_in_at=arrived,
        wait_seconds=seconds,
        ended_at=None if state == VisitState.WAITING else arrived + timedelta(seconds=seconds or 0),
    )


def test_reception_wait(clock, place, other_place):
    for minutes in (2, 4, 6):
        visit(place, clock, at(clock, 14, 11), minutes=minutes)
    visit(place, clock, at(clock, 14, 12), VisitState.LEFT, minutes=10)  # left: not counted
    visit(
        place, clock, at(clock, 15, 11, 53), VisitState.WAITING
    )  # 7 minutes so far: past "at most 5" already
    visit(place, clock, at(clock, 15, 11, 58), VisitState.WAITING)  # 2 minutes so far: no verdict yet
    visit(place, clock, at(clock, 13, 10), VisitState.WAITING)  # forgotten since Monday: not counted
    visit(other_place, clock, at(clock, 14, 11), minutes=1)
    visit(place, clock, at(clock, 12, 23, 50), minutes=3)  # Sunday night: last week
    visit(place, clock, at(clock, 13, 0, 10), minutes=5)  # Monday just after midnight: this week

    [reading] = one("reception_wait", place, Threshold(AT_MOST, 5), location_id=place.pk)
    # Finished: 2, 4, 6, 5 minutes -> mean 4.25. Judged: those four (2, 4 and 5 within) and the 7-minute wait.
    assert (reading.count, reading.value, reading.judged, reading.within, reading.running) == (
        4,
        4.25,
        5,
        3,
        2,
    )
    assert reading.share == 60.0
    last, this = one("reception_wait", place, periods=(LAST_WEEK, WEEK))  # every location, no threshold
    assert (last.count, last.value) == (1, 3.0)
    assert (this.count, this.value, this.judged) == (5, 3.6, 0)  # 2+4+6+5+1 = 18 over 5


def test_an_at_least_threshold_counts_a_running_item_once_it_is_reached(clock, place):
    visit(place, clock, at(clock, 15, 11, 50), VisitState.WAITING)  # 10 minutes so far
    visit(place, clock, at(clock, 15, 11, 59), VisitState.WAITING)  # 1 minute so far
    [reading] = one("reception_wait", place, Threshold(AT_LEAST, 5))
    assert (reading.count, reading.value, reading.judged, reading.within, reading.running) == (
        0,
        None,
        1,
        1,
        2,
    )


# --- Orders: time to plan, time to ready ------------------------------------------------------------


@pytest.fixture
def workflow(clock, place):
    """Five orders taken in around this week, in working hours of the standard week."""
    fast = order(place, clock, created=(13, 10))
    reached(fast, OrderStatus.PLANNED, at(clock, 13, 15))  # 10-13 and 14-15: 4 h
    reached(fast, OrderStatus.READY, at(clock, 15, 10))  # Mon 3+5, Tue 4+5, Wed 1: 18 h
    evening = order(place, clock, created=(13, 18))
    reached(evening, OrderStatus.PLANNED, at(clock, 14, 10))  # Mon 18-19, Tue 9-10: 2 h
    reached(evening, OrderStatus.READY, at(clock, 14, 18))  # Mon 1, Tue 4+4: 9 h
    waiting = order(place, clock, created=(14, 9))  # not planned yet: Tue 9 h + Wed 3 h = 12 h so far
    order(place, clock, created=(14, 11), status=OrderStatus.CANCELLED)  # never planned: left out
    friday = order(place, clock, created=(10, 18, 30))  # last week
    reached(friday, OrderStatus.PLANNED, at(clock, 13, 9, 30))  # Fri 0.5 h, Saturday 10-16 6 h, Mon 0.5 h
    return fast, evening, waiting


def test_time_to_plan_counts_working_hours(workflow, place):
    last, this = one("time_to_plan", place, Threshold(AT_MOST, 3), periods=(LAST_WEEK, WEEK))
    assert (last.count, last.value, last.judged, last.within) == (1, 7.0, 1, 0)
    # 4 h and 2 h planned (mean 3 h); the one still unplanned has run 12 h, past the 3 h already.
    assert (this.count, this.value, this.judged, this.within, this.running) == (2, 3.0, 3, 1, 1)


def test_time_to_ready_counts_working_hours(workflow, place):
    [reading] = one("time_to_ready", place, Threshold(AT_MOST, 10))
    # Ready after 18 h and 9 h (mean 13.5 h); the unplanned one has run 12 h: past 10 h. The cancelled one is out.
    assert (reading.count, reading.value, reading.judged, reading.within, reading.running) == (
        2,
        13.5,
        3,
        1,
        1,
    )


def test_a_metric_looks_at_one_service_or_location_when_asked(workflow, place, clock, other_place):
    fast = workflow[0]
    special = ServiceTypeFactory(tenant=place.tenant, name="Special")
    type(fast).objects.filter(pk=fast.pk).update(service_type=special)
    elsewhere = order(other_place, clock, created=(13, 10))
    reached(elsewhere, OrderStatus.PLANNED, at(clock, 13, 11))
    assert one("time_to_plan", place, service_type_id=special.pk)[0].value == 4.0
    assert one("time_to_plan", place, location_id=other_place.pk)[0].value == 1.0
    assert one("time_to_plan", place)[0].count == 3


def test_working_time_follows_the_locations_own_hours(workflow, place):
    from quality import hours
    from quality.calendar import parse_hours

    hours.set_week(place, [parse_hours("10:00-18:00")] * 5 + [(), ()])  # no lunch, 10 to 18
    # fast: Mon 10-15 = 5 h; evening: Mon 18:00 is after closing, Tue 10-10 = 0 h.
    assert one("time_to_plan", place)[0].value == 2.5


# --- Orders: on time, fixed the first time, warranty ------------------------------------------------


def test_on_time_delivery(clock, place):
    kept = order(place, clock, created=(10, 10), promised=(14, 18), status=OrderStatus.HANDED_OVER)
    reached(kept, OrderStatus.READY, at(clock, 14, 17))  # ready an hour early
    late = order(place, clock, created=(10, 10), promised=(14, 12), status=OrderStatus.READY)
    reached(late, OrderStatus.READY, at(clock, 15, 9))  # ready the next morning
    order(
        place, clock, created=(10, 10), promised=(15, 10), status=OrderStatus.IN_PROGRESS
    )  # promise passed, not ready
    order(
        place, clock, created=(10, 10), promised=(17, 18), status=OrderStatus.IN_PROGRESS
    )  # promised for Friday: not yet
    order(place, clock, created=(10, 10), promised=(14, 12), status=OrderStatus.CANCELLED)  # cancelled: out
    early = order(place, clock, created=(10, 10), promised=(16, 18), status=OrderStatus.READY)
    reached(early, OrderStatus.READY, at(clock, 15, 11))  # promised for Thursday, ready already
    [reading] = one("on_time", place)
    assert (reading.count, reading.value) == (4, 50.0)  # kept and early of kept, late, passed, early


def test_first_time_fix(clock, place):
    done = [order(place, clock, created=(13, 10 + n), status=OrderStatus.HANDED_OVER) for n in range(4)]
    reached(
        done[0], OrderStatus.IN_PROGRESS, at(clock, 14, 10), action="return_to_work"
    )  # failed the check once
    reopened = order(place, clock, created=(13, 10), status=OrderStatus.IN_PROGRESS)
    reached(
        reopened, OrderStatus.IN_PROGRESS, at(clock, 14, 10), action="return_to_work"
    )  # not handed over: out
    order(place, clock, created=(8, 10), status=OrderStatus.HANDED_OVER)  # last week
    last, this = one("first_time_fix", place, periods=(LAST_WEEK, WEEK))
    assert (this.count, this.value) == (4, 75.0)
    assert (last.count, last.value) == (1, 100.0)


def test_a_warranty_return_is_not_a_first_time_fix(clock, place):
    done = [order(place, clock, created=(13, 10 + n), status=OrderStatus.HANDED_OVER) for n in range(4)]
    order(place, clock, created=(15, 10), warranty_of=done[1])  # the client brought it back
    order(place, clock, created=(15, 11), warranty_of=done[2], status=OrderStatus.CANCELLED)  # taken back
    [reading] = one("first_time_fix", place)
    # This week's four handed over (the return itself is still open): one came back.
    assert (reading.count, reading.value) == (4, 75.0)


def test_warranty_days(clock, place):
    order(
        place,
        clock,
        created=(13, 10),
        status=OrderStatus.HANDED_OVER,
        closed_at=at(clock, 14, 15),
        warranty_until=date(2027, 4, 14),
    )  # a year from Tuesday's handover
    order(
        place,
        clock,
        created=(13, 11),
        status=OrderStatus.HANDED_OVER,
        closed_at=at(clock, 14, 15),
        warranty_until=date(2026, 10, 11),
    )  # 180 days
    order(place, clock, created=(13, 12), status=OrderStatus.READY)  # not handed over: no warranty yet
    [reading] = one("warranty_days", place, Threshold(AT_LEAST, 365))
    assert (reading.count, reading.value, reading.judged, reading.within, reading.share) == (
        2,
        272.5,
        2,
        1,
        50.0,
    )


# --- Ratings --------------------------------------------------------------------------------------


def test_average_rating(clock, place, other_place):
    def rate(stars: int, when: datetime, where=place) -> None:
        made = order(where, clock, created=(6, 10), status=OrderStatus.HANDED_OVER)
        FeedbackFactory(tenant=place.tenant, order=made, rating=stars, created_at=when)

    for stars in (5, 4, 2):
        rate(stars, at(clock, 14, 12))
    rate(3, at(clock, 8, 12))  # last week
    rate(1, at(clock, 14, 12), other_place)
    [reading] = one("average_rating", place, Threshold(AT_LEAST, 4), location_id=place.pk)
    assert (reading.count, round(reading.value, 4), reading.judged, reading.within) == (3, 3.6667, 3, 2)
    assert one("average_rating", place)[0].value == 3.0  # every location: 5+4+2+1 over 4


def test_a_run_over_the_row_limit_says_so(clock, place, monkeypatch):
    monkeypatch.setattr(metrics, "MAX_ROWS", 2)
    for minutes in (1, 2, 3):
        visit(place, clock, at(clock, 14, 11), minutes=minutes)
    [reading] = one("reception_wait", place)
    assert reading.partial and reading.count == 2


def test_every_metric_reads_a_bounded_number_of_queries(clock, place, django_assert_max_num_queries):
    """One or two range queries per metric (and the calendars once), whatever the number of periods."""
    periods = metrics.periods_up_to("week", date(2026, 4, 15), 8)
    context = metrics.Context(place.tenant)
    with django_assert_max_num_queries(5):  # the working-time ones read the calendars once (3 queries) + 2
        metrics.measure("time_to_ready", Scope(place.tenant), periods, context=context)
    for key in metrics.METRICS:
        with django_assert_max_num_queries(2):
            metrics.measure(key, Scope(place.tenant), periods, context=context)


def test_the_registry_leaves_out_what_nothing_records():
    """Warranty returns and complaints are recorded nowhere yet: no metric pretends to measure them."""
    assert set(metrics.METRICS) == {
        "reception_wait",
        "time_to_plan",
        "time_to_ready",
        "on_time",
        "first_time_fix",
        "warranty_days",
        "average_rating",
    }
    assert all(metric.about for metric in metrics.METRICS.values())
    assert (
        metrics.METRICS["on_time"].per_item is False
        and metrics.METRICS["reception_wait"].by_service_type is False
    )


def test_money_free_decimal_targets_compare_as_numbers():
    assert metrics.compare(5.0, AT_MOST, float(Decimal("5.00"))) and not metrics.compare(5.01, AT_MOST, 5)
    assert metrics.compare(95, AT_LEAST, 95) and not metrics.compare(94.9, AT_LEAST, 95)


def test_the_working_time_index_agrees_with_the_calendar_to_the_microsecond():
    """Random instants over a year in Berlin (both DST changes), a week with lunch breaks and a night shift,
    a holiday and a shortened day: the prefix sums give exactly working_time_between."""
    import random
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from quality.calendar import Span, WorkingCalendar, working_time_between
    from quality.metrics import WorkingTimeIndex

    week = [(Span(clock_time(9), clock_time(13)), Span(clock_time(14), clock_time(19)))] * 4 + [
        (Span(clock_time(20), clock_time(0)),),
        (Span(clock_time(0), clock_time(4)), Span(clock_time(10), clock_time(16))),
        (),
    ]
    calendar = WorkingCalendar(
        tz=ZoneInfo("Europe/Berlin"),
        weekly=week,
        holidays={date(2026, 5, 1)},
        exceptions={date(2026, 12, 31): (Span(clock_time(10), clock_time(15)),)},
    )
    index = WorkingTimeIndex(calendar, date(2026, 1, 1), date(2026, 12, 31))
    rng = random.Random(7)
    origin = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    for _case in range(2000):
        start = origin + timedelta(seconds=rng.randint(0, 364 * 86400), microseconds=rng.randint(0, 999_999))
        end = start + timedelta(seconds=rng.randint(0, 20 * 86400))
        assert index.between(start, end) == working_time_between(calendar, start, end), (start, end)
    beyond = datetime(2027, 3, 1, 12, tzinfo=ZoneInfo("UTC"))  # outside the index: the calendar answers
    assert index.between(origin, beyond) == working_time_between(calendar, origin, beyond)
    assert index.between(beyond, origin) == timedelta()
