"""A location's business hours from the database: the bridge between the rows and the pure calendar.

`calendar_for(location)` is the one way to get a location's `WorkingCalendar`; SLA clocks call it and then
the pure functions of quality.calendar. The managers' page saves a week through `set_week`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from servicedesk.formats import format_date
from servicedesk.tenancy.audit import Action, record
from servicedesk.tenancy.models import Location, Membership, Tenant

from .calendar import DEFAULT_WEEK, Day, Span, WorkingCalendar, check_day, format_hours, parse_hours
from .models import BusinessHours, CalendarDay


def public_holidays(tenant: Tenant, language: str | None = None) -> holidays.HolidayBase:
    """The public holidays of the center's country: a lazy calendar that computes a year when first asked."""
    return holidays.country_holidays(tenant.country, language=language)


def own_weeks(
    tenant: Tenant | int, locations: Sequence[Location] | None = None
) -> dict[int, tuple[Day, ...]]:
    """Location id -> its own weekly hours, Monday first, in one query; a location keeping the standard
    week is absent."""
    rows = BusinessHours.objects.for_tenant(tenant)
    if locations is not None:
        rows = rows.filter(location__in=locations)
    weeks: dict[int, list[list[Span]]] = {}
    for row in rows.order_by("location_id", "weekday", "opens"):
        weeks.setdefault(row.location_id, [[] for _day in range(7)])[row.weekday].append(
            Span(row.opens, row.closes)
        )
    return {location_id: tuple(check_day(spans) for spans in week) for location_id, week in weeks.items()}


def own_week(location: Location) -> tuple[Day, ...] | None:
    """The location's own weekly hours, Monday first, or None when it keeps the standard week."""
    return own_weeks(location.tenant_id, [location]).get(location.pk)


def week_for(location: Location) -> tuple[Day, ...]:
    return own_week(location) or DEFAULT_WEEK


def calendar_for(location: Location) -> WorkingCalendar:
    """The location's working calendar: its week (or the standard one), the center's days and the holidays.

    The center's own days apply to every location; a day given for this location beats a center-wide one
    of the same date. Build it once per request or task: it reads the rows each time.
    """
    tenant = location.tenant
    days = CalendarDay.objects.for_tenant(tenant).filter(Q(location__isnull=True) | Q(location=location))
    exceptions: dict[date, Day] = {}
    # Center-wide rows first (nulls sort first ascending on SQLite, last on PostgreSQL: order explicitly).
    for day in sorted(days, key=lambda row: (row.location_id is not None, row.date)):
        exceptions[day.date] = parse_hours(day.hours)
    return WorkingCalendar(
        tz=ZoneInfo(tenant.time_zone),
        weekly=week_for(location),
        exceptions=exceptions,
        holidays=public_holidays(tenant),
    )


def calendars_for(
    tenant: Tenant, locations: Sequence[Location] | None = None
) -> dict[int | None, WorkingCalendar]:
    """calendar_for for many locations (default: all of the center's) in two queries, keyed by location id;
    key None is the center's standard week with its center-wide days (for whatever belongs to no location)."""
    if locations is None:
        locations = list(Location.objects.for_tenant(tenant))
    weeks = own_weeks(tenant, locations)
    center_days: dict[date, Day] = {}
    own_days: dict[int, dict[date, Day]] = {}
    for row in CalendarDay.objects.for_tenant(tenant).filter(
        Q(location__isnull=True) | Q(location__in=[location.pk for location in locations])
    ):
        target = center_days if row.location_id is None else own_days.setdefault(row.location_id, {})
        target[row.date] = parse_hours(row.hours)
    tz, public = ZoneInfo(tenant.time_zone), public_holidays(tenant)
    calendars: dict[int | None, WorkingCalendar] = {
        location.pk: WorkingCalendar(
            tz=tz,
            weekly=weeks.get(location.pk, DEFAULT_WEEK),
            exceptions={**center_days, **own_days.get(location.pk, {})},
            holidays=public,
        )
        for location in locations
    }
    calendars[None] = WorkingCalendar(tz=tz, weekly=DEFAULT_WEEK, exceptions=center_days, holidays=public)
    return calendars


def _week_text(week: Sequence[Sequence[Span]] | None) -> list[str] | None:
    """A week as the audit log keeps it: Monday first, as people type hours ('' closed); None: standard."""
    return None if week is None else [format_hours(spans) for spans in week]


def _record_week(by: Membership | None, location: Location, before: list[str] | None) -> None:
    after = _week_text(own_week(location))
    if by is not None and before != after:
        record(
            by, Action.HOURS_CHANGED, location.name, {"before": {"week": before}, "after": {"week": after}}
        )


@transaction.atomic
def set_week(location: Location, week: Sequence[Sequence[Span]], *, by: Membership | None = None) -> None:
    """Replace the location's weekly hours; a week without any opening is refused (see reset_week).
    A member's change (`by`; demos and tests pass none) is written to the audit log."""
    week = [check_day(spans) for spans in week]
    if len(week) != 7:
        raise ValueError("A week has seven days.")
    if not any(week):
        raise ValidationError(_("Give the location some opening hours, or go back to the standard week."))
    # Lock the location: two managers saving at once get one week or the other, never a mix of both.
    Location.objects.select_for_update().filter(tenant_id=location.tenant_id, pk=location.pk).first()
    before = _week_text(own_week(location))
    BusinessHours.objects.for_tenant(location.tenant_id).filter(location=location).delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(
            tenant_id=location.tenant_id,
            location=location,
            weekday=weekday,
            opens=span.start,
            closes=span.end,
        )
        for weekday, spans in enumerate(week)
        for span in spans
    )
    _record_week(by, location, before)


@transaction.atomic
def reset_week(location: Location, *, by: Membership | None = None) -> None:
    """Back to the center's standard week."""
    Location.objects.select_for_update().filter(tenant_id=location.tenant_id, pk=location.pk).first()
    before = _week_text(own_week(location))
    BusinessHours.objects.for_tenant(location.tenant_id).filter(location=location).delete()
    _record_week(by, location, before)


def _holiday_language(tenant: Tenant) -> str | None:
    """The page's language if the country's holidays are named in it, else the country's own."""
    supported = holidays.country_holidays(tenant.country).supported_languages
    language = (get_language() or "").replace("-", "_")
    for candidate in (language, language.split("_")[0], "en_US" if language.startswith("en") else ""):
        if candidate and candidate in supported:
            return candidate
    return None


def coming_holidays(tenant: Tenant, today: date, days: int = 60) -> list[tuple[date, str]]:
    """The public holidays of the center's country from today for `days` days, with their names."""
    until = today + timedelta(days=days)
    calendar = holidays.country_holidays(
        tenant.country, years=range(today.year, until.year + 1), language=_holiday_language(tenant)
    )
    return sorted((day, name) for day, name in calendar.items() if today <= day <= until)


def _inside(periods: list[tuple[datetime, datetime]], moment: datetime, *, as_end: bool) -> bool:
    # A visit may start at opening time and end at closing time; a lunch break inside it is its own affair.
    if as_end:
        return any(start < moment <= end for start, end in periods)
    return any(start <= moment < end for start, end in periods)


def visit_hours_warning(location: Location, start: datetime, end: datetime) -> str | None:
    """orders.visits' hours check (registered in QualityConfig.ready()): a sentence when the visit starts or
    ends outside the location's business hours of its day, else None."""
    calendar = calendar_for(location)
    day = start.astimezone(calendar.tz).date()
    # The day before too: a night span that runs to 24:00 ends on the visit's day.
    periods = [*calendar.periods_on(day - timedelta(days=1)), *calendar.periods_on(day)]
    end = max(end, start)
    if _inside(periods, start, as_end=False) and (end == start or _inside(periods, end, as_end=True)):
        return None
    local_start, local_end = start.astimezone(calendar.tz), end.astimezone(calendar.tz)
    return _(
        "The visit (%(day)s %(start)s–%(end)s) is outside the business hours of %(location)s: %(hours)s."
    ) % {
        "day": format_date(local_start.date()),
        "start": local_start.strftime("%H:%M"),
        "end": local_end.strftime("%H:%M"),
        "location": location.name,
        "hours": format_hours(calendar.hours_on(day)) or _("closed that day"),
    }
