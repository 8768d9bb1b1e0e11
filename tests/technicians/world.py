"""The technicians part of the cross-tenant `world` (tests/conftest.py): orders with a technician, parts,
stock, reservations and work logged, in A and B. A gets more of each than B, so A's last order number,
part id and reservation id do not exist in B."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from orders.models import OrderStatus
from servicedesk.tenancy.models import Location, Membership
from servicedesk.tenancy.roles import Role
from stock import services as stock
from technicians.models import TechnicianProfile, WorkLog
from tests.factories import OrderFactory, PartFactory, TechnicianProfileFactory, WorkLogFactory


def _fill(tenant, orders: int, parts: int) -> SimpleNamespace:
    tech = Membership.objects.filter(tenant=tenant, role=Role.TECHNICIAN).order_by("id").first()
    manager = Membership.objects.filter(tenant=tenant, role=Role.MANAGER).first()
    location = Location.objects.filter(tenant=tenant).order_by("id").first()
    if not TechnicianProfile.objects.filter(membership=tech).exists():
        TechnicianProfileFactory(tenant=tenant, membership=tech, home_workshop=location)
    made = [
        OrderFactory(tenant=tenant, technician=tech, status=OrderStatus.IN_PROGRESS, workshop=location)
        for _ in range(orders)
    ]
    made_parts = []
    for n in range(parts):
        part = PartFactory(
            tenant=tenant, sku=f"W-{tenant.slug}-{n}", name=f"World part {n}", sale_price=Decimal("100")
        )
        stock.receive(tenant, part=part, location=location, quantity=10, by=manager)
        made_parts.append(part)
    reservations = [
        stock.reserve(order, part=made_parts[0], quantity=1, by=manager) and order.part_reservations.get()
        for order in made
    ]
    start = timezone.now() - timedelta(hours=3)
    for order in made:
        WorkLogFactory(
            order=order,
            technician=tech,
            started_at=start,
            ended_at=start + timedelta(minutes=30),
            source=WorkLog.Source.MANUAL,
            reason="world",
        )
        start += timedelta(minutes=40)
    return SimpleNamespace(order=made[-1], part=made_parts[-1], reservation=reservations[-1])


def add_technicians(tenant_b, tenant_a) -> SimpleNamespace:
    """B: one order, one part, one reservation; A: three of each. Returns A's last ones."""
    _fill(tenant_b, orders=1, parts=1)
    return _fill(tenant_a, orders=3, parts=2)
