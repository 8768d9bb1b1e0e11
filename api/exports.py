"""Spreadsheet exports: the order list with its filters, the clients, the payments of a period, as CSV
(streamed: a page of rows at a time, memory flat whatever the size) or Excel (openpyxl's write-only
workbook, written to a temporary file row by row, then sent; capped at EXPORT_XLSX_MAX_ROWS rows).

Rows are read in keyset chunks of EXPORT_CHUNK rows (WHERE id > last ORDER BY id LIMIT n), so no query
holds a cursor open and each one uses the (tenant, id) index. Text a spreadsheet would take for a
formula is written as text (CSV: a leading apostrophe; Excel: a string cell).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from servicedesk.tenancy.models import Tenant

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters an .xlsx cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class Column:
    header: Any  # a lazy translation
    value: Callable[[Any], Any]


def rows_of(queryset: QuerySet, chunk: int | None = None) -> Iterator[Model]:
    """Every row of the queryset, in id order, a chunk at a time (bounded memory)."""
    size = chunk or settings.EXPORT_CHUNK
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_cell(value: Any, tz) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if text[:1] in _FORMULA_START and not _is_number(text):
        return "'" + text
    return text


def _xlsx_cell(sheet, value: Any, tz):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        value = timezone.localtime(value, tz).replace(tzinfo=None)
    elif isinstance(value, Decimal | int | float | date | bool) or value is None:
        pass
    else:
        value = _ILLEGAL.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(tenant: Tenant, columns: list[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    tz = tenant.tz
    with translation.override(translation.get_language()):
        yield "\ufeff"  # a BOM: Excel opens UTF-8 CSV with Cyrillic correctly
        yield writer.writerow([str(column.header) for column in columns])
        for row in rows:
            yield writer.writerow([csv_cell(column.value(row), tz) for column in columns])


def respond(
    tenant: Tenant, name: str, columns: list[Column], rows: Iterable[Any], fmt: str
) -> StreamingHttpResponse | FileResponse:
    stamp = timezone.localtime(timezone.now(), tenant.tz).strftime("%Y%m%d-%H%M")
    filename = f"{tenant.slug}-{name}-{stamp}.{fmt}"
    if fmt == XLSX:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=name[:31])
        tz = tenant.tz
        sheet.append([str(column.header) for column in columns])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, column.value(row), tz) for column in columns])
        spool = tempfile.TemporaryFile()
        workbook.save(spool)
        spool.seek(0)
        response: StreamingHttpResponse | FileResponse = FileResponse(
            spool,
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(
            _lines(tenant, columns, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- What each export holds ------------------------------------------------------------------------


def order_columns(with_contacts: bool) -> list[Column]:
    columns = [
        Column(_("Number"), lambda o: o.number),
        Column(_("Created"), lambda o: o.created_at),
        Column(_("Status"), lambda o: o.get_status_display()),
        Column(_("Client"), lambda o: o.client.name),
    ]
    if with_contacts:
        columns += [
            Column(_("Phone"), lambda o: o.client.phone),
            Column(_("E-mail"), lambda o: o.client.email),
        ]
    columns += [
        Column(_("Kind"), lambda o: o.item.kind if o.item else ""),
        Column(_("Brand"), lambda o: o.item.brand if o.item else ""),
        Column(_("Model"), lambda o: o.item.model if o.item else ""),
        Column(_("Serial number"), lambda o: o.item.serial if o.item else ""),
        Column(_("Service"), lambda o: o.service_type.name),
        Column(_("Reception point"), lambda o: o.intake_location.name),
        Column(_("Technician"), lambda o: o.technician.user.full_name if o.technician else ""),
        Column(_("Problem"), lambda o: o.problem),
        Column(_("Promised"), lambda o: o.promised_at),
        Column(_("Total"), lambda o: o.total_amount),
        Column(_("Paid"), lambda o: o.paid_amount),
        Column(_("Due"), lambda o: o.amount_due),
        Column(_("Closed"), lambda o: o.closed_at),
    ]
    return columns


CLIENT_COLUMNS = [
    Column(_("Id"), lambda c: c.pk),
    Column(_("Name"), lambda c: c.name),
    Column(_("Phone"), lambda c: c.phone),
    Column(_("E-mail"), lambda c: c.email),
    Column(_("E-mail updates"), lambda c: c.notify_email),
    Column(_("SMS updates"), lambda c: c.notify_sms),
    Column(_("Consent given"), lambda c: c.consent_at),
    Column(_("Client since"), lambda c: c.created_at),
    Column(_("Notes"), lambda c: c.notes),
]

PAYMENT_COLUMNS = [
    Column(_("Date"), lambda p: p.created_at),
    Column(_("Order"), lambda p: p.order.number),
    Column(_("Client"), lambda p: p.order.client.name),
    Column(_("Kind"), lambda p: p.get_kind_display()),
    Column(_("Method"), lambda p: p.get_method_display()),
    # Refunds are negative, so the column sums to the money taken.
    Column(_("Amount"), lambda p: -p.amount if p.kind == "refund" else p.amount),
    Column(_("Received by"), lambda p: p.received_by.full_name if p.received_by else ""),
    Column(_("Note"), lambda p: p.note),
]
