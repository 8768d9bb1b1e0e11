from __future__ import annotations

import pytest

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role


@pytest.fixture(autouse=True)
def _tasks_in_process(celery_eager):
    """Every test here runs Celery tasks in-process (see celery_eager in tests/conftest.py)."""


@pytest.fixture
def desk_location(tenant_a, location_a):
    location_a.tenant = tenant_a
    return location_a


@pytest.fixture
def members_a(users_a, tenant_a) -> dict[Role, Membership]:
    return {m.role: m for m in Membership.objects.filter(tenant=tenant_a).select_related("user", "tenant")}
