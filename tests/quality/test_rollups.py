"""Daily rollups: the buckets, the fast working clock, the listener, and that the rollups the listener keeps
equal a recomputation from the raw rows."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from quality import rollups
from quality.calendar import DEFAULT_WEEK, WorkingCalendar, working_time_between
from quality.models import DailyRollup
from servicedesk.tenancy.roles import Role
from tests.quality import scenario
from tests.quality.test_calendar import calendars, instants

from .scenario import EXPECTED_SECONDS, H

# --- Buckets ------------------------------------------------------------------------------------------


def test_buckets_are_log_scale_four_per_doubling():
    assert rollups.BUCKETS[:3] == (0, 60, 71)  # under a minute; 60 s; 60 * 2^(1/4) = 71.4 s
    assert rollups.bucket_of(0) == rollups.bucket_of(59) == 0
    assert rollups.bucket_of(60) == 1
    assert rollups.bucket_of(120) == 5  # 60 * 2^(4/4): a doubling is four buckets
    assert rollups.bucket_of(10**12) == rollups.BUCKET_COUNT - 1  # the last bucket is open-ended
    assert round(rollups.PRECISION, 4) == 0.0905


@pytest.mark.parametrize("seconds", [60, 61, 3599, 3600, 7 * 3600, 28 * 3600, 46 * 3600, 400 * 3600])
def test_a_value_read_back_from_its_bucket_is_within_the_stated_precision(seconds):
    value = rollups.bucket_value(rollups.bucket_of(seconds))
    assert abs(value - seconds) / seconds <= rollups.PRECISION + 0.001


def test_percentiles_are_nearest_rank_over_the_buckets():
    # 28 h is in bucket 43 ([60 * 2^(42/4), 60 * 2^(43/4)) s), read as its middle 60 * 2^(42.5/4) s = 26.3 h.
    assert rollups.bucket_of(28 * H) == 43
    assert rollups.bucket_value(43) == round(60 * 2 ** (42.5 / 4))
    histogram = {rollups.bucket_of(h * H): 1 for h in (17, 28, 30, 46)}
    assert rollups.percentile(histogram, 0.5) == rollups.bucket_value(
        rollups.bucket_of(28 * H)
    )  # rank 2 of 4
    assert rollups.percentile(histogram, 0.9) == rollups.bucket_value(
        rollups.bucket_of(46 * H)
    )  # rank 4 of 4
    assert rollups.percentile({}, 0.5) is None
    assert rollups.percentile({"0": 3}, 0.5) == 30  # under a minute reads as 30 s


# --- The fast clock ------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, instants)
def test_the_work_clock_equals_working_time_between(calendar, a, b):
    start, end = min(a, b), max(a, b)
    clock = rollups.WorkClock.for_span(calendar, start, end)
    expected = working_time_between(calendar, start, end) // timedelta(microseconds=1)
    assert clock.between(start, end) == expected


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, st.timedeltas(timedelta(seconds=1), timedelta(hours=300)))
def test_the_work_clock_adds_working_time_as_add_working_time_does(calendar, start, duration):
    from quality.calendar import NoWorkingTime, add_working_time

    clock = rollups.WorkClock.for_span(calendar, start, start + timedelta(days=400))
    try:
        expected = add_working_time(calendar, start, duration)
    except NoWorkingTime:
        expected = None
    found = clock.after(start, duration // timedelta(microseconds=1))
    if expected is None or expected > start + timedelta(days=399):
        return  # beyond the clock's range: None or anything up to its end
    assert found == expected


def test_the_work_clock_over_years_counts_the_standard_week():
    from zoneinfo import ZoneInfo

    calendar = WorkingCalendar(tz=ZoneInfo("Europe/Berlin"), weekly=DEFAULT_WEEK)
    clock = rollups.WorkClock(calendar, date(2021, 1, 1), date(2026, 12, 31))
    start = datetime(2026, 3, 27, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Friday before the spring change
    end = datetime(2026, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Monday
    # Friday 18-19 (1 h), Saturday 10-16 (6 h), Monday 9-10 (1 h)
    assert clock.seconds_between(start, end) == 8 * H
    assert clock.seconds_between(end, start) == 0
    whole_year = clock.seconds_between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert (
        whole_year
        == working_time_between(
            calendar, datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
        ).total_seconds()
    )


# --- The listener and the recomputation ---------------------------------------------------------------


def cells_of(tenant) -> dict:
    """The tenant's rollup rows, keyed by cell, zero counters and empty histograms left out."""
    rows = {}
    for row in DailyRollup.objects.filter(tenant=tenant):
        counts = {name: getattr(row, name) for name in rollups.COUNTERS if getattr(row, name)}
        hist = {m: {int(i): c for i, c in h.items() if c} for m, h in (row.hist or {}).items()}
        if counts or hist:
            rows[(row.day, row.location_id, row.service_type_id, row.technician_id)] = (counts, hist)
    return rows


@pytest.fixture
def history(tenant_a, users_a, clock):
    return scenario.build(tenant_a, users_a, clock)


def test_the_listener_fills_each_cell_as_worked_out_by_hand(history, tenant_a):
    h = history
    cells = cells_of(tenant_a)
    d = date.fromisoformat
    # Taken in: no technician; the day of intake.
    assert cells[(d("2026-04-06"), h.x.pk, h.phone.pk, None)][0]["taken_in"] == 2
    assert cells[(d("2026-04-10"), h.y.pk, h.phone.pk, None)][0] == {"taken_in": 1}
    # Cancelled the day it was taken in: no technician either.
    assert cells[(d("2026-04-07"), h.x.pk, h.laptop.pk, None)][0] == {"taken_in": 1, "cancelled": 1}
    # O1: handed over on the 7th by T1, with its rating that day; its work was logged on the 6th.
    counts, hist = cells[(d("2026-04-07"), h.x.pk, h.phone.pk, h.t1.pk)]
    assert counts == {
        "completed": 1,
        "first_time": 1,
        "rating_sum": 5,
        "rating_count": 1,
        **{f"{m}_seconds": s for m, s in EXPECTED_SECONDS["O1"].items() if s},
    }
    assert hist == {}  # its histograms are on the day's row without a technician, with O3's (cancelled: none)
    counts, hist = cells[(d("2026-04-07"), h.x.pk, h.phone.pk, None)]
    assert counts == {}  # nothing taken in at X for phones on the 7th
    assert hist["e2e"] == {rollups.bucket_of(28 * H): 1}
    assert hist["wait_client"] == {0: 1}  # no wait: under a minute
    assert hist[f"repair.{h.t1.pk}"] == hist["repair"] == {rollups.bucket_of(20 * H): 1}
    assert cells[(d("2026-04-06"), h.x.pk, h.phone.pk, h.t1.pk)][0] == {"work_seconds": 2 * H}
    # O2: T2's two entries on the 7th; handed over on the 8th after one failed check, rated 2 that day.
    assert cells[(d("2026-04-07"), h.x.pk, h.phone.pk, h.t2.pk)][0] == {"work_seconds": 4 * H}
    counts, _hist = cells[(d("2026-04-08"), h.x.pk, h.phone.pk, h.t2.pk)]
    assert counts["failed_checks"] == 1 and "first_time" not in counts
    assert counts["rating_sum"] == 2 and counts["e2e_seconds"] == 46 * H
    # O6 in Y's business hours.
    counts, _hist = cells[(d("2026-04-14"), h.y.pk, h.phone.pk, h.t2.pk)]
    assert {m: counts.get(f"{m}_seconds", 0) for m in EXPECTED_SECONDS["O6"]} == EXPECTED_SECONDS["O6"]
    # O4 waited for parts a whole day.
    counts, _hist = cells[(d("2026-04-09"), h.x.pk, h.laptop.pk, h.t1.pk)]
    assert {m: counts.get(f"{m}_seconds", 0) for m in EXPECTED_SECONDS["O4"]} == EXPECTED_SECONDS["O4"]


def test_rollups_equal_a_recomputation_from_the_raw_rows(history, tenant_a, tenant_b):
    kept = cells_of(tenant_a)
    assert kept
    rollups.recompute(tenant_a)
    assert cells_of(tenant_a) == kept
    # ... and so does a recomputation of the last days only, which leaves the older rows alone.
    rollups.recompute(tenant_a, since=date(2026, 4, 8))
    assert cells_of(tenant_a) == kept
    assert not DailyRollup.objects.filter(tenant=tenant_b).exists()


def test_a_warranty_return_within_30_days_takes_the_original_out_of_first_time_fixes(
    history, tenant_a, clock
):
    from orders.lifecycle import transition
    from orders.services import take_in_return

    h = history
    d = date.fromisoformat
    o1, o2 = h.orders[0], h.orders[1]
    o1_cell = (d("2026-04-07"), h.x.pk, h.phone.pk, h.t1.pk)  # O1 handed over Tue 04-07 14:00 by T1
    assert cells_of(tenant_a)[o1_cell][0]["first_time"] == 1
    # Thu 04-30: 23 days after O1's handover, inside the 30 days.
    clock.set("2026-04-30 11:00")
    back = take_in_return(o1, by=h.reception, problem="The screen flickers again")
    kept = cells_of(tenant_a)
    assert "first_time" not in kept[o1_cell][0]  # 1 - 1
    assert kept[o1_cell][0]["completed"] == 1  # still handed over on its day
    rollups.recompute(tenant_a)
    assert cells_of(tenant_a) == kept
    # A second return of the same order takes nothing more out.
    second = take_in_return(o1, by=h.reception, problem="And again")
    assert cells_of(tenant_a)[o1_cell] == kept[o1_cell]
    # Cancelling one of the two leaves O1 returned; cancelling both puts it back.
    second.refresh_from_db()
    transition(second, "cancel", by=h.manager, expected_version=second.version, reason="Duplicate")
    assert "first_time" not in cells_of(tenant_a)[o1_cell][0]
    back.refresh_from_db()
    transition(back, "cancel", by=h.manager, expected_version=back.version, reason="Not a fault")
    kept = cells_of(tenant_a)
    assert kept[o1_cell][0]["first_time"] == 1
    rollups.recompute(tenant_a)
    assert cells_of(tenant_a) == kept
    # O2 failed its check: it never counted, so a return changes nothing.
    o2_cell = (d("2026-04-08"), h.x.pk, h.phone.pk, h.t2.pk)
    before = cells_of(tenant_a)[o2_cell][0]
    take_in_return(o2, by=h.reception, problem="Still broken")
    assert cells_of(tenant_a)[o2_cell][0] == before
    # Thu 05-07 15:00: over 30 days after O1's handover (04-07 14:00): a fault of its own, O1 stays fixed.
    clock.set("2026-05-07 15:00")
    take_in_return(o1, by=h.reception, problem="A new fault")
    kept = cells_of(tenant_a)
    assert kept[o1_cell][0]["first_time"] == 1
    rollups.recompute(tenant_a)
    assert cells_of(tenant_a) == kept


def test_the_repair_puts_back_what_went_missing_or_wrong(history, tenant_a, clock):
    kept = cells_of(tenant_a)
    DailyRollup.objects.filter(tenant=tenant_a, day=date(2026, 4, 14)).delete()
    DailyRollup.objects.filter(tenant=tenant_a, day=date(2026, 4, 9)).update(completed=99)
    DailyRollup.objects.filter(tenant=tenant_a, day=date(2026, 4, 6)).update(
        taken_in=99
    )  # older than the repair
    done = rollups.repair(days=10)  # today is the 17th: the 8th to the 17th
    assert [(r.tenant, r.since) for r in done if r.tenant == tenant_a.slug] == [
        (tenant_a.slug, date(2026, 4, 8))
    ]
    repaired = cells_of(tenant_a)
    assert {k: v for k, v in repaired.items() if k[0] >= date(2026, 4, 8)} == {
        k: v for k, v in kept.items() if k[0] >= date(2026, 4, 8)
    }
    assert repaired[(date(2026, 4, 6), history.x.pk, history.phone.pk, None)][0]["taken_in"] == 99
    call_command("rebuild_rollups", tenant=tenant_a.slug, verbosity=0)
    assert cells_of(tenant_a) == kept


def test_the_periodic_task_repairs_every_center(history, tenant_a, settings):
    from quality.tasks import repair_rollups

    kept = cells_of(tenant_a)
    DailyRollup.objects.filter(tenant=tenant_a).delete()
    settings.QUALITY_ROLLUP_REPAIR_DAYS = 5  # today is the 17th: the 13th to the 17th
    repair_rollups.delay()
    assert cells_of(tenant_a) == {k: v for k, v in kept.items() if k[0] >= date(2026, 4, 13)}
    assert sorted(cells_of(tenant_a), key=str) == [
        (date(2026, 4, 14), history.y.pk, history.phone.pk, history.t2.pk),
        (date(2026, 4, 14), history.y.pk, history.phone.pk, None),
    ]
    assert settings.CELERY_BEAT_SCHEDULE["quality-repair-rollups"]["task"] == "quality.repair_rollups"


def test_an_order_event_that_fails_leaves_no_rollup_behind(history, tenant_a, clock):
    from django.db import transaction

    from orders.lifecycle import transition

    before = cells_of(tenant_a)
    order = history.orders[4]  # O5, planned
    order.refresh_from_db()
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(order, "cancel", by=history.manager, expected_version=order.version, reason="Test")
        raise RuntimeError("the request fails after the event")
    assert cells_of(tenant_a) == before


def test_rollup_rows_belong_to_their_center_only(history, tenant_a, tenant_b, users_b):
    assert DailyRollup.objects.filter(tenant=tenant_a).exclude(location__tenant=tenant_a).count() == 0
    assert DailyRollup.objects.filter(tenant=tenant_a).exclude(service_type__tenant=tenant_a).count() == 0
    assert not DailyRollup.objects.filter(tenant=tenant_a, technician__tenant=tenant_b).exists()
    assert math.isclose(sum(r.taken_in for r in DailyRollup.objects.filter(tenant=tenant_a)), 6)
    assert Role.TECHNICIAN  # the technicians above are A's members


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_at_once_and_a_recomputation_lose_nothing(tenant_a, location_a):
    """Eight transactions add to one new cell at once (the listener's path): none is lost (the row is created
    once and locked while it changes). Then eight more while a recomputation of the day runs under the exclusive
    lock: each addition lands whole, before it (and is recomputed away: the raw rows do not have it) or after."""
    import threading

    from django.db import connection

    from tests.factories import ServiceTypeFactory

    service_type = ServiceTypeFactory(tenant=tenant_a)
    today = tenant_a.local_date()
    key = (today, location_a.pk, service_type.pk, None)
    errors: list[Exception] = []

    def run(work, barrier) -> None:
        try:
            barrier.wait()
            work()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    def add() -> None:
        rollups.add_to_cells(
            tenant_a.pk, {key: rollups.Tally({"work_seconds": 60}, {"e2e": {3: 1}})}, today=today
        )

    def at_once(*works) -> None:
        barrier = threading.Barrier(len(works))
        threads = [threading.Thread(target=run, args=(work, barrier)) for work in works]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors

    def row() -> DailyRollup:
        return DailyRollup.objects.get(
            tenant=tenant_a,
            day=today,
            location=location_a,
            service_type=service_type,
            technician__isnull=True,
        )

    at_once(*[add] * 8)
    assert (row().work_seconds, row().hist["e2e"]["3"]) == (480, 8)
    at_once(*[add] * 8, lambda: rollups.recompute(tenant_a, since=today))
    found = DailyRollup.objects.filter(
        tenant=tenant_a, day=today, location=location_a, service_type=service_type
    )
    assert all(r.work_seconds == 60 * (r.hist or {}).get("e2e", {}).get("3", 0) for r in found)
    assert sum(r.work_seconds for r in found) <= 480
