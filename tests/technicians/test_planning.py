"""Planning: assignment guards (skill, capacity, working hours, visits), overlapping visits refused,
reassignment recorded as an event, and the planning board / assignment pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from orders.models import EventKind, Order, OrderStatus, ServiceFormat
from servicedesk.tenancy.models import Location
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import PartReservation
from technicians import planning
from tests.factories import (
    LocationFactory,
    MembershipFactory,
    TechnicianProfileFactory,
    TechnicianSkillFactory,
    UserFactory,
    WorkSlotFactory,
)

from ..clock import center_tz
from .conftest import count_queries, make_order, make_part

pytestmark = pytest.mark.django_db
# The centers' zone (Europe/Moscow unless the session runs with --clock-tz).
TZ = center_tz()


def next_weekday(weekday: int = 2):
    """A date in the coming weeks that falls on that weekday (Wednesday by default)."""
    day = timezone.localtime(timezone.now(), TZ).date() + timedelta(days=7)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)), TZ)


def skilled(tech, service_type):
    profile = tech.technician_profile
    TechnicianSkillFactory(tenant=tech.tenant, profile=profile, service_type=service_type)
    return profile


def visit_order(tenant, service_type, **kwargs):
    return make_order(
        tenant, format=ServiceFormat.ON_SITE, service_type=service_type, visit_address="Lenina 1", **kwargs
    )


# --- Guards ----------------------------------------------------------------------------------------
def test_missing_skill_is_a_warning(tenant_a, tech_a, service_type_a):
    order = make_order(tenant_a, service_type=service_type_a)
    warnings = planning.assignment_warnings(order, tech_a)
    assert any("no recorded skill" in w for w in warnings)
    skilled(tech_a, service_type_a)
    assert not any("skill" in w for w in planning.assignment_warnings(order, tech_a))


def test_capacity_warning_when_the_day_is_full(tenant_a, tech_a, service_type_a):
    skilled(tech_a, service_type_a)
    day = next_weekday()
    promised = at(day, 17)
    # 9-18 minus a 1 h break = 8 h; eight 1-hour jobs fill it, the ninth goes over.
    for _ in range(8):
        make_order(
            tenant_a,
            technician=tech_a,
            status=OrderStatus.PLANNED,
            service_type=service_type_a,
            promised_at=promised,
        )
    order = make_order(tenant_a, service_type=service_type_a, promised_at=promised)
    warnings = planning.assignment_warnings(order, tech_a)
    assert any("over the 8.00 h working day" in w for w in warnings), warnings


def test_day_off_and_visit_outside_hours_and_no_visits_are_warnings(tenant_a, tech_a, service_type_a):
    profile = skilled(tech_a, service_type_a)
    profile.working_days = [0, 1, 2, 3, 4]
    profile.does_visits = False
    profile.save()
    saturday = next_weekday(5)
    order = visit_order(tenant_a, service_type_a, promised_at=at(saturday, 12))
    warnings = planning.assignment_warnings(order, tech_a, visit_start=at(saturday, 12))
    assert any("day off" in w for w in warnings)
    assert any("does not do on-site visits" in w for w in warnings)
    wednesday = next_weekday(2)
    warnings = planning.assignment_warnings(order, tech_a, visit_start=at(wednesday, 7))
    assert any("outside" in w and "working hours" in w for w in warnings), warnings


def test_plan_needs_confirmation_of_warnings(tenant_a, tech_a, manager_a, service_type_a, location_a):
    order = make_order(tenant_a, service_type=service_type_a)
    with pytest.raises(planning.NeedsConfirmation):
        planning.plan(
            order, technician=tech_a, workshop=location_a, by=manager_a, expected_version=order.version
        )
    order.refresh_from_db()
    assert order.technician is None
    result = planning.plan(
        order,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=order.version,
        accept_warnings=True,
        mark_planned=True,
    )
    order.refresh_from_db()
    assert order.technician == tech_a and result.warnings and result.planned
    assert order.status == OrderStatus.PLANNED


def test_overlapping_visits_are_refused(tenant_a, tech_a, manager_a, service_type_a, location_a):
    skilled(tech_a, service_type_a)
    day = next_weekday()
    first = visit_order(tenant_a, service_type_a)
    planning.plan(
        first,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=first.version,
        visit_start=at(day, 10),
        visit_end_at=at(day, 12),
        accept_warnings=True,
    )
    second = visit_order(tenant_a, service_type_a)
    with pytest.raises(ValidationError) as refused:
        planning.plan(
            second,
            technician=tech_a,
            workshop=location_a,
            by=manager_a,
            expected_version=second.version,
            visit_start=at(day, 11, 30),
            visit_end_at=at(day, 13),
            accept_warnings=True,
        )
    assert f"#{first.number}" in refused.value.messages[0]
    # Back to back is fine; so is the same slot for someone else.
    planning.plan(
        second,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=second.version,
        visit_start=at(day, 12),
        visit_end_at=at(day, 13),
        accept_warnings=True,
    )
    second.refresh_from_db()
    assert second.visit_start == at(day, 12)


def test_visit_without_end_uses_the_usual_duration(tenant_a, tech_a, manager_a, service_type_a, location_a):
    day = next_weekday()
    first = visit_order(tenant_a, service_type_a)  # 60 minutes usual duration
    planning.plan(
        first,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=first.version,
        visit_start=at(day, 10),
        accept_warnings=True,
    )
    first.refresh_from_db()
    assert first.visit_end == at(day, 11)
    second = visit_order(tenant_a, service_type_a)
    with pytest.raises(ValidationError):
        planning.plan(
            second,
            technician=tech_a,
            workshop=location_a,
            by=manager_a,
            expected_version=second.version,
            visit_start=at(day, 10, 30),
            accept_warnings=True,
        )


def test_cancelled_visits_do_not_block(tenant_a, tech_a, manager_a, service_type_a, location_a):
    day = next_weekday()
    visit_order(
        tenant_a,
        service_type_a,
        technician=tech_a,
        status=OrderStatus.CANCELLED,
        visit_start=at(day, 10),
        visit_end=at(day, 12),
    )
    order = visit_order(tenant_a, service_type_a)
    planning.plan(
        order,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=order.version,
        visit_start=at(day, 10),
        visit_end_at=at(day, 12),
        accept_warnings=True,
    )


def test_reassignment_is_an_event(tenant_a, tech_a, manager_a, owner_a, service_type_a, location_a):
    order = make_order(tenant_a, service_type=service_type_a)
    planning.plan(
        order,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=order.version,
        accept_warnings=True,
    )
    TechnicianProfileFactory(tenant=tenant_a, membership=owner_a)
    planning.plan(
        order,
        technician=owner_a,
        workshop=location_a,
        by=manager_a,
        expected_version=order.version,
        accept_warnings=True,
    )
    events = list(order.events.filter(kind=EventKind.ASSIGNED).order_by("id"))
    assert len(events) == 2
    assert events[1].data["technician"] == str(owner_a.user)


def test_release_parts_instead_of_moving(tenant_a, tech_a, manager_a, location_a, service_type_a):
    north = LocationFactory(tenant=tenant_a, name="North", kind=Location.Kind.WORKSHOP)
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=3, by=manager_a)
    order = make_order(tenant_a, technician=tech_a, status=OrderStatus.PLANNED, service_type=service_type_a)
    stock.reserve(order, part=part, quantity=2, by=manager_a)
    planning.plan(
        order,
        technician=tech_a,
        workshop=north,
        by=manager_a,
        expected_version=order.version,
        accept_warnings=True,
        release_parts=True,
    )
    assert not PartReservation.objects.filter(order=order).exists()


def test_other_tenants_technician_is_refused(tenant_a, users_b, tenant_b, manager_a, service_type_a):
    from .conftest import member

    foreign = member(tenant_b, users_b[Role.TECHNICIAN])
    order = make_order(tenant_a, service_type=service_type_a)
    with pytest.raises(ValidationError):
        planning.plan(
            order,
            technician=foreign,
            workshop=None,
            by=manager_a,
            expected_version=order.version,
            accept_warnings=True,
        )


# --- Pages -----------------------------------------------------------------------------------------
def plan_url(order):
    return reverse("technicians:plan", args=[order.tenant.slug, order.number])


def test_plan_page_asks_to_confirm_warnings_then_assigns(
    member_client, tenant_a, tech_a, service_type_a, location_a
):
    order = make_order(tenant_a, service_type=service_type_a)
    client = member_client(Role.MANAGER)
    data = {
        "version": order.version,
        "technician": tech_a.pk,
        "workshop": location_a.pk,
        "mark_planned": "on",
    }
    response = client.post(plan_url(order), data)
    assert response.status_code == 200
    assert b'data-testid="warnings"' in response.content and b"no recorded skill" in response.content
    order.refresh_from_db()
    assert order.technician is None
    response = client.post(plan_url(order), {**data, "accept_warnings": "on"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.technician == tech_a and order.status == OrderStatus.PLANNED


def test_plan_page_shows_overlap_refusal(member_client, tenant_a, tech_a, service_type_a, location_a):
    day = next_weekday()
    visit_order(
        tenant_a,
        service_type_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        visit_start=at(day, 10),
        visit_end=at(day, 12),
    )
    order = visit_order(tenant_a, service_type_a)
    response = member_client(Role.RECEPTION).post(
        plan_url(order),
        {
            "version": order.version,
            "technician": tech_a.pk,
            "workshop": location_a.pk,
            "visit_address": "Mira 5",
            "visit_start": f"{day:%Y-%m-%d}T11:00",
            "visit_end": f"{day:%Y-%m-%d}T12:30",
            "accept_warnings": "on",
        },
    )
    assert response.status_code == 200 and b'data-testid="conflict"' in response.content
    order.refresh_from_db()
    assert order.technician is None


def test_plan_page_times_are_the_tenants_local_time(
    member_client, tenant_a, tech_a, service_type_a, location_a
):
    day = next_weekday()
    order = visit_order(tenant_a, service_type_a)
    member_client(Role.MANAGER).post(
        plan_url(order),
        {
            "version": order.version,
            "technician": tech_a.pk,
            "workshop": location_a.pk,
            "visit_address": "Mira 5",
            "visit_start": f"{day:%Y-%m-%d}T10:00",
            "accept_warnings": "on",
        },
    )
    order.refresh_from_db()
    assert order.visit_start == at(day, 10)  # 10:00 in the center's zone, whatever the server's


def test_the_assignment_event_shows_the_visit_in_the_centers_time(
    tenant_a, tech_a, manager_a, service_type_a, location_a
):
    """Written outside a request too (no active time zone): the timeline says 10:00, the center's time."""
    day = next_weekday()
    order = visit_order(tenant_a, service_type_a)
    planning.plan(
        order,
        technician=tech_a,
        workshop=location_a,
        by=manager_a,
        expected_version=order.version,
        visit_address="Mira 5",
        visit_start=at(day, 10),
        accept_warnings=True,
    )
    event = order.events.filter(kind=EventKind.ASSIGNED).latest("id")
    # Read on the center's clock (pages activate its zone) in the reader's format: "2 Dec 2026, 10:00".
    with timezone.override(tenant_a.tz):
        assert f"{day.day} {day:%b} {day.year}, 10:00" in event.display_text


@pytest.mark.parametrize(
    "bad",
    [
        {"version": "x"},
        {"version": "1", "technician": "999999"},
        {"version": "1", "visit_start": "yesterday"},
        {"version": "1", "visit_start": "2030-01-01T10:00", "visit_end": "2030-01-01T09:00"},
        {"version": "1", "visit_end": "2030-01-01T09:00"},
    ],
)
def test_plan_page_bad_input_is_a_form_error(member_client, tenant_a, tech_a, service_type_a, bad):
    order = visit_order(tenant_a, service_type_a)
    response = member_client(Role.MANAGER).post(plan_url(order), bad)
    assert response.status_code == 200
    assert b"invalid-feedback" in response.content or b"alert" in response.content


def test_stale_version_on_plan_page_says_changed(member_client, tenant_a, tech_a, service_type_a, location_a):
    order = make_order(tenant_a, service_type=service_type_a)
    response = member_client(Role.MANAGER).post(
        plan_url(order),
        {
            "version": order.version + 5,
            "technician": tech_a.pk,
            "workshop": location_a.pk,
            "accept_warnings": "on",
        },
        follow=True,
    )
    assert b"changed by someone else" in response.content


def test_technician_cannot_open_the_board(member_client, tenant_a):
    assert (
        member_client(Role.TECHNICIAN).get(reverse("technicians:board", args=[tenant_a.slug])).status_code
        == 403
    )


def _board_world(tenant, tech, service_type, n):
    day = timezone.localtime(timezone.now(), TZ).date()
    for i in range(n):
        make_order(
            tenant,
            technician=tech,
            status=OrderStatus.PLANNED,
            service_type=service_type,
            promised_at=at(day + timedelta(days=i % 7), 15),
        )
        make_order(tenant, service_type=service_type)  # unassigned
        visit_order(
            tenant,
            service_type,
            technician=tech,
            status=OrderStatus.PLANNED,
            visit_start=at(day + timedelta(days=i % 5), 8 + i % 10),
        )


def test_planning_board_query_count_is_constant(
    member_client, tenant_a, tech_a, service_type_a, django_assert_num_queries
):
    client = member_client(Role.MANAGER)
    url = reverse("technicians:board", args=[tenant_a.slug])
    skilled(
        tech_a, service_type_a
    )  # (with no skill at all, Django skips the nested prefetch: one query less)
    _board_world(tenant_a, tech_a, service_type_a, 2)
    small = count_queries(client, url)
    _board_world(tenant_a, tech_a, service_type_a, 12)
    for n in range(3):  # more technicians, each with a profile, skills and jobs
        other = MembershipFactory(
            tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(email=f"t{n}@alpha.test")
        )
        skilled_profile = TechnicianProfileFactory(tenant=tenant_a, membership=other)
        TechnicianSkillFactory(tenant=tenant_a, profile=skilled_profile, service_type=service_type_a)
        _board_world(tenant_a, other, service_type_a, 3)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b'data-testid="board-row"') == 4


def test_board_bad_start_date_is_not_a_500(member_client, tenant_a):
    url = reverse("technicians:board", args=[tenant_a.slug])
    for query in ["?start=nonsense", "?start=2026-02-31", "?days=1000", "?start=99999-01-01"]:
        assert member_client(Role.MANAGER).get(url + query).status_code == 200


def test_visits_day_view_and_route_sheet(member_client, tenant_a, tech_a, service_type_a):
    day = next_weekday()
    late = visit_order(
        tenant_a,
        service_type_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        visit_start=at(day, 15),
        visit_end=at(day, 16),
    )
    early = visit_order(
        tenant_a,
        service_type_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        visit_start=at(day, 9),
        visit_end=at(day, 10),
    )
    client = member_client(Role.TECHNICIAN)
    response = client.get(reverse("technicians:visits", args=[tenant_a.slug]) + f"?date={day:%Y-%m-%d}")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index(f"#{early.number}") < body.index(f"#{late.number}")  # ordered by time
    assert early.client.phone in body  # the technician's own visits show the client's phone
    sheet = client.get(
        reverse("technicians:route_sheet", args=[tenant_a.slug, tech_a.pk]) + f"?date={day:%Y-%m-%d}"
    )
    assert sheet.status_code == 200 and sheet.content.count(b'data-testid="stop"') == 2
    assert b"data-print" in sheet.content


def test_visits_bad_input(member_client, tenant_a):
    url = reverse("technicians:visits", args=[tenant_a.slug])
    for query in ["?date=x", "?technician=abc", "?technician=999999", "?date=2026-13-01"]:
        assert member_client(Role.RECEPTION).get(url + query).status_code == 200


def test_board_rows_count_overdue_and_later_jobs(tenant_a, tech_a, service_type_a):
    today = timezone.localtime(timezone.now(), TZ).date()
    overdue = [
        make_order(
            tenant_a,
            technician=tech_a,
            status=OrderStatus.IN_PROGRESS,
            service_type=service_type_a,
            promised_at=at(today - timedelta(days=n + 1), 12),
        )
        for n in range(6)
    ]
    make_order(
        tenant_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        service_type=service_type_a,
        promised_at=at(today + timedelta(days=30), 12),
    )
    this_week = make_order(
        tenant_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        service_type=service_type_a,
        promised_at=at(today + timedelta(days=2), 12),
    )
    make_order(
        tenant_a,
        technician=tech_a,
        status=OrderStatus.HANDED_OVER,
        service_type=service_type_a,
        promised_at=at(today + timedelta(days=2), 12),
    )
    row = planning.board(tenant_a, today, 7).rows[0]
    assert (row.open_jobs, row.backlog_count, row.later) == (8, 6, 1)
    assert [o.pk for o in row.backlog] == [o.pk for o in reversed(overdue)][: planning.BACKLOG_CHIPS]
    assert [o.pk for o in row.cells[2].jobs] == [this_week.pk] and row.cells[2].hours == 1


def test_board_counts_and_the_week_read_each_kind_of_moment(tenant_a, tech_a, service_type_a):
    """A job's moment is its visit, else its planned work slot, else its promised time (moment_between): the
    week's cells and the "later" count take each kind (the board reads them as three index ranges)."""
    today = timezone.localtime(timezone.now(), TZ).date()
    in_week, after_week = today + timedelta(days=2), today + timedelta(days=20)

    def job(**kwargs):
        return make_order(
            tenant_a, technician=tech_a, status=OrderStatus.PLANNED, service_type=service_type_a, **kwargs
        )

    visit_now = visit_order(
        tenant_a,
        service_type_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        visit_start=at(in_week, 10),
        visit_end=at(in_week, 11),
        promised_at=at(after_week, 12),
    )
    visit_later = visit_order(
        tenant_a,
        service_type_a,
        technician=tech_a,
        status=OrderStatus.PLANNED,
        visit_start=at(after_week, 10),
        visit_end=at(after_week, 11),
        promised_at=at(in_week, 12),
    )
    slot_now, slot_later = job(promised_at=at(after_week, 12)), job(promised_at=at(in_week, 12))
    WorkSlotFactory(tenant=tenant_a, order=slot_now, start=at(in_week, 9), end=at(in_week, 11))
    WorkSlotFactory(tenant=tenant_a, order=slot_later, start=at(after_week, 9), end=at(after_week, 11))
    promised_now, promised_later = job(promised_at=at(in_week, 12)), job(promised_at=at(after_week, 12))
    job(promised_at=None)  # undated: the backlog
    row = planning.board(tenant_a, today, 7).rows[0]
    assert {o.pk for o in row.cells[2].jobs} == {visit_now.pk, slot_now.pk, promised_now.pk}
    assert sum(len(cell.jobs) for cell in row.cells) == 3
    assert (row.open_jobs, row.backlog_count, row.later) == (7, 1, 3)
    assert not (row.open_jobs_more or row.backlog_more or row.later_more)
    assert {visit_later.pk, slot_later.pk, promised_later.pk}.isdisjoint(o.pk for o in row.backlog)


def test_board_counts_stop_at_the_limit(tenant_a, tech_a, service_type_a, member_client, monkeypatch):
    """Each technician's counts stop at BOARD_COUNT_LIMIT (1,000) and then read "N ...+", as the order list's
    count does: the board costs the same however many open jobs a technician has."""
    monkeypatch.setattr(planning, "BOARD_COUNT_LIMIT", 2)
    today = timezone.localtime(timezone.now(), TZ).date()
    for n in range(3):
        make_order(
            tenant_a,
            technician=tech_a,
            status=OrderStatus.IN_PROGRESS,
            service_type=service_type_a,
            promised_at=at(today - timedelta(days=n + 1), 12),
        )
        make_order(
            tenant_a,
            technician=tech_a,
            status=OrderStatus.PLANNED,
            service_type=service_type_a,
            promised_at=at(today + timedelta(days=20 + n), 12),
        )
    row = planning.board(tenant_a, today, 7).rows[0]
    assert (row.open_jobs, row.backlog_count, row.later) == (2, 2, 2)
    assert row.open_jobs_more and row.backlog_more and row.later_more
    assert len(row.backlog) == 3  # the chips: bounded by BACKLOG_CHIPS (4), not by the count
    html = (
        member_client(Role.MANAGER).get(reverse("technicians:board", args=[tenant_a.slug])).content.decode()
    )
    assert "2 open jobs+" in html and "2 later+" in html and "2 overdue or undated+" in html


def test_the_board_keeps_the_first_jobs_of_the_week_when_there_are_too_many(
    tenant_a, tech_a, service_type_a, monkeypatch
):
    """Past BOARD_JOBS_LIMIT the board shows the first jobs in its order (visit, promised time, id), the same
    ones as one query over the whole week would: each of its three parts stops at the limit."""
    monkeypatch.setattr(planning, "BOARD_JOBS_LIMIT", 2)
    today = timezone.localtime(timezone.now(), TZ).date()
    for n in range(3):
        day = today + timedelta(days=1 + n)
        visit_order(
            tenant_a,
            service_type_a,
            technician=tech_a,
            status=OrderStatus.PLANNED,
            visit_start=at(day, 15),
            visit_end=at(day, 16),
            promised_at=at(day, 18),
        )
        slotted = make_order(
            tenant_a,
            technician=tech_a,
            status=OrderStatus.PLANNED,
            promised_at=at(day + timedelta(days=9), 9),
        )
        WorkSlotFactory(tenant=tenant_a, order=slotted, start=at(day, 9), end=at(day, 10))
        make_order(tenant_a, technician=tech_a, status=OrderStatus.PLANNED, promised_at=at(day, 12 - n))
    lower = at(today, 0)
    expected = list(
        Order.objects.filter(tenant=tenant_a)
        .filter(planning.moment_between(lower, lower + timedelta(days=7)))
        .order_by(*planning.BOARD_JOB_ORDER)
        .values_list("pk", flat=True)[:2]
    )
    row = planning.board(tenant_a, today, 7).rows[0]
    assert sorted(o.pk for cell in row.cells for o in cell.jobs) == sorted(expected)
