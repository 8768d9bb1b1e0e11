"""The HTTP SMS-gateway backend, against a fake gateway on 127.0.0.1 started by the test."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications import outbox, sms
from notifications.models import Channel, Notification, State

from .conftest import take_in


class FakeGateway:
    """Answers each POST with the next (status, body) of `answers` (the last one repeats), records requests."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes]] = [(200, b'{"id": "msg-1"}')]
        self.delay = 0.0
        # GET <url>?reference=...: the gateway's status API (tests of ambiguous sends). reference -> status
        # word; an unknown reference answers 404.
        self.statuses: dict[str, str] = {}
        self.status_requests: list[str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                if gateway.delay:
                    time.sleep(gateway.delay)
                status, body = gateway.answers.pop(0) if len(gateway.answers) > 1 else gateway.answers[0]
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - http.server's name
                from urllib.parse import parse_qs, urlsplit

                reference = parse_qs(urlsplit(self.path).query).get("reference", [""])[0]
                gateway.status_requests.append(reference)
                if reference in gateway.statuses:
                    status, body = 200, json.dumps({"status": gateway.statuses[reference]}).encode()
                else:
                    status, body = 404, b'{"error": "no such message"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/sms/send"
        self.status_url = f"http://127.0.0.1:{self.server.server_port}/api/sms/status"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.SMS_BACKEND = "notifications.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = fake.url
    settings.SMS_GATEWAY_LOGIN = "alpha"
    settings.SMS_GATEWAY_PASSWORD = "s3cret:pass"
    settings.SMS_SENDER = "AlphaRepair"
    settings.SMS_TIMEOUT = 2
    settings.SMS_GATEWAY_STATUS_URL = ""
    yield fake
    fake.stop()


def test_sends_json_with_basic_auth(gateway):
    provider_id = sms.HttpGatewayBackend().send(to="+79161234567", text="Заказ №5 готов", reference="sd-5")
    assert provider_id == "msg-1"
    request = gateway.requests[0]
    assert request["path"] == "/api/sms/send"
    assert request["body"] == {
        "sender": "AlphaRepair",
        "to": "+79161234567",
        "text": "Заказ №5 готов",
        "reference": "sd-5",
    }
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"alpha:s3cret:pass").decode()
    assert request["headers"]["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(500, False), (503, False), (429, False), (408, False), (400, True), (401, True), (422, True)],
)
def test_http_errors_are_classified(gateway, status, permanent):
    gateway.answers = [(status, b'{"error": "no"}')]
    with pytest.raises(sms.SmsError) as caught:
        sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
    assert caught.value.permanent is permanent
    assert str(status) in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_timeout_and_refused_connection_are_retried(gateway, settings):
    settings.SMS_TIMEOUT = 1
    gateway.delay = 1.5
    with pytest.raises(sms.SmsError) as caught:
        sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
    assert not caught.value.permanent
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:1/send"  # nothing listens there
    with pytest.raises(sms.SmsError) as caught:
        sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
    assert not caught.value.permanent and "unreachable" in str(caught.value)


def test_redirects_are_not_followed(gateway):
    gateway.answers = [(302, b"")]
    with pytest.raises(sms.SmsError):
        sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1")
    assert len(gateway.requests) == 1


def test_a_non_json_answer_is_still_success(gateway):
    gateway.answers = [(200, b"OK")]
    assert sms.HttpGatewayBackend().send(to="+79161234567", text="x", reference="sd-1") == ""


def test_missing_url_is_a_configuration_error(settings):
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(ImproperlyConfigured):
        sms.HttpGatewayBackend()


@pytest.mark.django_db
def test_outbox_through_the_gateway_retries_then_sends(
    gateway, tenant_a, users_a, django_capture_on_commit_callbacks
):
    gateway.answers = [(502, b""), (200, b'{"id": "gw-77"}')]
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a, phone="+79160001122")
    row = Notification.objects.get(order=order, channel=Channel.SMS)
    assert (row.state, row.attempts) == (State.PENDING, 1) and "502" in row.last_error
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    assert outbox.relay()["sent"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.provider_id, row.last_error) == (State.SENT, 2, "gw-77", "")
    assert row.reference.startswith("sd-") and len(row.reference) == 35
    assert [r["body"]["reference"] for r in gateway.requests] == [row.reference, row.reference]
    assert [r["headers"]["Idempotency-Key"] for r in gateway.requests] == [row.reference, row.reference]
    assert gateway.requests[-1]["body"]["to"] == "+79160001122"
