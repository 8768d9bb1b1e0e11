"""SMS quiet hours: no SMS between quiet_from and quiet_to in the tenant's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: time, quiet_from: time, quiet_to: time) -> bool:
    if quiet_from == quiet_to:  # no quiet hours
        return False
    if quiet_from < quiet_to:  # e.g. 13:00-14:00
        return quiet_from <= local < quiet_to
    return local >= quiet_from or local < quiet_to  # across midnight, e.g. 21:00-09:00


def _wall_clock(day: date, at: time, tz: ZoneInfo, fold: int) -> datetime:
    """The instant the center's wall clock shows `at` on `day` (UTC). A time the clocks skip when they spring
    forward is the moment of the jump: the first instant whose wall time is not before it."""
    moment = datetime.combine(day, at, tzinfo=tz).replace(fold=fold)
    instant = moment.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None, fold=0) == moment.replace(tzinfo=None, fold=0):
        return instant
    # In the gap: fold=1 reads it with the offset after the jump (an instant before the jump), fold=0 with
    # the offset before it (after the jump). The jump lies between: find it to the second.
    low, high = moment.replace(fold=1).astimezone(UTC), moment.replace(fold=0).astimezone(UTC)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == high.astimezone(tz).utcoffset():
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def release_time(now: datetime, time_zone: str, quiet_from: time, quiet_to: time) -> datetime | None:
    """When an SMS due at `now` may go: None if now is outside quiet hours, else the end of them, in UTC
    (a local datetime with fold=1 or in a DST gap never compares equal to another zone's: PEP 495).

    The end is the next instant the wall clock shows quiet_to, compared as instants: on the night the clocks
    fall back a wall time comes twice (the first may be past), and one they skip ends at the jump.
    """
    tz = ZoneInfo(time_zone)
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), quiet_from, quiet_to):
        return None
    for day in (local.date(), local.date() + timedelta(days=1)):
        for fold in (0, 1):
            end = _wall_clock(day, quiet_to, tz, fold)
            if end > now:
                return end
    raise AssertionError("quiet hours end within a day")  # unreachable: quiet_to comes back every day
