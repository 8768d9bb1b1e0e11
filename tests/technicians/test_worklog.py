"""The work log: one running timer per technician, auto-stop when the order leaves execution, entries by
hand (end after start, a reason, no overlap), durations across midnight and time zones, labour billing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from orders.lifecycle import transition
from orders.models import EventKind, LineItem, OrderStatus
from orders.permissions import ActorRefused
from orders.services import assign
from servicedesk.tenancy.roles import Role
from technicians import worklog
from technicians.models import WorkLog
from tests.factories import WorkLogFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def running(tech):
    return list(WorkLog.objects.filter(technician=tech, ended_at__isnull=True))


# --- Timer ------------------------------------------------------------------------------------------
@pytest.mark.clock("2026-03-11 09:00")
def test_start_and_stop(clock, job_a, tech_a):
    started = worklog.start_timer(job_a, technician=tech_a, by=tech_a)
    assert started.stopped is None and started.entry.is_running
    clock.shift(minutes=25)
    entry = worklog.stop_timer(tech_a, by=tech_a)
    assert entry.ended_at > entry.started_at and not entry.is_running
    event = job_a.events.get(kind=EventKind.WORK_LOG)
    assert event.data["text"]["msgid"] == "Work logged by %(name)s: %(start)s – %(end)s (%(duration)s)"
    with timezone.override(clock.tz):  # the reader's clock: the center's (the marker pins its wall time)
        assert event.display_text == (
            "Work logged by Technician of Alpha Repairs: 11 Mar 2026, 09:00 – 11 Mar 2026, 09:25 (25 min)"
        )
    assert worklog.stop_timer(tech_a, by=tech_a) is None  # nothing running any more


def test_one_running_timer_starting_another_stops_the_first(tenant_a, job_a, tech_a, location_a):
    other = make_order(tenant_a, status=OrderStatus.DIAGNOSTICS, technician=tech_a, workshop=location_a)
    worklog.start_timer(job_a, technician=tech_a, by=tech_a)
    switched = worklog.start_timer(other, technician=tech_a, by=tech_a)
    assert switched.stopped.order_id == job_a.pk
    assert [e.order_id for e in running(tech_a)] == [other.pk]
    with pytest.raises(ValidationError):
        worklog.start_timer(other, technician=tech_a, by=tech_a)  # already running here


def test_the_database_refuses_a_second_running_timer(tenant_a, job_a, tech_a):
    WorkLog.objects.create(tenant=tenant_a, order=job_a, technician=tech_a, started_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkLog.objects.create(tenant=tenant_a, order=job_a, technician=tech_a, started_at=timezone.now())


def test_the_database_refuses_an_end_before_the_start(tenant_a, job_a, tech_a):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkLog.objects.create(tenant=tenant_a, order=job_a, technician=tech_a, started_at=now, ended_at=now)


def test_timer_only_during_execution(tenant_a, tech_a, location_a):
    planned = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a, workshop=location_a)
    with pytest.raises(ValidationError) as refused:
        worklog.start_timer(planned, technician=tech_a, by=tech_a)
    assert "Start diagnostics or work first" in refused.value.messages[0]


def test_technician_times_only_own_jobs(tenant_a, users_a, manager_a, location_a, tech_a):
    someone_elses = make_order(
        tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a, workshop=location_a
    )
    with pytest.raises(ActorRefused, match="Only the technician assigned"):
        worklog.start_timer(someone_elses, technician=tech_a, by=tech_a)
    with pytest.raises(ActorRefused, match="Only the technician assigned"):
        worklog.start_timer(someone_elses, technician=manager_a, by=tech_a)


@pytest.mark.parametrize(
    ("action", "stops"),
    [
        ("finish_work", True),
        ("wait_for_parts", True),
        ("hold", True),
        ("cancel", True),
        ("request_approval", True),
    ],
)
def test_auto_stop_when_the_order_leaves_execution(job_a, tech_a, manager_a, action, stops):
    if action == "request_approval":
        job_a.estimate = Decimal("100")
        job_a.save(update_fields=["estimate"])
    worklog.start_timer(job_a, technician=tech_a, by=tech_a)
    actor = manager_a if action in {"hold", "cancel"} else tech_a
    transition(job_a, action, by=actor, expected_version=job_a.version, reason="because")
    assert (not running(tech_a)) is stops
    entry = WorkLog.objects.get(order=job_a)
    assert entry.stopped_automatically


def test_no_stop_when_moving_within_execution(tenant_a, tech_a, location_a):
    order = make_order(tenant_a, status=OrderStatus.DIAGNOSTICS, technician=tech_a, workshop=location_a)
    worklog.start_timer(order, technician=tech_a, by=tech_a)
    transition(order, "start_work", by=tech_a, expected_version=order.version)
    assert order.status == OrderStatus.IN_PROGRESS and running(tech_a)


def test_reassignment_stops_the_previous_technicians_timer(job_a, tech_a, manager_a, location_a):
    worklog.start_timer(job_a, technician=tech_a, by=tech_a)
    assign(job_a, technician=manager_a, workshop=location_a, by=manager_a, expected_version=job_a.version)
    assert not running(tech_a)


# --- Entries by hand --------------------------------------------------------------------------------
@pytest.mark.clock("2026-03-11 12:00")
def test_manual_entry(clock, job_a, tech_a):
    end = timezone.now() - timedelta(hours=1)
    entry = worklog.add_manual(
        job_a,
        technician=tech_a,
        start=end - timedelta(minutes=90),
        end=end,
        reason="Forgot the timer",
        by=tech_a,
    )
    assert entry.duration() == timedelta(minutes=90) and entry.source == WorkLog.Source.MANUAL
    event = job_a.events.get(kind=EventKind.WORK_LOG)
    assert event.data["text"]["args"]["reason"] == "Forgot the timer"
    with timezone.override(clock.tz):
        assert event.display_text == (
            "Work entered by hand for Technician of Alpha Repairs: 11 Mar 2026, 09:30 – 11 Mar 2026, 11:00"
            " (1 h 30 min). Forgot the timer"
        )


@pytest.mark.parametrize(
    ("start_delta", "end_delta", "reason", "expected"),
    [
        (-60, -120, "x", "end must be after"),
        (-60, -60, "x", "end must be after"),
        (-120, -60, "  ", "Say why"),
        (-60, 120, "x", "future"),
        (-60 * 20, -60, "x", "at most"),
    ],
)
def test_manual_entry_rules(job_a, tech_a, start_delta, end_delta, reason, expected):
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        worklog.add_manual(
            job_a,
            technician=tech_a,
            start=now + timedelta(minutes=start_delta),
            end=now + timedelta(minutes=end_delta),
            reason=reason,
            by=tech_a,
        )
    assert expected in refused.value.messages[0]


def test_manual_entry_cannot_overlap_own_time(job_a, tech_a):
    now = timezone.now()
    worklog.add_manual(
        job_a,
        technician=tech_a,
        start=now - timedelta(hours=3),
        end=now - timedelta(hours=2),
        reason="first",
        by=tech_a,
    )
    with pytest.raises(ValidationError) as refused:
        worklog.add_manual(
            job_a,
            technician=tech_a,
            start=now - timedelta(hours=2, minutes=30),
            end=now - timedelta(hours=1),
            reason="second",
            by=tech_a,
        )
    assert "already has time logged" in refused.value.messages[0]


def test_technician_cannot_log_for_someone_else(job_a, tech_a, manager_a):
    now = timezone.now()
    with pytest.raises(ValidationError):
        worklog.add_manual(
            job_a,
            technician=manager_a,
            start=now - timedelta(hours=2),
            end=now - timedelta(hours=1),
            reason="x",
            by=tech_a,
        )
    # A manager may log for the technician.
    worklog.add_manual(
        job_a,
        technician=tech_a,
        start=now - timedelta(hours=2),
        end=now - timedelta(hours=1),
        reason="entered by the manager",
        by=manager_a,
    )


# --- Durations across midnight and time zones -----------------------------------------------------
def test_split_across_midnight():
    start = datetime(2026, 3, 10, 22, 0, tzinfo=MSK)
    end = datetime(2026, 3, 11, 2, 30, tzinfo=MSK)
    pieces = worklog.split_by_day(start, end, MSK)
    assert pieces == {
        date(2026, 3, 10): timedelta(hours=2),
        date(2026, 3, 11): timedelta(hours=2, minutes=30),
    }
    assert sum(pieces.values(), timedelta(0)) == end - start


def test_split_depends_on_the_zone():
    start = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    end = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 02:00 in Moscow
    assert worklog.split_by_day(start, end, UTC) == {date(2026, 3, 10): timedelta(hours=3)}
    assert worklog.split_by_day(start, end, MSK) == {
        date(2026, 3, 10): timedelta(hours=1),
        date(2026, 3, 11): timedelta(hours=2),
    }


def test_night_across_a_dst_change_counts_wall_clock_hours():
    # Berlin, 29 March 2026: clocks jump from 02:00 to 03:00. 22:00 -> 06:00 is 7 real hours, not 8.
    start = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)
    pieces = worklog.split_by_day(start, end, BERLIN)
    assert pieces == {date(2026, 3, 28): timedelta(hours=2), date(2026, 3, 29): timedelta(hours=5)}
    assert sum(pieces.values(), timedelta(0)) == timedelta(hours=7)
    # Autumn: 25 October 2026, 03:00 -> 02:00. 22:00 -> 06:00 is 9 real hours.
    start = datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN)
    end = datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN)
    assert sum(worklog.split_by_day(start, end, BERLIN).values(), timedelta(0)) == timedelta(hours=9)


def _entry(tenant, order, tech, start, end):
    return WorkLogFactory(
        tenant=tenant,
        order=order,
        technician=tech,
        started_at=start,
        ended_at=end,
        source=WorkLog.Source.MANUAL,
        reason="t",
    )


def test_hours_report_clips_to_local_days(tenant_a, job_a, tech_a, manager_a, location_a):
    tenant_a.time_zone = "Europe/Moscow"
    tenant_a.save()
    other = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a, workshop=location_a)
    # 22:00-02:00 Moscow across midnight, and 1 h the next afternoon.
    _entry(
        tenant_a, job_a, tech_a, datetime(2026, 3, 10, 22, tzinfo=MSK), datetime(2026, 3, 11, 2, tzinfo=MSK)
    )
    _entry(
        tenant_a, job_a, tech_a, datetime(2026, 3, 11, 14, tzinfo=MSK), datetime(2026, 3, 11, 15, tzinfo=MSK)
    )
    _entry(
        tenant_a,
        other,
        manager_a,
        datetime(2026, 3, 11, 9, tzinfo=MSK),
        datetime(2026, 3, 11, 9, 45, tzinfo=MSK),
    )
    whole = worklog.hours_report(tenant_a, date(2026, 3, 10), date(2026, 3, 11))
    assert whole.total == timedelta(hours=5, minutes=45)
    tech_row = next(r for r in whole.technicians if r.key == tech_a)
    assert tech_row.by_day == {date(2026, 3, 10): timedelta(hours=2), date(2026, 3, 11): timedelta(hours=3)}
    assert tech_row.hours == Decimal("5.00")
    second_day = worklog.hours_report(tenant_a, date(2026, 3, 11), date(2026, 3, 11))
    assert second_day.total == timedelta(hours=3, minutes=45)  # only the part after Moscow midnight
    mine = worklog.hours_report(tenant_a, date(2026, 3, 11), date(2026, 3, 11), technician=manager_a)
    assert mine.total == timedelta(minutes=45) and [r.key for r in mine.orders] == [other]
    # The same entries read in another zone fall on other days: in New York (UTC-4 then) the night shift
    # is 15:00-19:00 on the 10th, and the other two entries are on the 11th.
    tenant_a.time_zone = "America/New_York"
    tenant_a.save()
    assert worklog.hours_report(tenant_a, date(2026, 3, 10), date(2026, 3, 10)).total == timedelta(hours=4)


def test_running_timer_counts_up_to_now(tenant_a, job_a, tech_a):
    now = timezone.now()
    WorkLogFactory(tenant=tenant_a, order=job_a, technician=tech_a, started_at=now - timedelta(minutes=30))
    today = timezone.localtime(now, ZoneInfo(tenant_a.time_zone)).date()
    report = worklog.hours_report(tenant_a, today - timedelta(days=1), today, now=now)
    assert report.total == timedelta(minutes=30)


# --- Labour -----------------------------------------------------------------------------------------
def test_bill_labour_at_the_technicians_rate(tenant_a, job_a, tech_a, manager_a):
    now = timezone.now()
    _entry(tenant_a, job_a, tech_a, now - timedelta(hours=3), now - timedelta(hours=1, minutes=30))
    lines = worklog.bill_labour(job_a, by=manager_a)
    assert len(lines) == 1
    line = lines[0]
    assert (
        line.kind == LineItem.Kind.WORK
        and line.quantity == Decimal("1.5")
        and line.unit_price == Decimal("1200")
    )
    job_a.refresh_from_db()
    assert job_a.total_amount == Decimal("1800.00")
    with pytest.raises(ValidationError):
        worklog.bill_labour(job_a, by=manager_a)  # nothing left to bill


def test_bill_labour_at_the_service_rate(tenant_a, job_a, tech_a, manager_a):
    now = timezone.now()
    _entry(tenant_a, job_a, tech_a, now - timedelta(hours=2), now - timedelta(hours=1))
    line = worklog.bill_labour(job_a, by=manager_a, rate_source=worklog.RateSource.SERVICE_TYPE)[0]
    assert line.unit_price == Decimal("1500.00")  # 1500 per 60 minutes


# --- Pages ------------------------------------------------------------------------------------------
def test_timer_buttons(member_client, tenant_a, job_a, tech_a):
    client = member_client(Role.TECHNICIAN)
    url = reverse("technicians:timer", args=[tenant_a.slug, job_a.number])
    response = client.post(url, {"command": "start", "next": "my_jobs"})
    assert response.status_code == 302 and response.url.endswith(f"#job-{job_a.number}")
    assert running(tech_a)
    client.post(url, {"command": "stop", "next": "my_jobs"})
    assert not running(tech_a)
    response = client.post(url, {"command": "explode"}, follow=True)
    assert response.status_code == 200 and b"incomplete" in response.content


def test_timer_refusal_is_a_message(member_client, tenant_a, tech_a, location_a):
    planned = make_order(tenant_a, status=OrderStatus.PLANNED, technician=tech_a, workshop=location_a)
    response = member_client(Role.TECHNICIAN).post(
        reverse("technicians:timer", args=[tenant_a.slug, planned.number]), {"command": "start"}, follow=True
    )
    assert response.status_code == 200 and b"Start diagnostics or work first" in response.content


def test_reception_cannot_run_timers(member_client, tenant_a, job_a):
    response = member_client(Role.RECEPTION).post(
        reverse("technicians:timer", args=[tenant_a.slug, job_a.number]), {"command": "start"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "data",
    [
        {"started_at": "2026-01-01T10:00", "ended_at": "2026-01-01T09:00", "reason": "x"},
        {"started_at": "garbage", "ended_at": "2026-01-01T09:00", "reason": "x"},
        {"started_at": "2026-01-01T10:00", "ended_at": "2026-01-01T11:00", "reason": ""},
        {"started_at": "2099-01-01T10:00", "ended_at": "2099-01-01T11:00", "reason": "future"},
        {},
    ],
)
def test_manual_entry_form_errors(member_client, tenant_a, job_a, tech_a, data):
    url = reverse("technicians:worklog_add", args=[tenant_a.slug, job_a.number])
    response = member_client(Role.TECHNICIAN).post(url, data)
    assert response.status_code == 200
    assert not WorkLog.objects.filter(order=job_a).exists()


@pytest.mark.clock("2026-03-11 09:00")
def test_manual_entry_form_in_tenant_time(clock, member_client, tenant_a, job_a, tech_a):
    url = reverse("technicians:worklog_add", args=[tenant_a.slug, job_a.number])
    response = member_client(Role.TECHNICIAN).post(
        url,
        {
            "technician": tech_a.pk,
            "started_at": "2026-03-10T23:30",
            "ended_at": "2026-03-11T00:30",
            "reason": "Night call",
            "next": "order",
        },
    )
    assert response.status_code == 302
    entry = WorkLog.objects.get(order=job_a)
    assert entry.started_at == clock.at(
        date(2026, 3, 10), 23, 30
    )  # the center's wall clock, not the server's
    assert entry.duration() == timedelta(hours=1)


@pytest.mark.clock("2026-03-11 00:10")  # the night call until 00:30 is not over yet
def test_manual_entry_that_ends_later_tonight_is_refused(clock, member_client, tenant_a, job_a, tech_a):
    url = reverse("technicians:worklog_add", args=[tenant_a.slug, job_a.number])
    response = member_client(Role.TECHNICIAN).post(
        url,
        {
            "technician": tech_a.pk,
            "started_at": "2026-03-10T23:30",
            "ended_at": "2026-03-11T00:30",
            "reason": "Night call",
        },
    )
    assert response.status_code == 200 and b"in the future" in response.content
    assert not WorkLog.objects.filter(order=job_a).exists()


def test_technician_form_cannot_pick_someone_else(member_client, tenant_a, job_a, manager_a):
    url = reverse("technicians:worklog_add", args=[tenant_a.slug, job_a.number])
    response = member_client(Role.TECHNICIAN).post(
        url,
        {
            "technician": manager_a.pk,
            "started_at": "2026-01-01T10:00",
            "ended_at": "2026-01-01T11:00",
            "reason": "x",
        },
    )
    assert response.status_code == 200 and not WorkLog.objects.exists()


def test_bill_labour_page(member_client, tenant_a, job_a, tech_a):
    now = timezone.now()
    _entry(tenant_a, job_a, tech_a, now - timedelta(hours=2), now - timedelta(hours=1))
    url = reverse("technicians:bill_labour", args=[tenant_a.slug, job_a.number])
    assert member_client(Role.TECHNICIAN).post(url, {"rate": "technician"}).status_code == 403
    response = member_client(Role.MANAGER).post(url, {"rate": "nonsense"}, follow=True)
    assert response.status_code == 200 and not LineItem.objects.filter(order=job_a).exists()
    member_client(Role.MANAGER).post(url, {"rate": "technician"})
    assert LineItem.objects.filter(order=job_a, kind=LineItem.Kind.WORK).count() == 1


@pytest.mark.clock(
    "2026-03-11 15:00"
)  # a Wednesday afternoon: an hour ago is this week (not at 00:10 on Monday)
def test_hours_report_page(clock, member_client, tenant_a, job_a, tech_a):
    now = timezone.now()
    _entry(tenant_a, job_a, tech_a, now - timedelta(hours=2), now - timedelta(hours=1))
    url = reverse("technicians:hours", args=[tenant_a.slug])
    response = member_client(Role.MANAGER).get(url)
    assert response.status_code == 200 and b'data-testid="tech-row"' in response.content
    for query in [
        "?date_from=x",
        "?date_from=2026-05-01&date_to=2026-01-01",
        "?date_from=2020-01-01&date_to=2026-01-01",
        "?technician=abc",
    ]:
        assert member_client(Role.MANAGER).get(url + query).status_code == 200
    assert member_client(Role.TECHNICIAN).get(url).status_code == 403


def test_manual_entry_across_a_dst_change(tenant_a, job_a, tech_a):
    start = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)
    job_a.created_at = start - timedelta(days=1)
    entry = worklog.add_manual(
        job_a, technician=tech_a, start=start, end=end, reason="Night shift", by=tech_a
    )
    assert entry.duration() == timedelta(hours=7)
    entry.refresh_from_db()
    assert entry.duration() == timedelta(hours=7)


@pytest.mark.clock("2026-03-16 00:10")  # Monday 00:10 in the center
def test_hours_report_starts_the_week_on_monday_in_the_centers_time(
    clock, member_client, tenant_a, job_a, tech_a
):
    _entry(
        tenant_a, job_a, tech_a, clock.at(date(2026, 3, 15), 22), clock.at(date(2026, 3, 15), 23)
    )  # Sunday
    url = reverse("technicians:hours", args=[tenant_a.slug])
    this_week = member_client(Role.MANAGER).get(url)
    assert this_week.status_code == 200 and b'data-testid="tech-row"' not in this_week.content
    sunday = member_client(Role.MANAGER).get(url + "?date_from=2026-03-15&date_to=2026-03-15")
    assert b'data-testid="tech-row"' in sunday.content


def test_logged_total_is_the_reports_total_for_one_technician(tenant_a, job_a, tech_a, manager_a, location_a):
    """My jobs' "logged today" (worklog.logged_total) says what hours_report's total says for one technician:
    clipped at local midnight, a running timer up to now, nobody else's time."""
    tenant_a.time_zone = "Europe/Moscow"
    tenant_a.save()
    other = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a, workshop=location_a)
    now = datetime(2026, 3, 11, 12, tzinfo=MSK)
    _entry(
        tenant_a,
        job_a,
        tech_a,
        datetime(2026, 3, 10, 22, tzinfo=MSK),
        datetime(2026, 3, 11, 0, 20, tzinfo=MSK),
    )
    _entry(tenant_a, job_a, tech_a, datetime(2026, 3, 8, 9, tzinfo=MSK), datetime(2026, 3, 8, 10, tzinfo=MSK))
    _entry(
        tenant_a,
        other,
        manager_a,
        datetime(2026, 3, 11, 9, tzinfo=MSK),
        datetime(2026, 3, 11, 10, tzinfo=MSK),
    )
    WorkLogFactory(tenant=tenant_a, order=other, technician=tech_a, started_at=now - timedelta(minutes=30))
    today = date(2026, 3, 11)
    for first in (today, date(2026, 3, 8)):
        report = worklog.hours_report(tenant_a, first, today, technician=tech_a, now=now)
        assert worklog.logged_total(tenant_a, first, today, tech_a, now=now) == report.total
    assert worklog.logged_total(tenant_a, today, today, tech_a, now=now) == timedelta(minutes=50)
    assert worklog.logged_total(tenant_a, date(2026, 3, 10), date(2026, 3, 10), tech_a, now=now) == timedelta(
        hours=2
    )
