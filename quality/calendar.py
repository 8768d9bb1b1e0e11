"""Business hours: how much working time lies between two instants, and when a given amount of it ends.

Pure and typed: no database, no settings, no clock. Every SLA clock of the quality app is built on the two
functions here; `quality.hours.calendar_for(location)` builds the `WorkingCalendar` from a center's rows.

The rules (docs/quality.md, "Business hours"):
- Opening hours are local wall-clock intervals per weekday, Monday first; a break is the gap between two
  intervals (09:00-13:00, 14:00-19:00). An interval may end at 24:00, written ``time(0)`` as its end.
- A date's hours come from, in this order: the center's own calendar (a day off, a shortened day or an
  extra working day, with its own intervals), then the public holidays (closed), then the weekly schedule.
- Working time is the time that really passes (measured in UTC) between the instants at which the local
  intervals begin and end. A 09:00-19:00 day on the day the clocks change is 10 h as on any other day (the
  change happens at night); an interval that spans the change (a 24-hour or a night interval) is 1 h
  shorter or longer, as really worked. A wall time the clocks skip (02:30 in Berlin on the last Sunday of
  March) is read as the moment they jump; one that occurs twice (02:30 on the last Sunday of October) as
  its first occurrence. So the intervals of one day never overlap in real time, however the zone changes.
- The walk goes day by day, never minute by minute: a year-long span takes a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from django.utils.translation import gettext as _

MIDNIGHT = time(0)
# add_working_time gives up after this many days in a row without a minute of working time: a calendar
# that is closed for a whole year will never serve the request, and the caller must say so.
MAX_IDLE_DAYS = 366
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


class NoWorkingTime(ValueError):
    """The calendar has no working time for MAX_IDLE_DAYS days in a row: the time can never be served."""


class Span(NamedTuple):
    """One local opening interval of a day; ``end == time(0)`` means 24:00 (the end of the day)."""

    start: time
    end: time

    @property
    def end_of_day(self) -> bool:
        return self.end == MIDNIGHT

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{'24:00' if self.end_of_day else format(self.end, '%H:%M')}"


Day = tuple[Span, ...]


def _minutes(value: time) -> timedelta:
    return timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )


def _end_offset(span: Span) -> timedelta:
    return DAY if span.end_of_day else _minutes(span.end)


def check_day(spans: Sequence[Span | tuple[time, time]]) -> Day:
    """The spans sorted, each starting before it ends and none overlapping another; ValueError otherwise.

    Two spans may touch (09:00-13:00, 13:00-19:00). Forms show the message to people (quality.forms).
    """
    day = tuple(sorted(Span(*span) for span in spans))
    for span in day:
        if span.start.tzinfo is not None or span.end.tzinfo is not None:
            raise ValueError(_("Opening hours are local wall-clock times, without a time zone."))
        if _minutes(span.start) >= _end_offset(span):
            raise ValueError(
                _("%(hours)s: the opening time must come before the closing time.") % {"hours": span}
            )
    for before, after in zip(day, day[1:], strict=False):
        if _minutes(after.start) < _end_offset(before):
            raise ValueError(_("%(first)s and %(second)s overlap.") % {"first": before, "second": after})
    return day


@dataclass(frozen=True)
class WorkingCalendar:
    """When a location works: its time zone, weekly hours, its own exceptions and the public holidays.

    `weekly` has seven entries, Monday first, each a sequence of spans (none: closed that weekday).
    `exceptions` maps a date to its own spans (none: a day off; some: a shortened or an extra working day)
    and beats the public holidays, so a center can work on a holiday. `holidays` is any container of dates
    (a set, or the `holidays` package's lazy country calendar, which computes a year on first use).
    """

    tz: tzinfo
    weekly: Sequence[Sequence[Span]]
    exceptions: Mapping[date, Sequence[Span]] = field(default_factory=dict)
    holidays: Container[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("A weekly schedule has seven days, Monday first.")
        # Normalised once here, so the arithmetic below can trust every day it reads.
        object.__setattr__(self, "weekly", tuple(check_day(spans) for spans in self.weekly))
        object.__setattr__(
            self, "exceptions", {day: check_day(spans) for day, spans in self.exceptions.items()}
        )

    def hours_on(self, day: date) -> Day:
        """The local spans of that date, exceptions and holidays applied."""
        # __post_init__ made every day a Day (a checked tuple); the fields' types are what callers may pass.
        if day in self.exceptions:
            return tuple(self.exceptions[day])
        if day in self.holidays:
            return ()
        return tuple(self.weekly[day.weekday()])

    def periods_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The working periods of that local date as (start, end) instants in UTC, in order, never empty."""
        for span in self.hours_on(day):
            start = _instant(day, span.start, self.tz)
            end = (
                _instant(day + DAY, MIDNIGHT, self.tz)
                if span.end_of_day
                else _instant(day, span.end, self.tz)
            )
            if end > start:  # a span inside a skipped hour has no working time at all
                yield start, end


def _instant(day: date, wall: time, tz: tzinfo) -> datetime:
    """The UTC instant of a local wall time: its first occurrence, or the moment the clocks jump past it."""
    naive = datetime.combine(day, wall)
    utc = naive.replace(tzinfo=tz).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    # The wall time does not exist (a gap: the clocks jumped forward). With fold=1 it is read with the
    # offset after the jump, which lands before the jump; fold=0 (above) lands after it. The jump lies
    # between, on a whole second: bisect for the first second with the later offset.
    after_offset = utc.astimezone(tz).utcoffset()
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    high = int(utc.timestamp()) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone).")
    # UTC for all arithmetic: Python subtracts two datetimes of the same zone by their wall clocks.
    return moment.astimezone(UTC)


def _local_date(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def working_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The working time from `start` to `end` (aware datetimes, any zones).

    Never negative: an `end` at or before `start` gives zero (a deadline already passed leaves no time;
    the overdue time is working_time_between(deadline, now)). Additive: for a <= b <= c,
    between(a, c) == between(a, b) + between(b, c), exactly (timedelta counts whole microseconds).
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    total = timedelta()
    if end <= start:
        return total
    # One day of margin either side: a span of the local date before may end after midnight's instant
    # in a zone whose clocks change at midnight.
    day, last = _local_date(start, calendar.tz) - DAY, _local_date(end, calendar.tz) + DAY
    while day <= last:
        for opens, closes in calendar.periods_on(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta():
                total += overlap
        day += DAY
    return total


def add_working_time(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of working time after `start` has passed, as an aware UTC datetime.

    UTC, not the calendar's zone: Python never finds a datetime in a repeated hour (02:30 on the autumn
    Sunday, fold=1) equal to one in another zone (PEP 495), so a local result would compare wrongly.

    Outside the hours the count begins at the next opening; a duration that fills a period exactly ends at
    its closing time (19:00, not the next morning). A zero duration gives `start` itself. Then
    working_time_between(calendar, start, result) == duration, and the result never decreases as the
    duration grows. Raises ValueError for a negative duration and NoWorkingTime when the calendar has no
    working time for MAX_IDLE_DAYS days in a row.
    """
    moment = _utc(start, "start")
    if duration < timedelta():
        raise ValueError("The duration must not be negative.")
    if not duration:
        return moment
    remaining = duration
    day, idle_days = _local_date(moment, calendar.tz) - DAY, 0
    while idle_days <= MAX_IDLE_DAYS:
        worked = False
        for opens, closes in calendar.periods_on(day):
            if closes <= moment:
                continue
            opens = max(opens, moment)
            worked = True
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        idle_days = 0 if worked else idle_days + 1
        day += DAY
    raise NoWorkingTime(
        _("The calendar has no working time in the %(days)s days after %(start)s.")
        % {"days": MAX_IDLE_DAYS, "start": f"{start:%Y-%m-%d %H:%M}"}
    )


def end_of_working_days(calendar: WorkingCalendar, start: datetime, days: int) -> datetime:
    """The closing instant (UTC) of the `days`-th working day after the local date of `start`.

    "Answered within 3 working days" of a complaint received on Thursday: Friday is the first, Saturday
    the second if the location works on Saturdays, Tuesday the third if Monday is a holiday; the deadline
    is that day's closing time. The day of `start` itself does not count, however early it was. A day is a
    working day when it has any working time. Raises ValueError for days < 1 and NoWorkingTime after
    MAX_IDLE_DAYS days in a row without one.
    """
    if days < 1:
        raise ValueError("Count at least one working day.")
    day, idle_days, counted = _local_date(_utc(start, "start"), calendar.tz), 0, 0
    while idle_days <= MAX_IDLE_DAYS:
        day += DAY
        periods = list(calendar.periods_on(day))
        if not periods:
            idle_days += 1
            continue
        idle_days = 0
        counted += 1
        if counted == days:
            return periods[-1][1]
    raise NoWorkingTime(
        _("The calendar has no working time in the %(days)s days after %(start)s.")
        % {"days": MAX_IDLE_DAYS, "start": f"{start:%Y-%m-%d %H:%M}"}
    )


def parse_hours(text: str) -> Day:
    """'09:00-13:00, 14:00-19:00' -> spans; '' -> no spans. '24:00' may end a span. ValueError on junk.

    The one format people type opening hours in (the hours page, a shortened day); a dash or an en dash
    between the times, commas or semicolons between the spans.
    """
    spans: list[Span] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        bounds = part.replace("–", "-").replace("—", "-").split("-")
        if len(bounds) != 2:
            raise ValueError(_("“%(text)s”: write an interval as 09:00-13:00.") % {"text": part[:20]})
        start, end = (_parse_time(bound.strip(), part) for bound in bounds)
        if start == MIDNIGHT and bounds[0].strip().startswith("24"):
            raise ValueError(_("“%(text)s”: 24:00 can only end an interval.") % {"text": part[:20]})
        spans.append(Span(start, end))
    return check_day(spans)


def _parse_time(value: str, part: str) -> time:
    hours, colon, minutes = value.partition(":")
    digits = "0123456789"
    if not (
        hours
        and len(hours) <= 2
        and set(hours) <= set(digits)
        and (not colon or (len(minutes) == 2 and set(minutes) <= set(digits)))
    ):
        raise ValueError(_("“%(text)s”: write times as 09:00.") % {"text": part[:20]})
    hour, minute = int(hours), int(minutes or 0)
    if (hour, minute) == (24, 0):
        return MIDNIGHT
    if hour > 23 or minute > 59:
        raise ValueError(_("“%(text)s”: no such time of day.") % {"text": part[:20]})
    return time(hour, minute)


def format_hours(spans: Sequence[Span]) -> str:
    """Spans as people type them: '09:00-13:00, 14:00-19:00' ('' when closed)."""
    return ", ".join(str(Span(*span)) for span in spans)


# The center's standard week, used by every location that has no hours of its own: Monday to Friday
# 9:00-19:00 with lunch 13:00-14:00, Saturday 10:00-16:00, Sunday closed.
_WORKDAY = (Span(time(9), time(13)), Span(time(14), time(19)))
DEFAULT_WEEK: tuple[Day, ...] = (_WORKDAY,) * 5 + ((Span(time(10), time(16)),), ())
