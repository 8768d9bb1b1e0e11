"""Keyset ("seek") pagination: every page costs the same, however deep, with no OFFSET scan.

The ordering must end in a unique column (id). The cursor is the last row's sort values, opaque to users.
Measured (docs/performance.md): OFFSET 50,000 took 116 ms; the keyset page 0.17 ms with the right index.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, IntegerField, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    has_previous: bool


def _encode(values: list) -> str:
    def plain(value):
        if isinstance(value, datetime):
            return {"dt": value.isoformat()}
        if isinstance(value, Decimal):
            return {"dec": str(value)}
        return value

    raw = json.dumps([plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_CURSOR_LENGTH = 1000


def _decode(cursor: str, size: int) -> list | None:
    """The cursor's values, or None for anything malformed (a bad cursor shows the first page, not a 500)."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != size:
            return None
        out = []
        for value in values:
            if isinstance(value, dict) and "dt" in value:
                out.append(datetime.fromisoformat(value["dt"]))
            elif isinstance(value, dict) and "dec" in value:
                out.append(Decimal(value["dec"]))
            elif isinstance(value, int | str) or value is None:
                out.append(value)
            else:
                return None
        return out
    except (ValueError, TypeError, json.JSONDecodeError, ArithmeticError, RecursionError):
        return None


def _field(model, path: str):
    """The model field a sort key names, or None for a path through relations."""
    if "__" in path:
        return None
    try:
        return model._meta.get_field(path)
    except FieldDoesNotExist:
        return None


def _clean(model, keys: list[SortKey], values: list) -> list | None:
    """The cursor's values as the sort fields' Python types, or None when a value cannot be one of them
    (a forged or stale cursor must show the first page, never make the query fail)."""
    cleaned = []
    for key, value in zip(keys, values, strict=True):
        field = _field(model, key.field)
        if field is None:
            cleaned.append(value)
            continue
        if value is None:
            if not field.null:
                return None
            cleaned.append(None)
            continue
        try:
            value = field.to_python(value)
        except (ValidationError, ValueError, TypeError, ArithmeticError):
            return None
        if isinstance(value, datetime) and timezone.is_naive(value):
            return None
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL refuses NUL in text
            return None
        cleaned.append(value)
    return cleaned


def _nullable(model, key: SortKey) -> bool:
    field = _field(model, key.field)
    return bool(field is not None and field.null)


def _after(keys: list[SortKey], values: list, nullable: list[bool]) -> Q:
    """Rows strictly after `values` in the ordering: (a > x) | (a = x & b > y) | ...

    NULLs sort last in either direction: after a non-NULL value come the bigger (smaller) ones and then
    the NULLs; after a NULL, only NULLs with a bigger (smaller) next key.
    """
    condition = None
    equal_so_far = Q()
    for key, value, can_be_null in zip(keys, values, nullable, strict=True):
        if value is None:
            equal_so_far &= Q(**{f"{key.field}__isnull": True})
            continue
        op = "lt" if key.descending else "gt"
        beyond = Q(**{f"{key.field}__{op}": value})
        if can_be_null:
            beyond |= Q(**{f"{key.field}__isnull": True})
        step = equal_so_far & beyond
        condition = step if condition is None else condition | step
        equal_so_far &= Q(**{key.field: value})
    return condition if condition is not None else Q(pk__in=[])


def keyset_page(queryset: QuerySet, keys: list[SortKey], cursor: str | None, size: int) -> Page:
    nullable = [_nullable(queryset.model, k) for k in keys]
    ordering = [
        (F(k.field).desc(nulls_last=True) if k.descending else F(k.field).asc(nulls_last=True))
        if can_be_null
        else (f"-{k.field}" if k.descending else k.field)
        for k, can_be_null in zip(keys, nullable, strict=True)
    ]
    qs = queryset.order_by(*ordering)
    values = _decode(cursor, len(keys)) if cursor else None
    if values is not None:
        values = _clean(queryset.model, keys, values)
    if values is not None:
        first = keys[0]
        # The bound on the leading column alone lets the planner use the index (see the notes).
        if values[0] is None:
            qs = qs.filter(**{f"{first.field}__isnull": True})
        else:
            bound = Q(**{f"{first.field}__{'lte' if first.descending else 'gte'}": values[0]})
            if nullable[0]:
                bound |= Q(**{f"{first.field}__isnull": True})
            qs = qs.filter(bound)
        qs = qs.filter(_after(keys, values, nullable))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([_attr(last, k.field) for k in keys])
    return Page(rows=rows, next_cursor=next_cursor, has_previous=values is not None)


def _attr(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj.pk if hasattr(obj, "pk") else obj


def bounded_count(queryset: QuerySet, limit: int = 1000) -> tuple[int, bool]:
    """Count at most `limit` + 1 rows: (count, more). A 100,000-row tenant never pays for a full count."""
    count = queryset.order_by()[: limit + 1].count()
    return min(count, limit), count > limit


class BoundedCount(Subquery):
    """`bounded_count` as an expression: COUNT(*) of a subquery's first rows, for a count per row of an outer
    query (`OuterRef`). Give it `queryset.order_by().values("pk")[: limit + 1]`; a result above `limit` means
    "more than `limit`". Each count stops after limit + 1 rows, however many match."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS bounded)"
    output_field = IntegerField()


def query_without_cursor(params: QueryDict) -> str:
    """The list's query string minus the cursor: what the pager's "first page" and "next page" links build on."""
    params = params.copy()
    params.pop("cursor", None)
    return params.urlencode()
