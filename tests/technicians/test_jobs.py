"""My jobs (the technician's phone page) and the technicians panel on the order page: order, buttons,
parts, notes; refusals are messages; a constant number of queries."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from orders.models import EventKind, LineItem, OrderPhoto, OrderStatus, ServiceFormat
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import PartReservation, StockLevel
from technicians import worklog
from tests.factories import PartServiceTypeFactory, WorkLogFactory

from .conftest import count_queries, make_order, make_part

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def my_jobs_url(tenant):
    return reverse("technicians:my_jobs", args=[tenant.slug])


@pytest.mark.clock("2026-03-11 10:00")  # a visit at 10:30 is today's (it would be tomorrow's after 23:30)
def test_my_jobs_lists_only_my_open_jobs_in_working_order(
    clock, member_client, tenant_a, tech_a, manager_a, location_a
):
    waiting = make_order(tenant_a, status=OrderStatus.AWAITING_PARTS, technician=tech_a, priority=3)
    planned = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    working = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    timed = make_order(tenant_a, status=OrderStatus.DIAGNOSTICS, technician=tech_a)
    visit_today = make_order(
        tenant_a,
        status=OrderStatus.PLANNED,
        technician=tech_a,
        format=ServiceFormat.ON_SITE,
        visit_address="Mira 1",
        visit_start=clock.at(clock.today(), 10, 30),
    )
    closed = make_order(tenant_a, status=OrderStatus.HANDED_OVER, technician=tech_a)
    not_mine = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a)
    worklog.start_timer(timed, technician=tech_a, by=tech_a)
    response = member_client(Role.TECHNICIAN).get(my_jobs_url(tenant_a))
    body = response.content.decode()
    # Grouped: now (the timer's job first, then work under way), today, waiting, later.
    positions = [body.index(f'id="job-{o.number}"') for o in (timed, working, visit_today, waiting, planned)]
    assert positions == sorted(positions)
    assert {g["key"]: [o.number for o in g["jobs"]] for g in response.context["groups"]} == {
        "now": [timed.number, working.number],
        "today": [visit_today.number],
        "overdue": [],
        "waiting": [waiting.number],
        "later": [planned.number],
    }
    assert f'id="job-{closed.number}"' not in body and f'id="job-{not_mine.number}"' not in body
    assert 'data-testid="running-banner"' in body


@pytest.mark.clock("2026-03-10 23:50")
def test_a_visit_after_midnight_is_not_todays_visit(clock, member_client, tenant_a, tech_a):
    """At 23:50 in the center, a visit at 00:20 is tomorrow's: it is a later job; at 00:10 the next day it is
    today's visit (after the work under way, which is "now")."""
    working = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    visit = make_order(
        tenant_a,
        status=OrderStatus.PLANNED,
        technician=tech_a,
        format=ServiceFormat.ON_SITE,
        visit_address="Mira 1",
        visit_start=clock.at(date(2026, 3, 11), 0, 20),
    )
    client = member_client(Role.TECHNICIAN)

    def groups() -> dict[str, list[int]]:
        response = client.get(my_jobs_url(tenant_a))
        return {g["key"]: [o.number for o in g["jobs"]] for g in response.context["groups"] if g["jobs"]}

    assert groups() == {"now": [working.number], "later": [visit.number]}
    clock.shift(minutes=20)  # 00:10 on the 11th
    assert groups() == {"now": [working.number], "today": [visit.number]}


def test_my_jobs_shows_the_right_buttons(member_client, tenant_a, tech_a):
    planned = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a)
    working = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    body = member_client(Role.TECHNICIAN).get(my_jobs_url(tenant_a)).content.decode()
    card = (
        body[body.index(f'id="job-{planned.number}"') : body.index(f'id="job-{working.number}"')]
        if body.index(f'id="job-{planned.number}"') < body.index(f'id="job-{working.number}"')
        else ""
    )
    working_card = body[body.index(f'id="job-{working.number}"') :]
    assert 'data-testid="timer-start"' in working_card and 'data-testid="action-finish_work"' in working_card
    if card:
        assert 'data-testid="timer-start"' not in card and 'data-testid="action-start_diagnostics"' in card


def _jobs(tenant, tech, location, n):
    part = make_part(tenant, sku=f"Q-{n}-{timezone.now().timestamp()}", name=f"Part {n}")
    stock.receive(tenant, part=part, location=location, quantity=100, by=tech)
    for i in range(n):
        order = make_order(
            tenant,
            status=[OrderStatus.IN_PROGRESS, OrderStatus.PLANNED, OrderStatus.AWAITING_PARTS][i % 3],
            technician=tech,
            workshop=location,
        )
        PartServiceTypeFactory(tenant=tenant, part=part, service_type=order.service_type)
        stock.reserve(order, part=part, quantity=1, by=tech)
        if order.status == OrderStatus.IN_PROGRESS:
            stock.consume(order, part=part, quantity=1, by=tech)


def test_my_jobs_query_count_is_constant(
    member_client, tenant_a, tech_a, location_a, django_assert_num_queries
):
    client = member_client(Role.TECHNICIAN)
    _jobs(tenant_a, tech_a, location_a, 3)
    worklog.start_timer(
        make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a), technician=tech_a, by=tech_a
    )
    small = count_queries(client, my_jobs_url(tenant_a))
    _jobs(tenant_a, tech_a, location_a, 15)
    with django_assert_num_queries(small):
        response = client.get(my_jobs_url(tenant_a))
    assert response.content.count(b'class="card shadow-sm job-card') == 3 + 1 + 15


def test_big_buttons_move_the_job(member_client, tenant_a, tech_a):
    order = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    client = member_client(Role.TECHNICIAN)
    url = reverse("technicians:job_action", args=[tenant_a.slug, order.number])
    response = client.post(url, {"action": "finish_work", "version": order.version, "next": "my_jobs"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.QUALITY_CHECK
    client.post(url, {"action": "pass_check", "version": order.version, "next": "my_jobs"})
    order.refresh_from_db()
    assert order.status == OrderStatus.READY


@pytest.mark.parametrize(
    ("status", "data", "message"),
    [
        (
            OrderStatus.READY,
            {"action": "hand_over", "version": "{v}"},
            b"may not do this",
        ),  # not a technician's action
        (OrderStatus.IN_PROGRESS, {"action": "start_work", "version": "{v}"}, b"not possible while"),
        (OrderStatus.IN_PROGRESS, {"action": "finish_work", "version": "999"}, b"changed by someone else"),
        (OrderStatus.IN_PROGRESS, {"action": "self_destruct", "version": "{v}"}, b"incomplete"),
        (OrderStatus.IN_PROGRESS, {"action": "finish_work", "version": "abc"}, b"incomplete"),
    ],
)
def test_refused_buttons_are_messages(member_client, tenant_a, tech_a, status, data, message):
    order = make_order(tenant_a, status=status, technician=tech_a)
    data = {k: v.replace("{v}", str(order.version)) for k, v in data.items()}
    response = member_client(Role.TECHNICIAN).post(
        reverse("technicians:job_action", args=[tenant_a.slug, order.number]),
        {**data, "next": "my_jobs"},
        follow=True,
    )
    assert response.status_code == 200 and message in response.content
    order.refresh_from_db()
    assert order.status == status


def test_other_technicians_job_is_refused(member_client, tenant_a, manager_a):
    order = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a)
    response = member_client(Role.TECHNICIAN).post(
        reverse("technicians:job_action", args=[tenant_a.slug, order.number]),
        {"action": "finish_work", "version": order.version},
        follow=True,
    )
    assert b"Only the technician assigned" in response.content


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("board.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_note_and_photo(member_client, tenant_a, tech_a):
    order = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    client = member_client(Role.TECHNICIAN)
    url = reverse("technicians:job_note", args=[tenant_a.slug, order.number])
    client.post(url, {"text": "Replaced the fuse", "next": "my_jobs"})
    assert order.events.filter(kind=EventKind.NOTE, message="Replaced the fuse", is_public=False).exists()
    client.post(url, {"text": "Corrosion on the board", "photo": _photo()})
    assert OrderPhoto.objects.filter(order=order, caption="Corrosion on the board").exists()
    response = client.post(url, {"text": "  "}, follow=True)
    assert b"Write a note or choose a photo" in response.content
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(url, {"photo": fake}, follow=True)
    assert response.status_code == 200 and OrderPhoto.objects.filter(order=order).count() == 1


# --- Parts on an order ------------------------------------------------------------------------------
def test_use_a_part_by_choice_or_sku(member_client, tenant_a, job_a, part_a, location_a):
    client = member_client(Role.TECHNICIAN)
    url = reverse("technicians:parts_use", args=[tenant_a.slug, job_a.number])
    client.post(url, {"part": part_a.pk, "quantity": "2", "next": "my_jobs"})
    client.post(url, {"sku": part_a.sku.lower(), "quantity": "1"})
    assert StockLevel.objects.get(part=part_a, location=location_a).on_hand == 2
    assert LineItem.objects.filter(order=job_a, kind=LineItem.Kind.PART).count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"part": "P", "quantity": "-1"},
        {"part": "P", "quantity": "abc"},
        {"part": "P", "quantity": ""},
        {"part": "P", "quantity": "0"},
        {"part": "P", "quantity": "1e400"},
        {"part": "P", "quantity": "1.5"},
        {"part": "P", "quantity": "99999999999"},
        {"part": "P", "quantity": "6"},
        {"sku": "NOPE", "quantity": "1"},
        {"part": "x", "quantity": "1"},
        {"part": "999999", "quantity": "1"},
        {"quantity": "1"},
    ],
)
def test_use_a_part_bad_input_is_a_message(member_client, tenant_a, job_a, part_a, data):
    data = {key: (str(part_a.pk) if value == "P" else value) for key, value in data.items()}
    response = member_client(Role.TECHNICIAN).post(
        reverse("technicians:parts_use", args=[tenant_a.slug, job_a.number]),
        {**data, "next": "my_jobs"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"alert alert-danger" in response.content
    assert not LineItem.objects.filter(order=job_a).exists()


def test_reserve_and_release_pages(member_client, tenant_a, job_a, part_a):
    client = member_client(Role.RECEPTION)
    url = reverse("technicians:parts_reserve", args=[tenant_a.slug, job_a.number])
    response = client.post(url, {"part": part_a.pk, "quantity": "9", "next": "order"}, follow=True)
    assert b"4 short" in response.content and not PartReservation.objects.exists()
    client.post(url, {"part": part_a.pk, "quantity": "7", "wait_for_rest": "on"})
    reservation = PartReservation.objects.get(order=job_a)
    assert (reservation.reserved, reservation.missing) == (5, 2)
    release = reverse("technicians:parts_release", args=[tenant_a.slug, job_a.number, reservation.pk])
    client.post(release, {"quantity": "abc"})
    assert PartReservation.objects.get(pk=reservation.pk).reserved == 5
    client.post(release, {})
    assert not PartReservation.objects.filter(order=job_a).exists()


def test_reserve_refused_for_technician_on_someone_elses_order(member_client, tenant_a, manager_a, part_a):
    order = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a)
    response = member_client(Role.TECHNICIAN).post(
        reverse("technicians:parts_reserve", args=[tenant_a.slug, order.number]),
        {"part": part_a.pk, "quantity": "1"},
        follow=True,
    )
    assert "Only the technician assigned to this order can do this." in response.content.decode()
    assert not PartReservation.objects.filter(order=order).exists()


def test_order_panel_shows_work_and_parts(member_client, tenant_a, job_a, part_a, tech_a, manager_a):
    stock.reserve(job_a, part=part_a, quantity=1, by=manager_a)
    worklog.start_timer(job_a, technician=tech_a, by=tech_a)
    body = (
        member_client(Role.TECHNICIAN)
        .get(reverse("orders:detail", args=[tenant_a.slug, job_a.number]))
        .content
    )
    assert b'data-testid="technicians-panel"' in body and b'data-testid="panel-timer-stop"' in body
    assert part_a.name.encode() in body
    office = (
        member_client(Role.RECEPTION)
        .get(reverse("orders:detail", args=[tenant_a.slug, job_a.number]))
        .content
    )
    assert b'data-testid="panel-timer-stop"' not in office and b'data-testid="panel-reserve"' in office


def test_order_panel_query_count_is_constant(
    member_client, tenant_a, job_a, part_a, tech_a, manager_a, django_assert_num_queries
):
    from django.test import RequestFactory

    from technicians.panels import work_panel

    request = RequestFactory().get("/")
    request.tenant, request.membership = tenant_a, tech_a

    stock.reserve(job_a, part=part_a, quantity=1, by=manager_a)
    PartServiceTypeFactory(tenant=tenant_a, part=part_a, service_type=job_a.service_type)
    WorkLogFactory(
        tenant=tenant_a,
        order=job_a,
        technician=tech_a,
        started_at=timezone.now() - timedelta(hours=2),
        ended_at=timezone.now() - timedelta(hours=1),
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        work_panel(request, job_a)
    for n in range(6):
        extra = make_part(tenant_a, sku=f"X{n}")
        stock.receive(tenant_a, part=extra, location=job_a.workshop, quantity=3, by=manager_a)
        PartServiceTypeFactory(tenant=tenant_a, part=extra, service_type=job_a.service_type)
        stock.reserve(job_a, part=extra, quantity=1, by=manager_a)
        start = timezone.now() - timedelta(hours=10 + n)
        WorkLogFactory(
            tenant=tenant_a,
            order=job_a,
            technician=tech_a,
            started_at=start,
            ended_at=start + timedelta(minutes=30),
        )
    with django_assert_num_queries(len(small.captured_queries)):
        context = work_panel(request, job_a)
    assert len(context["reservations"]) == 7 and len(context["entries"]) == 7


def test_reserve_by_sku_from_the_order_page(member_client, tenant_a, job_a, part_a):
    client = member_client(Role.MANAGER)
    url = reverse("technicians:parts_reserve", args=[tenant_a.slug, job_a.number])
    client.post(url, {"sku": f" {part_a.sku.lower()} ", "quantity": "2", "next": "order"})
    assert PartReservation.objects.get(order=job_a).reserved == 2
    response = client.post(url, {"sku": "NOPE", "quantity": "1"}, follow=True)
    assert b"No part with SKU" in response.content
