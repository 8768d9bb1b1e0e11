"""Gapless numbers: order numbers, document numbers per kind and year, reception tickets per day ...

One counter row per (center, series key). `next_number` must run inside the transaction that stores the
number: the UPDATE keeps the row locked until commit (PostgreSQL), so concurrent callers queue; SQLite
serialises writers anyway. A rolled-back transaction rolls its number back too: no gaps, no duplicates.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from servicedesk.tenancy.models import Counter, Tenant


def next_number(tenant: Tenant | int, key: str) -> int:
    """The next number of the center's series `key` (the first is 1)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    counter = Counter.objects.filter(tenant_id=tenant_id, key=key)
    for _attempt in range(2):
        if counter.update(last_number=F("last_number") + 1):
            return counter.values_list("last_number", flat=True).get()
        try:
            with transaction.atomic():
                Counter.objects.create(tenant_id=tenant_id, key=key, last_number=1)
            return 1
        except IntegrityError:  # someone else created the row first: take the UPDATE path
            continue
    raise RuntimeError(f"Could not allocate a number in series {key!r}.")


def last_number(tenant: Tenant | int, key: str) -> int:
    """The last number given in the series (0 before the first)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return (
        Counter.objects.filter(tenant_id=tenant_id, key=key).values_list("last_number", flat=True).first()
        or 0
    )
