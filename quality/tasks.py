"""Periodic work of the quality app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import rollups


@shared_task(name="quality.repair_rollups", ignore_result=True, soft_time_limit=1800, time_limit=1900)
def repair_rollups() -> None:
    """Recompute the last QUALITY_ROLLUP_REPAIR_DAYS days of every center's rollups from the raw rows: what
    the order-event listener missed (a row changed without an event, a bug since fixed) is put right."""
    rollups.repair(settings.QUALITY_ROLLUP_REPAIR_DAYS)
