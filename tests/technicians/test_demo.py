"""The demo planning data: technicians with skills and hours, visits without overlaps, stock with items under
their minimum, orders waiting for parts, work logged. Running it again changes nothing."""

from __future__ import annotations

import pytest

from orders.demo import seed_demo_orders
from orders.models import Order, ServiceFormat
from servicedesk.tenancy.demo import seed_demo_staff
from stock import services as stock
from stock.demo import seed_demo_stock
from stock.models import Part, PartReservation, StockMovement
from technicians import planning
from technicians.demo import seed_demo_planning
from technicians.models import TechnicianProfile, WorkLog

pytestmark = pytest.mark.django_db


def counts(tenant) -> dict:
    return {
        model.__name__: model.objects.filter(tenant=tenant).count()
        for model in (TechnicianProfile, Part, PartReservation, StockMovement, WorkLog, Order)
    }


def test_demo_planning_is_complete_and_idempotent():
    staff = seed_demo_staff()
    seed_demo_planning(staff)  # before the orders: profiles and stock only
    seed_demo_stock(staff)
    assert (
        TechnicianProfile.objects.filter(tenant=staff.tenant, skill_rows__isnull=False).distinct().count()
        >= 3
    )
    seed_demo_orders(staff)
    seed_demo_planning(staff)
    seed_demo_stock(staff)
    tenant = staff.tenant
    before = counts(tenant)
    assert before["WorkLog"] > 0 and before["PartReservation"] > 0
    assert stock.low_stock(tenant).count() >= 3
    assert stock.waiting_reservations(tenant).exists()
    visits = (
        Order.objects.for_tenant(tenant)
        .filter(
            visit_start__isnull=False,
            technician__isnull=False,
            format__in=[ServiceFormat.ON_SITE, ServiceFormat.COMBINED],
        )
        .open()
    )
    assert visits.exists()
    for visit in visits.select_related("service_type", "technician__user"):
        visit.tenant = tenant
        assert not planning.visit_conflicts(visit, visit.technician, visit.visit_start, visit.visit_end), (
            visit
        )
    assert planning.board(tenant, visits.first().visit_start.date()).rows
    seed_demo_planning(staff)
    seed_demo_stock(staff)
    assert counts(tenant) == before
