"""Complaints: opened once from a low rating or by hand, due in working days on the center's calendar,
handled to a decision, compensated by a discount or a free rework, answered to the client."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Channel, Kind, Notification
from orders.models import EventKind, LineItem, Order, OrderStatus
from orders.permissions import ActorRefused
from quality import complaints, services
from quality.calendar import DEFAULT_WEEK, Span, WorkingCalendar, end_of_working_days, parse_hours
from quality.hours import set_week
from quality.models import Complaint
from servicedesk.tenancy.roles import Role
from tests.factories import AfterSalesSettingsFactory, CalendarDayFactory, ComplaintFactory

from .aftersales import handed_over, member

pytestmark = pytest.mark.django_db


# --- The working-day arithmetic (pure) --------------------------------------------------------------


def test_working_days_count_from_the_next_day_and_end_at_closing_time():
    week = [(Span(time(9), time(18)),)] * 5 + [(), ()]  # Monday to Friday 9-18
    calendar = WorkingCalendar(tz=UTC, weekly=week)
    thursday = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    assert end_of_working_days(calendar, thursday, 1) == datetime(2026, 3, 6, 18, 0, tzinfo=UTC)  # Friday
    assert end_of_working_days(calendar, thursday, 2) == datetime(2026, 3, 9, 18, 0, tzinfo=UTC)  # Monday
    # Received on Saturday (closed): Monday is the first working day.
    assert end_of_working_days(calendar, datetime(2026, 3, 7, 9, 0, tzinfo=UTC), 1) == datetime(
        2026, 3, 9, 18, 0, tzinfo=UTC
    )


def test_working_days_skip_holidays_and_a_days_own_hours_count():
    calendar = WorkingCalendar(
        tz=UTC,
        weekly=DEFAULT_WEEK,
        holidays={date(2026, 3, 9)},
        exceptions={date(2026, 3, 10): parse_hours("10:00-13:00")},
    )
    friday = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)
    # Saturday 7 (10-16) is the 1st, Sunday closed, Monday 9 a holiday, Tuesday 10 shortened (10-13) the 2nd.
    assert end_of_working_days(calendar, friday, 1) == datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
    assert end_of_working_days(calendar, friday, 2) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_working_days_refuse_nonsense():
    calendar = WorkingCalendar(tz=UTC, weekly=DEFAULT_WEEK)
    with pytest.raises(ValueError):
        end_of_working_days(calendar, datetime(2026, 3, 6, tzinfo=UTC), 0)
    with pytest.raises(ValueError):
        end_of_working_days(calendar, datetime(2026, 3, 6), 1)  # naive


# --- Deadlines on the center's calendar ------------------------------------------------------------


@pytest.mark.clock("2026-03-05 11:00")  # a Thursday
def test_a_complaint_is_due_in_working_days_of_the_intake_location(tenant_a, users_a, clock):
    """Standard week (Saturday 10-16), Russia: 8 March is a Sunday and Monday 9 March is its day off.
    Three working days from Thursday 5 March: Friday 6, Saturday 7, Tuesday 10, closing at 19:00."""
    order = handed_over(tenant_a)
    AfterSalesSettingsFactory(tenant=tenant_a, complaint_days=3)
    complaint = complaints.open_complaint(
        order,
        description="It broke again",
        source=Complaint.Source.PHONE,
        by=member(tenant_a, Role.RECEPTION),
    )
    assert complaint.due_at == clock.at(date(2026, 3, 10), 19, 0)
    assert complaint.opened_at == clock.at(date(2026, 3, 5), 11, 0)


@pytest.mark.clock("2026-03-05 11:00")
def test_the_locations_own_week_and_the_centers_days_off_count(tenant_a, users_a, clock, location_a):
    """The intake location works Monday to Friday 09-18; the center closes on Friday 6 March. Two working days
    from Thursday 5: Tuesday 10 (Monday 9 is the holiday), then Wednesday 11, at 18:00."""
    set_week(location_a, [parse_hours("09:00-18:00")] * 5 + [(), ()])
    CalendarDayFactory(tenant=tenant_a, date=date(2026, 3, 6), note="Stock-taking")
    AfterSalesSettingsFactory(tenant=tenant_a, complaint_days=2)
    order = handed_over(tenant_a, intake_location=location_a)
    complaint = complaints.open_complaint(
        order, description="Slow", source=Complaint.Source.EMAIL, by=member(tenant_a, Role.MANAGER)
    )
    assert complaint.due_at == clock.at(date(2026, 3, 11), 18, 0)


@pytest.mark.clock("2026-03-05 11:00")
def test_the_default_deadline_is_ten_working_days(tenant_a, users_a, clock):
    """No settings saved: 10 working days of the standard week (Monday to Saturday) from Thursday 5 March,
    Monday 9 a holiday: 6, 7, 10, 11, 12, 13, 14, 16, 17, 18 March; due Wednesday 18 March 19:00."""
    order = handed_over(tenant_a)
    complaint = complaints.open_complaint(
        order, description="x", source=Complaint.Source.PHONE, by=member(tenant_a, Role.OWNER)
    )
    assert complaint.due_at == clock.at(date(2026, 3, 18), 19, 0)


# --- Opened from a low rating, once --------------------------------------------------------------


@pytest.mark.parametrize(("rating", "opened"), [(1, True), (2, True), (3, True), (4, False), (5, False)])
def test_a_rating_of_1_to_3_opens_a_complaint(tenant_a, users_a, rating, opened):
    order = handed_over(tenant_a)
    feedback = services.leave_feedback(order, rating=rating, comment="Nobody called me back")
    found = Complaint.objects.filter(tenant=tenant_a, order=order)
    assert found.exists() == opened
    if opened:
        complaint = found.get()
        assert (complaint.source, complaint.feedback_id, complaint.status) == ("rating", feedback.pk, "open")
        assert complaint.description == f"Rated {rating} of 5: Nobody called me back"
        assert complaint.opened_by is None
        event = order.events.get(kind=EventKind.COMPLAINT)
        assert event.by_client and event.data["complaint"] == complaint.pk


def test_a_low_rating_opens_its_complaint_only_once(tenant_a, users_a):
    order = handed_over(tenant_a)
    feedback = services.leave_feedback(order, rating=2)
    feedback.order = order
    assert complaints.complaint_from_rating(feedback) is None  # asked again: nothing new
    assert Complaint.objects.filter(tenant=tenant_a).count() == 1
    with pytest.raises(ValidationError):
        services.leave_feedback(order, rating=1)  # a second rating of the same order is refused anyway
    assert Complaint.objects.filter(tenant=tenant_a).count() == 1


def test_the_database_refuses_a_second_complaint_of_one_rating(tenant_a, users_a):
    from django.db import IntegrityError, transaction

    order = handed_over(tenant_a)
    feedback = services.leave_feedback(order, rating=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplaintFactory(
            tenant=tenant_a, order=order, feedback=feedback, description="again", due_at=order.closed_at
        )


# --- By hand --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, True), (Role.TECHNICIAN, False)],
)
def test_who_may_record_a_complaint(tenant_a, users_a, role, may):
    order = handed_over(tenant_a)
    if may:
        complaint = complaints.open_complaint(
            order, description="Called: still noisy", source="phone", by=member(tenant_a, role)
        )
        assert complaint.opened_by == users_a[role]
    else:
        with pytest.raises(ActorRefused):
            complaints.open_complaint(order, description="Called", source="phone", by=member(tenant_a, role))
        assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("description", "source"), [("", "phone"), ("   ", "phone"), ("ok", "rating"), ("ok", "fax")]
)
def test_a_complaint_needs_words_and_a_known_source(tenant_a, users_a, description, source):
    order = handed_over(tenant_a)
    by = member(tenant_a, Role.RECEPTION)
    # "Low rating" is the source of the complaints ratings open, never of one recorded by hand.
    with pytest.raises(ValidationError):
        complaints.open_complaint(order, description=description, source=source, by=by)
    assert not Complaint.objects.exists()


def test_another_centers_handler_is_refused(tenant_a, tenant_b, users_a, users_b):
    order = handed_over(tenant_a)
    with pytest.raises(ValidationError, match="Unknown handler"):
        complaints.open_complaint(
            order,
            description="x",
            source="phone",
            by=member(tenant_a, Role.RECEPTION),
            handler=member(tenant_b, Role.MANAGER),
        )


# --- Handling ------------------------------------------------------------------------------------


def _complaint(tenant, users) -> Complaint:
    order = handed_over(tenant)
    return complaints.open_complaint(
        order, description="Still noisy", source="phone", by=member(tenant, Role.RECEPTION)
    )


def test_handling_to_resolved_records_who_and_when(tenant_a, users_a):
    complaint = _complaint(tenant_a, users_a)
    manager = member(tenant_a, Role.MANAGER)
    complaints.handle(
        complaint,
        by=manager,
        expected_version=complaint.version,
        handler=manager,
        status=Complaint.Status.IN_PROGRESS,
    )
    assert (complaint.status, complaint.handler_id, complaint.closed_at) == ("in_progress", manager.pk, None)
    with pytest.raises(ValidationError, match="Write the resolution"):
        complaints.handle(
            complaint,
            by=manager,
            expected_version=complaint.version,
            handler=manager,
            status=Complaint.Status.RESOLVED,
            resolution="  ",
        )
    complaints.handle(
        complaint,
        by=manager,
        expected_version=complaint.version,
        handler=manager,
        status=Complaint.Status.RESOLVED,
        resolution="Fan replaced free of charge.",
    )
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.closed_by == manager.user and complaint.closed_at
    assert complaint.answered_in_time is True
    messages = [event.display_text for event in complaint.order.events.filter(kind=EventKind.COMPLAINT)]
    assert any("In progress → Resolved" in text and "Fan replaced" in text for text in messages)


def test_resolved_and_rejected_are_final(tenant_a, users_a):
    complaint = _complaint(tenant_a, users_a)
    manager = member(tenant_a, Role.MANAGER)
    complaints.handle(
        complaint,
        by=manager,
        expected_version=complaint.version,
        handler=None,
        status=Complaint.Status.REJECTED,
        resolution="Damage by liquid, not our work.",
    )
    for status in (Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS, Complaint.Status.RESOLVED):
        with pytest.raises(ValidationError, match="cannot become"):
            complaints.handle(
                complaint,
                by=manager,
                expected_version=complaint.version,
                handler=None,
                status=status,
                resolution="x",
            )


def test_a_stale_version_is_refused(tenant_a, users_a):
    complaint = _complaint(tenant_a, users_a)
    manager = member(tenant_a, Role.MANAGER)
    stale = complaint.version
    complaints.handle(complaint, by=manager, expected_version=stale, handler=manager, status="in_progress")
    with pytest.raises(complaints.ComplaintChanged):
        complaints.handle(complaint, by=manager, expected_version=stale, handler=None, status="in_progress")


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_only_managers_handle_and_compensate(tenant_a, users_a, role):
    complaint = _complaint(tenant_a, users_a)
    by = member(tenant_a, role)
    with pytest.raises(ActorRefused):
        complaints.handle(
            complaint, by=by, expected_version=complaint.version, handler=None, status="in_progress"
        )
    with pytest.raises(ActorRefused):
        complaints.compensate_with_discount(
            complaint, amount=Decimal("100"), by=by, expected_version=complaint.version
        )
    with pytest.raises(ActorRefused):
        complaints.compensate_with_rework(complaint, by=by, expected_version=complaint.version)


# --- Compensation --------------------------------------------------------------------------------


def test_a_discount_is_a_negative_line_and_leaves_credit_to_return(tenant_a, users_a):
    """Paid 2000 for two works (1500 + 500); a discount of 300: the bill is 1700, 300 is to return."""
    order = handed_over(tenant_a, lines=(("work", "Screen", "1500", None), ("work", "Glue", "500", None)))
    assert (order.total_amount, order.paid_amount) == (Decimal("2000.00"), Decimal("2000.00"))
    complaint = complaints.open_complaint(
        order, description="Late", source="phone", by=member(tenant_a, Role.RECEPTION)
    )
    manager = member(tenant_a, Role.MANAGER)
    complaints.compensate_with_discount(
        complaint, amount=Decimal("300"), by=manager, expected_version=complaint.version
    )
    order.refresh_from_db()
    assert (order.total_amount, order.paid_amount, order.credit_amount) == (
        Decimal("1700.00"),
        Decimal("2000.00"),
        Decimal("300.00"),
    )
    line = LineItem.objects.get(order=order, kind=LineItem.Kind.DISCOUNT)
    assert (line.unit_price, line.amount, line.description) == (
        Decimal("-300.00"),
        Decimal("-300.00"),
        f"Compensation for complaint C-{complaint.pk}",
    )
    complaint.refresh_from_db()
    assert (complaint.compensation, complaint.discount_amount, complaint.discount_line_id) == (
        "discount",
        Decimal("300.00"),
        line.pk,
    )
    assert order.events.filter(kind=EventKind.LINE_ITEM, data__discount="300").exists()
    # One compensation per complaint.
    with pytest.raises(ValidationError, match="already has a compensation"):
        complaints.compensate_with_discount(
            complaint, amount=Decimal("1"), by=manager, expected_version=complaint.version
        )


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("2000.01"), Decimal("NaN")])
def test_a_discount_must_be_positive_and_within_the_bill(tenant_a, users_a, amount):
    order = handed_over(tenant_a, lines=(("work", "Screen", "2000", None),))
    complaint = complaints.open_complaint(
        order, description="Late", source="phone", by=member(tenant_a, Role.MANAGER)
    )
    with pytest.raises(ValidationError):
        complaints.compensate_with_discount(
            complaint, amount=amount, by=member(tenant_a, Role.MANAGER), expected_version=complaint.version
        )
    order.refresh_from_db()
    assert order.total_amount == Decimal("2000.00")
    assert not LineItem.objects.filter(order=order, kind=LineItem.Kind.DISCOUNT).exists()
    complaint.refresh_from_db()
    assert complaint.compensation == ""


def test_free_rework_is_a_new_order_linked_to_the_original_at_no_charge(tenant_a, users_a):
    order = handed_over(tenant_a)
    complaint = complaints.open_complaint(
        order, description="Screen flickers", source="in_person", by=member(tenant_a, Role.RECEPTION)
    )
    manager = member(tenant_a, Role.MANAGER)
    rework = complaints.compensate_with_rework(
        complaint, by=manager, expected_version=complaint.version, problem="Redo the screen"
    )
    assert (
        rework.warranty_of_id,
        rework.client_id,
        rework.item_id,
        rework.service_type_id,
        rework.status,
    ) == (order.pk, order.client_id, order.item_id, order.service_type_id, OrderStatus.NEW)
    assert rework.problem == "Redo the screen"
    complaint.refresh_from_db()
    assert (complaint.compensation, complaint.rework_order_id) == ("rework", rework.pk)
    # Work on the rework costs the client nothing.
    from orders.services import add_line_item

    Order.objects.filter(pk=rework.pk).update(
        status=OrderStatus.IN_PROGRESS, technician=member(tenant_a, Role.TECHNICIAN)
    )
    rework.refresh_from_db()
    line = add_line_item(
        rework,
        kind="work",
        description="Screen again",
        quantity=Decimal("1"),
        unit_price=Decimal("1500"),
        by=manager,
    )
    rework.refresh_from_db()
    assert (line.covered, line.amount, rework.total_amount) == (True, Decimal("0.00"), Decimal("0.00"))


# --- Telling the client --------------------------------------------------------------------------


def test_the_client_is_told_the_resolution_once(tenant_a, users_a, django_capture_on_commit_callbacks):
    complaint = _complaint(tenant_a, users_a)
    manager = member(tenant_a, Role.MANAGER)
    with pytest.raises(ValidationError, match="Resolve or reject"):
        complaints.tell_client(complaint, by=manager)
    complaints.handle(
        complaint,
        by=manager,
        expected_version=complaint.version,
        handler=manager,
        status="resolved",
        resolution="We refund 300 and apologise.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints.tell_client(complaint, by=manager) == 2
    rows = Notification.objects.filter(tenant=tenant_a, kind=Kind.COMPLAINT_ANSWER)
    assert sorted(rows.values_list("channel", flat=True)) == [Channel.EMAIL, Channel.SMS]
    assert all("We refund 300 and apologise." in row.body for row in rows)
    assert {row.recipient for row in rows} == {complaint.order.client.email, complaint.order.client.phone}
    complaint.refresh_from_db()
    assert complaint.client_told_at is not None
    with pytest.raises(ValidationError, match="already been told"):
        complaints.tell_client(complaint, by=manager)
    assert rows.count() == 2


def test_a_client_without_contacts_is_not_told(tenant_a, users_a):
    complaint = _complaint(tenant_a, users_a)
    client = complaint.order.client
    client.notify_email = client.notify_sms = False
    client.save()
    manager = member(tenant_a, Role.MANAGER)
    complaints.handle(
        complaint,
        by=manager,
        expected_version=complaint.version,
        handler=None,
        status="rejected",
        resolution="No fault found.",
    )
    assert complaints.tell_client(complaint, by=manager) == 0
    complaint.refresh_from_db()
    assert complaint.client_told_at is None
    assert not Notification.objects.filter(kind=Kind.COMPLAINT_ANSWER).exists()


# --- Figures ---------------------------------------------------------------------------------------


@pytest.mark.clock("2026-04-01 12:00")
def test_complaints_per_100_orders_and_answered_in_time(tenant_a, users_a, clock):
    """Four orders handed over on 1 April, two complaints: 50 per 100 orders. One resolved before its due
    date, one after: half answered in time."""
    orders = [handed_over(tenant_a) for _ in range(4)]
    manager = member(tenant_a, Role.MANAGER)
    first = complaints.open_complaint(orders[0], description="a", source="phone", by=manager)
    second = complaints.open_complaint(orders[1], description="b", source="phone", by=manager)
    complaints.handle(
        first, by=manager, expected_version=first.version, handler=None, status="resolved", resolution="done"
    )
    Complaint.objects.filter(pk=second.pk).update(due_at=clock.now() + timedelta(hours=1))
    second.refresh_from_db()
    clock.shift(hours=2)
    complaints.handle(
        second,
        by=manager,
        expected_version=second.version,
        handler=None,
        status="resolved",
        resolution="done late",
    )
    tz = ZoneInfo(tenant_a.time_zone)
    figures = complaints.figures(tenant_a, datetime(2026, 4, 1, tzinfo=tz), datetime(2026, 4, 2, tzinfo=tz))
    assert (figures.orders, figures.complaints, figures.closed, figures.closed_in_time) == (4, 2, 2, 1)
    assert (figures.per_100_orders, figures.in_time_share) == (50.0, 50.0)
    empty = complaints.figures(tenant_a, datetime(2026, 5, 1, tzinfo=tz), datetime(2026, 5, 2, tzinfo=tz))
    assert (empty.per_100_orders, empty.in_time_share) == (None, None)
