"""The audit log: one row per staff action on the center's integrations and data (exports, imports, API
keys, webhooks), written by the service or view that acts, in its transaction. Owners read it at
/<center>/settings/audit/."""

from __future__ import annotations

from typing import Any

from servicedesk.tenancy.models import Membership

from .models import AuditEntry

Action = AuditEntry.Action


def record(by: Membership, action: str, target: str = "", data: dict[str, Any] | None = None) -> AuditEntry:
    user = by.user
    return AuditEntry.objects.create(
        tenant_id=by.tenant_id,
        actor=user if user.pk else None,
        actor_name=(user.full_name or user.email)[:200],
        action=action,
        target=str(target)[:300],
        data=data or {},
    )
