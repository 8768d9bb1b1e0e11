"""The reception part of the cross-tenant `world` (tests/conftest.py): a desk per center and visits waiting
at it. A gets more visits than B, so A's last visit's id does not exist in B."""

from __future__ import annotations

from reception.models import Visit
from servicedesk.tenancy.models import Location, Tenant
from tests.factories import ReceptionDeskFactory, VisitFactory


def _visits(tenant: Tenant, location: Location, count: int) -> list[Visit]:
    ReceptionDeskFactory(tenant=tenant, location=location)
    return [
        VisitFactory(tenant=tenant, location=location, ticket=n, name=f"{tenant.name} client {n}")
        for n in range(1, count + 1)
    ]


def add_visits(tenant_b: Tenant, location_b: Location, tenant_a: Tenant, location_a: Location) -> Visit:
    """B: one waiting visit; A: two. Returns A's last one (waiting: every action on it still works)."""
    _visits(tenant_b, location_b, 1)
    return _visits(tenant_a, location_a, 2)[-1]
