"""The demo queue and the articles' standards: people waiting at reception now (some too long), weeks of
past visits, the standards with exactly one failing, a goal in progress. Running it again changes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from orders.demo import seed_demo_orders
from quality import standards
from quality.demo import seed_demo_feedback, seed_demo_hours, seed_demo_standards
from quality.models import Goal, Standard
from reception import services
from reception.demo import seed_demo_queue
from reception.models import Visit, VisitState
from servicedesk.tenancy.demo import seed_demo_staff

pytestmark = pytest.mark.django_db


def seed():
    staff = seed_demo_staff()
    seed_demo_orders(staff)
    seed_demo_feedback(staff)
    seed_demo_hours(staff)
    seed_demo_queue(staff)
    seed_demo_standards(staff)
    return staff


def counts(tenant) -> tuple:
    return tuple(model.objects.filter(tenant=tenant).count() for model in (Visit, Standard, Goal))


@pytest.mark.clock("2026-04-15 15:00")
def test_the_demo_queue_standards_and_goal(clock):
    staff = seed()
    tenant = staff.tenant
    location = staff.head_office
    location.tenant = tenant
    board = services.board(location)
    assert len(board.waiting) == 4 and sum(wait.over for wait in board.waiting) == 2
    assert board.served == 3 and board.target_minutes == 5.0
    past = Visit.objects.filter(tenant=tenant, day__lt=clock.today())
    assert past.count() > 150 and past.filter(wait_seconds__gt=300).exists()
    assert past.filter(state=VisitState.LEFT).exists()

    rows = list(Standard.objects.for_tenant(tenant))
    for row in rows:
        row.tenant = tenant
    verdicts = {status.standard.name: status.holds for status in standards.judge(rows)}
    assert len(verdicts) == 5
    assert [name for name, holds in verdicts.items() if holds is False] == ["Reception wait"]

    goal = Goal.objects.get(tenant=tenant)
    goal.tenant = tenant
    status = standards.follow(goal)
    assert status.state != standards.GoalState.TOO_EARLY and status.forecast is not None

    before = counts(tenant)
    seed_demo_queue(staff)
    seed_demo_standards(staff)
    assert counts(tenant) == before


def test_the_demo_runs_at_any_hour():
    """However early in the center's day it is made, today's visits stay on today's board."""
    staff = seed()
    location = staff.head_office
    location.tenant = staff.tenant
    todays = list(Visit.objects.filter(tenant=staff.tenant).order_by("-id")[:7])  # made through the services
    days = {visit.day for visit in todays} | {
        timezone.localtime(visit.checked_in_at, staff.tenant.tz).date() for visit in todays
    }
    assert len(days) == 1  # none was moved back into yesterday
    assert len(services.board(location).waiting) == 4
    assert Goal.objects.filter(tenant=staff.tenant).count() == 1
