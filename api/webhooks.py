"""Webhooks: the center's endpoints, their deliveries (an outbox), signing and sending.

The outbox, as for messages (notifications/outbox.py): an order-event listener writes one
WebhookDelivery per subscribed active endpoint inside the business transaction (so a delivery exists
exactly when its change does) and queues the send for after the commit; beat's relay sends what the fast
path missed and takes back claims of dead workers. A send claims the row (pending -> sending with a
conditional UPDATE), posts once, and marks it delivered, or schedules a retry with exponential backoff,
or fails it after WEBHOOK_MAX_ATTEMPTS. Every attempt of one event carries the same X-Webhook-Id, so a
receiver drops what it already handled (a crash after the post may send it again: at least once).

Each request is signed: X-Webhook-Signature is "v1=" + hex HMAC-SHA256 of "<timestamp>.<body>" with the
endpoint's secret, X-Webhook-Timestamp the Unix time it was signed (docs/integrations.md has the recipe).
Destinations are checked in destinations.py; timeouts, the response cap and the Celery time limit keep
a slow receiver from holding a worker. An endpoint that fails WEBHOOK_PAUSE_AFTER attempts in a row is
paused and the center's owners are e-mailed once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
import time
import uuid
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.models import EventKind, OrderEvent
from orders.permissions import check_actor
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role

from . import audit, destinations
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent, new_webhook_secret

logger = logging.getLogger(__name__)

Delivery = WebhookDelivery
State = WebhookDelivery.State
USER_AGENT = "ServiceDesk-Webhooks/1"


# --- Signing (the receiver's recipe is in docs/integrations.md) -----------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (used by the tests to prove the recipe): the signature matches and is fresh."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - stamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), header)


# --- The endpoints (the owner's settings) ---------------------------------------------------------


def _clean(tenant: Tenant, url: str, events: list[str], exclude: int | None = None) -> tuple[str, list[str]]:
    url = (url or "").strip()
    try:
        destinations.resolve(url)
    except destinations.Refused as refused:
        raise ValidationError(str(refused)) from None
    chosen = [event for event in WebhookEvent.values if event in set(events or [])]
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationError(_("Choose at least one event."))
    others = WebhookEndpoint.objects.for_tenant(tenant)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.filter(url=url).exists():
        raise ValidationError(_("Another endpoint has this URL."))
    if exclude is None and others.count() >= settings.WEBHOOK_MAX_ENDPOINTS:
        raise ValidationError(
            _("A center has at most %(count)s endpoints.") % {"count": settings.WEBHOOK_MAX_ENDPOINTS}
        )
    return url, chosen


def create_endpoint(
    tenant: Tenant, *, url: str, events: list[str], description: str = "", by: Membership
) -> WebhookEndpoint:
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=tenant.pk)
    url, chosen = _clean(tenant, url, events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, url=url, events=chosen, description=description.strip(), created_by=by.user
        )
        audit.record(by, audit.Action.WEBHOOK_CREATED, url, {"events": chosen})
    return endpoint


def update_endpoint(
    endpoint: WebhookEndpoint, *, url: str, events: list[str], description: str = "", by: Membership
) -> WebhookEndpoint:
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=endpoint.tenant_id)
    url, chosen = _clean(endpoint.tenant, url, events, exclude=endpoint.pk)
    before = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    endpoint.url, endpoint.events, endpoint.description = url, chosen, description.strip()
    after = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    with transaction.atomic():
        endpoint.save(update_fields=["url", "events", "description"])
        if before != after:
            audit.record(by, audit.Action.WEBHOOK_CHANGED, url, {"before": before, "after": after})
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint, *, by: Membership) -> None:
    """The endpoint and its delivery log go; nothing more is sent to it."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=endpoint.tenant_id)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk, tenant_id=endpoint.tenant_id).delete()
        audit.record(by, audit.Action.WEBHOOK_DELETED, endpoint.url, {"events": endpoint.events})


def resume_endpoint(endpoint: WebhookEndpoint, *, by: Membership) -> None:
    """A paused endpoint takes events again; its queued deliveries go out (failed ones wait for a resend)."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=endpoint.tenant_id)
    resumed = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, tenant_id=endpoint.tenant_id, state=WebhookEndpoint.State.PAUSED
    ).update(state=WebhookEndpoint.State.ACTIVE, paused_at=None, pause_reason="", failures_in_row=0)
    if resumed:
        audit.record(by, audit.Action.WEBHOOK_RESUMED, endpoint.url)
    endpoint.refresh_from_db()
    due = list(
        WebhookDelivery.objects.filter(
            tenant_id=endpoint.tenant_id, endpoint=endpoint, state=State.PENDING
        ).values_list("pk", flat=True)[: settings.WEBHOOK_BATCH_SIZE]
    )
    if due:
        transaction.on_commit(lambda: enqueue(endpoint.tenant_id, due), robust=True)


def rotate_secret(endpoint: WebhookEndpoint, *, by: Membership) -> str:
    """A new signing secret at once (the receiver must take it: the old one stops matching)."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=endpoint.tenant_id)
    endpoint.secret = new_webhook_secret()
    with transaction.atomic():
        endpoint.save(update_fields=["secret"])
        audit.record(by, audit.Action.WEBHOOK_SECRET, endpoint.url)  # never the secret itself
    return endpoint.secret


class ResendRefused(Exception):
    """str(error) is a sentence for the owner."""


def resend(delivery: WebhookDelivery, *, by: Membership) -> WebhookDelivery:
    """Failed: queued again with fresh attempts. Delivered: a copy with the same event id (the receiver may
    drop it as seen). Queued or sending: refused. The endpoint must be active."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=delivery.tenant_id)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if endpoint.state != WebhookEndpoint.State.ACTIVE:
            raise ResendRefused(_("The endpoint is paused. Resume it first."))
        row = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        now = timezone.now()
        if row.state == State.FAILED:
            row.state, row.attempts, row.next_attempt_at, row.last_error = State.PENDING, 0, now, ""
            row.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
            copy = row
        elif row.state == State.DELIVERED:
            resends = WebhookDelivery.objects.filter(
                tenant_id=row.tenant_id,
                endpoint_id=row.endpoint_id,
                source_key__startswith=f"resend:{row.pk}:",
            ).count()
            copy = WebhookDelivery.objects.create(
                tenant_id=row.tenant_id,
                endpoint_id=row.endpoint_id,
                source_key=f"resend:{row.pk}:{resends + 1}",
                event_id=row.event_id,
                event_type=row.event_type,
                payload=row.payload,
                resent_from=row,
                next_attempt_at=now,
            )
        else:
            raise ResendRefused(_("This delivery is still queued or being sent."))
        transaction.on_commit(lambda: enqueue(copy.tenant_id, [copy.pk]), robust=True)
    return copy


# --- Writing deliveries (the order-event listener, inside the business transaction) ---------------

_TYPE_OF_KIND = {
    EventKind.CREATED: WebhookEvent.ORDER_CREATED,
    EventKind.STATUS: WebhookEvent.ORDER_STATUS,
    EventKind.ASSIGNED: WebhookEvent.ORDER_ASSIGNED,
    EventKind.PAYMENT: WebhookEvent.PAYMENT,
    EventKind.FEEDBACK: WebhookEvent.FEEDBACK,
}


def event_type_of(event: OrderEvent) -> str | None:
    if event.kind == EventKind.DOCUMENT:
        # Issued documents carry their kind; "e-mailed to the client" does not.
        return WebhookEvent.DOCUMENT if "kind" in (event.data or {}) else None
    kind = _TYPE_OF_KIND.get(EventKind(event.kind)) if event.kind in EventKind.values else None
    return str(kind) if kind else None


def payload_of(event: OrderEvent, event_type: str, event_id: str) -> dict:
    """What the receiver gets: the event, and the order as it is now (no client contacts)."""
    order = event.order
    data: dict = {
        "order": {
            "number": order.number,
            "version": order.version,
            "status": order.status,
            "stage": order.stage,
            "client_id": order.client_id,
            "total_amount": order.total_amount,
            "paid_amount": order.paid_amount,
            "promised_at": order.promised_at,
            "created_at": order.created_at,
        },
        "event": {
            "kind": event.kind,
            "message": event.message,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "action": event.action,
        },
    }
    extra = event.data or {}
    if event_type == WebhookEvent.DOCUMENT:
        data["document"] = {"id": extra.get("document_id"), "kind": extra.get("kind")}
    elif event_type == WebhookEvent.FEEDBACK:
        data["feedback"] = {"rating": extra.get("rating"), "comment": extra.get("comment", "")}
    body = {"id": event_id, "type": event_type, "created_at": event.created_at, "data": data}
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def on_order_event(event: OrderEvent) -> None:
    """The listener: one delivery per active endpoint of the center that wants this event (one query when
    the center has none)."""
    event_type = event_type_of(event)
    if event_type is None:
        return
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            tenant_id=event.tenant_id, state=WebhookEndpoint.State.ACTIVE
        ).only("pk", "events")
        if event_type in endpoint.events
    ]
    if not endpoints:
        return
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = payload_of(event, event_type, event_id)
    created: list[int] = []
    for endpoint in endpoints:
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not break the business transaction
                row = WebhookDelivery.objects.create(
                    tenant_id=event.tenant_id,
                    endpoint=endpoint,
                    source_key=f"event:{event.pk}",
                    event_id=event_id,
                    event_type=event_type,
                    payload=payload,
                )
        except IntegrityError:
            continue  # already written for this event: idempotent
        created.append(row.pk)
    if created:
        tenant_id = event.tenant_id
        transaction.on_commit(lambda: enqueue(tenant_id, created), robust=True)


def enqueue(tenant_id: int, ids: list[int]) -> bool:
    """Queue the send now (fast path). A broker error is logged, never raised: the relay sends later."""
    from . import tasks

    try:
        tasks.deliver_webhooks.apply_async((tenant_id, ids), retry=False)
    except Exception as error:  # noqa: BLE001 - kombu/redis raise many kinds; the rows are safe either way
        logger.warning("Webhook deliveries %s not queued (%s); the relay will send them.", ids, error)
        return False
    return True


# --- Claiming and sending --------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """base * 2^(attempts-1), capped, then a random 50-100% of it (receivers that fail together do not
    all come back at the same second)."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS, settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    )
    return ceiling * random.uniform(0.5, 1.0)


def claim(
    ids: list[int] | None = None, *, tenant_id: int | None = None, now: datetime | None = None
) -> tuple[str, list[WebhookDelivery]]:
    """Due pending rows of active endpoints -> sending, attempts + 1 (exclusive: WHERE state='pending')."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        candidates = WebhookDelivery.objects.filter(
            state=State.PENDING, next_attempt_at__lte=now, endpoint__state=WebhookEndpoint.State.ACTIVE
        )
        if tenant_id is not None:
            candidates = candidates.filter(tenant_id=tenant_id)
        if ids is not None:
            chosen = list(candidates.filter(pk__in=ids).values_list("pk", flat=True))
        else:
            chosen = list(
                candidates.order_by("next_attempt_at")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[: settings.WEBHOOK_BATCH_SIZE]
            )
        if not chosen:
            return token, []
        WebhookDelivery.objects.filter(pk__in=chosen, state=State.PENDING).update(
            state=State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    rows = list(
        WebhookDelivery.objects.filter(pk__in=chosen, claim_token=token, state=State.SENDING)
        .select_related("endpoint")
        .order_by("pk")
    )
    return token, rows


class SendFailed(Exception):
    def __init__(self, message: str, status: int | None = None, excerpt: str = "") -> None:
        super().__init__(message)
        self.status, self.excerpt = status, excerpt


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST once to the checked address; (status, the answer's first characters). Raises SendFailed.

    No redirects are followed (a redirect could point inside); the answer is read up to
    WEBHOOK_RESPONSE_MAX_BYTES and within WEBHOOK_TOTAL_SECONDS, then the connection is dropped."""
    try:
        target = destinations.resolve(url)
    except destinations.Refused as refused:
        raise SendFailed(str(refused)) from None
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT)
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False, maxsize=1
        )
    deadline = time.monotonic() + settings.WEBHOOK_TOTAL_SECONDS
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        received = b""
        try:
            for chunk in response.stream(4096):
                received += chunk
                if len(received) >= settings.WEBHOOK_RESPONSE_MAX_BYTES or time.monotonic() > deadline:
                    break
        finally:
            response.close()  # the rest is never read: the connection is dropped
        excerpt = received[:500].decode("utf-8", "replace")
        return response.status, excerpt
    except urllib3.exceptions.HTTPError as error:
        raise SendFailed(f"{type(error).__name__}: {error}"[:500]) from None
    except OSError as error:
        raise SendFailed(f"{type(error).__name__}: {error}"[:500]) from None
    finally:
        pool.close()


def request_of(row: WebhookDelivery, *, now: float | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
    stamp = int(now if now is not None else time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": row.event_id,
        "X-Webhook-Event": row.event_type,
        "X-Webhook-Timestamp": str(stamp),
        "X-Webhook-Signature": signature(row.endpoint.secret, stamp, body),
    }
    return body, headers


def send_claimed(token: str, rows: list[WebhookDelivery]) -> dict[str, int]:
    totals = {"delivered": 0, "retried": 0, "failed": 0}
    for row in rows:
        body, headers = request_of(row)
        started = time.monotonic()
        status: int | None = None
        excerpt = error = ""
        try:
            status, excerpt = post(row.endpoint.url, body, headers)
            if not 200 <= status < 300:
                error = _("The endpoint answered %(status)s.") % {"status": status}
        except SendFailed as failed:
            error = str(failed)
        took = int((time.monotonic() - started) * 1000)
        mine = WebhookDelivery.objects.filter(pk=row.pk, claim_token=token, state=State.SENDING)
        common = {"response_status": status, "response_excerpt": excerpt[:500], "duration_ms": took}
        if not error:
            mine.update(
                state=State.DELIVERED, delivered_at=timezone.now(), last_error="", claim_token="", **common
            )
            WebhookEndpoint.objects.filter(pk=row.endpoint_id, failures_in_row__gt=0).update(
                failures_in_row=0
            )
            totals["delivered"] += 1
            continue
        if row.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            mine.update(state=State.FAILED, last_error=error[:500], claim_token="", **common)
            totals["failed"] += 1
        else:
            retry_at = timezone.now() + timedelta(seconds=backoff_seconds(row.attempts))
            mine.update(
                state=State.PENDING,
                next_attempt_at=retry_at,
                last_error=error[:500],
                claim_token="",
                **common,
            )
            totals["retried"] += 1
        _count_failure(row.endpoint, error)
    return totals


def _count_failure(endpoint: WebhookEndpoint, error: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failures_in_row=F("failures_in_row") + 1)
    paused = WebhookEndpoint.objects.filter(
        pk=endpoint.pk,
        state=WebhookEndpoint.State.ACTIVE,
        failures_in_row__gte=settings.WEBHOOK_PAUSE_AFTER,
    ).update(state=WebhookEndpoint.State.PAUSED, paused_at=timezone.now(), pause_reason=error[:300])
    if paused:  # only the worker whose UPDATE paused it tells the owners: once
        tell_owners_paused(endpoint, error)


def tell_owners_paused(endpoint: WebhookEndpoint, error: str) -> None:
    tenant = Tenant.objects.get(pk=endpoint.tenant_id)
    owners = list(
        Membership.objects.filter(tenant=tenant, role=Role.OWNER, is_active=True)
        .select_related("user")
        .values_list("user__email", flat=True)
    )
    if not owners:
        return
    with translation.override(tenant.language):
        subject = _("Webhook paused: %(url)s") % {"url": endpoint.url[:100]}
        body = _(
            "The webhook endpoint %(url)s of %(center)s failed %(count)s times in a row and is paused: "
            "nothing more is sent to it.\n\nLast error: %(error)s\n\nFix the receiver, then resume the "
            "endpoint and resend what failed under Administration → Webhooks."
        ) % {
            "url": endpoint.url,
            "center": tenant.name,
            "count": settings.WEBHOOK_PAUSE_AFTER,
            "error": error,
        }
    try:
        send_mail(subject, body, None, owners)
    except Exception as problem:  # noqa: BLE001 - the page shows the pause anyway
        logger.warning("Webhook %s paused; owners not e-mailed (%s).", endpoint.pk, problem)


def deliver(tenant_id: int, ids: list[int]) -> dict[str, int]:
    token, rows = claim(ids, tenant_id=tenant_id)
    return send_claimed(token, rows)


def requeue_stale(now: datetime | None = None) -> int:
    """Claims older than the lease belong to dead workers: queued again (the receiver dedupes on the id)."""
    now = now or timezone.now()
    stale = WebhookDelivery.objects.filter(
        state=State.SENDING, claimed_at__lt=now - timedelta(seconds=settings.WEBHOOK_CLAIM_TTL_SECONDS)
    )
    return stale.update(state=State.PENDING, claim_token="", claimed_at=None, next_attempt_at=now)


def relay(*, max_batches: int = 20) -> dict[str, int]:
    totals = {"requeued": requeue_stale()}
    deadline = time.monotonic() + settings.WEBHOOK_CLAIM_TTL_SECONDS / 2
    for _batch in range(max_batches):
        if time.monotonic() > deadline:
            break
        token, rows = claim()
        if not rows:
            break
        for key, value in send_claimed(token, rows).items():
            totals[key] = totals.get(key, 0) + value
    return totals
