"""Who hears about what: each client message, staff alerts, opt-outs, languages, quiet hours, scans."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from notifications import events, outbox, quiet
from notifications.models import (
    Audience,
    Channel,
    Kind,
    Notification,
    NotificationSettings,
    State,
)
from orders import services
from orders.lifecycle import transition
from orders.models import Order, OrderStatus, ServiceFormat
from servicedesk.tenancy.roles import Role
from tests.factories import MessageTemplateFactory

from .conftest import assign_technician, member, take_in, walk

pytestmark = pytest.mark.django_db


def kinds_of(order: Order, channel: str = Channel.EMAIL) -> list[str]:
    return list(
        Notification.objects.filter(order=order, channel=channel, audience=Audience.CLIENT)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_walking_an_order_tells_the_client_each_stage(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        order = assign_technician(take_in(tenant_a, email="anna@example.test"))
        walk(
            order,
            "plan",
            "start_diagnostics",
            "request_approval",
            "approve",
            "wait_for_parts",
            "parts_arrived",
            "finish_work",
            "pass_check",
        )
        # The approved estimate (2,500) is the bill: paid in full at pickup.
        services.add_payment(
            order, amount=Decimal("2500"), method="cash", by=member(tenant_a, Role.RECEPTION)
        )
        order.refresh_from_db()
        walk(order, "hand_over", by_role=Role.RECEPTION)
    expected = [
        Kind.ORDER_RECEIVED,
        Kind.ESTIMATE_WAITING,
        Kind.AWAITING_PARTS,
        Kind.READY_FOR_PICKUP,
        Kind.HANDED_OVER,
    ]
    assert kinds_of(order, Channel.EMAIL) == expected
    assert kinds_of(order, Channel.SMS) == expected
    assert set(Notification.objects.filter(order=order).values_list("state", flat=True)) == {State.SENT}
    to_client = [m for m in mail.outbox if m.to == ["anna@example.test"]]
    assert len(to_client) == 5 and len(sms_outbox) == 5
    by_subject = {m.subject: m.body for m in to_client}
    estimate = by_subject[f"Order #{order.number}: please approve the estimate"]
    assert "RUB\xa02,500.00" in estimate and f"/s/{order.public_token}/" in estimate
    ready = by_subject[f"Order #{order.number} is ready for pickup"]
    assert "Tverskaya st. 1" in ready and "Mon-Sat 10:00-20:00" in ready and "Alpha main office" in ready
    thanks = by_subject[f"Thank you! Order #{order.number}"]
    assert f"/s/{order.public_token}/" in thanks and order.warranty_until.strftime("%Y") in thanks
    # The HTML alternative carries the same message with a clickable link.
    html = next(m for m in to_client if m.subject.startswith("Thank you")).alternatives[0]
    assert html[1] == "text/html" and '<a href="http://' in html[0]


def test_resume_from_hold_is_silent(tenant_a, users_a, django_capture_on_commit_callbacks):
    order = assign_technician(take_in(tenant_a))
    walk(order, "plan", "start_diagnostics", "wait_for_parts")
    transition(
        order, "hold", by=member(tenant_a, Role.MANAGER), expected_version=order.version, reason="Vacation"
    )
    order.refresh_from_db()
    walk(order, "resume")
    assert order.status == OrderStatus.AWAITING_PARTS
    assert kinds_of(order).count(Kind.AWAITING_PARTS) == 1


def test_technician_hears_about_an_assignment(tenant_a, users_a, django_capture_on_commit_callbacks):
    order = take_in(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        assign_technician(order)
    row = Notification.objects.get(order=order, kind=Kind.TECHNICIAN_ASSIGNED)
    technician = users_a[Role.TECHNICIAN]
    assert (row.audience, row.channel, row.recipient, row.recipient_user_id, row.state) == (
        Audience.STAFF,
        Channel.EMAIL,
        technician.email,
        technician.pk,
        State.SENT,
    )
    message = mail.outbox[-1]
    assert message.to == [technician.email]
    assert f"/alpha/orders/{order.number}/" in message.body and "Does not charge" in message.body
    assert technician.full_name in message.body


def test_no_alert_when_someone_takes_a_job_themselves(tenant_a, users_a):
    # A manager may take a job (a technician may not assign at all: orders/permissions.py).
    order = take_in(tenant_a)
    manager = member(tenant_a, Role.MANAGER)
    services.assign(order, technician=manager, workshop=None, by=manager, expected_version=order.version)
    assert not Notification.objects.filter(kind=Kind.TECHNICIAN_ASSIGNED).exists()


def test_other_events_write_nothing(tenant_a, users_a):
    order = take_in(tenant_a)
    before = Notification.objects.count()
    services.add_note(order, text="Called the client", public=True, by=member(tenant_a, Role.RECEPTION))
    services.add_payment(order, amount=Decimal("10"), method="cash", by=member(tenant_a, Role.RECEPTION))
    assert Notification.objects.count() == before


@pytest.mark.parametrize(
    ("notify_email", "notify_sms", "email", "expected"),
    [
        (True, True, "anna@example.test", {Channel.EMAIL, Channel.SMS}),
        (False, True, "anna@example.test", {Channel.SMS}),
        (True, False, "anna@example.test", {Channel.EMAIL}),
        (True, True, "", {Channel.SMS}),
        (False, False, "anna@example.test", set()),
    ],
)
def test_client_opt_outs(tenant_a, users_a, notify_email, notify_sms, email, expected):
    order = take_in(tenant_a, email=email, notify_email=notify_email, notify_sms=notify_sms)
    assert set(Notification.objects.filter(order=order).values_list("channel", flat=True)) == expected


def test_opting_out_after_the_row_was_written_stops_the_send(
    tenant_a, users_a, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a)
    order.client.notify_sms = False
    order.client.save(update_fields=["notify_sms"])
    outbox.relay()
    row = Notification.objects.get(order=order, channel=Channel.SMS)
    assert row.state == State.FAILED and "opted out" in row.last_error
    assert sms_outbox == [] and len(mail.outbox) == 1


def test_russian_tenant_gets_russian_texts(tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox):
    tenant_a.language = "ru"
    tenant_a.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a, name="Анна")
        assign_technician(order)
    client_mail = mail.outbox[0]
    assert client_mail.subject == f"Заказ №{order.number} принят"
    assert "Здравствуйте, Анна!" in client_mail.body and "Мы приняли ваш заказ" in client_mail.body
    assert sms_outbox[0]["text"].startswith("Alpha Repairs: заказ №")
    assert mail.outbox[1].subject == f"Вам назначен заказ №{order.number}"
    assert set(Notification.objects.filter(order=order).values_list("language", flat=True)) == {"ru"}


def test_english_tenant_gets_english_texts(tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    assert mail.outbox[0].body.startswith("Hello, Anna Smirnova!")
    assert Notification.objects.filter(order=order).first().language == "en"


def test_tenant_override_is_used_and_other_tenants_keep_the_default(
    tenant_a, tenant_b, users_a, users_b, django_capture_on_commit_callbacks
):
    MessageTemplateFactory(
        tenant=tenant_a,
        kind=Kind.ORDER_RECEIVED,
        language="en",
        email_subject="We got it: #{{ order.number }}",
        email_body="Dear {{ client.name }}, see {{ public_url }}",
        sms_body="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_a = take_in(tenant_a)
        take_in(tenant_b)
    a_mail, b_mail = mail.outbox
    assert a_mail.subject == f"We got it: #{order_a.number}"
    assert a_mail.body == f"Dear Anna Smirnova, see http://127.0.0.1:8000/s/{order_a.public_token}/"
    assert b_mail.subject.startswith("Order #")  # B has no override
    sms_row = Notification.objects.get(order=order_a, channel=Channel.SMS)
    assert "order #" in sms_row.body  # an empty SMS override keeps the standard SMS


def test_client_values_are_never_expanded_or_injected(tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        take_in(tenant_a, name="<b>Eve</b> {{ tenant.email }}")
    message = mail.outbox[0]
    assert "Hello, <b>Eve</b> {{ tenant.email }}!" in message.body  # plain text: as typed, not expanded
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Eve&lt;/b&gt; {{ tenant.email }}" in html and "<b>Eve" not in html


# --- Quiet hours -------------------------------------------------------------------------------


@pytest.mark.clock_sensitive
def test_quiet_hours_window():
    night, morning = time(21), time(9)
    assert quiet.in_quiet_hours(time(23), night, morning)
    assert quiet.in_quiet_hours(time(3), night, morning)
    assert not quiet.in_quiet_hours(time(9), night, morning)
    assert not quiet.in_quiet_hours(time(12), night, morning)
    assert quiet.in_quiet_hours(time(13, 30), time(13), time(14))
    assert not quiet.in_quiet_hours(time(3), time(0), time(0))  # same time twice: no quiet hours


@pytest.mark.clock_sensitive
def test_release_time_in_the_tenant_time_zone():
    moscow = ZoneInfo("Europe/Moscow")
    late = datetime(2026, 3, 10, 22, 30, tzinfo=moscow)
    assert quiet.release_time(late, "Europe/Moscow", time(21), time(9)) == datetime(
        2026, 3, 11, 9, 0, tzinfo=moscow
    )
    early = datetime(2026, 3, 11, 2, 0, tzinfo=moscow)
    assert quiet.release_time(early, "Europe/Moscow", time(21), time(9)) == datetime(
        2026, 3, 11, 9, 0, tzinfo=moscow
    )
    assert (
        quiet.release_time(datetime(2026, 3, 11, 12, 0, tzinfo=moscow), "Europe/Moscow", time(21), time(9))
        is None
    )
    # The same UTC moment is night in Vladivostok and day in Moscow.
    utc = datetime(2026, 3, 11, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert quiet.release_time(utc, "Europe/Moscow", time(21), time(9)) is None
    assert quiet.release_time(utc, "Asia/Vladivostok", time(21), time(9)) == datetime(
        2026, 3, 12, 9, 0, tzinfo=ZoneInfo("Asia/Vladivostok")
    )


@pytest.mark.clock_sensitive
def test_quiet_hours_end_on_the_wall_clock_on_dst_nights():
    berlin, utc = ZoneInfo("Europe/Berlin"), ZoneInfo("UTC")
    # 29 March 2026: 02:00 jumps to 03:00. Quiet until 02:30, a time that does not exist that night: the SMS
    # goes at the jump, 03:00 CEST (01:00 UTC), not an hour later.
    assert quiet.release_time(
        datetime(2026, 3, 29, 1, 30, tzinfo=berlin), "Europe/Berlin", time(21), time(2, 30)
    ) == datetime(2026, 3, 29, 1, 0, tzinfo=utc)
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:00-03:00 comes twice. At 02:10 the second time
    # (00:10 UTC + 1 h = 01:10 UTC), quiet until 02:30 means 02:30 CET (01:30 UTC), not the 02:30 CEST just past.
    second_pass = datetime(2026, 10, 25, 1, 10, tzinfo=utc)
    assert quiet.release_time(second_pass, "Europe/Berlin", time(21), time(2, 30)) == datetime(
        2026, 10, 25, 1, 30, tzinfo=utc
    )
    # The first time through, 02:10 CEST (00:10 UTC): 02:30 CEST (00:30 UTC).
    assert quiet.release_time(
        datetime(2026, 10, 25, 0, 10, tzinfo=utc), "Europe/Berlin", time(21), time(2, 30)
    ) == datetime(2026, 10, 25, 0, 30, tzinfo=utc)
    # Ending at 09:00 on the short night is 09:00 CEST, 07:00 UTC.
    assert quiet.release_time(
        datetime(2026, 3, 28, 23, 0, tzinfo=berlin), "Europe/Berlin", time(21), time(9)
    ) == datetime(2026, 3, 29, 7, 0, tzinfo=utc)


def _quiet_now(tenant) -> datetime:
    """Make the current moment fall in the tenant's quiet hours (two hours wide); return when they end."""
    local = timezone.now().astimezone(ZoneInfo(tenant.time_zone))
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    NotificationSettings.objects.filter(tenant=tenant).update(quiet_from=start, quiet_to=end)
    release = quiet.release_time(timezone.now(), tenant.time_zone, start, end)
    # In UTC: on a spring-forward night the end may be a wall time the clocks skip, and such a datetime
    # never compares equal to one in another zone (PEP 495), although it is the same instant.
    return release.astimezone(ZoneInfo("UTC"))


@pytest.mark.clock_sensitive
def test_sms_waits_for_the_end_of_quiet_hours_email_does_not(
    tenant_a, users_a, sms_outbox, django_capture_on_commit_callbacks
):
    release = _quiet_now(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    sms_row = Notification.objects.get(order=order, channel=Channel.SMS)
    assert sms_row.state == State.PENDING and sms_row.is_held
    assert sms_row.next_attempt_at == release
    assert len(mail.outbox) == 1 and sms_outbox == []
    assert outbox.relay() == {"requeued": 0}  # still night
    totals = outbox.relay(now=release + timedelta(minutes=1))  # morning
    assert totals["sent"] == 1 and len(sms_outbox) == 1
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.attempts) == (State.SENT, 1)


@pytest.mark.clock_sensitive
def test_sms_due_by_retry_inside_quiet_hours_is_held_without_using_an_attempt(
    tenant_a, users_a, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a)
    release = _quiet_now(tenant_a)  # quiet hours begin after the row was written
    assert outbox.relay()["held"] == 1
    row = Notification.objects.get(order=order, channel=Channel.SMS)
    assert (row.state, row.attempts, row.next_attempt_at) == (State.PENDING, 0, release)
    assert sms_outbox == []


@pytest.mark.clock_sensitive
def test_quiet_hours_do_not_hold_staff_email(tenant_a, users_a, django_capture_on_commit_callbacks):
    _quiet_now(tenant_a)
    order = take_in(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        assign_technician(order)
    assert Notification.objects.get(kind=Kind.TECHNICIAN_ASSIGNED).state == State.SENT


@pytest.mark.parametrize(
    "local, release",
    [
        ("2026-03-10 23:50", "2026-03-11 09:00"),  # before midnight: tomorrow morning
        ("2026-03-11 00:10", "2026-03-11 09:00"),  # after midnight: this morning, not the next
        ("2026-03-11 08:59", "2026-03-11 09:00"),
    ],
)
def test_an_sms_written_at_night_waits_for_the_morning(
    clock, tenant_a, users_a, sms_outbox, local, release, django_capture_on_commit_callbacks
):
    clock.set(local)
    NotificationSettings.objects.filter(tenant=tenant_a).update(quiet_from=time(21), quiet_to=time(9))
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = Notification.objects.get(order=order, channel=Channel.SMS)
    assert row.is_held and row.next_attempt_at == datetime.fromisoformat(release).replace(tzinfo=clock.tz)
    assert sms_outbox == []


# --- Scans: overdue orders, visit reminders ------------------------------------------------------


@pytest.mark.clock_sensitive
def test_overdue_orders_alert_managers_once(
    tenant_a, tenant_b, users_a, users_b, django_capture_on_commit_callbacks
):
    late = take_in(tenant_a, promised_at=timezone.now() + timedelta(hours=1))
    on_time = take_in(tenant_a, promised_at=timezone.now() + timedelta(days=2))
    Order.objects.filter(pk=late.pk).update(promised_at=timezone.now() - timedelta(hours=2))
    late_b = take_in(tenant_b)
    Order.objects.filter(pk=late_b.pk).update(promised_at=timezone.now() - timedelta(hours=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert events.scan_overdue() == 2  # A's manager about A's order, B's manager about B's
    rows = Notification.objects.filter(kind=Kind.ORDER_OVERDUE)
    assert {(r.tenant_id, r.order_id, r.recipient) for r in rows} == {
        (tenant_a.pk, late.pk, users_a[Role.MANAGER].email),
        (tenant_b.pk, late_b.pk, users_b[Role.MANAGER].email),
    }
    assert {m.to[0] for m in mail.outbox} == {users_a[Role.MANAGER].email, users_b[Role.MANAGER].email}
    assert all("Overdue: order #" in m.subject for m in mail.outbox)
    assert not Notification.objects.filter(order=on_time, kind=Kind.ORDER_OVERDUE).exists()

    assert events.scan_overdue() == 0  # once per order
    # A new promise that is missed again alerts again.
    Order.objects.filter(pk=late.pk).update(promised_at=timezone.now() + timedelta(hours=1))
    assert events.scan_overdue() == 0
    assert events.scan_overdue(now=timezone.now() + timedelta(hours=2)) == 1


@pytest.mark.clock_sensitive
def test_closed_orders_are_never_overdue(tenant_a, users_a):
    order = take_in(tenant_a)
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.CANCELLED, promised_at=timezone.now() - timedelta(days=1)
    )
    assert events.scan_overdue() == 0


@pytest.mark.clock_sensitive
def test_visit_reminder_the_day_before_once(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    visit = timezone.now() + timedelta(days=2)
    order = take_in(
        tenant_a,
        format=ServiceFormat.ON_SITE,
        visit_address="Lenina 5, flat 3",
        visit_start=visit,
        visit_end=visit + timedelta(hours=2),
    )
    assert events.scan_visit_reminders() == 0  # two days ahead: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert events.scan_visit_reminders(now=visit - timedelta(hours=20)) == 2  # e-mail and SMS
    reminder = next(m for m in mail.outbox if m.subject.startswith("Reminder"))
    local = visit.astimezone(ZoneInfo(tenant_a.time_zone))
    assert "Lenina 5, flat 3" in reminder.body and f"{local:%H:%M}–" in reminder.body
    assert events.scan_visit_reminders(now=visit - timedelta(hours=10)) == 0  # once
    # Moved to another day: a new reminder for the new slot.
    Order.objects.filter(pk=order.pk).update(visit_start=visit + timedelta(hours=3))
    assert events.scan_visit_reminders(now=visit - timedelta(hours=10)) == 2


def test_a_bug_composing_messages_does_not_stop_the_intake(tenant_a, users_a, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(events, "build_context", broken)
    order = take_in(tenant_a)
    assert Order.objects.filter(pk=order.pk).exists()
    assert not Notification.objects.exists()
    assert "Could not compose the notifications" in caplog.text
