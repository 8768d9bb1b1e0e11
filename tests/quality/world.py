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


def add_aftersales(tenant_b: Tenant, tenant_a: Tenant):
    """Complaints, warranty claims, audits with findings, on handed-over orders with devices: B one of each,
    A two. Returns A's last ones (complaint, claim, audit, finding, item)."""
    _aftersales(tenant_b, 1)
    return _aftersales(tenant_a, 2)


def _aftersales(tenant: Tenant, count: int):
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils import timezone

    from orders.models import OrderStatus
    from quality.models import Audit, AuditFinding, Complaint, WarrantyClaim
    from servicedesk.tenancy.models import Membership
    from servicedesk.tenancy.roles import Role
    from tests.orders.factories import OrderFactory

    tech = Membership.objects.filter(tenant=tenant, role=Role.TECHNICIAN).order_by("id").first()
    manager = Membership.objects.filter(tenant=tenant, role=Role.MANAGER).order_by("id").first()
    now = timezone.now()
    made = SimpleNamespace()
    for n in range(count):
        orders = [OrderFactory(tenant=tenant, technician=tech, status=OrderStatus.HANDED_OVER, closed_at=now,
                               warranty_until=(now + timedelta(days=90)).date()) for _ in range(2)]
        made.item = orders[0].item
        made.complaint = Complaint.objects.create(tenant=tenant, order=orders[0], description=f"World complaint {n}",
                                                  due_at=now + timedelta(days=10))
        made.claim = WarrantyClaim.objects.create(tenant=tenant, original=orders[0], first_order=orders[0],
                                                  problem=f"World claim {n}", inside_period=True,
                                                  period_until=orders[0].warranty_until,
                                                  source=WarrantyClaim.Source.CLIENT)
        made.audit = Audit.objects.create(tenant=tenant, order=orders[1], week=now.date(), auditor=manager,
                                          technician=tech)
        made.finding = AuditFinding.objects.create(tenant=tenant, audit=made.audit, description=f"World finding {n}",
                                                   responsible=tech)
    return made
