"""The business-hours part of the cross-tenant `world` (tests/conftest.py): weekly hours and the centers' own days.

A gets more calendar days than B, so A's last day's id does not exist in B.
"""

from __future__ import annotations

from datetime import date, time

from quality.models import BusinessHours, CalendarDay
from servicedesk.tenancy.models import Location, Tenant


def add_business_hours(tenant_b: Tenant, location_b: Location, tenant_a: Tenant, location_a: Location) -> CalendarDay:
    """B: Monday hours and a day off; A: Monday hours with a break and two days. Returns A's last day."""
    BusinessHours.objects.create(tenant=tenant_b, location=location_b, weekday=0, opens=time(9), closes=time(18))
    CalendarDay.objects.create(tenant=tenant_b, date=date(2030, 1, 2), note="B's day off")
    for opens, closes in [(time(9), time(13)), (time(14), time(19))]:
        BusinessHours.objects.create(tenant=tenant_a, location=location_a, weekday=0, opens=opens, closes=closes)
    CalendarDay.objects.create(tenant=tenant_a, date=date(2030, 1, 2), note="A's day off")
    return CalendarDay.objects.create(tenant=tenant_a, location=location_a, date=date(2030, 1, 3),
                                      kind=CalendarDay.Kind.SHORTENED, hours="10:00-15:00", note="A's short day")


def add_rollups(tenant_b: Tenant, tenant_a: Tenant) -> None:
    """The dashboard's rollups of both centers, recomputed from what the world made (its factory orders have
    no events): the dashboard and its exports then show figures to both."""
    from quality.rollups import recompute

    recompute(tenant_b)
    recompute(tenant_a)
