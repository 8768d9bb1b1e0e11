"""The audit log: one entry per staff change of the center's settings, staff, templates, catalogue, prices
and integrations, written by the service that makes the change, in its transaction (so a change that rolls
back leaves no entry). Here, at the bottom of the apps, so every app writes it with the same function;
owners read it at /<center>/settings/audit/ (api.audit_views).

`data` says what changed: `changes(before, after)` keeps the fields whose value differs, as
{"before": {...}, "after": {...}}. Never pass secrets, passwords or tokens."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditEntry, Membership

Action = AuditEntry.Action


def record(
    by: Membership, action: str, target: object = "", data: dict[str, Any] | None = None
) -> AuditEntry:
    """Write one entry naming `by` (a member, or an API key's stand-in membership)."""
    user = by.user
    return AuditEntry.objects.create(
        tenant_id=by.tenant_id,
        actor=user if user.pk else None,
        actor_name=(user.full_name or user.email)[:200],
        action=action,
        target=str(target)[:300],
        data=data or {},
    )


def plain(value: Any) -> Any:
    """A value the JSON column keeps and a person reads: amounts as "1500.00", times as "21:00",
    files by their name, lists as lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, datetime.date):  # and datetimes
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Iterable):
        return [plain(item) for item in value]
    return str(value)


# Bookkeeping, not settings: who saved last and when says the entry itself.
NOT_AUDITED = frozenset({"id", "tenant", "updated_by", "updated_at", "created_at", "created_by"})


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The named fields of a row (default: every editable one but the bookkeeping) as plain values;
    foreign keys by their text, e.g. a service's name."""
    if fields is None:
        fields = [
            field.name
            for field in instance._meta.concrete_fields
            if field.editable and field.name not in NOT_AUDITED
        ]
    return {name: plain(_as_stored(instance, name)) for name in fields}


def _as_stored(instance: models.Model, name: str) -> Any:
    """The value as the database keeps it: a form's Decimal("1800") is stored, and read back, as 1800.00."""
    value = getattr(instance, name)
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Only what differs: {"before": {field: old}, "after": {field: new}}; both empty when nothing did."""
    names = [name for name in after if plain(before.get(name)) != plain(after[name])]
    return {
        "before": {name: plain(before.get(name)) for name in names},
        "after": {name: plain(after[name]) for name in names},
    }
