"""After log-in (`home`), owners and managers of a center with history land on the managers' dashboard; other
roles, and everyone in a new center (no history yet: its front page has the setup steps), on the front page."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from servicedesk.tenancy.roles import Role
from tests.factories import DailyRollupFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db

FRONT = reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"})
QUALITY = reverse("quality:dashboard", kwargs={"tenant_slug": "alpha"})


def landing(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    return response.url


@pytest.fixture
def history(tenant_a, location_a):
    service_type = ServiceTypeFactory(tenant=tenant_a, name="Phone")
    DailyRollupFactory(
        tenant=tenant_a, day=date(2026, 4, 6), location=location_a, service_type=service_type, taken_in=1
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.OWNER, QUALITY),
        (Role.MANAGER, QUALITY),
        (Role.RECEPTION, FRONT),
        (Role.TECHNICIAN, FRONT),
    ],
)
def test_managers_and_owners_of_a_center_with_history_land_on_its_dashboard(
    client, users_a, history, tenant_b, role, expected
):
    assert landing(client, users_a[role]) == expected


def test_a_new_center_lands_everyone_on_its_front_page(client, users_a):
    assert landing(client, users_a[Role.MANAGER]) == FRONT
    assert landing(client, users_a[Role.OWNER]) == FRONT


def test_another_centers_history_does_not_count(client, users_a, users_b, tenant_b, location_b):
    service_type = ServiceTypeFactory(tenant=tenant_b, name="Phone")
    DailyRollupFactory(
        tenant=tenant_b, day=date(2026, 4, 6), location=location_b, service_type=service_type, taken_in=1
    )
    assert landing(client, users_a[Role.MANAGER]) == FRONT
