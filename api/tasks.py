"""Celery tasks of the webhooks' outbox (the logic is in webhooks.py). Hard time limits stay below the
claim lease, so a worker stuck on a slow receiver is killed before the relay takes its row over."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import webhooks

_LIMIT = max(settings.WEBHOOK_CLAIM_TTL_SECONDS - 10, 30)


@shared_task(name="api.deliver_webhooks", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def deliver_webhooks(tenant_id: int, ids: list[int]) -> dict[str, int]:
    return webhooks.deliver(tenant_id, ids)


@shared_task(name="api.relay_webhooks", acks_late=True, time_limit=_LIMIT, ignore_result=True)
def relay_webhooks() -> dict[str, int]:
    return webhooks.relay()


@shared_task(name="api.run_import", acks_late=True, time_limit=1800, soft_time_limit=1700, ignore_result=True)
def run_import(tenant_id: int, job_id: int) -> None:
    from . import imports

    imports.run(tenant_id, job_id)
