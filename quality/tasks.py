"""Celery tasks of the quality app (periodic work). The logic lives in quality.clocks and quality.rollups."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from servicedesk.tenancy.models import Tenant

from . import clocks, rollups


@shared_task(name="quality.sla_tick", ignore_result=True)
def sla_tick() -> dict[str, int]:
    """Beat: move running SLA clocks on (at risk, breached) and alert the managers once per stage."""
    return clocks.tick()


@shared_task(name="quality.rebuild_open_clocks", ignore_result=True)
def rebuild_open_clocks(tenant_id: int) -> int:
    """After a policy change: the center's open orders follow the new targets (verdicts already given stay)."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    return clocks.rebuild_clocks(tenant, only_open=True) if tenant else 0


@shared_task(name="quality.repair_rollups", ignore_result=True, soft_time_limit=1800, time_limit=1900)
def repair_rollups() -> None:
    """Recompute the last QUALITY_ROLLUP_REPAIR_DAYS days of every center's rollups from the raw rows: what
    the order-event listener missed (a row changed without an event, a bug since fixed) is put right."""
    rollups.repair(settings.QUALITY_ROLLUP_REPAIR_DAYS)


@shared_task(name="quality.draw_audit_samples", ignore_result=True, soft_time_limit=600, time_limit=660)
def draw_audit_samples() -> int:
    """Draw last week's internal-audit sample of every center that has none yet (quality.audits)."""
    from .audits import draw_due_samples

    return draw_due_samples()
