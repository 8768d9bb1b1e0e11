"""Working-time arithmetic (quality/calendar.py): hand-computed cases, then properties with hypothesis.

The expectations are counted by hand from a wall calendar: 2026-03-27 is a Friday, 2026-03-29 and
2026-10-25 are the Sundays Europe/Berlin changes its clocks (02:00 -> 03:00 and 03:00 -> 02:00), 2026-06-12
(Russia Day, a Friday) and 2026-11-04 (Unity Day, a Wednesday) are Russian public holidays.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality.calendar import (
    DEFAULT_WEEK,
    MAX_IDLE_DAYS,
    NoWorkingTime,
    Span,
    WorkingCalendar,
    add_working_time,
    format_hours,
    parse_hours,
    working_time_between,
)

pytestmark = pytest.mark.once  # pure working-time arithmetic on explicit instants: .ci/run runs these once

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
H = timedelta(hours=1)
M = timedelta(minutes=1)

WORKDAY = (Span(time(9), time(13)), Span(time(14), time(19)))  # 9 h with lunch 13-14
WEEKDAYS = (WORKDAY,) * 5 + ((), ())  # Monday to Friday only
ALL_DAY = (Span(time(0), time(0)),)  # 00:00-24:00


def at(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def weekdays(zone=MOSCOW, **kwargs) -> WorkingCalendar:
    return WorkingCalendar(tz=zone, weekly=WEEKDAYS, **kwargs)


# --- Weekends, breaks, holidays, own days ---------------------------------------------------------


def test_friday_evening_to_monday_morning_counts_an_hour_each_side_of_the_weekend():
    calendar = weekdays()
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 27, 18), at(MOSCOW, 2026, 3, 30, 10)) == 2 * H
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 27, 18), 2 * H) == at(MOSCOW, 2026, 3, 30, 10)


def test_the_standard_week_works_saturday_10_to_16():
    calendar = WorkingCalendar(tz=MOSCOW, weekly=DEFAULT_WEEK)
    # Friday 1 h + Saturday 6 h + Monday 1 h.
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 27, 18), at(MOSCOW, 2026, 3, 30, 10)) == 8 * H
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 27, 18), 2 * H) == at(MOSCOW, 2026, 3, 28, 11)
    assert format_hours(DEFAULT_WEEK[0]) == "09:00-13:00, 14:00-19:00"
    assert [format_hours(day) for day in DEFAULT_WEEK[5:]] == ["10:00-16:00", ""]


def test_lunch_is_not_working_time():
    calendar = weekdays()
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 30, 12), at(MOSCOW, 2026, 3, 30, 15)) == 2 * H
    assert (
        working_time_between(calendar, at(MOSCOW, 2026, 3, 30, 13, 10), at(MOSCOW, 2026, 3, 30, 13, 50))
        == timedelta()
    )
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 12, 30), H) == at(MOSCOW, 2026, 3, 30, 14, 30)
    # Starting in the break: the count begins when it ends.
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 13, 20), 30 * M) == at(
        MOSCOW, 2026, 3, 30, 14, 30
    )


def test_a_full_day_and_a_whole_week():
    calendar = weekdays()
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 30), at(MOSCOW, 2026, 3, 31)) == 9 * H
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 30), at(MOSCOW, 2026, 4, 6)) == 45 * H


def test_time_that_fills_a_period_exactly_ends_at_closing_not_next_morning():
    calendar = weekdays()
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 18), H) == at(MOSCOW, 2026, 3, 30, 19)
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 18), H + M) == at(MOSCOW, 2026, 3, 31, 9, 1)


def test_outside_hours_the_count_begins_at_the_next_opening():
    calendar = weekdays()
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 28, 20), 30 * M) == at(MOSCOW, 2026, 3, 30, 9, 30)
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 7), 30 * M) == at(MOSCOW, 2026, 3, 30, 9, 30)


def test_public_holidays_are_closed():
    calendar = weekdays(holidays=holidays.country_holidays("RU"))
    # Thursday 11 June 18:00 to Monday 15 June 10:00: Friday 12 June is Russia Day.
    assert working_time_between(calendar, at(MOSCOW, 2026, 6, 11, 18), at(MOSCOW, 2026, 6, 15, 10)) == 2 * H
    assert add_working_time(calendar, at(MOSCOW, 2026, 6, 11, 18), 90 * M) == at(MOSCOW, 2026, 6, 15, 9, 30)


def test_a_shortened_day_before_a_holiday():
    calendar = weekdays(
        holidays=holidays.country_holidays("RU"), exceptions={date(2026, 11, 3): [Span(time(9), time(12))]}
    )
    # Tuesday 3 November 9-12 (3 h), Wednesday 4 November Unity Day, Thursday 9-10 (1 h).
    assert working_time_between(calendar, at(MOSCOW, 2026, 11, 3, 8), at(MOSCOW, 2026, 11, 5, 10)) == 4 * H
    assert add_working_time(calendar, at(MOSCOW, 2026, 11, 3, 11), 2 * H) == at(MOSCOW, 2026, 11, 5, 10)


def test_the_centers_own_days_beat_holidays_and_the_week():
    calendar = weekdays(
        holidays=holidays.country_holidays("RU"),
        exceptions={
            date(2026, 6, 12): [Span(time(10), time(14))],  # works on Russia Day
            date(2026, 3, 28): WORKDAY,  # an extra working Saturday
            date(2026, 3, 30): [],  # a day off on a Monday
        },
    )
    assert working_time_between(calendar, at(MOSCOW, 2026, 6, 12), at(MOSCOW, 2026, 6, 13)) == 4 * H
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 28), at(MOSCOW, 2026, 3, 29)) == 9 * H
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 30), at(MOSCOW, 2026, 3, 31)) == timedelta()
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 29, 12), M) == at(MOSCOW, 2026, 3, 31, 9, 1)


# --- Midnight and 24:00 -----------------------------------------------------------------------------


def test_a_night_shift_runs_through_midnight():
    night = (Span(time(0), time(4)), Span(time(20), time(0)))  # 20:00-24:00 and 00:00-04:00
    calendar = WorkingCalendar(tz=MOSCOW, weekly=(night,) * 7)
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 30, 23), at(MOSCOW, 2026, 3, 31, 1)) == 2 * H
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 23, 30), H) == at(MOSCOW, 2026, 3, 31, 0, 30)
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 31, 3), 2 * H) == at(MOSCOW, 2026, 3, 31, 21)


def test_a_whole_day_is_24_hours():
    calendar = WorkingCalendar(tz=MOSCOW, weekly=(ALL_DAY,) * 7)
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 30, 12), at(MOSCOW, 2026, 4, 2, 12)) == 72 * H


# --- Time zones and DST -----------------------------------------------------------------------------


def test_a_9_to_19_day_is_10_hours_on_both_berlin_dst_sundays():
    calendar = WorkingCalendar(tz=BERLIN, weekly=((Span(time(9), time(19)),),) * 7)
    for sunday in (date(2026, 3, 29), date(2026, 10, 25)):
        day = datetime.combine(sunday, time(0), BERLIN)
        assert working_time_between(calendar, day, day.replace(day=day.day + 1)) == 10 * H
    # Saturday 18:00 to Monday 10:00 across the spring change: 1 + 10 + 1 h; the answer is Berlin wall time.
    assert working_time_between(calendar, at(BERLIN, 2026, 3, 28, 18), at(BERLIN, 2026, 3, 30, 10)) == 12 * H
    due = add_working_time(calendar, at(BERLIN, 2026, 3, 28, 18), 12 * H)
    assert due == at(BERLIN, 2026, 3, 30, 10) and due.tzinfo is UTC


def test_a_24_hour_day_is_23_hours_in_spring_and_25_in_autumn_in_berlin():
    calendar = WorkingCalendar(tz=BERLIN, weekly=(ALL_DAY,) * 7)
    assert working_time_between(calendar, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 23 * H
    assert working_time_between(calendar, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 25 * H
    # 3 h after midnight on the spring Sunday is 04:00 on the wall clock (02:00-03:00 does not exist) ...
    assert add_working_time(calendar, at(BERLIN, 2026, 3, 29), 3 * H) == datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert add_working_time(calendar, at(BERLIN, 2026, 3, 29), 3 * H).astimezone(BERLIN).hour == 4
    # ... and 3 h after midnight on the autumn Sunday is the second 02:00 (winter time).
    due = add_working_time(calendar, at(BERLIN, 2026, 10, 25), 3 * H)
    assert due == datetime(2026, 10, 25, 1, tzinfo=UTC)
    assert (due.astimezone(BERLIN).hour, due.astimezone(BERLIN).utcoffset()) == (2, H)


def test_intervals_in_the_skipped_and_the_repeated_hour():
    skipped = WorkingCalendar(
        tz=BERLIN, weekly=((Span(time(1), time(2, 30)), Span(time(2, 45), time(5))),) * 7
    )
    # 01:00 CET to the jump (02:00 CET = 03:00 CEST) is 1 h; 02:45 does not exist either: read as 03:00, 2 h.
    assert working_time_between(skipped, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 3 * H
    repeated = WorkingCalendar(tz=BERLIN, weekly=((Span(time(1), time(4)),),) * 7)
    # 01:00 CEST to 04:00 CET: the hour from 02:00 to 03:00 passes twice.
    assert working_time_between(repeated, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 4 * H


def test_vladivostok_hours_whatever_zone_the_instants_come_in():
    calendar = weekdays(VLADIVOSTOK)
    # Friday 18:00 Vladivostok is 08:00 UTC; Monday 10:00 there is Monday 00:00 UTC.
    assert (
        working_time_between(
            calendar, datetime(2026, 3, 27, 8, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
        )
        == 2 * H
    )
    assert working_time_between(calendar, at(MOSCOW, 2026, 3, 27, 11), at(BERLIN, 2026, 3, 30, 2)) == 2 * H
    # From Friday 17:00 there: 2 h on Friday, 1 h on Monday.
    due = add_working_time(calendar, datetime(2026, 3, 27, 7, tzinfo=UTC), 3 * H)
    assert due == at(VLADIVOSTOK, 2026, 3, 30, 10) == datetime(2026, 3, 30, tzinfo=UTC)


def test_a_shift_across_the_old_sao_paulo_midnight_change():
    # Brazil moved its clocks at midnight: 2018-11-04 00:00 did not exist. 24-hour days stay seamless.
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    calendar = WorkingCalendar(tz=sao_paulo, weekly=(ALL_DAY,) * 7)
    assert working_time_between(calendar, at(sao_paulo, 2018, 11, 3), at(sao_paulo, 2018, 11, 5)) == 47 * H


def test_a_day_the_zone_skipped_entirely_has_no_working_time():
    # Samoa moved across the date line: 2011-12-30 never happened in Pacific/Apia.
    apia = ZoneInfo("Pacific/Apia")
    calendar = WorkingCalendar(tz=apia, weekly=(ALL_DAY,) * 7)
    assert list(calendar.periods_on(date(2011, 12, 30))) == []
    assert working_time_between(calendar, at(apia, 2011, 12, 29), at(apia, 2011, 12, 31, 12)) == 36 * H


# --- Edges and refusals -----------------------------------------------------------------------------


def test_an_end_before_the_start_gives_zero_and_zero_duration_gives_the_start():
    calendar = weekdays()
    assert (
        working_time_between(calendar, at(MOSCOW, 2026, 3, 31, 12), at(MOSCOW, 2026, 3, 30, 12))
        == timedelta()
    )
    assert add_working_time(calendar, at(MOSCOW, 2026, 3, 28, 20), timedelta()) == at(MOSCOW, 2026, 3, 28, 20)


def test_naive_datetimes_and_negative_durations_are_refused():
    calendar = weekdays()
    with pytest.raises(ValueError, match="aware"):
        working_time_between(calendar, datetime(2026, 3, 30, 9), at(MOSCOW, 2026, 3, 30, 10))
    with pytest.raises(ValueError, match="aware"):
        add_working_time(calendar, datetime(2026, 3, 30, 9), H)
    with pytest.raises(ValueError, match="negative"):
        add_working_time(calendar, at(MOSCOW, 2026, 3, 30, 9), -H)


def test_a_calendar_without_working_time_gives_up_instead_of_looping():
    closed = WorkingCalendar(tz=MOSCOW, weekly=((),) * 7)
    with pytest.raises(NoWorkingTime, match="366"):
        add_working_time(closed, at(MOSCOW, 2026, 3, 30, 9), M)
    # Closed for 300 days, then open again: still found.
    start = date(2026, 1, 1)
    days_off = {start + timedelta(days=n): [] for n in range(300)}
    calendar = weekdays(exceptions=days_off)
    assert add_working_time(calendar, at(MOSCOW, 2026, 1, 1), H) == at(
        MOSCOW, 2026, 10, 28, 10
    )  # a Wednesday
    assert MAX_IDLE_DAYS == 366


def test_a_year_is_computed_in_milliseconds():
    calendar = weekdays()
    started = clock.perf_counter()
    # 2026 has 261 weekdays (52 weeks and a Thursday): 261 x 9 h.
    assert working_time_between(calendar, at(MOSCOW, 2026, 1, 1), at(MOSCOW, 2027, 1, 1)) == 2349 * H
    assert add_working_time(calendar, at(MOSCOW, 2026, 1, 1), 2349 * H) == at(MOSCOW, 2026, 12, 31, 19)
    assert clock.perf_counter() - started < 0.5


def test_overlapping_or_backwards_spans_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar(tz=MOSCOW, weekly=((Span(time(9), time(14)), Span(time(13), time(19))),) * 7)
    with pytest.raises(ValueError, match="before the closing"):
        WorkingCalendar(tz=MOSCOW, weekly=((Span(time(19), time(9)),),) * 7)
    with pytest.raises(ValueError, match="seven"):
        WorkingCalendar(tz=MOSCOW, weekly=(WORKDAY,) * 5)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("09:00-13:00, 14:00-19:00", [(time(9), time(13)), (time(14), time(19))]),
        (" 14:00 – 19:00 ; 9-13 ", [(time(9), time(13)), (time(14), time(19))]),
        ("20:00-24:00", [(time(20), time(0))]),
        ("00:00-00:00", [(time(0), time(0))]),
        ("", []),
    ],
)
def test_parse_hours_reads_what_people_type(text, spans):
    assert parse_hours(text) == tuple(Span(*span) for span in spans)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9 to 13", "write an interval as 09:00-13:00"),
        ("09:00-13:00-15:00", "write an interval as 09:00-13:00"),
        ("9:5-13:00", "write times as 09:00"),
        ("²9:00-13:00", "write times as 09:00"),
        ("25:00-26:00", "no such time of day"),
        ("09:60-10:00", "no such time of day"),
        ("24:00-01:00", "24:00 can only end"),
        ("13:00-09:00", "before the closing"),
        ("09:00-13:00, 12:00-19:00", "overlap"),
    ],
)
def test_parse_hours_refuses_junk_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_hours(text)


# --- Properties -------------------------------------------------------------------------------------

ZONES = [BERLIN, VLADIVOSTOK, ZoneInfo("America/Sao_Paulo"), ZoneInfo("Australia/Lord_Howe"), UTC]


@st.composite
def days(draw) -> tuple[Span, ...]:
    """0-3 spans on half-hour boundaries; a boundary of 24:00 ends the day."""
    bounds = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
    bounds = bounds[: len(bounds) // 2 * 2]
    as_time = [time(b // 2 % 24, 30 * (b % 2)) for b in bounds]
    return tuple(Span(as_time[i], as_time[i + 1]) for i in range(0, len(as_time), 2))


@st.composite
def calendars(draw) -> WorkingCalendar:
    weekly = draw(st.lists(days(), min_size=7, max_size=7))
    if not any(weekly):
        weekly[0] = WORKDAY
    exceptions = draw(st.dictionaries(st.dates(date(2026, 1, 1), date(2026, 12, 31)), days(), max_size=5))
    holiday_dates = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=10))
    return WorkingCalendar(
        tz=draw(st.sampled_from(ZONES)), weekly=weekly, exceptions=exceptions, holidays=holiday_dates
    )


instants = st.datetimes(datetime(2025, 12, 1), datetime(2027, 1, 31), timezones=st.just(UTC))
durations = st.timedeltas(timedelta(), timedelta(hours=500))
PROPERTIES = settings(max_examples=150, deadline=None)


@PROPERTIES
@given(calendars(), instants, instants, instants)
def test_working_time_is_additive(calendar, a, b, c):
    a, b, c = sorted([a, b, c])
    assert working_time_between(calendar, a, c) == working_time_between(
        calendar, a, b
    ) + working_time_between(calendar, b, c)


@PROPERTIES
@given(calendars(), instants, instants)
def test_working_time_is_never_negative_nor_more_than_elapsed(calendar, a, b):
    worked = working_time_between(calendar, a, b)
    assert timedelta() <= worked <= max(b - a, timedelta())


@PROPERTIES
@given(calendars(), instants, durations)
def test_adding_then_measuring_gives_back_the_duration(calendar, start, duration):
    due = add_working_time(calendar, start, duration)
    assert due >= start
    assert working_time_between(calendar, start, due) == duration


@PROPERTIES
@given(calendars(), instants, durations, durations)
def test_adding_more_never_ends_earlier(calendar, start, shorter, longer):
    shorter, longer = sorted([shorter, longer])
    assert add_working_time(calendar, start, shorter) <= add_working_time(calendar, start, longer)
