"""The service-level policy pages (/<tenant>/quality/sla/): each role, adding, editing, deleting, bad input,
another center's ids; and the query counts of the pages that show the clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Priority, SlaState
from quality import clocks
from quality.models import SlaPolicy
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import (
    LocationFactory,
    MembershipFactory,
    OrderFactory,
    ServiceTypeFactory,
    SlaClockFactory,
    SlaPauseFactory,
    SlaPolicyFactory,
    UserFactory,
)
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


def policies_url(tenant) -> str:
    return reverse("quality:sla_policies", args=[tenant.slug])


def edit_url(policy) -> str:
    return reverse("quality:sla_policy_edit", args=[policy.tenant.slug, policy.pk])


def delete_url(policy) -> str:
    return reverse("quality:sla_policy_delete", args=[policy.tenant.slug, policy.pk])


def general(tenant) -> SlaPolicy:
    clocks.ensure_policies(tenant)
    return SlaPolicy.objects.get(tenant=tenant, service_type=None, priority=None)


VALID = {"plan_hours": "2", "ready_hours": "12.5", "arrival_grace_minutes": "10", "handover_hours": "30"}


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, False), (Role.TECHNICIAN, False)],
)
def test_only_owners_and_managers_see_and_change_the_policies(tenant_a, member_client, role, may):
    client = member_client(role)
    policy = general(tenant_a)
    page = client.get(policies_url(tenant_a))
    assert page.status_code == (200 if may else 403)
    assert client.get(edit_url(policy)).status_code == (200 if may else 403)
    answer = client.post(edit_url(policy), VALID)
    assert answer.status_code == (302 if may else 403)
    policy.refresh_from_db()
    assert (policy.plan_minutes, policy.ready_minutes) == ((120, 750) if may else (240, 1620))
    added = client.post(policies_url(tenant_a), {"priority": Priority.HIGH, "plan_hours": "1"})
    assert added.status_code == (302 if may else 403)
    assert SlaPolicy.objects.filter(tenant=tenant_a, priority=Priority.HIGH).exists() == may


def test_the_page_lists_the_defaults_in_hours(tenant_a, member_client):
    page = text_of(member_client(Role.MANAGER).get(policies_url(tenant_a)))
    assert "General" in page
    assert "4 h" in page and "27 h" in page and "slot + 15 min" in page and "45 h" in page  # general
    assert "1 h" in page and "9 h" in page and "within the slot" in page  # urgent


def test_adding_a_policy_for_a_service_and_priority(tenant_a, member_client):
    screens = ServiceTypeFactory(tenant=tenant_a, name="Screens")
    answer = member_client(Role.MANAGER).post(
        policies_url(tenant_a),
        {
            "service_type": screens.pk,
            "priority": Priority.URGENT,
            "plan_hours": "0.5",
            "ready_hours": "4",
            "arrival_grace_minutes": "",
            "handover_hours": "",
        },
    )
    assert answer.status_code == 302
    policy = SlaPolicy.objects.get(tenant=tenant_a, service_type=screens, priority=Priority.URGENT)
    assert (
        policy.plan_minutes,
        policy.ready_minutes,
        policy.arrival_grace_minutes,
        policy.handover_minutes,
    ) == (30, 240, None, None)
    assert policy.updated_by.email == "manager@alpha.test"


def test_one_policy_per_scope(tenant_a, member_client):
    general(tenant_a)
    page = member_client(Role.MANAGER).post(
        policies_url(tenant_a), {"priority": Priority.URGENT, "plan_hours": "1"}
    )
    assert page.status_code == 200
    assert "There is a policy for this service and priority already" in text_of(page)
    assert SlaPolicy.objects.filter(tenant=tenant_a, priority=Priority.URGENT).count() == 1


def test_the_general_policy_keeps_its_scope_and_cannot_be_deleted(tenant_a, member_client):
    policy = general(tenant_a)
    manager = member_client(Role.MANAGER)
    screens = ServiceTypeFactory(tenant=tenant_a)
    assert (
        manager.post(edit_url(policy), {**VALID, "service_type": screens.pk, "priority": 3}).status_code
        == 302
    )
    policy.refresh_from_db()
    assert (policy.service_type_id, policy.priority, policy.plan_minutes) == (
        None,
        None,
        120,
    )  # disabled fields
    answer = manager.post(delete_url(policy), follow=True)
    assert "The general policy cannot be deleted" in text_of(answer)
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


def test_deleting_a_policy(tenant_a, member_client):
    clocks.ensure_policies(tenant_a)
    urgent = SlaPolicy.objects.get(tenant=tenant_a, priority=Priority.URGENT)
    assert member_client(Role.OWNER).post(delete_url(urgent)).status_code == 302
    assert not SlaPolicy.objects.filter(pk=urgent.pk).exists()


@pytest.mark.parametrize(
    "junk",
    [
        {"plan_hours": "0"},
        {"plan_hours": "-1"},
        {"ready_hours": "10001"},
        {"ready_hours": "abc"},
        {"ready_hours": "NaN"},
        {"ready_hours": "1e9"},
        {"arrival_grace_minutes": "-5"},
        {"arrival_grace_minutes": "99999"},
        {"priority": "9"},
        {"priority": "x"},
        {"service_type": "999999"},
        {"plan_hours": "1.234"},
        {"plan_hours": "1\x00"},
    ],
)
def test_bad_input_is_explained_and_changes_nothing(tenant_a, member_client, junk):
    clocks.ensure_policies(tenant_a)
    policy = SlaPolicy.objects.get(tenant=tenant_a, priority=Priority.URGENT)  # its scope may change too
    page = member_client(Role.MANAGER).post(edit_url(policy), {"priority": Priority.URGENT, **VALID, **junk})
    assert page.status_code == 200
    assert "is-invalid" in page.content.decode() or "alert-danger" in page.content.decode()
    policy.refresh_from_db()
    assert (policy.priority, policy.plan_minutes) == (Priority.URGENT, 60)


def test_another_centers_service_cannot_be_chosen(tenant_a, tenant_b, member_client):
    theirs = ServiceTypeFactory(tenant=tenant_b)
    page = member_client(Role.MANAGER).post(
        policies_url(tenant_a), {"service_type": theirs.pk, "plan_hours": "1"}
    )
    assert page.status_code == 200
    assert not SlaPolicy.objects.filter(service_type=theirs).exists()


def test_another_centers_policy_is_404(tenant_a, tenant_b, users_b, member_client):
    theirs = general(tenant_b)
    manager = member_client(Role.MANAGER)
    for url in (
        reverse("quality:sla_policy_edit", args=[tenant_a.slug, theirs.pk]),
        reverse("quality:sla_policy_delete", args=[tenant_a.slug, theirs.pk]),
    ):
        assert manager.post(url, VALID).status_code == 404
    theirs.refresh_from_db()
    assert theirs.plan_minutes == 240


def test_the_service_refuses_a_role_without_the_permission(tenant_a, users_a):
    from django.core.exceptions import PermissionDenied

    from quality.policies import PolicyData, save_policy

    reception = Membership.objects.get(tenant=tenant_a, user=users_a[Role.RECEPTION])
    with pytest.raises(PermissionDenied):
        save_policy(tenant_a, PolicyData(None, Priority.LOW, 60, None, None, None), by=reception)


# --- Query counts: the same whatever the size ----------------------------------------------------------
def _orders_with_clocks(tenant, count: int) -> None:
    """Open orders with their own client, service, location and technician, and stored clocks and states."""
    now = timezone.now()
    states = [SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED]
    for i in range(count):
        location = LocationFactory(tenant=tenant)
        order = OrderFactory(
            tenant=tenant,
            service_type=ServiceTypeFactory(tenant=tenant),
            intake_location=location,
            workshop=location,
            technician=MembershipFactory(tenant=tenant, role=Role.TECHNICIAN, user=UserFactory()),
            sla_state=states[i % 3],
            sla_due_at=now + timedelta(hours=i),
        )
        SlaClockFactory(
            tenant=tenant,
            order=order,
            target="ready",
            state=states[i % 3],
            budget_seconds=3600,
            started_at=now,
            due_at=now + timedelta(hours=i),
        )


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "query", ["?view=open", "?view=at_risk", "?view=breached", "?view=&sort=sla", "?view=&sla=at_risk"]
)
def test_the_order_list_with_the_sla_column_costs_the_same_for_5_or_40_orders(
    tenant_a, users_a, member_client, query
):
    client = member_client(Role.MANAGER)
    url = reverse("orders:list", args=[tenant_a.slug]) + query
    _orders_with_clocks(tenant_a, 5)
    small = _count(client, url)
    _orders_with_clocks(tenant_a, 35)
    assert _count(client, url) == small


def test_the_order_page_with_the_sla_panel_costs_the_same_for_few_or_many_clocks_and_pauses(
    tenant_a, users_a, member_client
):
    client = member_client(Role.MANAGER)
    now = timezone.now()

    def order_with(clock_count: int, pause_count: int):
        order = OrderFactory(tenant=tenant_a)
        for target in ["plan", "ready", "arrival", "handover"][:clock_count]:
            SlaClockFactory(
                tenant=tenant_a,
                order=order,
                target=target,
                state="on_track",
                budget_seconds=3600,
                started_at=now,
                due_at=now + timedelta(hours=1),
            )
        for i in range(pause_count):
            SlaPauseFactory(
                tenant=tenant_a,
                order=order,
                reason="awaiting_parts",
                started_at=now - timedelta(hours=10 - i),
                ended_at=None if i == pause_count - 1 else now - timedelta(hours=9 - i),
            )
        return reverse("orders:detail", args=[tenant_a.slug, order.number])

    few = _count(client, order_with(1, 1))
    assert _count(client, order_with(4, 6)) == few


def test_the_policy_page_costs_the_same_for_2_or_20_policies(tenant_a, member_client):
    client = member_client(Role.MANAGER)
    clocks.ensure_policies(tenant_a)
    small = _count(client, policies_url(tenant_a))
    for _ in range(18):
        SlaPolicyFactory(tenant=tenant_a, service_type=ServiceTypeFactory(tenant=tenant_a), plan_minutes=60)
    assert _count(client, policies_url(tenant_a)) == small
