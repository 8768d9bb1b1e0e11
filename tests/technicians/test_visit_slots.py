"""The rules of a visit's time slot (orders.visits): a slot in the past is refused by the services that book
and move visits (intake, assignment, the planning board), not only by their forms; a slot outside the
location's business hours (quality's calendar, registered as a hook) is a warning the planner confirms.

Dates are written out by hand, far from today: 13 May 2020 is long past; Wednesday 15 May 2030 10:00 is
inside the standard hours (Monday to Friday 9-13 and 14-19); Sunday 19 May 2030 is closed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from orders import services, visits
from orders.models import Order, OrderStatus, ServiceFormat
from quality.hours import visit_hours_warning
from servicedesk.tenancy.roles import Role
from technicians import planning

from .conftest import make_order

pytestmark = pytest.mark.django_db


def local(tenant, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tenant.tz)


def visit_order(tenant, **kwargs) -> Order:
    return make_order(
        tenant, format=ServiceFormat.ON_SITE, visit_address="Mira 1", status=OrderStatus.NEW, **kwargs
    )


# --- The hours (quality's calendar) -------------------------------------------------------------------
def test_a_visit_inside_the_hours_gives_no_warning(tenant_a, location_a):
    assert (
        visit_hours_warning(
            location_a, local(tenant_a, "2030-05-15 10:00"), local(tenant_a, "2030-05-15 12:00")
        )
        is None
    )
    # Across the lunch break: both ends are inside working periods.
    assert (
        visit_hours_warning(
            location_a, local(tenant_a, "2030-05-15 12:00"), local(tenant_a, "2030-05-15 15:00")
        )
        is None
    )
    # Ending exactly at closing time is fine.
    assert (
        visit_hours_warning(
            location_a, local(tenant_a, "2030-05-15 18:00"), local(tenant_a, "2030-05-15 19:00")
        )
        is None
    )


def test_a_visit_outside_the_hours_is_named(tenant_a, location_a):
    evening = visit_hours_warning(
        location_a, local(tenant_a, "2030-05-15 18:30"), local(tenant_a, "2030-05-15 19:30")
    )
    assert evening == (
        f"The visit (15 May 2030 18:30–19:30) is outside the business hours of {location_a.name}: "
        "09:00-13:00, 14:00-19:00."
    )
    sunday = visit_hours_warning(
        location_a, local(tenant_a, "2030-05-19 11:00"), local(tenant_a, "2030-05-19 12:00")
    )
    assert sunday.endswith(": closed that day.")
    assert visit_hours_warning(
        location_a, local(tenant_a, "2030-05-15 07:00"), local(tenant_a, "2030-05-15 08:00")
    )


def test_the_hook_is_registered_by_quality(tenant_a, location_a):
    start = local(tenant_a, "2030-05-19 11:00")
    assert visits.hours_warning(location_a, start, None) is not None
    assert visits.hours_warning(None, start, None) is None
    assert visits.hours_warning(location_a, None, None) is None


# --- The past ---------------------------------------------------------------------------------------
def test_check_slot_refuses_the_past_and_keeps_what_is_booked(tenant_a):
    past = local(tenant_a, "2020-05-13 10:00")
    with pytest.raises(ValidationError, match="13 May 2020, 10:00 is in the past"):
        visits.check_slot(past, None, tz=tenant_a.tz)
    with pytest.raises(ValidationError, match="must end after it starts"):
        visits.check_slot(local(tenant_a, "2030-05-15 10:00"), local(tenant_a, "2030-05-15 09:00"))
    visits.check_slot(past, None, booked_start=past + timedelta(seconds=30))  # the same slot, read back
    visits.check_slot(timezone.now() - timedelta(minutes=2))  # "now", typed a minute ago
    visits.check_slot(None)


def test_intake_service_refuses_a_visit_in_the_past(tenant_a, location_a, reception_a, service_type_a):
    data = services.IntakeData(
        client=None,
        client_name="Anna",
        client_phone="+79160000001",
        client_email="",
        consent=True,
        service_type=service_type_a,
        format=ServiceFormat.ON_SITE,
        intake_location=location_a,
        problem="Leaks",
        visit_address="Mira 1",
        visit_start=local(tenant_a, "2020-05-13 10:00"),
    )
    with pytest.raises(ValidationError, match="is in the past"):
        services.take_in(tenant_a, data, by=reception_a)
    assert not Order.objects.for_tenant(tenant_a).exists()


def test_assign_refuses_a_new_slot_in_the_past_but_keeps_a_missed_one(tenant_a, manager_a, tech_a):
    order = visit_order(tenant_a)
    with pytest.raises(ValidationError, match="is in the past"):
        services.assign(
            order,
            technician=tech_a,
            workshop=order.workshop,
            by=manager_a,
            expected_version=order.version,
            visit_start=local(tenant_a, "2020-05-13 10:00"),
        )
    order.refresh_from_db()
    assert order.visit_start is None and order.technician is None
    # A visit that was booked and then missed: reassigning the technician keeps its slot, no refusal.
    missed = local(tenant_a, "2020-05-13 10:00")
    Order.objects.filter(pk=order.pk).update(visit_start=missed)
    order.refresh_from_db()
    order.tenant = tenant_a
    services.assign(
        order,
        technician=tech_a,
        workshop=order.workshop,
        by=manager_a,
        expected_version=order.version,
        visit_start=missed,
    )
    order.refresh_from_db()
    assert order.technician == tech_a and order.visit_start == missed


def test_plan_refuses_the_past_before_any_warning(tenant_a, manager_a, tech_a):
    order = visit_order(tenant_a)
    with pytest.raises(ValidationError) as refused:
        planning.plan(
            order,
            technician=tech_a,
            workshop=order.workshop,
            by=manager_a,
            expected_version=order.version,
            visit_start=local(tenant_a, "2020-05-13 10:00"),
            accept_warnings=True,
        )
    assert not isinstance(refused.value, planning.NeedsConfirmation)
    assert "is in the past" in " ".join(refused.value.messages)


def test_plan_warns_outside_the_hours_and_the_planner_confirms(tenant_a, manager_a, tech_a):
    order = visit_order(tenant_a)
    sunday = local(tenant_a, "2030-05-19 11:00")
    with pytest.raises(planning.NeedsConfirmation) as unconfirmed:
        planning.plan(
            order,
            technician=tech_a,
            workshop=order.workshop,
            by=manager_a,
            expected_version=order.version,
            visit_start=sunday,
        )
    assert any("closed that day" in text for text in unconfirmed.value.messages)
    order.refresh_from_db()
    assert order.visit_start is None
    order.tenant = tenant_a
    result = planning.plan(
        order,
        technician=tech_a,
        workshop=order.workshop,
        by=manager_a,
        expected_version=order.version,
        visit_start=sunday,
        accept_warnings=True,
    )
    assert any("closed that day" in text for text in result.warnings)
    order.refresh_from_db()
    assert order.visit_start == sunday


def test_plan_page_shows_the_past_as_a_refusal(member_client, tenant_a, tech_a):
    order = visit_order(tenant_a)
    response = member_client(Role.MANAGER).post(
        reverse("technicians:plan", args=[tenant_a.slug, order.number]),
        {
            "version": order.version,
            "technician": tech_a.pk,
            "workshop": order.workshop_id,
            "visit_address": "Mira 1",
            "visit_start": "2020-05-13T10:00",
            "accept_warnings": "on",
        },
    )
    assert response.status_code == 200
    assert "13 May 2020, 10:00 is in the past: choose a time from now on." in response.content.decode()
    order.refresh_from_db()
    assert order.technician is None


def test_order_page_assignment_refuses_the_past_with_a_message(member_client, tenant_a, tech_a):
    order = visit_order(tenant_a)
    client = member_client(Role.MANAGER)
    response = client.post(
        reverse("orders:assign", args=[tenant_a.slug, order.number]),
        {
            "version": order.version,
            "technician": tech_a.pk,
            "workshop": order.workshop_id,
            "visit_address": "Mira 1",
            "visit_start": "2020-05-13T10:00",
        },
        follow=True,
    )
    assert "is in the past" in response.content.decode()
    order.refresh_from_db()
    assert order.visit_start is None


def test_order_page_assignment_outside_the_hours_is_saved_with_a_warning(member_client, tenant_a, tech_a):
    order = visit_order(tenant_a)
    response = member_client(Role.MANAGER).post(
        reverse("orders:assign", args=[tenant_a.slug, order.number]),
        {
            "version": order.version,
            "technician": tech_a.pk,
            "workshop": order.workshop_id,
            "visit_address": "Mira 1",
            "visit_start": "2030-05-19T11:00",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Assignment saved." in body and "closed that day" in body
    order.refresh_from_db()
    assert order.visit_start == local(tenant_a, "2030-05-19 11:00")
