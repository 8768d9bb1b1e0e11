"""Dates and times as people read them: one date format and one date-time format per language.

`settings.FORMAT_MODULE_PATH` points here: `servicedesk/formats/<language>/formats.py` holds the language's
DATE_FORMAT and DATETIME_FORMAT (the SHORT_ variants are the same, so templates using either agree). A new
language adds its own `<language>/formats.py`. Pages use `|date:"DATE_FORMAT"` / `|date:"DATETIME_FORMAT"`;
Python code (e-mails, PDFs, timeline texts) calls `format_date` / `format_datetime` below. Times alone stay
"H:i" everywhere. Money is formatted elsewhere (orders_tags.money).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from django.utils import formats, timezone


def format_date(value: date | datetime | None, tz: tzinfo | None = None) -> str:
    """The active language's date: 30 Nov 2026 / 30.11.2026 (a moment on `tz`'s clock, else the active zone's)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, tz)
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def format_datetime(value: datetime | None, tz: tzinfo | None = None) -> str:
    """The active language's date and time on `tz`'s clock (else the active time zone's): 30 Nov 2026, 22:37 /
    30.11.2026 22:37. Outside a request the active zone is the server's: pass the center's."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value, tz)
    return formats.date_format(value, "DATETIME_FORMAT", use_l10n=True)
