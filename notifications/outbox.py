"""The outbox: write notification rows with the change, send them after commit, never lose one, never
send one twice blindly.

Life of a row
    pending --claim--> sending --sent--> sent
       ^                  |  \\--error, attempts left--> pending (next_attempt_at = now + backoff)
       |                  |  \\--error, no attempts left / permanent error--> failed --resend--> pending
       |                  \\--ambiguous (timeout after the request went out)--> checking
       |--- relay: stale claim, the send had not started (worker died before it) ---/
       |                                 relay: stale claim, the send had started --> checking
       |   checking --provider: has it--> sent
       \\-- checking --provider: never got it (same reference) ; checking --cannot ask / no answer--> unknown
           unknown --a manager: "Mark as sent"--> sent ; --"Send again"--> pending

- `create()` runs inside the caller's transaction (the order change): the rows commit or roll back
  with it. After commit it queues the channel's deliver task (`deliver_email` on the "email" queue,
  `deliver_sms` on "sms"); if the broker is down, the row simply stays pending.
- `relay()` (Celery beat, every NOTIFICATIONS_RELAY_SECONDS) handles dead workers' claims, then per
  channel asks the provider about ambiguous sends and sends every due pending row, in batches, choosing
  rows with SELECT ... FOR UPDATE SKIP LOCKED so several workers share the load.
- Sending = claim (a conditional UPDATE pending -> sending that only one worker can win, with a fresh
  claim token), note that the send starts (send_started_at), send, then mark sent with an UPDATE
  conditional on that token: a row is marked sent once, and a duplicate task finds nothing to claim.
- Leases: a worker only *starts* a send in the first half of its claim's lifetime (CLAIM_TTL / 2), every
  send is bounded by socket timeouts, the tasks' hard time limit is below CLAIM_TTL, and the relay
  takes a claim over only after the whole CLAIM_TTL: its first worker is then dead, never still sending.
- Ambiguous sends (docs/notifications.md): the SMS timed out after the request went out, or the worker
  died after send_started_at. The provider may have the message, so it is not sent again blindly: the
  row waits a lease (CHECKING), then the relay asks the backend's status(reference) where it has one
  (has it -> sent; never got it -> sent again, same reference; no answer for an hour -> UNKNOWN), and
  otherwise a manager decides (UNKNOWN, `decide()`). Every attempt carries the row's stable reference
  (SMS gateway reference / idempotency key, e-mail Message-ID) so providers that deduplicate drop a copy.
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
            tenant_id=draft.tenant_id,
            order=draft.order,
            event=draft.event,
            source_key=draft.source_key,
            kind=draft.kind,
            channel=draft.channel,
            audience=draft.audience,
            recipient=draft.recipient,
            recipient_user_id=draft.recipient_user_id,
            language=draft.language,
            subject=draft.subject,
            body=draft.body,
            body_html=draft.body_html,
            next_attempt_at=draft.not_before or now,
            resent_from_id=draft.resent_from_id,
            created_at=now,
            attachment=draft.attachment,
            attachment_name=draft.attachment_name,
        )
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not break the caller's transaction
                row.save(force_insert=True)
        except IntegrityError:
            if Notification.objects.filter(
                tenant_id=draft.tenant_id,
                source_key=draft.source_key,
                channel=draft.channel,
                recipient=draft.recipient,
            ).exists():
                continue  # already written for this cause: idempotent
            raise
        created.append(row)
    due = [row for row in created if row.next_attempt_at <= now]
    for tenant_id, channel in sorted({(row.tenant_id, row.channel) for row in due}):
        ids = [row.pk for row in due if row.tenant_id == tenant_id and row.channel == channel]
        transaction.on_commit(
            lambda tenant_id=tenant_id, ids=ids, channel=channel: enqueue(tenant_id, ids, channel),
            robust=True,
        )
    return created


def enqueue(tenant_id: int, ids: list[int], channel: str) -> bool:
    """Queue delivery now on the channel's queue (fast path). A broker error is logged, never raised: the
    relay sends the rows later."""
    from . import tasks

    task = tasks.deliver_sms if channel == Channel.SMS else tasks.deliver_email
    try:
        # retry=False: with the broker down, fail in about a second instead of holding the request.
        task.apply_async((tenant_id, ids), retry=False)
    except Exception as error:  # noqa: BLE001 - kombu/redis raise many kinds; the row is safe either way
        logger.warning(
            "Notifications %s not queued (%s: %s); the relay will send them.",
            ids,
            type(error).__name__,
            error,
        )
        return False
    return True


# --- Claiming and sending ------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, then a random 50-100% of it."""
    ceiling = min(
        settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
        settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return ceiling * random.uniform(0.5, 1.0)


def claim(
    ids: Iterable[int] | None = None,
    *,
    tenant_id: int | None = None,
    now: datetime | None = None,
    limit: int | None = None,
    channel: str | None = None,
) -> tuple[str, list[Notification]]:
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
        if channel is not None:
            candidates = candidates.filter(channel=channel)
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
            state=State.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
            send_started_at=None,
        )
    rows = list(
        Notification.objects.filter(pk__in=chosen, claim_token=token, state=State.SENDING)
        .select_related("tenant", "order__client")
        .order_by("pk")
    )
    return token, rows


class _Outcome:
    def __init__(self) -> None:
        self.sent = self.retried = self.failed = self.held = self.skipped = self.ambiguous = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _release(row: Notification, token: str, until: datetime, *, reason: str) -> None:
    """Give a claim back without using up an attempt (quiet hours started, or the claim is too old)."""
    Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
        state=State.PENDING,
        claim_token="",
        claimed_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=until,
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
        released += held.filter(channel=Channel.SMS).update(
            state=State.PENDING, next_attempt_at=quiet_until, last_error=""
        )
    due = list(held.values_list("pk", "channel"))
    released += held.filter(pk__in=[pk for pk, _channel in due]).update(
        state=State.PENDING, next_attempt_at=now, last_error=""
    )
    for channel in {channel for _pk, channel in due}:
        ids = [pk for pk, row_channel in due if row_channel == channel]
        transaction.on_commit(lambda ids=ids, channel=channel: enqueue(tenant_id, ids, channel), robust=True)
    return released


def _mark_started(row: Notification, token: str) -> bool:
    """Record, durably, that the send begins: if this worker dies from here on, the provider may have the
    message, and the relay must not send it again blindly. False: the claim is no longer ours."""
    return bool(
        Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
            send_started_at=timezone.now()
        )
    )


def _mark_checking(row: Notification, token: str, error: str) -> None:
    """An ambiguous send: ask the provider after a lease (it may still be working on the request)."""
    Notification.objects.filter(pk=row.pk, state=State.SENDING, claim_token=token).update(
        state=State.CHECKING,
        claim_token="",
        claimed_at=None,
        last_error=error[:ERROR_MAX_LENGTH],
        next_attempt_at=timezone.now() + timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS),
    )


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
            message.attach(
                row.attachment_name or row.attachment.rsplit("/", 1)[-1],
                handle.read(),
                mimetypes.guess_type(row.attachment)[0] or "application/octet-stream",
            )
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
                    message = _email_message(row, connection)
                    if not _mark_started(row, token):
                        outcome.skipped += 1
                        continue
                    message.send()
                    provider_id = ""
                else:
                    sms_backend = sms_backend or sms.get_backend()
                    if not _mark_started(row, token):
                        outcome.skipped += 1
                        continue
                    provider_id = sms_backend.send(
                        to=row.recipient, text=row.body, reference=row.provider_reference()
                    )
            except sms.SmsError as error:
                if error.ambiguous:
                    logger.warning(
                        "Notification %s: ambiguous send (%s); not sent again until the provider or "
                        "a manager says so.",
                        row.pk,
                        error,
                    )
                    _mark_checking(row, token, str(error))
                    outcome.ambiguous += 1
                    continue
                state = _mark_error(row, token, str(error), permanent=error.permanent)
            except smtplib.SMTPRecipientsRefused as error:
                state = _mark_error(row, token, f"Address refused: {error.recipients}", permanent=True)
            except Exception as error:  # noqa: BLE001 - any other failure is retried with backoff
                logger.warning(
                    "Notification %s: attempt %s failed: %s: %s",
                    row.pk,
                    row.attempts,
                    type(error).__name__,
                    error,
                )
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


def deliver(tenant_id: int, ids: Iterable[int], channel: str | None = None) -> dict[str, int]:
    """Send these rows if they are still pending and due (a duplicate or late task sends nothing)."""
    token, rows = claim(ids, tenant_id=tenant_id, channel=channel)
    return send_claimed(token, rows)


# --- The relay (slow path) ---------------------------------------------------------------------


def requeue_stale(now: datetime | None = None) -> int:
    """Claims older than the lease belong to dead workers. A row whose send had not started goes back to the
    queue (or fails: no attempts left); one whose send had started is ambiguous and goes to CHECKING."""
    now = now or timezone.now()
    stale = Notification.objects.filter(
        state=State.SENDING, claimed_at__lt=now - timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS)
    )
    ambiguous = stale.filter(send_started_at__isnull=False).update(
        state=State.CHECKING,
        claim_token="",
        claimed_at=None,
        next_attempt_at=now,
        last_error="The worker stopped while sending: the provider may have the message. Not sent again "
        "until the provider or a manager says so.",
    )
    note = "The worker stopped before sending; tried again."
    failed = stale.filter(attempts__gte=settings.NOTIFICATIONS_MAX_ATTEMPTS).update(
        state=State.FAILED, claim_token="", claimed_at=None, last_error=note
    )
    requeued = stale.update(
        state=State.PENDING, claim_token="", claimed_at=None, next_attempt_at=now, last_error=note
    )
    if failed or requeued or ambiguous:
        logger.warning(
            "Relay: stale notification claims: %s re-queued, %s failed, %s ambiguous (checking).",
            requeued,
            failed,
            ambiguous,
        )
    return failed + requeued + ambiguous


# An ambiguous send the provider cannot answer about for this long is left to a manager.
CHECK_GIVE_UP = timedelta(hours=1)


def check_ambiguous(
    channel: str, *, now: datetime | None = None, deadline: float | None = None
) -> dict[str, int]:
    """Settle due CHECKING rows of one channel: ask the provider where the backend can, else leave to a person.

    Each row is taken by pushing its next check a lease ahead (a conditional UPDATE), so two relays never
    ask about the same row at once; the answer is then applied only if the row is still CHECKING.
    """
    now = now or timezone.now()
    totals = {"confirmed": 0, "not_found": 0, "undecided": 0, "asked_later": 0}
    due = list(
        Notification.objects.filter(state=State.CHECKING, channel=channel, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")[: settings.NOTIFICATIONS_BATCH_SIZE]
    )
    if not due:
        return {}
    backend = sms.get_backend() if channel == Channel.SMS else None
    can_ask = backend is not None and backend.supports_status
    lease = timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TTL_SECONDS)
    for pk, due_at in due:
        if deadline is not None and time.monotonic() > deadline:
            break
        checking = Notification.objects.filter(pk=pk, state=State.CHECKING, next_attempt_at=due_at)
        if not can_ask:
            if checking.update(state=State.UNKNOWN, last_error=_unknown_note(channel)):
                totals["undecided"] += 1
            continue
        if not checking.update(next_attempt_at=timezone.now() + lease):
            continue  # another relay took it
        row = Notification.objects.get(pk=pk)
        try:
            answer = backend.status(row.provider_reference())
        except Exception as error:  # noqa: BLE001 - any failure to ask is "no answer yet"
            logger.warning("Notification %s: status check failed: %s: %s", pk, type(error).__name__, error)
            answer = sms.UNKNOWN
        still = Notification.objects.filter(pk=pk, state=State.CHECKING)
        if answer == sms.ACCEPTED:
            if still.update(state=State.SENT, sent_at=timezone.now(), last_error=""):
                totals["confirmed"] += 1
        elif answer == sms.NOT_FOUND:
            # The provider never got it: an ordinary retry (same reference). The ambiguous attempt counted.
            if row.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                updated = still.update(
                    state=State.FAILED, last_error="The provider did not receive it; no attempts left."
                )
            else:
                updated = still.update(
                    state=State.PENDING,
                    next_attempt_at=timezone.now(),
                    send_started_at=None,
                    last_error="The provider did not receive it; sending again.",
                )
            totals["not_found"] += bool(updated)
        elif row.send_started_at is None or timezone.now() - row.send_started_at > CHECK_GIVE_UP:
            if still.update(state=State.UNKNOWN, last_error=_unknown_note(channel, asked=True)):
                totals["undecided"] += 1
        else:
            totals["asked_later"] += 1  # stays CHECKING; asked again after the lease
    return {key: value for key, value in totals.items() if value}


def _unknown_note(channel: str, *, asked: bool = False) -> str:
    if asked:
        return (
            "The provider could not say whether it received this message. Check with the recipient or the "
            "provider's account, then mark it as sent or send it again."
        )
    what = "mail server" if channel == Channel.EMAIL else "SMS provider"
    return (
        f"The send may have reached the {what}, which cannot be asked. Check with the recipient or the "
        "provider's account, then mark it as sent or send it again."
    )


def relay(
    *,
    max_batches: int = 20,
    now: datetime | None = None,
    channels: Iterable[str] | None = None,
    requeue: bool = True,
) -> dict[str, int]:
    """Handle stale claims, then per channel: settle ambiguous sends and send due pending rows."""
    totals = {"requeued": requeue_stale(now)} if requeue else {}
    for channel in channels or Channel.values:
        for key, value in relay_channel(channel, max_batches=max_batches, now=now).items():
            totals[key] = totals.get(key, 0) + value
    return totals


def relay_channel(channel: str, *, max_batches: int = 20, now: datetime | None = None) -> dict[str, int]:
    """Send this channel's due pending rows batch by batch until none are left, max_batches is reached or a
    quarter of the claim lifetime has passed (well inside the task's time limit; beat's next run goes on)."""
    deadline = time.monotonic() + settings.NOTIFICATIONS_CLAIM_TTL_SECONDS / 4
    totals = check_ambiguous(channel, now=now, deadline=deadline)
    for _batch in range(max_batches):
        if time.monotonic() > deadline:
            break
        token, rows = claim(now=now, channel=channel)
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
            updated = Notification.objects.filter(
                pk=row.pk, tenant_id=row.tenant_id, state=State.FAILED
            ).update(
                state=State.PENDING,
                attempts=0,
                next_attempt_at=not_before,
                last_error="",
                claim_token="",
                claimed_at=None,
            )
            if not updated:
                raise ResendRefused(_("This notification has changed meanwhile; reload the page."))
            row.refresh_from_db()
            if row.next_attempt_at <= timezone.now():
                transaction.on_commit(lambda: enqueue(row.tenant_id, [row.pk], row.channel), robust=True)
            return row
        if row.state in (State.CHECKING, State.UNKNOWN):
            raise ResendRefused(
                _(
                    "It is not known yet whether this message arrived: decide with "
                    "“Mark as sent” or “Send again”."
                )
            )
        if row.state != State.SENT:
            raise ResendRefused(_("This notification is still queued; it will be sent shortly."))
        copies = Notification.objects.filter(tenant_id=row.tenant_id, resent_from=row).count()
        created = create(
            [
                Draft(
                    tenant_id=row.tenant_id,
                    order=row.order,
                    source_key=f"resend:{row.pk}:{copies + 1}",
                    kind=row.kind,
                    channel=row.channel,
                    recipient=row.recipient,
                    language=row.language,
                    subject=row.subject,
                    body=row.body,
                    body_html=row.body_html,
                    audience=row.audience,
                    recipient_user_id=row.recipient_user_id,
                    event=row.event,
                    not_before=not_before,
                    resent_from_id=row.pk,
                    attachment=row.attachment,
                    attachment_name=row.attachment_name,
                )
            ]
        )
        if not created:
            raise ResendRefused(_("It has just been resent; reload the page."))
        return created[0]


# --- A person decides an ambiguous send ---------------------------------------------------------

MARK_SENT = "sent"
SEND_AGAIN = "again"
DECISIONS = (MARK_SENT, SEND_AGAIN)


def decide(row: Notification, decision: str, *, by: Membership) -> Notification:
    """Settle a row that "needs a decision" (UNKNOWN): mark it sent, or send it again (same reference, fresh
    attempts, quiet hours and opt-outs still apply). Managers only; records who decided and when.

    Raises ActorRefused (a PermissionDenied) for a member who may not, ResendRefused with a sentence for
    the user when the decision does not apply (any more).
    """
    from django.utils.translation import gettext as _

    check_actor(by, Perm.NOTIFICATIONS_MANAGE, row.order)
    if decision not in DECISIONS:
        raise ResendRefused(_("Choose “Mark as sent” or “Send again”."))
    now = timezone.now()
    undecided = Notification.objects.filter(pk=row.pk, tenant_id=row.tenant_id, state=State.UNKNOWN)
    with transaction.atomic():
        if decision == MARK_SENT:
            updated = undecided.update(
                state=State.SENT, sent_at=now, decided_by_id=by.user_id, decided_at=now, last_error=""
            )
        else:
            if row.audience == Audience.CLIENT and _client_opted_out(row):
                raise ResendRefused(_("The client has opted out of this channel."))
            not_before = now
            if row.channel == Channel.SMS and row.audience == Audience.CLIENT:
                not_before = sms_release_time(row.tenant) or now
            updated = undecided.update(
                state=State.PENDING,
                attempts=0,
                next_attempt_at=not_before,
                claim_token="",
                claimed_at=None,
                send_started_at=None,
                decided_by_id=by.user_id,
                decided_at=now,
                last_error="",
            )
            if updated and not_before <= now:
                transaction.on_commit(lambda: enqueue(row.tenant_id, [row.pk], row.channel), robust=True)
        if not updated:
            raise ResendRefused(_("This notification has changed meanwhile; reload the page."))
    row.refresh_from_db()
    logger.info("Notification %s: ambiguous send settled (%s) by user %s.", row.pk, decision, by.user_id)
    return row
