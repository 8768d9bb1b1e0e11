"""The outbox: rows commit with the change, are sent once, survive a dead broker and failing backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import events, outbox, sms, tasks
from notifications.models import Channel, Kind, Notification, State
from orders.models import Order, OrderStatus

from .conftest import assign_technician, take_in, walk

pytestmark = pytest.mark.django_db


def test_intake_writes_and_sends_order_received(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a, email="anna@example.test", phone="+79161112233")
    rows = Notification.objects.filter(order=order).order_by("channel")
    assert [(r.kind, r.channel, r.recipient, r.state) for r in rows] == [
        (Kind.ORDER_RECEIVED, Channel.EMAIL, "anna@example.test", State.SENT),
        (Kind.ORDER_RECEIVED, Channel.SMS, "+79161112233", State.SENT),
    ]
    assert all(r.attempts == 1 and r.sent_at and r.tenant_id == tenant_a.pk for r in rows)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.test"]
    assert f"Order #{order.number} received" == message.subject
    assert f"/s/{order.public_token}/" in message.body
    assert message.extra_headers["Message-ID"].startswith(f"<notification-{rows[0].pk}.")
    assert len(sms_outbox) == 1 and sms_outbox[0]["to"] == "+79161112233"
    assert f"/s/{order.public_token}/" in sms_outbox[0]["text"]


def test_rows_roll_back_with_the_intake(tenant_a, users_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        take_in(tenant_a)
        assert Notification.objects.count() == 2
        raise RuntimeError("the intake fails after the event")
    assert Order.objects.count() == 0
    assert Notification.objects.count() == 0


def test_rows_roll_back_with_the_status_change(tenant_a, users_a, django_capture_on_commit_callbacks):
    order = assign_technician(take_in(tenant_a))
    walk(order, "plan", "start_diagnostics")
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            walk(order, "request_approval")
            assert Notification.objects.filter(kind=Kind.ESTIMATE_WAITING).count() == 2
            raise RuntimeError("something after the transition fails")
    assert callbacks == []  # nothing queued for rows that never existed
    order.refresh_from_db()
    assert order.status == OrderStatus.DIAGNOSTICS
    assert Notification.objects.count() == before
    assert not Notification.objects.filter(kind=Kind.ESTIMATE_WAITING).exists()
    assert mail.outbox == []


def test_rows_commit_with_the_status_change(tenant_a, users_a, django_capture_on_commit_callbacks):
    order = assign_technician(take_in(tenant_a))
    walk(order, "plan", "start_diagnostics")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        walk(order, "request_approval")
    rows = Notification.objects.filter(kind=Kind.ESTIMATE_WAITING)
    assert rows.count() == 2 and {r.state for r in rows} == {State.PENDING}
    assert rows.first().event.to_status == OrderStatus.AWAITING_APPROVAL
    assert len(callbacks) == 2  # one delivery task per channel (its own queue), queued only after the commit


def test_broker_down_order_saved_and_relay_delivers_later(
    tenant_a, users_a, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        order = assign_technician(take_in(tenant_a))
        walk(order, "plan", "start_diagnostics", "start_work", "finish_work")
    mail.outbox.clear()

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_email, "apply_async", broker_down)
    monkeypatch.setattr(tasks.deliver_sms, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        walk(order, "pass_check")  # -> ready: the client must hear about it
    order.refresh_from_db()
    assert order.status == OrderStatus.READY  # the order is saved
    rows = Notification.objects.filter(kind=Kind.READY_FOR_PICKUP)
    assert rows.count() == 2 and {r.state for r in rows} == {State.PENDING}  # nothing lost
    assert mail.outbox == []
    assert "the relay will send them" in caplog.text

    monkeypatch.undo()  # the broker is back: beat runs the relay
    totals = outbox.relay()
    assert totals["sent"] == 2
    assert {r.state for r in rows.all()} == {State.SENT}
    assert len(mail.outbox) == 1 and "ready" in mail.outbox[0].subject
    assert outbox.relay() == {"requeued": 0}  # nothing sent twice


def test_duplicate_task_for_a_sent_row_sends_nothing(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    ids = list(Notification.objects.filter(order=order).values_list("pk", flat=True))
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert tasks.deliver.delay(tenant_a.pk, ids) is not None  # a redelivered / duplicate task
    tasks.deliver(tenant_a.pk, ids)
    tasks.deliver_email(tenant_a.pk, ids)
    tasks.deliver_sms(tenant_a.pk, ids)
    assert outbox.relay()["requeued"] == 0
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert set(Notification.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


def test_a_claim_is_exclusive(tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a)
    ids = list(Notification.objects.filter(order=order).values_list("pk", flat=True))
    token_1, first = outbox.claim(ids, tenant_id=tenant_a.pk)
    token_2, second = outbox.claim(ids, tenant_id=tenant_a.pk)
    assert len(first) == 2 and second == []  # a racing worker gets nothing
    assert outbox.claim(ids, tenant_id=tenant_a.pk + 1000)[1] == []  # tasks are scoped by tenant
    assert outbox.send_claimed(token_1, first)["sent"] == 2
    # The second worker's stale token cannot mark anything.
    assert not outbox._mark_sent(first[0], token_2, "")
    assert Notification.objects.get(pk=first[0].pk).state == State.SENT


class FlakySms(sms.BaseSmsBackend):
    calls: list = []
    permanent = False

    def send(self, *, to, text, reference):
        FlakySms.calls.append(reference)
        raise sms.SmsError("gateway timeout", permanent=FlakySms.permanent)


@pytest.fixture
def flaky_sms(settings):
    settings.SMS_BACKEND = f"{__name__}.FlakySms"
    FlakySms.calls = []
    FlakySms.permanent = False
    return FlakySms


def _make_due(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_failing_backend_is_retried_with_backoff_then_failed(
    tenant_a, users_a, settings, flaky_sms, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 200
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = Notification.objects.get(order=order, channel=Channel.SMS)
    email = Notification.objects.get(order=order, channel=Channel.EMAIL)
    assert email.state == State.SENT  # one channel failing does not hold the other

    delays = []
    for attempt in range(1, 4):
        row.refresh_from_db()
        assert (row.state, row.attempts) == (State.PENDING, attempt)
        assert row.last_error == "gateway timeout"
        delays.append((row.next_attempt_at - timezone.now()).total_seconds())
        assert outbox.relay()["requeued"] == 0  # not due yet: the relay leaves it alone
        _make_due(row)
        outbox.relay()
    # Exponential with jitter: 50-100% of 60, 120, then 200 (the cap).
    for delay, ceiling in zip(delays, [60, 120, 200], strict=True):
        assert ceiling * 0.5 - 2 <= delay <= ceiling + 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, 4)
    assert len(flaky_sms.calls) == 4 and set(flaky_sms.calls) == {row.provider_reference()}
    _make_due(row)
    outbox.relay()
    assert len(flaky_sms.calls) == 4  # failed rows are not retried by themselves


def test_permanent_error_fails_at_once(tenant_a, users_a, flaky_sms, django_capture_on_commit_callbacks):
    flaky_sms.permanent = True
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = Notification.objects.get(order=order, channel=Channel.SMS)
    assert (row.state, row.attempts, len(flaky_sms.calls)) == (State.FAILED, 1, 1)


def test_mail_server_down_is_retried(tenant_a, users_a, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = Notification.objects.get(order=order, channel=Channel.EMAIL)
    assert (row.state, row.attempts) == (State.PENDING, 1)
    assert "ConnectionRefusedError" in row.last_error or "Errno" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _make_due(row)
    assert outbox.relay()["sent"] == 1
    assert len(mail.outbox) == 1


def test_stale_claim_of_a_dead_worker_is_requeued_and_sent_once(
    tenant_a, users_a, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a)
    token, rows = outbox.claim(
        Notification.objects.filter(order=order).values_list("pk", flat=True), tenant_id=tenant_a.pk
    )
    assert len(rows) == 2
    # The worker dies here. Before the TTL the relay does not touch its claims ...
    assert outbox.relay() == {"requeued": 0}
    # ... after it, they go back to the queue and are sent (attempt 2).
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
        claimed_at=timezone.now() - timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS + 1)
    )
    totals = outbox.relay()
    assert totals["requeued"] == 2 and totals["sent"] == 2
    assert len(mail.outbox) == 1
    assert set(Notification.objects.filter(order=order).values_list("attempts", flat=True)) == {2}


def test_a_worker_does_not_start_a_send_on_an_old_claim(
    tenant_a, users_a, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, phone=None, notify_sms=False)
    token, rows = outbox.claim(
        Notification.objects.filter(order=order).values_list("pk", flat=True), tenant_id=tenant_a.pk
    )
    # A worker that was stuck for more than half the claim's lifetime gives the row back unsent.
    rows[0].claimed_at = timezone.now() - timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS / 2 + 1)
    assert outbox.send_claimed(token, rows)["skipped"] == 1
    assert mail.outbox == []
    row = Notification.objects.get(pk=rows[0].pk)
    assert (row.state, row.attempts) == (State.PENDING, 0)
    assert outbox.relay()["sent"] == 1 and len(mail.outbox) == 1


def test_stale_claim_without_attempts_left_fails(
    tenant_a, users_a, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, notify_sms=False)
    outbox.claim(Notification.objects.filter(order=order).values_list("pk", flat=True), tenant_id=tenant_a.pk)
    Notification.objects.filter(order=order).update(claimed_at=timezone.now() - timedelta(days=1))
    outbox.relay()
    row = Notification.objects.get(order=order)
    assert row.state == State.FAILED and "worker stopped" in row.last_error
    assert mail.outbox == []


def test_the_same_event_never_writes_twice(tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    event = order.events.get(kind="created")
    event.order = order
    with django_capture_on_commit_callbacks(execute=True):
        events.on_order_event(event)  # announced again (a retried listener, a replay ...)
    assert Notification.objects.filter(order=order).count() == 2
    assert len(mail.outbox) == 1


def test_relay_works_in_batches(tenant_a, users_a, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_BATCH_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(4):
            take_in(tenant_a, email=f"c{n}@example.test")
    assert Notification.objects.filter(state=State.PENDING).count() == 8
    assert outbox.relay(max_batches=1)["sent"] == 6  # one batch of 3 per channel
    assert outbox.relay()["sent"] == 2
    assert len(mail.outbox) == 4
