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


@shared_task(
    name="api.build_center_export", acks_late=True, time_limit=3600, soft_time_limit=3500, ignore_result=True
)
def build_center_export(tenant_id: int, export_id: int) -> None:
    from . import full_export

    full_export.build(tenant_id, export_id)


@shared_task(name="api.expire_center_exports", ignore_result=True)
def expire_center_exports() -> dict[str, int]:
    from . import full_export

    return full_export.expire()
