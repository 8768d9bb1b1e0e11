"""Celery tasks of the notifications outbox. The logic lives in outbox.py and events.py.

Queues (settings.CELERY_TASK_ROUTES): *_email tasks run on the "email" queue, *_sms tasks on "sms", the
rest on "celery", so a slow SMS gateway never holds up e-mail. Hard time limits stay below the claim
lease: a worker stuck in a send is killed before the relay could take its row over (outbox.py, "Leases").
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import events, outbox
from .models import Channel

_LIMIT = max(settings.NOTIFICATIONS_CLAIM_TTL_SECONDS - 10, 30)


@shared_task(name="notifications.deliver_email", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def deliver_email(tenant_id: int, ids: list[int]) -> dict[str, int]:
    """Send these e-mail rows of this tenant if they are still pending and due; anything else is left alone."""
    return outbox.deliver(tenant_id, ids, Channel.EMAIL)


@shared_task(name="notifications.deliver_sms", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def deliver_sms(tenant_id: int, ids: list[int]) -> dict[str, int]:
    return outbox.deliver(tenant_id, ids, Channel.SMS)


@shared_task(name="notifications.deliver", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def deliver(tenant_id: int, ids: list[int]) -> dict[str, int]:
    """The task's name before the per-channel queues: tasks queued before an upgrade still run."""
    return outbox.deliver(tenant_id, ids)


@shared_task(name="notifications.relay", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def relay() -> dict[str, int]:
    """Beat: handle dead workers' claims, then hand each channel's sending to its own queue."""
    requeued = outbox.requeue_stale()
    for task in (relay_email, relay_sms):
        try:
            task.apply_async(retry=False)
        except Exception as error:  # noqa: BLE001 - the broker is down: beat's next tick tries again
            outbox.logger.warning("Relay: %s not queued (%s: %s).", task.name, type(error).__name__, error)
    return {"requeued": requeued}


@shared_task(name="notifications.relay_email", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def relay_email() -> dict[str, int]:
    return outbox.relay_channel(Channel.EMAIL)


@shared_task(name="notifications.relay_sms", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def relay_sms() -> dict[str, int]:
    """SMS: asks the gateway about ambiguous sends, then sends due SMS."""
    return outbox.relay_channel(Channel.SMS)


@shared_task(name="notifications.scan_overdue", ignore_result=True)
def scan_overdue() -> int:
    return events.scan_overdue()


@shared_task(name="notifications.scan_visit_reminders", ignore_result=True)
def scan_visit_reminders() -> int:
    return events.scan_visit_reminders()
