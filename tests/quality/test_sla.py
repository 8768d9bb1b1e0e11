"""Service-level clocks, the pure part (quality/sla.py): hand-computed examples, then properties.

Counted by hand on a wall calendar: 2026-03-23 is a Monday; Europe/Berlin moves its clocks on Sunday
2026-03-29 (02:00 -> 03:00); 2026-04-03 (Good Friday) and 2026-04-06 (Easter Monday) are German public
holidays. The week: Monday to Friday 9:00-13:00 and 14:00-19:00 (9 h a day, lunch 13-14), weekends closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality.calendar import Span, WorkingCalendar, working_time_between
from quality.sla import (
    ALWAYS_OPEN,
    Budgets,
    ClockSpec,
    ClockState,
    Pause,
    Step,
    Target,
    clock_specs,
    read_clock,
    read_timeline,
    worst,
)

pytestmark = pytest.mark.once  # the pure clock rules on explicit instants: .ci/run runs these once

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
M = timedelta(minutes=1)
WORKDAY = (Span(time(9), time(13)), Span(time(14), time(19)))
WEEK = WorkingCalendar(tz=BERLIN, weekly=(WORKDAY,) * 5 + ((), ()))
GERMAN_WEEK = WorkingCalendar(
    tz=BERLIN, weekly=(WORKDAY,) * 5 + ((), ()), holidays=holidays.country_holidays("DE")
)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


# --- A clock with a pause, counted by hand ------------------------------------------------------------
# Taken in Monday 23 March 10:00, 9 h to be ready. Waits for parts Monday 12:00 - Tuesday 11:00.
# Used before the pause: 10-12 = 2 h. The pause holds 12-13, 14-19 and Tuesday 9-11: 8 working hours.
# The remaining 7 h run Tuesday 11-13 and 14-19: due Tuesday 19:00 (without the pause: Tuesday 10:00).
TAKEN_IN = berlin(2026, 3, 23, 10, 0)
PARTS = Pause("awaiting_parts", berlin(2026, 3, 23, 12, 0), berlin(2026, 3, 24, 11, 0))


def ready_clock(stop=None, pauses=(PARTS,)) -> ClockSpec:
    return ClockSpec(Target.READY, TAKEN_IN, 9 * H, WEEK, stop, tuple(pauses))


def test_without_the_pause_the_clock_is_due_tuesday_at_ten():
    reading = read_clock(ready_clock(pauses=()), berlin(2026, 3, 23, 11, 0))
    assert reading.due_at == berlin(2026, 3, 24, 10, 0)
    assert reading.used == 1 * H


def test_the_pause_moves_the_deadline_by_its_eight_working_hours():
    reading = read_clock(ready_clock(), berlin(2026, 3, 24, 16, 0))
    assert reading.due_at == berlin(2026, 3, 24, 19, 0)
    assert reading.used == 6 * H  # 10-12 Monday, 11-13 and 14-16 Tuesday
    assert reading.left == 3 * H
    assert reading.state == ClockState.ON_TRACK
    assert reading.next_change_at == berlin(2026, 3, 24, 16, 45)  # 6 h 45 min = 75 % of 9 h
    ((pause, held),) = reading.pauses
    assert pause == PARTS and held == 8 * H


def test_at_risk_from_three_quarters_of_the_budget():
    assert read_clock(ready_clock(), berlin(2026, 3, 24, 16, 44)).state == ClockState.ON_TRACK
    reading = read_clock(ready_clock(), berlin(2026, 3, 24, 16, 45))
    assert reading.state == ClockState.AT_RISK
    assert reading.next_change_at == berlin(2026, 3, 24, 19, 0)  # the due: breached after it


def test_breached_once_past_the_deadline_and_the_overrun_keeps_counting():
    assert read_clock(ready_clock(), berlin(2026, 3, 24, 19, 0)).state == ClockState.AT_RISK
    evening = read_clock(ready_clock(), berlin(2026, 3, 24, 21, 0))
    assert evening.state == ClockState.BREACHED
    assert evening.used == 9 * H  # nobody works 19-21: no working time used beyond the budget yet
    morning = read_clock(ready_clock(), berlin(2026, 3, 25, 9, 30))
    assert morning.state == ClockState.BREACHED
    assert morning.used == 9 * H + 30 * M
    assert morning.due_at == berlin(2026, 3, 24, 19, 0)
    assert morning.next_change_at is None


def test_stopped_in_time_is_met_and_late_is_missed():
    met = read_clock(ready_clock(stop=berlin(2026, 3, 24, 18, 0)), berlin(2026, 3, 30, 12, 0))
    assert (met.state, met.used, met.left) == (ClockState.MET, 8 * H, 1 * H)
    exactly = read_clock(ready_clock(stop=berlin(2026, 3, 24, 19, 0)), berlin(2026, 3, 30, 12, 0))
    assert exactly.state == ClockState.MET
    late = read_clock(ready_clock(stop=berlin(2026, 3, 25, 9, 30)), berlin(2026, 3, 30, 12, 0))
    assert (late.state, late.used, late.due_at) == (
        ClockState.MISSED,
        9 * H + 30 * M,
        berlin(2026, 3, 24, 19, 0),
    )


def test_a_paused_clock_projects_its_deadline_from_now():
    waiting = Pause("awaiting_approval", berlin(2026, 3, 23, 12, 0))  # still waiting
    monday = read_clock(ready_clock(pauses=[waiting]), berlin(2026, 3, 23, 15, 0))
    assert monday.paused_since == berlin(2026, 3, 23, 12, 0)
    assert monday.used == 2 * H
    # 7 h from Monday 15:00: 15-19 and Tuesday 9-12.
    assert monday.due_at == berlin(2026, 3, 24, 12, 0)
    assert monday.next_change_at is None  # nothing changes until the client answers
    # A day later the projection has moved a working day on; the clock has not used a second more.
    tuesday = read_clock(ready_clock(pauses=[waiting]), berlin(2026, 3, 24, 15, 0))
    assert (tuesday.used, tuesday.due_at, tuesday.state) == (
        2 * H,
        berlin(2026, 3, 25, 12, 0),
        ClockState.ON_TRACK,
    )


def test_a_clock_breached_before_a_pause_stays_breached_while_paused():
    spec = ClockSpec(
        Target.READY, TAKEN_IN, 1 * H, WEEK, None, (Pause("on_hold", berlin(2026, 3, 23, 12, 0)),)
    )
    reading = read_clock(spec, berlin(2026, 3, 24, 10, 0))
    assert (reading.state, reading.due_at, reading.used) == (
        ClockState.BREACHED,
        berlin(2026, 3, 23, 11, 0),
        2 * H,
    )


def test_the_deadline_across_berlins_spring_change():
    # Friday 27 March 17:00 + 9 h: Friday 17-19, the weekend (the clocks move Sunday night), Monday 9-13
    # and 14-17. 17:00 CET is 16:00 UTC; Monday 17:00 CEST is 15:00 UTC.
    spec = ClockSpec(Target.READY, berlin(2026, 3, 27, 17, 0), 9 * H, WEEK)
    reading = read_clock(spec, berlin(2026, 3, 27, 18, 0))
    assert reading.due_at == berlin(2026, 3, 30, 17, 0) == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)


def test_public_holidays_do_not_count():
    # Thursday 2 April 15:00 + 9 h: Thursday 15-19, Good Friday, the weekend and Easter Monday closed,
    # Tuesday 7 April 9-13 and 14-15.
    spec = ClockSpec(Target.READY, berlin(2026, 4, 2, 15, 0), 9 * H, GERMAN_WEEK)
    assert read_clock(spec, berlin(2026, 4, 2, 16, 0)).due_at == berlin(2026, 4, 7, 15, 0)


def test_continuing_a_stored_clock_gives_what_the_whole_timeline_gives():
    # The periodic task continues from the last computation (Tuesday 11:30, 2.5 h used) instead of the timeline.
    whole = read_clock(ready_clock(), berlin(2026, 3, 24, 17, 0))
    continued = read_clock(
        ClockSpec(Target.READY, berlin(2026, 3, 24, 11, 30), 9 * H, WEEK),
        berlin(2026, 3, 24, 17, 0),
        used_before=2 * H + 30 * M,
    )
    assert (
        (continued.used, continued.due_at, continued.state)
        == (whole.used, whole.due_at, whole.state)
        == (7 * H, berlin(2026, 3, 24, 19, 0), ClockState.AT_RISK)
    )


# --- From the timeline to the clocks ------------------------------------------------------------------
def status(at, from_status, to_status) -> Step:
    return Step(at, "status", from_status, to_status)


def test_the_timeline_gives_each_instant_once_and_each_pause_with_its_reason():
    t = [berlin(2026, 3, 23, 10, m) for m in range(0, 60, 5)]
    timeline = read_timeline(
        [
            Step(t[0], "created", to_status="new"),
            Step(t[1], "assigned", technician_set=True),
            status(t[2], "new", "planned"),
            status(t[3], "planned", "diagnostics"),
            status(t[4], "diagnostics", "awaiting_parts"),
            status(t[5], "awaiting_parts", "on_hold"),  # one pause ends, the next begins
            status(t[6], "on_hold", "awaiting_parts"),
            status(t[7], "awaiting_parts", "in_progress"),
            status(t[8], "in_progress", "quality_check"),
            status(t[9], "quality_check", "ready"),
            status(t[10], "ready", "handed_over"),
        ],
        taken_in=t[0] - H,
    )
    assert (timeline.taken_in, timeline.assigned, timeline.arrived, timeline.ready, timeline.handed_over) == (
        t[0],
        t[1],
        t[3],
        t[9],
        t[10],
    )
    assert timeline.pauses == (
        Pause("awaiting_parts", t[4], t[5]),
        Pause("on_hold", t[5], t[6]),
        Pause("awaiting_parts", t[6], t[7]),
    )


def test_assignment_without_a_technician_does_not_stop_the_plan_clock():
    t0 = berlin(2026, 3, 23, 10, 0)
    timeline = read_timeline(
        [Step(t0, "created"), Step(t0 + M, "assigned", technician_set=False)], taken_in=t0
    )
    assert timeline.assigned is None


def test_which_clocks_an_order_has():
    t0 = berlin(2026, 3, 23, 10, 0)
    budgets = Budgets(plan=4 * H, ready=9 * H, arrival_grace=15 * M, handover=18 * H)
    fresh = read_timeline([Step(t0, "created")], taken_in=t0)
    assert [spec.target for spec in clock_specs(fresh, budgets, WEEK)] == [Target.PLAN, Target.READY]
    visit = clock_specs(
        fresh, budgets, WEEK, visit_start=berlin(2026, 3, 24, 10, 0), visit_end=berlin(2026, 3, 24, 12, 0)
    )
    arrival = visit[-1]
    # Due at the slot's end plus the grace, in wall-clock time.
    assert (arrival.target, arrival.start, arrival.budget, arrival.calendar) == (
        Target.ARRIVAL,
        berlin(2026, 3, 24, 10, 0),
        2 * H + 15 * M,
        ALWAYS_OPEN,
    )
    assert read_clock(arrival, t0).due_at == berlin(2026, 3, 24, 12, 15)
    ready = read_timeline([Step(t0, "created"), status(t0 + H, "quality_check", "ready")], taken_in=t0)
    assert [spec.target for spec in clock_specs(ready, budgets, WEEK)] == [
        Target.PLAN,
        Target.READY,
        Target.HANDOVER,
    ]
    assert (
        clock_specs(fresh, Budgets(ready=9 * H), WEEK)[0].target == Target.READY
    )  # no plan target: no clock


def test_a_cancellation_stops_the_running_clocks():
    t0 = berlin(2026, 3, 23, 10, 0)
    timeline = read_timeline([Step(t0, "created"), status(t0 + 5 * H, "new", "cancelled")], taken_in=t0)
    plan, ready = clock_specs(timeline, Budgets(plan=1 * H, ready=9 * H), WEEK)
    assert read_clock(plan, t0 + 6 * H).state == ClockState.MISSED  # broken before the cancellation
    assert read_clock(ready, t0 + 6 * H).state == ClockState.MET  # never tested (quality.clocks drops it)


def test_arrival_before_the_slot_is_met_with_nothing_used():
    slot = berlin(2026, 3, 24, 10, 0)
    spec = ClockSpec(Target.ARRIVAL, slot, 2 * H, ALWAYS_OPEN, stop=slot - 20 * M)
    reading = read_clock(spec, slot + 3 * H)
    assert (reading.state, reading.used) == (ClockState.MET, timedelta())


def test_the_worst_state():
    assert worst(["on_track", "breached", "at_risk"]) == "breached"
    assert worst(["on_track", "at_risk"]) == "at_risk"
    assert worst([]) == ""


# --- Properties ---------------------------------------------------------------------------------------
instants = st.datetimes(datetime(2026, 3, 1), datetime(2026, 11, 30), timezones=st.just(UTC))
budgets = st.integers(1, 60 * 60).map(lambda minutes: timedelta(minutes=minutes))


@st.composite
def pauses(draw, start: datetime) -> tuple[Pause, ...]:
    """Up to three pauses after `start`, in order, not overlapping; the last may still run."""
    moments = sorted(draw(st.lists(st.integers(0, 60 * 24 * 40), min_size=0, max_size=6, unique=True)))
    moments = moments[: len(moments) // 2 * 2]
    found = [
        Pause("on_hold", start + timedelta(minutes=a), start + timedelta(minutes=b))
        for a, b in zip(moments[::2], moments[1::2], strict=True)
    ]
    if found and draw(st.booleans()):
        found[-1] = Pause("on_hold", found[-1].start)
    return tuple(found)


PROPERTIES = settings(max_examples=120, deadline=None)


@PROPERTIES
@given(st.data(), instants, budgets, st.integers(0, 60 * 24 * 60))
def test_used_plus_paused_is_all_the_working_time(data, start, budget, minutes):
    held = data.draw(pauses(start))
    now = start + timedelta(minutes=minutes)
    reading = read_clock(ClockSpec(Target.READY, start, budget, GERMAN_WEEK, None, held), now)
    assert reading.used + sum((time for _pause, time in reading.pauses), timedelta()) == working_time_between(
        GERMAN_WEEK, start, now
    )
    assert reading.used >= timedelta()


@PROPERTIES
@given(st.data(), instants, budgets, st.integers(0, 60 * 24 * 60))
def test_pauses_never_bring_the_deadline_forward(data, start, budget, minutes):
    held = data.draw(pauses(start))
    now = start + timedelta(minutes=minutes)
    plain = read_clock(ClockSpec(Target.READY, start, budget, GERMAN_WEEK), now)
    paused = read_clock(ClockSpec(Target.READY, start, budget, GERMAN_WEEK, None, held), now)
    assert paused.due_at >= plain.due_at
    assert paused.used <= plain.used


@PROPERTIES
@given(instants, budgets, st.integers(0, 60 * 24 * 60))
def test_the_state_agrees_with_the_deadline(start, budget, minutes):
    now = start + timedelta(minutes=minutes)
    reading = read_clock(ClockSpec(Target.READY, start, budget, GERMAN_WEEK), now)
    assert working_time_between(GERMAN_WEEK, start, reading.due_at) == budget
    assert (reading.state == ClockState.BREACHED) == (reading.due_at < now)
    stopped = read_clock(ClockSpec(Target.READY, start, budget, GERMAN_WEEK, stop=now), now + H)
    assert (stopped.state == ClockState.MET) == (now <= reading.due_at) or reading.due_at == now


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_an_arrival_slot_over_berlins_clock_change_lasts_as_long_as_really_passes(day):
    # The slot 01:00-04:00 local is 2 h long in spring (02:00 -> 03:00) and 4 h in autumn.
    start, end = berlin(day.year, day.month, day.day, 1, 0), berlin(day.year, day.month, day.day, 4, 0)
    length = end.astimezone(UTC) - start.astimezone(UTC)
    assert length == (2 * H if day.month == 3 else 4 * H)
    spec = clock_specs(
        read_timeline([], taken_in=start - H),
        Budgets(arrival_grace=timedelta()),
        WEEK,
        visit_start=start,
        visit_end=end,
    )[0]
    assert read_clock(spec, start).due_at == end.astimezone(UTC)
