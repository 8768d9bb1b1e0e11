"""Operations: request ids in logs, JSON logs, Sentry scrubbing, the metrics page, data retention."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Channel, Kind, Notification, State
from ops import retention
from ops.logging import RequestIdFilter, request_id
from ops.sentry import scrub
from servicedesk.metrics import DOCUMENTS_RENDERED, LOGINS_LOCKED_OUT, TASK_FAILURES
from tests.factories import NotificationFactory, OrderFactory

pytestmark = pytest.mark.django_db


# --- Request ids and logs ---------------------------------------------------------------------------
def test_every_response_carries_a_new_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_the_proxy_request_id_is_kept_when_it_looks_like_one(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-1234abcd")["X-Request-ID"] == "proxy-1234abcd"
    junk = client.get("/healthz", HTTP_X_REQUEST_ID="<script>\n")["X-Request-ID"]
    assert junk != "<script>\n" and len(junk) == 32


def test_log_records_carry_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"  # outside a request
    token = request_id.set("abc12345")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    assert record.request_id == "abc12345"


def test_json_log_lines():
    from pythonjsonlogger.json import JsonFormatter

    from servicedesk import settings as project_settings

    options = dict(project_settings.LOGGING["formatters"]["json"])
    options.pop("()")
    record = logging.LogRecord("orders", logging.WARNING, __file__, 1, "Order %s changed", (7,), None)
    record.request_id = "req-12345678"
    line = json.loads(JsonFormatter(**options).format(record))
    assert line["level"] == "WARNING" and line["logger"] == "orders"
    assert line["message"] == "Order 7 changed" and line["request_id"] == "req-12345678"
    assert "time" in line


# --- Sentry ---------------------------------------------------------------------------------------
def test_sentry_events_lose_personal_data_and_tokens():
    event = {
        "request": {
            "url": "https://sd.example/s/Xy12-secret_token/feedback/",
            "data": {"name": "Anna Petrova", "phone": "+79161234567"},
            "cookies": {"sessionid": "s"},
            "query_string": "q=%2B7916",
            "headers": {
                "Cookie": "sessionid=s",
                "Authorization": "Bearer t",
                "User-Agent": "UA",
                "X-Request-ID": "r",
            },
            "env": {"REMOTE_ADDR": "1.2.3.4"},
        },
        "user": {"id": 5, "email": "anna@example.test", "username": "anna", "ip_address": "1.2.3.4"},
        "transaction": "/s/Xy12-secret_token/",
        "breadcrumbs": {"values": [{"message": "GET /s/Xy12-secret_token/", "data": {"body": "x"}}]},
    }
    scrubbed = scrub(event)
    assert scrubbed["request"] == {
        "url": "https://sd.example/s/[token]/feedback/",
        "headers": {"User-Agent": "UA", "X-Request-ID": "r"},
    }
    assert scrubbed["user"] == {"id": 5}
    assert scrubbed["transaction"] == "/s/[token]/"
    assert scrubbed["breadcrumbs"]["values"] == [{"message": "GET /s/[token]/"}]
    assert "secret_token" not in json.dumps(scrubbed)


# --- Metrics --------------------------------------------------------------------------------------
def _outbox_row(order, n: int, state: str, channel: str = Channel.EMAIL, age: timedelta = timedelta(0)):
    return NotificationFactory(
        tenant=order.tenant,
        order=order,
        source_key=f"ops:{n}",
        kind=Kind.READY_FOR_PICKUP,
        channel=channel,
        recipient=f"c{n}@example.test",
        language="en",
        subject="Ready",
        body="Ready",
        state=state,
        created_at=timezone.now() - age,
    )


def test_metrics_page_is_hidden_without_configuration(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_page_needs_the_token(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "s3cret-token", []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


def test_metrics_page_for_an_allowed_address(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.9"]
    assert client.get("/metrics").status_code == 404  # the test client comes from 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_metrics_show_the_outbox_backlog_and_request_times(client, settings, tenant_a, tenant_b):
    settings.METRICS_TOKEN = "s3cret-token"
    order_a, order_b = OrderFactory(tenant=tenant_a), OrderFactory(tenant=tenant_b)
    _outbox_row(order_a, 1, State.PENDING, age=timedelta(minutes=10))
    _outbox_row(order_b, 2, State.PENDING, age=timedelta(minutes=2))
    _outbox_row(order_a, 3, State.PENDING, Channel.SMS, age=timedelta(seconds=30))
    _outbox_row(order_a, 4, State.SENDING)
    _outbox_row(order_a, 5, State.SENT, age=timedelta(days=2))
    _outbox_row(order_a, 6, State.FAILED)
    client.get("/healthz")
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").content.decode()
    lines = text.splitlines()
    assert 'servicedesk_outbox_backlog{channel="email",state="pending"} 2.0' in lines
    assert 'servicedesk_outbox_backlog{channel="sms",state="pending"} 1.0' in lines
    assert 'servicedesk_outbox_backlog{channel="email",state="sending"} 1.0' in lines
    assert 'state="sent"' not in text and 'state="failed"' not in text  # history, not backlog
    oldest = {
        line.split("{")[1].split("}")[0]: float(line.split()[-1])
        for line in lines
        if line.startswith("servicedesk_outbox_oldest_pending_seconds{")
    }
    assert 590 <= oldest['channel="email"'] <= 700 and 25 <= oldest['channel="sms"'] <= 120
    assert 'servicedesk_request_seconds_count{method="GET",status="2xx",view="healthz"}' in text


def test_counters_for_lockouts_task_failures_and_documents():
    from axes.signals import user_locked_out
    from celery.signals import task_failure

    before = (LOGINS_LOCKED_OUT._value.get(), TASK_FAILURES.labels(task="t.x")._value.get())
    user_locked_out.send(sender="test", request=None, username="u", ip_address="1.2.3.4")

    class Task:
        name = "t.x"

    task_failure.send(sender=Task())
    assert LOGINS_LOCKED_OUT._value.get() == before[0] + 1
    assert TASK_FAILURES.labels(task="t.x")._value.get() == before[1] + 1
    assert DOCUMENTS_RENDERED.labels(kind="completion_act")._value.get() >= 0


# --- Retention ------------------------------------------------------------------------------------
def test_purge_keeps_recent_and_unsent_notifications(tenant_a, settings):
    order = OrderFactory(tenant=tenant_a)
    old = timedelta(days=200)
    old_sent = _outbox_row(order, 1, State.SENT, age=old)
    old_failed = _outbox_row(order, 2, State.FAILED, age=old)
    old_pending = _outbox_row(order, 3, State.PENDING, age=old)
    old_sending = _outbox_row(order, 4, State.SENDING, age=old)
    recent_sent = _outbox_row(order, 5, State.SENT, age=timedelta(days=179))
    assert retention.purge_notifications(180) == 2
    left = set(Notification.objects.values_list("pk", flat=True))
    assert left == {old_pending.pk, old_sending.pk, recent_sent.pk}
    assert old_sent.pk not in left and old_failed.pk not in left


def test_purge_in_batches(tenant_a, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    order = OrderFactory(tenant=tenant_a)
    for n in range(5):
        _outbox_row(order, n, State.SENT, age=timedelta(days=400))
    assert retention.purge_notifications(180) == 5 and not Notification.objects.exists()


def test_purge_login_logs():
    old = AccessLog.objects.create(username="a", ip_address="1.2.3.4", user_agent="x")
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(days=91))
    AccessLog.objects.create(username="b", ip_address="1.2.3.4", user_agent="x")
    attempt = AccessAttempt.objects.create(
        username="c", ip_address="1.2.3.4", user_agent="x", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(days=100))
    assert retention.purge_login_logs(90) == 2
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["b"]
    assert not AccessAttempt.objects.exists()


def test_purge_command_and_task(tenant_a, capsys, settings):
    settings.NOTIFICATIONS_RETENTION_DAYS = 30
    _outbox_row(OrderFactory(tenant=tenant_a), 1, State.SENT, age=timedelta(days=31))
    call_command("purge_old_data")
    assert "notifications: 1 deleted, login_logs: 0 deleted" in capsys.readouterr().out
    from ops.tasks import purge_old_data

    assert purge_old_data.apply().get() == {"notifications": 0, "login_logs": 0}
