"""The rules of an on-site visit's time slot, in one place: every service that books or moves a visit
(orders.services.take_in and assign, and through assign the planning board's plan()) calls `check_slot`;
forms call it too, to put the message on the field.

- A slot that starts in the past is refused (a visit in June booked in November). Keeping a slot as it is
  (reassigning the technician of a visit that was missed) is not booking it again, so it is allowed.
- A slot outside the location's business hours is a warning the person booking confirms. Business hours
  belong to the quality app, above this one: it registers the check with `register_hours_check` in its
  AppConfig.ready(); unregistered (quality not installed), there is no such warning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.formats import format_datetime
from servicedesk.tenancy.models import Location

# A slot typed as "now" is not refused for the minutes it took to fill in the form.
PAST_GRACE = timedelta(minutes=5)
# A slot read back from a form (minutes only) is the stored slot when it differs by less than this.
SAME_SLOT = timedelta(minutes=1)

HoursCheck = Callable[[Location, datetime, datetime], str | None]
_hours_check: HoursCheck | None = None


def register_hours_check(check: HoursCheck) -> None:
    """quality: `check(location, start, end)` -> a sentence when the slot is outside the location's
    business hours, else None."""
    global _hours_check
    _hours_check = check


def same_slot(new: datetime | None, old: datetime | None) -> bool:
    if new is None or old is None:
        return new is old
    return abs(new - old) < SAME_SLOT


def check_slot(
    start: datetime | None,
    end: datetime | None = None,
    *,
    booked_start: datetime | None = None,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> None:
    """Refuse a visit slot that starts in the past or ends before it starts (ValidationError with the
    sentence). `booked_start` is the slot already on the order: keeping it is not booking it again; `tz` the
    center's zone for the message (outside a request the active zone is the server's)."""
    if start is None:
        return
    if end is not None and end <= start:
        raise ValidationError(_("The visit must end after it starts."))
    if booked_start is not None and same_slot(start, booked_start):
        return
    now = now or timezone.now()
    if start < now - PAST_GRACE:
        raise ValidationError(
            _("The visit time %(start)s is in the past: choose a time from now on.")
            % {"start": format_datetime(start, tz)}
        )


def hours_warning(location: Location | None, start: datetime | None, end: datetime | None) -> str | None:
    """A sentence when the slot is outside the location's business hours, else None."""
    if _hours_check is None or location is None or start is None:
        return None
    return _hours_check(location, start, end or start)
