"""SMS quiet hours: no SMS between quiet_from and quiet_to in the tenant's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: time, quiet_from: time, quiet_to: time) -> bool:
    if quiet_from == quiet_to:  # no quiet hours
        return False
    if quiet_from < quiet_to:  # e.g. 13:00-14:00
        return quiet_from <= local < quiet_to
    return local >= quiet_from or local < quiet_to  # across midnight, e.g. 21:00-09:00


def release_time(now: datetime, time_zone: str, quiet_from: time, quiet_to: time) -> datetime | None:
    """When an SMS due at `now` may go: None if now is outside quiet hours, else the end of them (aware)."""
    tz = ZoneInfo(time_zone)
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), quiet_from, quiet_to):
        return None
    end = datetime.combine(local.date(), quiet_to, tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet_to, tzinfo=tz)
    return end
