"""My jobs on a phone (issue 14): the jobs in groups with counts (now, today, overdue, waiting, later), a
search, the job just touched kept in view, and the technician's setting that starts the timer with
"start diagnostics" and "start work". Dates are relative to now in the center's zone (any instant)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.lifecycle import transition
from orders.models import Order, OrderStatus, ServiceFormat
from servicedesk.tenancy.roles import Role
from technicians import worklog
from technicians.models import TechnicianProfile, WorkLog

from .conftest import make_order

pytestmark = pytest.mark.django_db
S = OrderStatus


def url(tenant, name="my_jobs"):
    return reverse(f"technicians:{name}", args=[tenant.slug])


def group_numbers(response) -> dict[str, list[int]]:
    return {g["key"]: [o.number for o in g["jobs"]] for g in response.context["groups"]}


def test_overdue_and_later_jobs_and_the_counts(member_client, tenant_a, tech_a):
    late = make_order(
        tenant_a,
        status=OrderStatus.PLANNED,
        technician=tech_a,
        promised_at=timezone.now() - timedelta(days=1),
    )
    missed_visit = make_order(
        tenant_a,
        status=OrderStatus.PLANNED,
        technician=tech_a,
        format=ServiceFormat.ON_SITE,
        visit_address="Mira 1",
        visit_start=timezone.now() - timedelta(days=2),
    )
    later = make_order(
        tenant_a, status=OrderStatus.NEW, technician=tech_a, promised_at=timezone.now() + timedelta(days=5)
    )
    approval = make_order(tenant_a, status=OrderStatus.AWAITING_APPROVAL, technician=tech_a)
    check = make_order(tenant_a, status=OrderStatus.QUALITY_CHECK, technician=tech_a)
    response = member_client(Role.TECHNICIAN).get(url(tenant_a))
    groups = group_numbers(response)
    assert groups["overdue"] == sorted([late.number, missed_visit.number], key=groups["overdue"].index)
    assert set(groups["overdue"]) == {late.number, missed_visit.number}
    assert groups["later"] == [later.number]
    assert groups["waiting"] == [approval.number]
    assert groups["now"] == [check.number]
    body = response.content.decode()
    assert 'data-testid="count-overdue">2<' in body and 'data-testid="count-today">0<' in body
    # Waiting and later start folded; now and overdue open.
    assert 'id="group-later" data-testid="group-later">' in body
    assert 'id="group-overdue" data-testid="group-overdue" open>' in body


def test_the_job_just_touched_opens_its_group_and_is_marked(member_client, tenant_a, tech_a):
    later = make_order(tenant_a, status=OrderStatus.NEW, technician=tech_a)
    client = member_client(Role.TECHNICIAN)
    body = client.get(url(tenant_a) + f"?job={later.number}").content.decode()
    assert 'id="group-later" data-testid="group-later" open>' in body
    assert (
        "touched"
        in body[body.index(f'id="job-{later.number}"') - 200 : body.index(f'id="job-{later.number}"')]
    )
    for junk in ("abc", "9" * 30, "\x00", "-1", "²", "٣"):
        assert client.get(url(tenant_a), {"job": junk}).status_code == 200


def test_a_status_change_comes_back_to_the_card(member_client, tenant_a, tech_a):
    order = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    response = member_client(Role.TECHNICIAN).post(
        reverse("technicians:job_action", args=[tenant_a.slug, order.number]),
        {"action": "start_diagnostics", "version": order.version, "next": "my_jobs"},
    )
    assert response.status_code == 302
    assert response.url == f"{url(tenant_a)}?job={order.number}#job-{order.number}"


def test_search_finds_by_number_client_serial_and_problem(member_client, tenant_a, tech_a):
    one = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    two = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    Order.objects.filter(pk=one.pk).update(problem="Cracked screen")
    Order.objects.filter(pk=two.pk).update(problem="Battery swells")
    client = member_client(Role.TECHNICIAN)

    def found(q: str) -> set[int]:
        response = client.get(url(tenant_a), {"q": q})
        assert response.status_code == 200
        return {o.number for o in response.context["jobs"]}

    assert found("cracked") == {one.number}
    assert found(f"#{two.number}") == {two.number}
    assert found(two.client.name.split()[-1]) == {two.number}
    assert found("battery SWELLS") == {two.number}
    assert found("nothing like it") == set()
    assert found("") == {one.number, two.number}
    for junk in ("\x00", "x" * 10_000, "%", "' OR 1=1 --"):
        assert client.get(url(tenant_a), {"q": junk}).status_code == 200
    assert "No job matches the search." in client.get(url(tenant_a), {"q": "zzzz"}).content.decode()


def test_search_does_not_reach_other_technicians_jobs(member_client, tenant_a, manager_a, tech_a):
    theirs = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a)
    Order.objects.filter(pk=theirs.pk).update(problem="Unique words")
    response = member_client(Role.TECHNICIAN).get(url(tenant_a), {"q": "unique"})
    assert list(response.context["jobs"]) == [] and f"job-{theirs.number}" not in response.content.decode()


def test_only_the_most_recent_waiting_jobs_are_shown_unless_searched_for(
    member_client, tenant_a, tech_a, monkeypatch
):
    """Jobs waiting for parts or on hold pile up over the years: my jobs shows the WAITING_SHOWN most recent
    (the count then reads "N+", and a line says to search), every other group whole; the search and the job
    just touched still find an older one."""
    from technicians import views

    monkeypatch.setattr(views, "WAITING_SHOWN", 2)
    stuck = [
        make_order(tenant_a, status=status, technician=tech_a)
        for status in (S.AWAITING_PARTS, S.ON_HOLD, S.AWAITING_APPROVAL, S.AWAITING_PARTS)
    ]
    planned = make_order(tenant_a, status=S.PLANNED, technician=tech_a)
    Order.objects.filter(pk=stuck[0].pk).update(problem="Old compressor")
    client = member_client(Role.TECHNICIAN)
    response = client.get(url(tenant_a))
    groups = group_numbers(response)
    assert sorted(groups["waiting"]) == sorted(o.number for o in stuck[2:])
    assert groups["later"] == [planned.number]
    body = response.content.decode()
    assert 'data-testid="count-waiting">2+<' in body and 'data-testid="more-waiting"' in body
    searched = client.get(url(tenant_a), {"q": "compressor"})
    assert group_numbers(searched)["waiting"] == [stuck[0].number]
    assert 'data-testid="more-waiting"' not in searched.content.decode()
    touched = group_numbers(client.get(url(tenant_a), {"job": stuck[0].number}))["waiting"]
    assert sorted(touched) == sorted([stuck[0].number] + [o.number for o in stuck[2:]])
    Order.objects.filter(pk__in=[o.pk for o in stuck[:2]]).update(status=S.CANCELLED)
    body = client.get(url(tenant_a)).content.decode()
    assert 'data-testid="count-waiting">2<' in body and 'data-testid="more-waiting"' not in body


# --- The timer with the status ----------------------------------------------------------------------
def test_the_setting_starts_the_timer_with_diagnostics_and_keeps_it_through_work(tenant_a, tech_a):
    TechnicianProfile.objects.filter(membership=tech_a).update(timer_with_status=True)
    order = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    transition(order, "start_diagnostics", by=tech_a, expected_version=order.version)
    running = worklog.running_timer(tech_a)
    assert running is not None and running.order_id == order.pk
    order.refresh_from_db()
    transition(order, "start_work", by=tech_a, expected_version=order.version)
    assert WorkLog.objects.filter(order=order).count() == 1  # the same timer runs on
    assert worklog.running_timer(tech_a).order_id == order.pk


def test_start_work_moves_the_running_timer_to_this_job(tenant_a, tech_a):
    TechnicianProfile.objects.filter(membership=tech_a).update(timer_with_status=True)
    first = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    worklog.start_timer(first, technician=tech_a, by=tech_a)
    second = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    transition(second, "start_diagnostics", by=tech_a, expected_version=second.version)
    assert worklog.running_timer(tech_a).order_id == second.pk
    assert WorkLog.objects.get(order=first).ended_at is not None


def test_without_the_setting_or_by_someone_else_no_timer_starts(tenant_a, tech_a, manager_a):
    order = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    transition(order, "start_diagnostics", by=tech_a, expected_version=order.version)
    assert worklog.running_timer(tech_a) is None
    TechnicianProfile.objects.filter(membership=tech_a).update(timer_with_status=True)
    other = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    transition(other, "start_diagnostics", by=manager_a, expected_version=other.version)
    assert worklog.running_timer(tech_a) is None and worklog.running_timer(manager_a) is None


def test_the_technician_turns_the_setting_on_and_off_from_my_jobs(member_client, tenant_a, tech_a):
    client = member_client(Role.TECHNICIAN)
    assert "Start the timer with diagnostics and work?" in client.get(url(tenant_a)).content.decode()
    client.post(url(tenant_a, "my_jobs_settings"), {"timer_with_status": "on"})
    assert TechnicianProfile.objects.get(membership=tech_a).timer_with_status is True
    assert "The timer starts with diagnostics and work." in client.get(url(tenant_a)).content.decode()
    client.post(url(tenant_a, "my_jobs_settings"), {})
    assert TechnicianProfile.objects.get(membership=tech_a).timer_with_status is False


def test_the_setting_changes_only_my_own_profile(member_client, tenant_a, tenant_b, tech_a, manager_a):
    response = member_client(Role.MANAGER).post(
        url(tenant_a, "my_jobs_settings"), {"timer_with_status": "on"}
    )
    assert response.status_code == 302
    assert TechnicianProfile.objects.get(membership=manager_a).timer_with_status is True
    assert TechnicianProfile.objects.get(membership=tech_a).timer_with_status is False
    # Reception does no work: the page's door (orders_work) is closed.
    assert member_client(Role.RECEPTION).post(url(tenant_a, "my_jobs_settings"), {}).status_code == 403
    # Another center's slug: not a member there.
    assert member_client(Role.TECHNICIAN).post(url(tenant_b, "my_jobs_settings"), {}).status_code == 404


def test_the_manager_sets_it_on_the_profile_page(member_client, tenant_a, tech_a):
    response = member_client(Role.OWNER).get(
        reverse("technicians:technician_edit", args=[tenant_a.slug, tech_a.pk])
    )
    assert 'name="timer_with_status"' in response.content.decode()
