"""Business rules of service-level policies: who may change them, one per scope, the general one stays.

After a change the center's open orders follow the new targets (a task recomputes their clocks after the
commit); clocks that have stopped keep their verdict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import ServiceType
from orders.permissions import check_actor
from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .models import SlaPolicy

logger = logging.getLogger(__name__)

MAX_MINUTES = 600_000  # 10,000 hours: a target beyond is a typing mistake


@dataclass
class PolicyData:
    service_type: ServiceType | None
    priority: int | None
    plan_minutes: int | None
    ready_minutes: int | None
    arrival_grace_minutes: int | None
    handover_minutes: int | None


def _check(tenant: Tenant, data: PolicyData, policy: SlaPolicy | None) -> None:
    if data.service_type is not None and data.service_type.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown service."))
    for value in (data.plan_minutes, data.ready_minutes, data.handover_minutes):
        if value is not None and not 0 < value <= MAX_MINUTES:
            raise ValidationError(_("A target is between a minute and 10,000 hours."))
    if data.arrival_grace_minutes is not None and not 0 <= data.arrival_grace_minutes <= MAX_MINUTES:
        raise ValidationError(_("A target is between a minute and 10,000 hours."))
    if (
        policy is not None
        and policy.is_general
        and (data.service_type is not None or data.priority is not None)
    ):
        raise ValidationError(
            _(
                "The general policy covers every service and priority; add a policy for the "
                "service or priority instead."
            )
        )
    same = SlaPolicy.objects.for_tenant(tenant).filter(
        service_type=data.service_type, priority=data.priority
    )  # filter(x=None) is IS NULL
    if policy is not None:
        same = same.exclude(pk=policy.pk)
    if same.exists():
        raise ValidationError(_("There is a policy for this service and priority already; edit it instead."))


def save_policy(
    tenant: Tenant, data: PolicyData, *, by: Membership, policy: SlaPolicy | None = None
) -> SlaPolicy:
    """Add a policy (`policy` None) or change one; the open orders' clocks follow after the commit."""
    check_actor(by, Perm.SLA_MANAGE, tenant_id=tenant.pk)
    if policy is not None and policy.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown policy."))
    _check(tenant, data, policy)
    row = policy or SlaPolicy(tenant=tenant)
    before = None if row.pk is None else snapshot(SlaPolicy.objects.get(tenant=tenant, pk=row.pk))
    row.service_type = data.service_type
    row.priority = data.priority
    row.plan_minutes = data.plan_minutes
    row.ready_minutes = data.ready_minutes
    row.arrival_grace_minutes = data.arrival_grace_minutes
    row.handover_minutes = data.handover_minutes
    row.updated_at = timezone.now()
    row.updated_by = by.user
    try:
        with transaction.atomic():
            row.save()
            if before is None:
                record(by, Action.SLA_CREATED, row, {"after": snapshot(row)})
            elif (changed := changes(before, snapshot(row)))["after"]:
                record(by, Action.SLA_CHANGED, row, changed)
            _follow_after_commit(tenant)
    except IntegrityError:  # the same scope saved a moment ago by someone else
        raise ValidationError(
            _("There is a policy for this service and priority already; edit it instead.")
        ) from None
    return row


def delete_policy(policy: SlaPolicy, *, by: Membership) -> None:
    check_actor(by, Perm.SLA_MANAGE, tenant_id=policy.tenant_id)
    if policy.is_general:
        raise ValidationError(_("The general policy cannot be deleted; change its targets instead."))
    before = snapshot(policy)
    with transaction.atomic():
        if SlaPolicy.objects.filter(tenant_id=policy.tenant_id, pk=policy.pk).delete()[0]:
            record(by, Action.SLA_DELETED, policy, {"before": before})
        _follow_after_commit(policy.tenant)


def _follow_after_commit(tenant: Tenant) -> None:
    tenant_id: int = tenant.pk
    transaction.on_commit(lambda: queue_rebuild(tenant_id), robust=True)


def queue_rebuild(tenant_id: int) -> bool:
    """Queue the open orders' recomputation; a broker error is logged (the clocks follow at their next event)."""
    from .tasks import rebuild_open_clocks

    try:
        rebuild_open_clocks.apply_async((tenant_id,), retry=False)
    except Exception as error:  # noqa: BLE001 - kombu/redis raise many kinds
        logger.warning(
            "SLA clocks of center %s not queued for recomputation (%s: %s).",
            tenant_id,
            type(error).__name__,
            error,
        )
        return False
    return True
