"""Celery tasks of the notifications outbox. The logic lives in outbox.py and events.py.

Hard time limits are half the claim lifetime: a worker stuck in a send is killed before the relay
could hand its row to another worker (see outbox.py, "A worker only starts a send ...").
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import events, outbox

_LIMIT = max(settings.NOTIFICATIONS_CLAIM_TTL_SECONDS // 2, 30)


@shared_task(name="notifications.deliver", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def deliver(tenant_id: int, ids: list[int]) -> dict[str, int]:
    """Send these rows of this tenant if they are still pending and due; anything else is left alone."""
    return outbox.deliver(tenant_id, ids)


@shared_task(name="notifications.relay", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def relay() -> dict[str, int]:
    """Beat: re-queue dead workers' claims, then send every due pending row (all tenants) in batches."""
    return outbox.relay()


@shared_task(name="notifications.scan_overdue", ignore_result=True)
def scan_overdue() -> int:
    return events.scan_overdue()


@shared_task(name="notifications.scan_visit_reminders", ignore_result=True)
def scan_visit_reminders() -> int:
    return events.scan_visit_reminders()
