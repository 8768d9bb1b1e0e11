"""Webhooks: endpoints only on public https addresses, deliveries written with the business transaction,
signed (the documented recipe verifies them), the same id on every attempt, retries with backoff, a
failing endpoint paused and its owners told once, the delivery log with resend, the owner's pages only."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from api import destinations, webhooks
from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from orders.models import EventKind
from orders.permissions import ActorRefused
from orders.timeline import record_event
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import OrderFactory, WebhookDeliveryFactory, WebhookEndpointFactory

# Celery tasks run in-process, also in the PostgreSQL + Redis pass (tests/conftest.py, celery_eager).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]

State = WebhookDelivery.State


class Receiver:
    """A local HTTP server: answers each request with the next of `answers` (status, body, delay)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes, float, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status, answer, delay, extra = (
                    receiver.answers.pop(0) if receiver.answers else (200, b"ok", 0.0, {})
                )
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                if delay:
                    time.sleep(delay)
                try:
                    self.wfile.write(answer)
                except OSError:
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/servicedesk?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def owner_a(tenant_a, users_a) -> Membership:
    return Membership.objects.get(tenant=tenant_a, user=users_a[Role.OWNER])


def _endpoint(tenant, url, events=None) -> WebhookEndpoint:
    return WebhookEndpointFactory(tenant=tenant, url=url, events=events or list(WebhookEvent.values))


def _status_event(order, *, to="planned"):
    return record_event(
        order, EventKind.STATUS, from_status="new", to_status=to, action="plan", message="Planned"
    )


# --- Destinations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/hook", "https://"),
        ("ftp://93.184.216.34/hook", "https://"),
        ("https://user:pw@93.184.216.34/hook", "user name"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.8.9.10:8443/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://172.16.5.5/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://0.0.0.0/hook", "private or reserved"),
        ("https://100.64.0.1/hook", "not public"),
        ("https://localhost/hook", "loopback"),
        ("https://no-such-host.invalid/hook", "could not be resolved"),
        ("https:///hook", "no host"),
    ],
)
def test_internal_and_plain_destinations_are_refused(settings, url, reason):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(destinations.Refused, match=reason):
        destinations.resolve(url)


def test_a_host_is_judged_by_every_address_it_resolves_to(settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        addresses = {"public.example": ["93.184.216.34"], "mixed.example": ["93.184.216.34", "10.0.0.7"]}[
            host
        ]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    target = destinations.resolve("https://public.example/in?a=1")
    assert (target.host, target.address, target.port, target.path) == (
        "public.example",
        "93.184.216.34",
        443,
        "/in?a=1",
    )
    with pytest.raises(destinations.Refused, match="private"):
        destinations.resolve("https://mixed.example/in")


def test_the_allowed_networks_setting_lets_loopback_through(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert destinations.resolve("https://127.0.0.1:8000/x").address == "127.0.0.1"
    with pytest.raises(destinations.Refused):
        destinations.resolve("https://127.0.0.2/x")


def test_a_send_checks_the_address_again(tenant_a, settings):
    """An endpoint saved while allowed (or a host whose DNS changed) is refused at send time: nothing is called."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    endpoint = _endpoint(tenant_a, "https://127.0.0.1:9/hook")
    order = OrderFactory(tenant=tenant_a)
    with transaction.atomic():
        _status_event(order)
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    webhooks.deliver(tenant_a.pk, [row.pk])
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 1
    assert "loopback" in row.last_error and row.response_status is None


# --- The outbox ------------------------------------------------------------------------------------


def test_an_event_is_delivered_signed_with_a_stable_id(
    tenant_a, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(tenant_a, receiver.url, [WebhookEvent.ORDER_STATUS])
    order = OrderFactory(tenant=tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            _status_event(order)
            record_event(order, EventKind.NOTE, message="internal")  # not an event endpoints get
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/servicedesk?x=1"
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    assert row.state == State.DELIVERED and row.attempts == 1 and row.response_status == 200
    assert headers["X-Webhook-Id"] == row.event_id and row.event_id.startswith("evt_")
    assert headers["X-Webhook-Event"] == "order.status_changed"
    assert headers["Content-Type"] == "application/json"
    # The documented recipe: HMAC-SHA256 over "<timestamp>.<body>" with the secret, hex, after "v1=".
    import hashlib
    import hmac

    expected = hmac.new(
        endpoint.secret.encode(), headers["X-Webhook-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Webhook-Signature"] == f"v1={expected}"
    assert webhooks.verify(
        endpoint.secret, headers["X-Webhook-Timestamp"], body, headers["X-Webhook-Signature"]
    )
    assert not webhooks.verify(
        "whsec_other", headers["X-Webhook-Timestamp"], body, headers["X-Webhook-Signature"]
    )
    assert not webhooks.verify(
        endpoint.secret, headers["X-Webhook-Timestamp"], body + b" ", headers["X-Webhook-Signature"]
    )
    payload = json.loads(body)
    assert payload["id"] == row.event_id and payload["type"] == "order.status_changed"
    assert payload["data"]["order"]["number"] == order.number
    assert payload["data"]["event"]["to_status"] == "planned"
    assert "phone" not in body.decode() and order.client.phone not in body.decode()


def test_a_rolled_back_change_sends_nothing(tenant_a, receiver, django_capture_on_commit_callbacks):
    _endpoint(tenant_a, receiver.url)
    order = OrderFactory(tenant=tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _status_event(order)
            raise RuntimeError("the business change failed")
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_only_subscribed_active_endpoints_of_the_center_get_it(tenant_a, tenant_b):
    wants = _endpoint(tenant_a, "https://127.0.0.1:9/a", [WebhookEvent.ORDER_STATUS])
    _endpoint(tenant_a, "https://127.0.0.1:9/b", [WebhookEvent.PAYMENT])
    paused = _endpoint(tenant_a, "https://127.0.0.1:9/c")
    paused.state = WebhookEndpoint.State.PAUSED
    paused.save()
    _endpoint(tenant_b, "https://127.0.0.1:9/d")
    with transaction.atomic():
        _status_event(OrderFactory(tenant=tenant_a))
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [wants.pk]


def test_failures_are_retried_with_backoff_and_the_same_id(tenant_a, receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answers = [
        (500, b"down", 0, {}),
        (302, b"", 0, {"Location": "http://10.0.0.1/"}),
        (500, b"", 0, {}),
    ]
    endpoint = _endpoint(tenant_a, receiver.url)
    with transaction.atomic():
        _status_event(OrderFactory(tenant=tenant_a))
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    before = timezone.now()
    webhooks.deliver(tenant_a.pk, [row.pk])
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 1 and row.response_status == 500
    assert row.last_error == "The endpoint answered 500." and row.response_excerpt == "down"
    # First retry 30-60 s later (base 60 s, jitter 50-100 %).
    assert before + timedelta(seconds=29) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=61)
    assert webhooks.deliver(tenant_a.pk, [row.pk]) == {
        "delivered": 0,
        "retried": 0,
        "failed": 0,
    }  # not due yet
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    webhooks.deliver(tenant_a.pk, [row.pk])
    row.refresh_from_db()
    # A redirect is not followed (it could point inside): a failure, the second backoff twice as long.
    assert row.state == State.PENDING and row.attempts == 2 and row.response_status == 302
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=59)
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    webhooks.relay()
    row.refresh_from_db()
    assert row.state == State.FAILED and row.attempts == 3
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Webhook-Id"] for r in receiver.requests}) == 1
    endpoint.refresh_from_db()
    assert endpoint.failures_in_row == 3 and endpoint.state == WebhookEndpoint.State.ACTIVE


def test_a_big_or_slow_answer_does_not_hold_the_worker(tenant_a, receiver, settings):
    settings.WEBHOOK_RESPONSE_MAX_BYTES = 1024
    settings.WEBHOOK_READ_TIMEOUT = 1
    receiver.answers = [(200, b"x" * 5_000_000, 0, {}), (200, b"late", 3, {})]
    endpoint = _endpoint(tenant_a, receiver.url)
    with transaction.atomic():
        _status_event(OrderFactory(tenant=tenant_a))
        _status_event(OrderFactory(tenant=tenant_a), to="in_progress")
    first, second = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
    started = time.monotonic()
    webhooks.deliver(tenant_a.pk, [first.pk])
    webhooks.deliver(tenant_a.pk, [second.pk])
    assert time.monotonic() - started < 2.9
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == State.DELIVERED and len(first.response_excerpt) == 500
    assert second.state == State.PENDING and "Timeout" in second.last_error


def test_a_dead_worker_s_claim_is_sent_again(tenant_a, settings):
    endpoint = _endpoint(tenant_a, "https://127.0.0.1:9/hook")
    row = WebhookDeliveryFactory(
        tenant=tenant_a,
        endpoint=endpoint,
        source_key="x",
        event_id="evt_1",
        event_type="order.created",
        state=State.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=settings.WEBHOOK_CLAIM_TTL_SECONDS + 1),
    )
    assert webhooks.requeue_stale() == 1
    row.refresh_from_db()
    assert row.state == State.PENDING and row.claim_token == ""


def test_an_endpoint_that_keeps_failing_is_paused_and_the_owners_told_once(
    tenant_a, users_a, receiver, settings, mailoutbox
):
    settings.WEBHOOK_PAUSE_AFTER = 3
    receiver.answers = [(503, b"", 0, {})] * 5
    endpoint = _endpoint(tenant_a, receiver.url)
    with transaction.atomic():
        for _n in range(4):
            _status_event(OrderFactory(tenant=tenant_a))
    ids = list(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True))
    webhooks.deliver(tenant_a.pk, ids)
    endpoint.refresh_from_db()
    assert endpoint.state == WebhookEndpoint.State.PAUSED and endpoint.paused_at is not None
    assert endpoint.pause_reason == "The endpoint answered 503."
    # Three failures paused it; the fourth row was claimed in the same batch and failed too, no second mail.
    assert [m.to for m in mailoutbox] == [[users_a[Role.OWNER].email]]
    assert "paused" in mailoutbox[0].subject.lower() and receiver.url in mailoutbox[0].body
    # Paused: nothing new is written, queued rows are not sent.
    with transaction.atomic():
        _status_event(OrderFactory(tenant=tenant_a))
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 4
    WebhookDelivery.objects.filter(endpoint=endpoint).update(next_attempt_at=timezone.now())
    assert webhooks.relay()["requeued"] == 0 and len(receiver.requests) == 4


def test_resend_from_the_log(tenant_a, owner_a, receiver, member_client, django_capture_on_commit_callbacks):
    endpoint = _endpoint(tenant_a, receiver.url)
    with transaction.atomic():
        _status_event(OrderFactory(tenant=tenant_a))
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=row.pk).update(state=State.FAILED, attempts=8)
    owner = member_client(Role.OWNER)
    url = reverse("webhooks:resend", args=[tenant_a.slug, endpoint.pk, row.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(url).status_code == 302
    row.refresh_from_db()
    assert row.state == State.DELIVERED and row.attempts == 1
    # A delivered one: a copy with the same event id.
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(url)
    copy = WebhookDelivery.objects.exclude(pk=row.pk).get()
    assert copy.event_id == row.event_id and copy.resent_from_id == row.pk and copy.state == State.DELIVERED
    assert receiver.requests[-1]["headers"]["X-Webhook-Id"] == row.event_id
    # A paused endpoint: refused with the reason.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(state=WebhookEndpoint.State.PAUSED)
    response = owner.post(url, follow=True)
    assert "Resume it first" in response.content.decode()
    owner.post(reverse("webhooks:resume", args=[tenant_a.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.state == WebhookEndpoint.State.ACTIVE and endpoint.failures_in_row == 0


# --- The owner's pages -----------------------------------------------------------------------------


def test_the_owner_adds_an_endpoint_and_sees_its_log(tenant_a, member_client, settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    owner = member_client(Role.OWNER)
    url = reverse("webhooks:list", args=[tenant_a.slug])
    refused = owner.post(url, {"url": "https://169.254.169.254/x", "events": ["order.created"]})
    assert refused.status_code == 200 and "link-local" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()
    response = owner.post(
        url, {"url": "https://93.184.216.34/hook", "events": ["order.created", "payment.recorded"]}
    )
    endpoint = WebhookEndpoint.objects.get(tenant=tenant_a)
    assert response.status_code == 302 and endpoint.events == ["order.created", "payment.recorded"]
    page = owner.get(reverse("webhooks:detail", args=[tenant_a.slug, endpoint.pk]))
    assert page.status_code == 200 and endpoint.secret in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert "93.184.216.34" in owner.get(url).content.decode()
    old = endpoint.secret
    owner.post(reverse("webhooks:rotate", args=[tenant_a.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    owner.post(reverse("webhooks:delete", args=[tenant_a.slug, endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN])
def test_only_the_owner_manages_webhooks(tenant_a, member_client, role):
    endpoint = _endpoint(tenant_a, "https://93.184.216.34/hook")
    row = WebhookDeliveryFactory(
        tenant=tenant_a,
        endpoint=endpoint,
        source_key="x",
        event_id="evt_1",
        event_type="order.created",
        state=State.FAILED,
    )
    client = member_client(role)
    slug = tenant_a.slug
    assert client.get(reverse("webhooks:list", args=[slug])).status_code == 403
    assert client.get(reverse("webhooks:detail", args=[slug, endpoint.pk])).status_code == 403
    for name in ("delete", "resume", "rotate"):
        assert client.post(reverse(f"webhooks:{name}", args=[slug, endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:resend", args=[slug, endpoint.pk, row.pk])).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, secret=endpoint.secret).exists()
    row.refresh_from_db()
    assert row.state == State.FAILED


def test_the_services_refuse_a_non_owner(tenant_a, users_a):
    manager = Membership.objects.get(tenant=tenant_a, user=users_a[Role.MANAGER])
    with pytest.raises(ActorRefused):
        webhooks.create_endpoint(tenant_a, url="https://93.184.216.34/", events=["order.created"], by=manager)


def test_endpoint_rules(tenant_a, owner_a, settings):
    from django.core.exceptions import ValidationError

    settings.WEBHOOK_MAX_ENDPOINTS = 1
    webhooks.create_endpoint(tenant_a, url="https://93.184.216.34/a", events=["order.created"], by=owner_a)
    with pytest.raises(ValidationError, match="at most 1"):
        webhooks.create_endpoint(
            tenant_a, url="https://93.184.216.34/b", events=["order.created"], by=owner_a
        )
    with pytest.raises(ValidationError, match="this URL"):
        webhooks.create_endpoint(
            tenant_a, url="https://93.184.216.34/a", events=["order.created"], by=owner_a
        )
    with pytest.raises(ValidationError, match="at least one event"):
        webhooks.create_endpoint(
            tenant_a, url="https://93.184.216.34/c", events=["order.deleted"], by=owner_a
        )
