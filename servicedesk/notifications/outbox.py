"""The outbox: write notification rows with the change, send them after commit, never lose or repeat one.

Life of a row
    pending --claim--> sending --sent--> sent
       ^                  |  \\--error, attempts left--> pending (next_attempt_at = now + backoff)
       |                  \\---error, no attempts left / permanent error--> failed --resend--> pending
       \\--- relay: claim older than NOTIFICATIONS_CLAIM_TTL_SECONDS (the worker died) ---/

- `create()` runs inside the caller's transaction (the order change): the rows commit or roll back
  with it. After commit it queues `tasks.deliver` (fast path); if the broker is down, the row simply
  stays pending.
- `relay()` (Celery beat, every NOTIFICATIONS_RELAY_SECONDS) re-queues dead workers' claims and sends
  every due pending row, in batches, choosing rows with SELECT ... FOR UPDATE SKIP LOCKED so several
  workers share the load (slow path: nothing is lost while Redis or the mail server is down).
- Sending = claim (a conditional UPDATE pending -> sending that only one worker can win, with a fresh
  claim token), send, then mark sent with an UPDATE conditional on that token: a row is marked sent
  once, and a duplicate task or a racing worker finds nothing to claim.
- A worker only *starts* a send in the first half of its claim's lifetime (CLAIM_TTL / 2), every send
  is bounded by socket timeouts and the task's hard time limit (CLAIM_TTL / 2), and the relay re-queues
  a claim only after the whole CLAIM_TTL: so a re-queued row's first worker is dead, never still
  sending. The one window left is inherent to any outbox: a worker that dies after the provider took
  the message and before its "sent" UPDATE commits; that message is sent again (at least once). The
  stable Message-ID and the SMS gateway `reference` let providers that deduplicate drop it.
"""

from __future__ import annotations

import logging
import mimetypes
import random
import secrets
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from orders.models import Client, Order, OrderEvent
from orders.permissions import check_actor
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm

from . import quiet, sms
from .models import Audience, Channel, Notification, NotificationSettings, State

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 1000


# --- Writing rows (inside the business transaction) ---------------------------------------------


@dataclass
class Draft:
    """A message to write: who gets what, and why (source_key: the idempotency key's cause)."""

    tenant_id: int
    order: Order
    source_key: str
    kind: str
    channel: str
    recipient: str
    language: str
    subject: str
    body: str
    body_html: str = ""
    audience: str = Audience.CLIENT
    recipient_user_id: int | None = None
    event: OrderEvent | None = None
    not_before: datetime | None = None
    resent_from_id: int | None = None
    attachment: str = ""  # a file in the default storage to attach (e-mail only)
    attachment_name: str = ""
    extra: dict = field(default_factory=dict)


def sms_release_time(tenant: Tenant, now: datetime | None = None) -> datetime | None:
    """None if an SMS may go now, else when the tenant's quiet hours end."""
    prefs = NotificationSettings.for_tenant(tenant)
    return quiet.release_time(now or timezone.now(), tenant.time_zone, prefs.quiet_from, prefs.quiet_to)


def create(drafts: Iterable[Draft]) -> list[Notification]:
    """Write the rows in the current transaction and queue their delivery for after the commit.

    A draft whose (tenant, source_key, channel, recipient) exists already is skipped: calling this
    twice for the same cause writes nothing new.
    """
    created: list[Notification] = []
    now = timezone.now()
    for draft in drafts:
        row = Notification(
            tenant_id=draft.tenant_id, order=draft.order, event=draft.event, source_key=draft.source_key,
            kind=draft.kind, channel=draft.channel, audience=draft.audience, recipient=draft.recipient,
            recipient_user_id=draft.recipient_user_id, language=draft.language, subject=draft.subject,
            body=draft.body, body_html=draft.body_html, next_attempt_at=draft.not_before or now,
            resent_from_id=draft.resent_from_id, created_at=now, attachment=draft.attachment,
            attachment_name=draft.attachment_name,
        )
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not break the caller's transaction
                row.save(force_insert=True)
        except IntegrityError:
            if Notification.objects.filter(
                tenant_id=draft.tenant_id, source_key=draft.source_key, channel=draft.channel, recipient=draft.recipient
            ).exists():
                continue  # already written for this cause: idempotent
            raise
        created.append(row)
    due = [row for row in created if row.next_attempt_at <= now]
    for tenant_id in {row.tenant_id for row in due}:
        ids = [row.pk for row in due if row.tenant_id == tenant_id]
        transaction.on_commit(lambda tenant_id=tenant_id, ids=ids: enqueue(tenant_id, ids), robust=True)
    return created


def enqueue(tenant_id: int, ids: list[int]) -> bool:
    """Queue delivery now (fast path). A broker error is logged, never raised: the relay sends the rows later."""
    from .tasks import deliver

    try:
        # retry=False: with the broker down, fail in about a second instead of holding the request.
        deliver.apply_async((tenant_id, ids), retry=False)
    except Exception as error:  # noqa: BLE001 - kombu/redis raise many kinds; the row is safe either way
        logger.warning("Notifications %s not queued (%s: %s); the relay will send them.", ids,
                       type(error).__name__, error)
        return False
    return True


# --- Claiming and sending ------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, then a random 50-100% of it."""
    ceiling = min(settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
                  settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return ceiling * random.uniform(0.5, 1.0)


def claim(ids: Iterable[int] | None = None, *, tenant_id: int | None = None, now: datetime | None = None,
          limit: int | None = None) -> tuple[str, list[Notification]]:
    """Claim due pending rows for this worker: pending -> sending, attempts + 1, a fresh claim token.

    The UPDATE's WHERE state='pending' makes the claim exclusive: of two workers (or a duplicate task)
    only one gets a row. With `ids=None` the due rows are chosen with SKIP LOCKED (the relay).
    """
    now = now or timezone.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        candidates = Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        if tenant_id is not None:
            candidates = candidates.filter(tenant_id=tenant_id)
        if ids is not None:
            chosen = list(candidates.filter(pk__in=list(ids)).values_list("pk", flat=True))
        else:
            chosen = list(
                candidates.order_by("next_attempt_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[: limit or settings.NOTIFICATIONS_BATCH_SIZE]
            )
        if not chosen:
            return token, []
        Notification.objects.filter(pk__in=chosen, state=State.PENDING).update(
            state=State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    rows = list(
        Notification.objects.filter(pk__in=chosen, claim_token=token, state=State.SENDING)
        .select_related("tenant", "order__client")
        .order_by("pk")
    )
    return token, rows


class _Outcome:
    def __init__(self) -> None:
        self.sent = self.retried = self.failed = self.held = self.skipped = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _release(row: Notification, token: str, until: datetime, *, reason: str) -> None:
    """Give a claim back without using up an attempt (quiet hours started, or the claim is too old)."""
    Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
        state=State.PENDING, claim_token="", claimed_at=None, attempts=F("attempts") - 1, next_attempt_at=until,
        last_error=reason,
    )


HELD_REASON = "Held until the center's owner confirms their e-mail address."


def _hold_unconfirmed(row: Notification, token: str) -> None:
    """The one gate on client messages of an unconfirmed sign-up (tenancy.services.check_owner_confirmed):
    checked here, where every client message passes before it leaves, whatever wrote it. The row waits in
    "held" (no attempt used) until release_held() queues it."""
    Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
        state=State.HELD, claim_token="", claimed_at=None, attempts=F("attempts") - 1, last_error=HELD_REASON
    )


def release_held(tenant_id: int) -> int:
    """The owner confirmed: queue the tenant's held messages (SMS still wait for the end of quiet hours).
    A row held meanwhile is left pending too; the relay sends it."""
    now = timezone.now()
    held = Notification.objects.filter(tenant_id=tenant_id, state=State.HELD)
    released = 0
    quiet_until = sms_release_time(Tenant.objects.get(pk=tenant_id), now)
    if quiet_until is not None:
        released += held.filter(channel=Channel.SMS).update(state=State.PENDING, next_attempt_at=quiet_until,
                                                            last_error="")
    due = list(held.values_list("pk", flat=True))
    released += held.filter(pk__in=due).update(state=State.PENDING, next_attempt_at=now, last_error="")
    if due:
        transaction.on_commit(lambda: enqueue(tenant_id, due), robust=True)
    return released


def _mark_sent(row: Notification, token: str, provider_id: str) -> bool:
    done = Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
        state=State.SENT, sent_at=timezone.now(), claim_token="", last_error="", provider_id=provider_id[:100]
    )
    if not done:
        logger.warning("Notification %s was sent, but its claim had been taken over meanwhile.", row.pk)
    return bool(done)


def _mark_error(row: Notification, token: str, error: str, *, permanent: bool) -> str:
    """Record a failed attempt: back to pending after a backoff, or failed for good. Returns the new state."""
    error = error[:ERROR_MAX_LENGTH]
    attempts = row.attempts  # already counts this attempt (claim added it)
    if permanent or attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        updates = {"state": State.FAILED}
    else:
        updates = {
            "state": State.PENDING,
            "next_attempt_at": timezone.now() + timedelta(seconds=backoff_seconds(attempts)),
        }
    Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
        claim_token="", claimed_at=None, last_error=error, **updates
    )
    return updates["state"]


def _client_opted_out(row: Notification) -> bool:
    if row.audience != Audience.CLIENT:
        return False
    client: Client = row.order.client
    return not (client.notify_email if row.channel == Channel.EMAIL else client.notify_sms)


def _email_message(row: Notification, connection) -> EmailMultiAlternatives:
    tenant = row.tenant
    from_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    host = from_address.rsplit("@", 1)[-1] or "localhost"
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=formataddr((tenant.name or from_name, from_address)),
        to=[row.recipient],
        reply_to=[tenant.email] if tenant.email else None,
        # Stable per row: a message sent twice (at-least-once window) is one message to mail systems.
        headers={"Message-ID": f"<notification-{row.pk}.{row.tenant_id}@{host}>"},
        connection=connection,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    if row.attachment:
        with default_storage.open(row.attachment, "rb") as handle:
            message.attach(row.attachment_name or row.attachment.rsplit("/", 1)[-1], handle.read(),
                           mimetypes.guess_type(row.attachment)[0] or "application/octet-stream")
    return message


def send_claimed(token: str, rows: list[Notification], *, now: datetime | None = None) -> dict[str, int]:
    """Send rows this worker has claimed (one mail connection for the batch); mark each one."""
    outcome = _Outcome()
    connection = None
    sms_backend = None
    quiet_cache: dict[int, datetime | None] = {}
    send_window = timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS / 2)
    try:
        for row in rows:
            current = timezone.now()
            if row.claimed_at and current - row.claimed_at > send_window:
                # Too late to start: the relay may re-queue this claim before the send ends. Give it back.
                _release(row, token, current, reason="claim expired before sending; queued again")
                outcome.skipped += 1
                continue
            if row.audience == Audience.CLIENT and row.tenant.owner_confirmed_at is None:
                _hold_unconfirmed(row, token)
                outcome.held += 1
                continue
            if _client_opted_out(row):
                _mark_error(row, token, "The client has opted out of this channel.", permanent=True)
                outcome.failed += 1
                continue
            if row.channel == Channel.SMS and row.audience == Audience.CLIENT:
                if row.tenant_id not in quiet_cache:
                    quiet_cache[row.tenant_id] = sms_release_time(row.tenant, now or current)
                until = quiet_cache[row.tenant_id]
                if until is not None:
                    _release(row, token, until, reason="")
                    outcome.held += 1
                    continue
            try:
                if row.channel == Channel.EMAIL:
                    if connection is None:
                        connection = get_connection(fail_silently=False)
                        connection.open()
                    _email_message(row, connection).send()
                    provider_id = ""
                else:
                    sms_backend = sms_backend or sms.get_backend()
                    provider_id = sms_backend.send(to=row.recipient, text=row.body, reference=f"sd-{row.pk}")
            except sms.SmsError as error:
                state = _mark_error(row, token, str(error), permanent=error.permanent)
            except smtplib.SMTPRecipientsRefused as error:
                state = _mark_error(row, token, f"Address refused: {error.recipients}", permanent=True)
            except Exception as error:  # noqa: BLE001 - any other failure is retried with backoff
                logger.warning("Notification %s: attempt %s failed: %s: %s", row.pk, row.attempts,
                               type(error).__name__, error)
                if row.channel == Channel.EMAIL:
                    connection = _discard(connection)
                state = _mark_error(row, token, f"{type(error).__name__}: {error}", permanent=False)
            else:
                _mark_sent(row, token, provider_id)
                outcome.sent += 1
                continue
            if state == State.FAILED:
                outcome.failed += 1
            else:
                outcome.retried += 1
    finally:
        _discard(connection)
    return outcome.as_dict()


def _discard(connection) -> None:
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped anyway
            pass
    return None


def deliver(tenant_id: int, ids: Iterable[int]) -> dict[str, int]:
    """Send these rows if they are still pending and due (a duplicate or late task sends nothing)."""
    token, rows = claim(ids, tenant_id=tenant_id)
    return send_claimed(token, rows)


# --- The relay (slow path) ---------------------------------------------------------------------


def requeue_stale(now: datetime | None = None) -> int:
    """Claims older than the TTL belong to dead workers: queue them again (or fail them: no attempts left)."""
    now = now or timezone.now()
    stale = Notification.objects.filter(
        state=State.SENDING, claimed_at__lt=now - timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS)
    )
    note = "The worker stopped while sending; tried again."
    failed = stale.filter(attempts__gte=settings.NOTIFICATIONS_MAX_ATTEMPTS).update(
        state=State.FAILED, claim_token="", claimed_at=None, last_error=note
    )
    requeued = stale.update(state=State.PENDING, claim_token="", claimed_at=None, next_attempt_at=now, last_error=note)
    if failed or requeued:
        logger.warning("Relay: %s stale notification claims re-queued, %s failed.", requeued, failed)
    return failed + requeued


def relay(*, max_batches: int = 20, now: datetime | None = None) -> dict[str, int]:
    """Send due pending rows batch by batch until none are left, max_batches is reached or a quarter of the
    claim lifetime has passed (well inside the task's time limit; beat's next run goes on from there)."""
    totals = {"requeued": requeue_stale(now)}
    deadline = time.monotonic() + settings.NOTIFICATIONS_CLAIM_TTL_SECONDS / 4
    for _batch in range(max_batches):
        if time.monotonic() > deadline:
            break
        token, rows = claim(now=now)
        if not rows:
            break
        for key, value in send_claimed(token, rows, now=now).items():
            totals[key] = totals.get(key, 0) + value
    return totals


# --- Resend ------------------------------------------------------------------------------------


class ResendRefused(Exception):
    """str(error) is a sentence for the user."""


def resend(row: Notification, *, by: Membership) -> Notification:
    """Failed: queue it again with fresh attempts. Sent: send a copy. Queued or sending: refuse.

    The client's opt-out still counts (a manager cannot override it), and SMS keep to quiet hours.
    """
    from django.utils.translation import gettext as _

    check_actor(by, Perm.NOTIFICATIONS_MANAGE, tenant_id=row.tenant_id)
    if row.audience == Audience.CLIENT and _client_opted_out(row):
        raise ResendRefused(_("The client has opted out of this channel."))
    not_before = timezone.now()
    if row.channel == Channel.SMS and row.audience == Audience.CLIENT:
        not_before = sms_release_time(row.tenant) or not_before
    with transaction.atomic():
        if row.state == State.FAILED:
            updated = Notification.objects.filter(pk=row.pk, tenant_id=row.tenant_id, state=State.FAILED).update(
                state=State.PENDING, attempts=0, next_attempt_at=not_before, last_error="", claim_token="",
                claimed_at=None,
            )
            if not updated:
                raise ResendRefused(_("This notification has changed meanwhile; reload the page."))
            row.refresh_from_db()
            if row.next_attempt_at <= timezone.now():
                transaction.on_commit(lambda: enqueue(row.tenant_id, [row.pk]), robust=True)
            return row
        if row.state != State.SENT:
            raise ResendRefused(_("This notification is still queued; it will be sent shortly."))
        copies = Notification.objects.filter(tenant_id=row.tenant_id, resent_from=row).count()
        created = create([
            Draft(
                tenant_id=row.tenant_id, order=row.order, source_key=f"resend:{row.pk}:{copies + 1}", kind=row.kind,
                channel=row.channel, recipient=row.recipient, language=row.language, subject=row.subject,
                body=row.body, body_html=row.body_html, audience=row.audience, recipient_user_id=row.recipient_user_id,
                event=row.event, not_before=not_before, resent_from_id=row.pk, attachment=row.attachment,
                attachment_name=row.attachment_name,
            )
        ])
        if not created:
            raise ResendRefused(_("It has just been resent; reload the page."))
        return created[0]
