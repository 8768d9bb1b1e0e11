"""Fixtures of the technicians tests: orders in a given status, parts with stock, memberships by role."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus, ServiceFormat, ServiceType
from servicedesk.tenancy.models import Location, Membership
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import Part
from tests.factories import (
    ClientFactory,
    OrderFactory,
    PartFactory,
    ServiceTypeFactory,
    TechnicianProfileFactory,
)

_phones = itertools.count(9160000000)


def count_queries(client, url: str) -> int:
    """Queries one GET makes (after a first GET, so session and caches are warm)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def member(tenant, user) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=user)


def make_service_type(tenant, name="Phone repair", **kwargs) -> ServiceType:
    """The tenant's service of that name (made the first time)."""
    existing = ServiceType.objects.filter(tenant=tenant, name=name).first()
    if existing is not None:
        return existing
    defaults = {
        "formats": [ServiceFormat.IN_SHOP, ServiceFormat.ON_SITE],
        "base_price": Decimal("1500"),
        "default_duration_minutes": 60,
        "warranty_days": 365,
    }
    defaults.update(kwargs)
    return ServiceTypeFactory(tenant=tenant, name=name, **defaults)


def make_order(
    tenant, *, status=OrderStatus.NEW, technician=None, workshop=None, service_type=None, **kwargs
) -> Order:
    """An order of a new client (no e-mail, no device) at the workshop (the tenant's first location)."""
    location = workshop or Location.objects.filter(tenant=tenant).order_by("id").first()
    client = ClientFactory(
        tenant=tenant,
        name=f"Client {next(_phones)}",
        phone=f"+7{next(_phones)}",
        email="",
        consent_at=None,
        consent_version="",
    )
    order = OrderFactory(
        tenant=tenant,
        client=client,
        item=None,
        service_type=service_type or make_service_type(tenant),
        intake_location=location,
        workshop=location,
        technician=technician,
        status=status,
        problem="Does not turn on",
        promised_at=kwargs.pop("promised_at", timezone.now() + timedelta(days=2)),
        **kwargs,
    )
    order.tenant = tenant
    return order


def make_part(tenant, *, sku="P-1", name="Battery", unit=Part.Unit.PIECE, sale_price="900", **kwargs) -> Part:
    return PartFactory(
        tenant=tenant,
        sku=sku,
        name=name,
        unit=unit,
        sale_price=Decimal(sale_price),
        cost_price=Decimal("500"),
        **kwargs,
    )


@pytest.fixture
def owner_a(users_a, tenant_a):
    return member(tenant_a, users_a[Role.OWNER])


@pytest.fixture
def manager_a(users_a, tenant_a):
    return member(tenant_a, users_a[Role.MANAGER])


@pytest.fixture
def reception_a(users_a, tenant_a):
    return member(tenant_a, users_a[Role.RECEPTION])


@pytest.fixture
def tech_a(users_a, tenant_a, location_a):
    membership = member(tenant_a, users_a[Role.TECHNICIAN])
    TechnicianProfileFactory(
        tenant=tenant_a,
        membership=membership,
        home_workshop=location_a,
        hourly_rate=Decimal("1200"),
        does_visits=True,
        working_days=[0, 1, 2, 3, 4, 5, 6],
    )
    return membership


@pytest.fixture
def service_type_a(tenant_a):
    return make_service_type(tenant_a)


@pytest.fixture
def part_a(tenant_a, location_a, manager_a):
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=5, by=manager_a)
    return part


@pytest.fixture
def job_a(tenant_a, tech_a, location_a, service_type_a):
    """An order of A in progress, assigned to A's technician, at A's location."""
    return make_order(
        tenant_a,
        status=OrderStatus.IN_PROGRESS,
        technician=tech_a,
        workshop=location_a,
        service_type=service_type_a,
    )
