"""Celery tasks of the quality app. The logic lives in quality.clocks."""

from __future__ import annotations

from celery import shared_task

from servicedesk.tenancy.models import Tenant

from . import clocks


@shared_task(name="quality.sla_tick", ignore_result=True)
def sla_tick() -> dict[str, int]:
    """Beat: move running SLA clocks on (at risk, breached) and alert the managers once per stage."""
    return clocks.tick()


@shared_task(name="quality.rebuild_open_clocks", ignore_result=True)
def rebuild_open_clocks(tenant_id: int) -> int:
    """After a policy change: the center's open orders follow the new targets (verdicts already given stay)."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    return clocks.rebuild_clocks(tenant, only_open=True) if tenant else 0
