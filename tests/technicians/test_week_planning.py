"""Issue 14, item 7: planning a week. An in-shop job is planned for a day and time (its WorkSlot), which the
board and the hours left count instead of the promised day; the plan page suggests technicians best first
(skill, hours left that day, same workshop); a job outside the technician's workshop is warned about."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.lifecycle import OrderChanged
from orders.models import EventKind, OrderStatus
from servicedesk.tenancy.models import Location
from servicedesk.tenancy.roles import Role
from technicians import planning
from technicians.models import WorkSlot
from tests.factories import (
    LocationFactory,
    MembershipFactory,
    ServiceTypeFactory,
    TechnicianProfileFactory,
    TechnicianSkillFactory,
    UserFactory,
    WorkSlotFactory,
)

from .conftest import count_queries, make_order, member
from .test_planning import at, next_weekday, plan_url, skilled, visit_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(tenant_a):
    return LocationFactory(tenant=tenant_a, name="North", kind=Location.Kind.WORKSHOP)


def technician(tenant, email, *, home=None, skills=(), days=(0, 1, 2, 3, 4, 5, 6), full_name=""):
    membership = MembershipFactory(
        tenant=tenant, role=Role.TECHNICIAN, user=UserFactory(email=email, full_name=full_name or email)
    )
    profile = TechnicianProfileFactory(
        tenant=tenant, membership=membership, home_workshop=home, working_days=list(days)
    )
    for service_type in skills:
        TechnicianSkillFactory(tenant=tenant, profile=profile, service_type=service_type)
    return member(tenant, membership.user)


# --- The work slot ---------------------------------------------------------------------------------
def test_an_in_shop_job_is_planned_for_a_day_and_time(tenant_a, tech_a, manager_a, service_type_a):
    skilled(tech_a, service_type_a)
    day = next_weekday(2)
    # Promised for Friday, worked on Wednesday 11:00 for the service's usual hour.
    order = make_order(tenant_a, service_type=service_type_a, promised_at=at(day + timedelta(days=2), 12))
    result = planning.plan(
        order,
        technician=tech_a,
        workshop=order.workshop,
        by=manager_a,
        expected_version=order.version,
        work_start=at(day, 11),
        mark_planned=True,
    )
    slot = WorkSlot.objects.get(order=order)
    assert (slot.start, slot.end, slot.tenant_id) == (at(day, 11), at(day, 12), tenant_a.pk)
    assert result.planned and result.warnings == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PLANNED
    event = order.events.filter(kind=EventKind.ASSIGNED, data__has_key="work_start").get()
    assert event.data["work_start"] == at(day, 11).isoformat()
    # The board puts it on Wednesday (the first day shown), not on Friday.
    board = planning.board(tenant_a, day, 7)
    row = next(r for r in board.rows if r.member == tech_a)
    assert [o.number for o in row.cells[0].jobs] == [order.number]
    assert row.cells[2].jobs == []
    assert row.cells[0].hours == Decimal("1.00")
    assert planning.booked_hours(tech_a, day, order.tenant.tz) == Decimal("1.00")


def test_the_work_slot_counts_its_own_length_and_moves(tenant_a, tech_a, manager_a, service_type_a):
    skilled(tech_a, service_type_a)
    day = next_weekday(1)
    order = make_order(tenant_a, service_type=service_type_a, technician=tech_a, status=OrderStatus.PLANNED)
    planning.plan(
        order,
        technician=tech_a,
        workshop=order.workshop,
        by=manager_a,
        expected_version=order.version,
        work_start=at(day, 9),
        work_end=at(day, 12, 30),
    )
    assert planning.booked_hours(tech_a, day, order.tenant.tz) == Decimal("3.50")
    planning.plan(
        order,
        technician=tech_a,
        workshop=order.workshop,
        by=manager_a,
        expected_version=order.version,
        work_start=at(day + timedelta(days=1), 14),
    )
    assert WorkSlot.objects.filter(order=order).count() == 1
    assert planning.booked_hours(tech_a, day, order.tenant.tz) == Decimal("0")
    assert planning.booked_hours(tech_a, day + timedelta(days=1), order.tenant.tz) == Decimal("1.00")


def test_capacity_counts_planned_work_and_warns(tenant_a, tech_a, manager_a, service_type_a):
    skilled(tech_a, service_type_a)
    day = next_weekday(3)
    busy = make_order(tenant_a, service_type=service_type_a, technician=tech_a, status=OrderStatus.PLANNED)
    WorkSlotFactory(tenant=tenant_a, order=busy, start=at(day, 9), end=at(day, 17))  # 8 h of 8
    order = make_order(tenant_a, service_type=service_type_a)
    warnings = planning.assignment_warnings(order, tech_a, work_start=at(day, 16))
    assert any("over the 8.00 h working day" in w for w in warnings)
    late = planning.assignment_warnings(order, tech_a, work_start=at(day + timedelta(days=1), 17, 30))
    assert any("planned work is outside" in w for w in late)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ((11, 0), (10, 0), "must end after it starts"),
        ((11, 0), (11, 0), "must end after it starts"),
        (None, (10, 0), "Enter when the work starts"),
    ],
)
def test_a_bad_work_slot_is_refused(tenant_a, tech_a, manager_a, service_type_a, start, end, message):
    day = next_weekday()
    order = make_order(tenant_a, service_type=service_type_a)
    with pytest.raises(ValidationError, match=message):
        planning.plan(
            order,
            technician=tech_a,
            workshop=None,
            by=manager_a,
            expected_version=order.version,
            work_start=at(day, *start) if start else None,
            work_end=at(day, *end),
            accept_warnings=True,
        )
    assert not WorkSlot.objects.exists()


def test_a_visit_is_not_given_a_work_slot(tenant_a, tech_a, manager_a, service_type_a):
    day = next_weekday()
    order = visit_order(tenant_a, service_type_a, visit_start=at(day, 10))
    with pytest.raises(ValidationError, match="visit slot"):
        planning.plan(
            order,
            technician=tech_a,
            workshop=None,
            by=manager_a,
            expected_version=order.version,
            work_start=at(day, 12),
            accept_warnings=True,
        )


def test_a_stale_form_cannot_move_the_work(tenant_a, tech_a, manager_a, service_type_a):
    order = make_order(tenant_a, service_type=service_type_a, technician=tech_a, workshop=None)
    stale = order.version
    order.problem = "changed meanwhile"
    order.version += 1
    order.save()
    with pytest.raises(OrderChanged):
        planning.plan(
            order,
            technician=tech_a,
            workshop=None,
            by=manager_a,
            expected_version=stale,
            work_start=at(next_weekday(), 10),
            accept_warnings=True,
        )
    assert not WorkSlot.objects.exists()


@pytest.mark.parametrize("role", [Role.TECHNICIAN])  # reception is office: it plans too
def test_only_planners_plan_work(tenant_a, users_a, tech_a, service_type_a, role):
    from orders.permissions import ActorRefused

    order = make_order(tenant_a, service_type=service_type_a, technician=tech_a)
    with pytest.raises(ActorRefused):
        planning.plan(
            order,
            technician=tech_a,
            workshop=None,
            by=member(tenant_a, users_a[role]),
            expected_version=order.version,
            work_start=at(next_weekday(), 10),
            accept_warnings=True,
        )
    assert not WorkSlot.objects.exists()


# --- Workshops -------------------------------------------------------------------------------------
def test_a_job_in_another_workshop_is_warned(tenant_a, tech_a, manager_a, service_type_a, location_a, north):
    skilled(tech_a, service_type_a)  # home workshop: location_a
    order = make_order(tenant_a, service_type=service_type_a, workshop=north)
    text = f"The job is in North, but {tech_a.user} works in {location_a.name}."
    assert text in planning.assignment_warnings(order, tech_a)
    # The workshop chosen in the same plan counts, not the order's old one.
    assert text not in planning.assignment_warnings(order, tech_a, workshop=location_a)
    assert planning.assignment_warnings(order, tech_a, workshop=None) == []
    with pytest.raises(planning.NeedsConfirmation) as refused:
        planning.plan(order, technician=tech_a, workshop=north, by=manager_a, expected_version=order.version)
    assert refused.value.messages == [text]
    order.refresh_from_db()
    assert order.technician is None


def test_the_board_marks_a_job_outside_the_technicians_workshop(
    member_client, tenant_a, tech_a, service_type_a, north
):
    day = next_weekday()
    make_order(
        tenant_a, service_type=service_type_a, technician=tech_a, workshop=north, promised_at=at(day, 12)
    )
    response = member_client(Role.MANAGER).get(
        reverse("technicians:board", args=[tenant_a.slug]) + f"?start={day:%Y-%m-%d}"
    )
    assert response.content.count(b"job-chip other-workshop") == 1


# --- Suggestions -----------------------------------------------------------------------------------
def test_suggestions_put_the_best_technician_first(tenant_a, service_type_a, location_a, north):
    day = next_weekday(2)
    other_service = ServiceTypeFactory(tenant=tenant_a, name="Laptop repair")
    unskilled = technician(tenant_a, "u@alpha.test", home=location_a, skills=[other_service], full_name="Una")
    busy = technician(tenant_a, "b@alpha.test", home=location_a, skills=[service_type_a], full_name="Boris")
    far = technician(tenant_a, "f@alpha.test", home=north, skills=[service_type_a], full_name="Fedor")
    free = technician(tenant_a, "a@alpha.test", home=location_a, skills=[service_type_a], full_name="Anna")
    off = technician(
        tenant_a, "o@alpha.test", home=location_a, skills=[service_type_a], days=[], full_name="Oleg"
    )
    job = make_order(tenant_a, service_type=service_type_a, technician=busy, status=OrderStatus.PLANNED)
    WorkSlotFactory(tenant=tenant_a, order=job, start=at(day, 9), end=at(day, 14))  # 5 h of 8
    order = make_order(tenant_a, service_type=service_type_a, workshop=location_a)
    found = planning.suggestions(order, day)
    # Skilled with hours left first (most hours, then the same workshop), then no hours left, then unskilled.
    assert [s.member for s in found] == [free, busy, far, off, unskilled]
    assert [str(s.hours_left) for s in found] == ["8.00", "3.00", "8.00", "0", "8.00"]
    assert [s.same_workshop for s in found] == [True, True, False, True, True]
    assert [s.skilled for s in found] == [True, True, True, True, False]


def test_suggestions_cost_the_same_for_a_bigger_team(
    tenant_a, service_type_a, location_a, django_assert_num_queries
):
    day = next_weekday()
    order = make_order(tenant_a, service_type=service_type_a)
    technician(tenant_a, "t0@alpha.test", skills=[service_type_a])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        planning.suggestions(order, day)
    for n in range(1, 6):
        tech = technician(tenant_a, f"t{n}@alpha.test", home=location_a, skills=[service_type_a])
        job = make_order(tenant_a, service_type=service_type_a, technician=tech, status=OrderStatus.PLANNED)
        WorkSlotFactory(tenant=tenant_a, order=job, start=at(day, 10), end=at(day, 11))
    with django_assert_num_queries(len(small.captured_queries)):
        found = planning.suggestions(order, day)
    assert len(found) == 6


def test_the_plan_page_lists_suggestions_and_takes_a_pick(member_client, tenant_a, tech_a, service_type_a):
    skilled(tech_a, service_type_a)
    day = next_weekday()
    order = make_order(tenant_a, service_type=service_type_a)
    client = member_client(Role.MANAGER)
    response = client.get(plan_url(order) + f"?day={day:%Y-%m-%d}&technician={tech_a.pk}")
    assert response.status_code == 200
    assert response.content.count(b'data-testid="suggestion"') == 1
    form = response.context["form"]
    assert form.initial["technician"] == tech_a.pk
    # The day picked is proposed as the work's day, at the technician's start of day (09:00).
    assert form.initial["work_start"] == at(day, 9)
    response = client.post(
        plan_url(order),
        {
            "version": order.version,
            "technician": tech_a.pk,
            "workshop": order.workshop_id,
            "work_start": f"{day:%Y-%m-%d}T10:00",
            "work_end": f"{day:%Y-%m-%d}T12:00",
            "mark_planned": "on",
        },
    )
    assert response.status_code == 302
    slot = WorkSlot.objects.get(order=order)
    assert (slot.start, slot.end) == (at(day, 10), at(day, 12))


def test_the_plan_page_ignores_another_tenants_technician_and_junk(
    member_client, tenant_a, tenant_b, users_b, tech_a, service_type_a
):
    foreign = member(tenant_b, users_b[Role.TECHNICIAN])
    order = make_order(tenant_a, service_type=service_type_a)
    client = member_client(Role.MANAGER)
    response = client.get(plan_url(order) + f"?technician={foreign.pk}")
    assert response.status_code == 200 and response.context["picked"] is None
    assert str(foreign.user).encode() not in response.content
    for junk in [
        "?day=2026-02-31",
        "?day=99999-01-01",
        "?technician=-1",
        "?technician=x",
        "?technician=9" * 30,
    ]:
        assert client.get(plan_url(order) + junk).status_code == 200
    bad = client.post(
        plan_url(order),
        {"version": order.version, "technician": tech_a.pk, "work_end": "2026-12-01T10:00"},
    )
    assert bad.status_code == 200 and not WorkSlot.objects.exists()


@pytest.mark.parametrize("role", [Role.TECHNICIAN])  # reception is office: it plans too
def test_the_plan_page_is_for_planners(member_client, tenant_a, service_type_a, role):
    order = make_order(tenant_a, service_type=service_type_a)
    assert member_client(role).get(plan_url(order)).status_code == 403


def test_the_plan_page_cost_does_not_grow_with_the_team(member_client, tenant_a, tech_a, service_type_a):
    skilled(
        tech_a, service_type_a
    )  # (with no skill at all, Django skips the nested prefetch: one query less)
    order = make_order(tenant_a, service_type=service_type_a)
    client = member_client(Role.MANAGER)
    small = count_queries(client, plan_url(order))
    day = next_weekday()
    for n in range(4):
        tech = technician(tenant_a, f"q{n}@alpha.test", skills=[service_type_a])
        job = make_order(tenant_a, service_type=service_type_a, technician=tech, status=OrderStatus.PLANNED)
        WorkSlotFactory(tenant=tenant_a, order=job, start=at(day, 10), end=at(day, 11))
    assert count_queries(client, plan_url(order)) == small


def test_the_board_cost_stays_constant_with_work_slots(member_client, tenant_a, tech_a, service_type_a):
    skilled(tech_a, service_type_a)
    client = member_client(Role.MANAGER)
    url = reverse("technicians:board", args=[tenant_a.slug])
    day = next_weekday(0) - timedelta(days=7)
    small = count_queries(client, url + f"?start={day:%Y-%m-%d}")
    for n in range(6):
        job = make_order(tenant_a, service_type=service_type_a, technician=tech_a, status=OrderStatus.PLANNED)
        WorkSlotFactory(
            tenant=tenant_a,
            order=job,
            start=at(day + timedelta(days=n), 10),
            end=at(day + timedelta(days=n), 11),
        )
    assert count_queries(client, url + f"?start={day:%Y-%m-%d}") == small
