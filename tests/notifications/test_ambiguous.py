"""Ambiguous sends: after a timeout or a killed worker the provider may have the message. It is never sent
again blindly: the provider is asked (status by reference) or a manager decides. Connection errors before
the request went out are ordinary retries. Per-channel queues, and the one-minute lease."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import outbox, sms, tasks
from notifications.models import Channel, Notification, State
from orders.permissions import ActorRefused
from servicedesk.celery import app as celery_app
from servicedesk.tenancy.roles import Role

from .conftest import member, take_in
from .test_sms_gateway import gateway  # noqa: F401 - the fake HTTP gateway fixture

pytestmark = pytest.mark.django_db


def _sms_row(order) -> Notification:
    return Notification.objects.get(order=order, channel=Channel.SMS)


def _after_the_lease(row: Notification) -> None:
    """Let the lease pass: the row's next check (or its claim) is due now."""
    past = timezone.now() - timedelta(seconds=django_settings.NOTIFICATIONS_CLAIM_TTL_SECONDS + 1)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=past)
    Notification.objects.filter(pk=row.pk, state=State.SENDING).update(claimed_at=past)


@pytest.fixture
def slow_gateway(gateway, settings):  # noqa: F811
    """The gateway takes the SMS but answers after our timeout (the measured case: 11 messages for 6 SMS)."""
    settings.SMS_TIMEOUT = 1
    gateway.delay = 1.5
    return gateway


def _take_in_with_a_timeout(tenant, gateway, django_capture_on_commit_callbacks) -> Notification:  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant, phone="+79160001122")
    gateway.delay = 0
    return _sms_row(order)


# --- Timeouts -------------------------------------------------------------------------------------


def test_a_timeout_after_the_request_went_out_is_not_resent_blindly(
    tenant_a, users_a, slow_gateway, django_capture_on_commit_callbacks
):
    row = _take_in_with_a_timeout(tenant_a, slow_gateway, django_capture_on_commit_callbacks)
    assert row.state == State.CHECKING and row.attempts == 1
    assert "No answer from the SMS gateway after sending" in row.last_error
    assert len(slow_gateway.requests) == 1
    # Nothing happens before the lease is over (the gateway may still be working on it) ...
    assert outbox.relay().get("sent", 0) == 0
    # ... and after it, a gateway that cannot be asked leaves it to a manager: still one request.
    _after_the_lease(row)
    assert outbox.relay()["undecided"] == 1
    row.refresh_from_db()
    assert row.state == State.UNKNOWN and "mark it as sent or send it again" in row.last_error
    _after_the_lease(row)
    outbox.relay()
    assert len(slow_gateway.requests) == 1


def test_the_gateway_says_it_has_the_message_so_it_is_marked_sent_once(
    tenant_a, users_a, slow_gateway, settings, django_capture_on_commit_callbacks
):
    settings.SMS_GATEWAY_STATUS_URL = slow_gateway.status_url
    row = _take_in_with_a_timeout(tenant_a, slow_gateway, django_capture_on_commit_callbacks)
    slow_gateway.statuses[row.reference] = "delivered"
    _after_the_lease(row)
    assert outbox.relay()["confirmed"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 1, "")
    assert slow_gateway.status_requests == [row.reference]
    assert len(slow_gateway.requests) == 1  # sent once
    assert outbox.relay() == {"requeued": 0}


def test_the_gateway_never_got_it_so_it_is_sent_again_with_the_same_reference(
    tenant_a,
    users_a,
    gateway,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SMS_GATEWAY_STATUS_URL = gateway.status_url
    gateway.answers = [(504, b""), (200, b'{"id": "gw-2"}')]  # a proxy gave up waiting: ambiguous
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = _sms_row(order)
    assert row.state == State.CHECKING
    _after_the_lease(row)
    totals = outbox.relay()  # the gateway answers 404 for the reference: never received
    assert totals["not_found"] == 1 and totals["sent"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.provider_id) == (State.SENT, 2, "gw-2")
    assert [r["body"]["reference"] for r in gateway.requests] == [row.reference, row.reference]


def test_no_answer_from_the_status_api_is_asked_again_then_left_to_a_manager(
    tenant_a, users_a, slow_gateway, settings, django_capture_on_commit_callbacks
):
    settings.SMS_GATEWAY_STATUS_URL = slow_gateway.status_url
    row = _take_in_with_a_timeout(tenant_a, slow_gateway, django_capture_on_commit_callbacks)
    slow_gateway.statuses[row.reference] = "processing"  # a word we do not know: unknown
    _after_the_lease(row)
    assert outbox.relay()["asked_later"] == 1
    row.refresh_from_db()
    assert row.state == State.CHECKING and row.next_attempt_at > timezone.now()
    # An hour after the send, still no clear answer: a manager decides.
    Notification.objects.filter(pk=row.pk).update(
        send_started_at=timezone.now() - timedelta(hours=1, seconds=1)
    )
    _after_the_lease(row)
    assert outbox.relay()["undecided"] == 1
    assert Notification.objects.get(pk=row.pk).state == State.UNKNOWN
    assert len(slow_gateway.requests) == 1


def test_connect_refused_is_an_ordinary_retry(
    tenant_a,
    users_a,
    gateway,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    live_url = gateway.url
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:1/send"  # nothing listens: the request never went out
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = _sms_row(order)
    assert (row.state, row.attempts) == (State.PENDING, 1) and "unreachable" in row.last_error
    settings.SMS_GATEWAY_URL = live_url
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.relay()["sent"] == 1
    assert len(gateway.requests) == 1


def test_the_http_backend_tells_ambiguous_from_not_sent(gateway, settings):  # noqa: F811
    settings.SMS_TIMEOUT = 1
    gateway.delay = 1.5
    with pytest.raises(sms.SmsError) as caught:
        sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
    assert caught.value.ambiguous and not caught.value.permanent
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:1/send"
    with pytest.raises(sms.SmsError) as caught:
        sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
    assert not caught.value.ambiguous
    gateway.delay = 0
    settings.SMS_GATEWAY_URL = gateway.url
    for status, ambiguous in [(504, True), (502, False), (500, False), (400, False)]:
        gateway.answers = [(status, b"")]
        with pytest.raises(sms.SmsError) as caught:
            sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
        assert caught.value.ambiguous is ambiguous, status


def test_the_status_api(gateway, settings):  # noqa: F811
    assert not sms.HttpGatewayBackend().supports_status  # no SMS_GATEWAY_STATUS_URL
    settings.SMS_GATEWAY_STATUS_URL = gateway.status_url
    backend = sms.HttpGatewayBackend()
    assert backend.supports_status
    gateway.statuses = {"sd-a": "delivered", "sd-b": "queued", "sd-c": "not_found", "sd-d": "failed"}
    assert [backend.status(ref) for ref in ["sd-a", "sd-b", "sd-c", "sd-d", "sd-zzz"]] == [
        sms.ACCEPTED,
        sms.ACCEPTED,
        sms.NOT_FOUND,
        sms.UNKNOWN,
        sms.NOT_FOUND,
    ]


# --- A worker killed mid-send -------------------------------------------------------------------


class DyingSms(sms.LocmemBackend):
    """The gateway takes the SMS, then the worker is killed before it can mark the row sent."""

    def send(self, *, to, text, reference):
        super().send(to=to, text=text, reference=reference)
        raise SystemExit("worker killed")


def _kill_worker_mid_send(order, settings, channel: str) -> Notification:
    ids = list(Notification.objects.filter(order=order, channel=channel).values_list("pk", flat=True))
    with pytest.raises(SystemExit):
        outbox.deliver(order.tenant_id, ids)
    row = Notification.objects.get(pk=ids[0])
    assert row.state == State.SENDING and row.send_started_at is not None
    return row


def test_a_worker_killed_mid_send_the_provider_has_it_so_it_is_sent_once(
    tenant_a, users_a, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = f"{__name__}.DyingSms"
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, email=None)
    row = _kill_worker_mid_send(order, settings, Channel.SMS)
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"  # a new worker; status() looks it up
    assert outbox.relay() == {"requeued": 0}  # within the lease nobody touches the claim
    _after_the_lease(row)
    totals = outbox.relay()
    assert totals["requeued"] == 1 and totals["confirmed"] == 1
    assert Notification.objects.get(pk=row.pk).state == State.SENT
    assert len(sms_outbox) == 1  # the SMS reached the "gateway" once


def test_a_worker_killed_mid_send_the_provider_never_got_it_so_it_is_sent_again(
    tenant_a, users_a, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = f"{__name__}.DyingSms"
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, email=None)
    row = _kill_worker_mid_send(order, settings, Channel.SMS)
    sms_outbox.clear()  # it died before the gateway stored it
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    _after_the_lease(row)
    totals = outbox.relay()
    assert totals["not_found"] == 1 and totals["sent"] == 1
    assert [m["reference"] for m in sms_outbox] == [row.reference]


def test_a_worker_killed_mid_send_of_an_email_is_left_to_a_manager(
    tenant_a, users_a, settings, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, notify_sms=False)

    def killed(self, *args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", killed)
    row = _kill_worker_mid_send(order, settings, Channel.EMAIL)
    monkeypatch.undo()
    _after_the_lease(row)
    assert outbox.relay()["undecided"] == 1
    row.refresh_from_db()
    assert row.state == State.UNKNOWN and "mail server" in row.last_error
    assert mail.outbox == []


def test_a_worker_killed_before_its_send_started_is_simply_requeued(
    tenant_a, users_a, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, notify_sms=False)
    outbox.claim(Notification.objects.filter(order=order).values_list("pk", flat=True), tenant_id=tenant_a.pk)
    row = Notification.objects.get(order=order)
    _after_the_lease(row)
    assert outbox.relay()["sent"] == 1
    assert len(mail.outbox) == 1


# --- The lease --------------------------------------------------------------------------------------


def test_a_dead_workers_claim_comes_back_after_about_a_minute(
    tenant_a, users_a, django_capture_on_commit_callbacks
):
    assert django_settings.NOTIFICATIONS_CLAIM_TTL_SECONDS == 60
    # The hard time limit kills a stuck worker before the relay could take its claim over.
    assert all(
        task.time_limit < 60
        for task in (tasks.deliver_email, tasks.deliver_sms, tasks.relay_email, tasks.relay_sms)
    )
    with django_capture_on_commit_callbacks(execute=False):
        order = take_in(tenant_a, notify_sms=False)
    outbox.claim(Notification.objects.filter(order=order).values_list("pk", flat=True), tenant_id=tenant_a.pk)
    Notification.objects.filter(order=order).update(claimed_at=timezone.now() - timedelta(seconds=55))
    assert outbox.relay() == {"requeued": 0}
    Notification.objects.filter(order=order).update(claimed_at=timezone.now() - timedelta(seconds=61))
    assert outbox.relay()["sent"] == 1


# --- Queues -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("notifications.deliver_email", "email"),
        ("notifications.relay_email", "email"),
        ("notifications.deliver_sms", "sms"),
        ("notifications.relay_sms", "sms"),
        ("notifications.relay", "celery"),
        ("notifications.scan_overdue", "celery"),
    ],
)
def test_tasks_are_routed_to_their_channels_queue(task, queue):
    assert celery_app.amqp.router.route({}, task)["queue"].name == queue


def test_each_channel_is_queued_to_its_own_task(
    tenant_a, users_a, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.deliver_email, "apply_async", lambda args, **kw: queued.append(("email", args)))
    monkeypatch.setattr(tasks.deliver_sms, "apply_async", lambda args, **kw: queued.append(("sms", args)))
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    email, text = (Notification.objects.get(order=order, channel=c).pk for c in (Channel.EMAIL, Channel.SMS))
    assert sorted(queued) == [("email", (tenant_a.pk, [email])), ("sms", (tenant_a.pk, [text]))]


# --- A manager decides --------------------------------------------------------------------------------


@pytest.fixture
def undecided(tenant_a, users_a, slow_gateway, django_capture_on_commit_callbacks) -> Notification:
    row = _take_in_with_a_timeout(tenant_a, slow_gateway, django_capture_on_commit_callbacks)
    _after_the_lease(row)
    outbox.relay()
    row.refresh_from_db()
    assert row.state == State.UNKNOWN
    return row


def _decide_url(row: Notification) -> str:
    return reverse("notifications:decide", args=[row.tenant.slug, row.pk])


def test_the_list_shows_undecided_rows_first_with_both_actions(member_client, undecided):
    response = member_client(Role.MANAGER).get(reverse("notifications:list", args=[undecided.tenant.slug]))
    page = response.content.decode()
    assert response.context["state"] == "unknown" and [r.pk for r in response.context["rows"]] == [
        undecided.pk
    ]
    assert "Needs a decision" in page and "Mark as sent" in page and "Send again" in page
    assert _decide_url(undecided) in page


def test_mark_as_sent_records_who_decided(member_client, undecided, users_a, slow_gateway):
    response = member_client(Role.MANAGER).post(_decide_url(undecided), {"decision": "sent"})
    assert response.status_code == 302
    undecided.refresh_from_db()
    assert undecided.state == State.SENT and undecided.decided_by == users_a[Role.MANAGER]
    assert undecided.decided_at is not None
    assert len(slow_gateway.requests) == 1


def test_send_again_sends_it_once_more_with_the_same_reference(
    member_client, undecided, users_a, slow_gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_client(Role.OWNER).post(_decide_url(undecided), {"decision": "again"})
    undecided.refresh_from_db()
    assert (undecided.state, undecided.decided_by) == (State.SENT, users_a[Role.OWNER])
    assert [r["body"]["reference"] for r in slow_gateway.requests] == [undecided.reference] * 2
    # Decided once: a second click is refused with a message, nothing is sent.
    response = member_client(Role.OWNER).post(_decide_url(undecided), {"decision": "again"}, follow=True)
    assert "changed meanwhile" in response.content.decode()
    assert len(slow_gateway.requests) == 2


def test_deciding_needs_a_manager_and_the_own_tenant(member_client, client_for, users_b, undecided):
    for role in (Role.RECEPTION, Role.TECHNICIAN):
        assert member_client(role).post(_decide_url(undecided), {"decision": "sent"}).status_code == 403
    assert (
        client_for(users_b[Role.OWNER])
        .post(
            reverse(
                "notifications:decide",
                args=[users_b[Role.OWNER].memberships.first().tenant.slug, undecided.pk],
            ),
            {"decision": "sent"},
        )
        .status_code
        == 404
    )
    assert Notification.objects.get(pk=undecided.pk).state == State.UNKNOWN
    with pytest.raises(ActorRefused):
        outbox.decide(undecided, "sent", by=member(undecided.tenant, Role.RECEPTION))


@pytest.mark.parametrize("decision", ["", "maybe", "sent\x00"])
def test_a_bad_decision_is_refused_with_a_message(member_client, undecided, decision):
    response = member_client(Role.MANAGER).post(_decide_url(undecided), {"decision": decision}, follow=True)
    assert response.status_code == 200 and "Mark as sent" in response.content.decode()
    assert Notification.objects.get(pk=undecided.pk).state == State.UNKNOWN


def test_only_undecided_rows_can_be_decided(
    member_client, tenant_a, users_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = _sms_row(order)  # sent
    response = member_client(Role.MANAGER).post(_decide_url(row), {"decision": "again"}, follow=True)
    assert "changed meanwhile" in response.content.decode()
    assert Notification.objects.get(pk=row.pk).state == State.SENT


def test_beats_relay_runs_both_channels_in_process(
    tenant_a, users_a, sms_outbox, django_capture_on_commit_callbacks
):
    """bin/dev and the tests run tasks in-process: the relay's per-channel fan-out still sends everything."""
    with django_capture_on_commit_callbacks(execute=False):
        take_in(tenant_a)
    assert Notification.objects.filter(state=State.PENDING).count() == 2
    tasks.relay.delay()
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
