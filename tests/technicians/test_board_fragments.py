"""The planning board's rows (one per technician) and its Unassigned list are cached (servicedesk/fragments.py,
technicians.views.board_row_values and unassigned_values): every value they show, changed in the database
behind the page's back (no signal, no version bump), shows on the next view; so do the day passing (today's
column) and the language."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Client, Order, OrderStatus, ServiceType
from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Location
from servicedesk.tenancy.roles import Role
from technicians.models import TechnicianProfile
from tests.factories import ItemFactory, ServiceTypeFactory, TechnicianSkillFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db
S = OrderStatus


@pytest.fixture(autouse=True)
def _empty_fragments(fragment_cache):
    """Emptied, and watched (tests/conftest.py)."""


def row_of(html: str, name: str) -> str:
    found = re.search(r'<tr data-testid="board-row">.*?</tr>', html[html.index(name) - 400 :], re.S)
    assert found, name
    return found.group(0)


@pytest.fixture
def board(tenant_a, tech_a, service_type_a, location_a, member_client):
    """A's technician with a job tomorrow and an unassigned order; the board already cached by one view.
    `see()` views the board again and returns (the technician's row, the Unassigned list)."""
    job = make_order(
        tenant_a,
        status=S.PLANNED,
        technician=tech_a,
        service_type=service_type_a,
        promised_at=timezone.now() + timedelta(days=1),
    )
    waiting = make_order(tenant_a, status=S.NEW, service_type=service_type_a, priority=0)
    browser = member_client(Role.MANAGER)
    url = reverse("technicians:board", args=[tenant_a.slug])
    name = tech_a.user.full_name

    def see(query: str = "", **headers) -> tuple[str, str]:
        response = browser.get(url + query, **headers)
        assert response.status_code == 200
        html = response.content.decode()
        current = User.objects.get(pk=tech_a.user_id).full_name
        unassigned = html[html.index('data-testid="unassigned"') :]
        return row_of(html, current), unassigned[: unassigned.index("</ul>")]

    row, unassigned = see()
    assert f"#{job.number}" in row and name in row and f"#{waiting.number}" in unassigned
    return job, waiting, see


ROW_CHANGES = {
    "technician-name": (
        lambda job, tech: User.objects.filter(pk=tech.user_id).update(full_name="Tanya Renamed"),
        "Tanya Renamed",
    ),
    "workshop-name": (
        lambda job, tech: Location.objects.filter(tenant_id=job.tenant_id).update(name="North workshop"),
        "North workshop",
    ),
    "working-hours": (
        lambda job, tech: TechnicianProfile.objects.filter(membership=tech).update(day_start=time(7, 15)),
        "07:15",
    ),
    "skill": (
        lambda job, tech: TechnicianSkillFactory(
            profile=TechnicianProfile.objects.get(membership=tech),
            service_type=ServiceTypeFactory(tenant=job.tenant, name="Laptop repair"),
        ),
        "Laptop repair",
    ),
    "job-service": (
        lambda job, tech: ServiceType.objects.filter(pk=job.service_type_id).update(name="Screen swap"),
        "Screen swap",
    ),
    "job-item": (
        lambda job, tech: Order.objects.filter(pk=job.pk).update(
            item=ItemFactory(
                tenant=job.tenant, client=job.client, kind="Kettle", brand="", model="", serial=""
            )
        ),
        "Kettle",
    ),
    "job-moved": (
        lambda job, tech: Order.objects.filter(pk=job.pk).update(
            promised_at=timezone.now() + timedelta(days=3)
        ),
        None,
    ),
    "another-job": (
        lambda job, tech: make_order(
            job.tenant, status=S.PLANNED, technician=tech, promised_at=timezone.now() + timedelta(days=2)
        ),
        "2 open jobs",
    ),
    "overdue-job": (
        lambda job, tech: Order.objects.filter(pk=job.pk).update(
            promised_at=timezone.now() - timedelta(days=2)
        ),
        "overdue or undated",
    ),
}


@pytest.mark.parametrize("name", list(ROW_CHANGES))
def test_each_value_a_row_shows_is_fresh(board, tech_a, name):
    job, _waiting, see = board
    change, expected = ROW_CHANGES[name]
    before, _ = see()
    if expected:
        assert expected not in before
    change(job, tech_a)
    after, _ = see()
    assert after != before
    if expected:
        assert expected in after


UNASSIGNED_CHANGES = {
    "status": (lambda o: Order.objects.filter(pk=o.pk).update(status=S.DIAGNOSTICS), "Diagnostics"),
    "priority": (lambda o: Order.objects.filter(pk=o.pk).update(priority=3), "Urgent"),
    "service": (lambda o: ServiceType.objects.filter(pk=o.service_type_id).update(name="Boiler"), "Boiler"),
    "client-item": (
        lambda o: Order.objects.filter(pk=o.pk).update(
            item=ItemFactory(tenant=o.tenant, client=o.client, kind="Kettle", brand="", model="", serial="")
        ),
        "Kettle",
    ),
    "promised": (lambda o: Order.objects.filter(pk=o.pk).update(promised_at=None), "promised —"),
    "assigned": (lambda o: Client.objects.none(), None),  # see test_an_assigned_order_leaves_the_list
}


@pytest.mark.parametrize("name", [n for n in UNASSIGNED_CHANGES if UNASSIGNED_CHANGES[n][1]])
def test_each_value_the_unassigned_list_shows_is_fresh(board, name):
    _job, waiting, see = board
    change, expected = UNASSIGNED_CHANGES[name]
    _, before = see()
    assert expected not in before
    change(waiting)
    _, after = see()
    assert expected in after


def test_an_assigned_order_leaves_the_list(board, tech_a):
    _job, waiting, see = board
    Order.objects.filter(pk=waiting.pk).update(technician=tech_a)
    _, after = see()
    assert f"#{waiting.number}" not in after


def test_the_day_passing_moves_todays_column(board, time_machine, tenant_a):
    """The same week (a fixed start) seen a day later: today's column is the next one."""
    _job, _waiting, see = board
    week = f"?start={tenant_a.local_date().isoformat()}"
    before, _ = see(week)
    assert before.count("day-today") == 1
    time_machine.move_to(timezone.now() + timedelta(days=1))
    after, _ = see(week)
    assert after.count("day-today") == 1
    assert after.index("day-today") > before.index("day-today")


def test_another_language_renders_again(board):
    _job, _waiting, see = board
    english, _ = see(HTTP_ACCEPT_LANGUAGE="en")
    assert "open job" in english
    russian, _ = see(HTTP_ACCEPT_LANGUAGE="ru")
    assert "open job" not in russian


def test_a_count_passing_its_bound_shows(board, tech_a, monkeypatch):
    """The row's counts are bounded (technicians.planning.BOARD_COUNT_LIMIT): a count that passes the bound
    reads "N ...+" on the next view, though N stays the same."""
    from technicians import planning

    monkeypatch.setattr(planning, "BOARD_COUNT_LIMIT", 1)
    job, _waiting, see = board
    before, _ = see()
    assert "1 open job<" in before
    # Yesterday's visit, still open: neither in the week nor later nor in the backlog, only one more open job.
    visit = timezone.now() - timedelta(days=1)
    make_order(
        job.tenant,
        status=S.PLANNED,
        technician=tech_a,
        promised_at=visit,
        visit_start=visit,
        visit_end=visit + timedelta(hours=1),
        visit_address="Lenina 1",
    )
    after, _ = see()
    assert "1 open job+<" in after
