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


# --- The center's full export (api/full_export.py): the tables the lists above do not cover ----------
# Each table names its rows' links by the number or id the other tables print (an order by its number,
# a client or a device by its id), so the files can be joined back together.


def _name(user) -> str:
    """A person as the tables print them: their name, else their e-mail; empty when gone."""
    return (user.full_name or user.email) if user is not None else ""


def _member(membership) -> str:
    return _name(membership.user) if membership is not None else ""


def _order_number(row) -> Any:
    return row.order.number if row.order_id else ""


# The full export's orders: the list's columns (with contacts: it is the owner's) and what links and
# completes them.
def full_order_columns() -> list[Column]:
    return [
        *order_columns(with_contacts=True),
        Column(_("Client id"), lambda o: o.client_id),
        Column(_("Device id"), lambda o: o.item_id),
        Column(_("Workshop"), lambda o: o.workshop.name if o.workshop else ""),
        Column(_("Priority"), lambda o: o.get_priority_display()),
        Column(_("Condition on intake"), lambda o: o.item_condition),
        Column(_("Accessories left with it"), lambda o: o.item_accessories),
        Column(_("Agreed terms"), lambda o: o.terms),
        Column(_("Estimate"), lambda o: o.estimate),
        Column(_("Approved amount"), lambda o: o.approved_amount),
        Column(_("Visit address"), lambda o: o.visit_address),
        Column(_("Warranty until"), lambda o: o.warranty_until),
        Column(_("Taken in by"), lambda o: _name(o.created_by)),
    ]


ITEM_COLUMNS = [
    Column(_("Id"), lambda i: i.pk),
    Column(_("Client id"), lambda i: i.client_id),
    Column(_("Client"), lambda i: i.client.name),
    Column(_("Kind"), lambda i: i.kind),
    Column(_("Brand"), lambda i: i.brand),
    Column(_("Model"), lambda i: i.model),
    Column(_("Serial number"), lambda i: i.serial),
    Column(_("Created"), lambda i: i.created_at),
]

LINE_ITEM_COLUMNS = [
    Column(_("Order"), _order_number),
    Column(_("Kind"), lambda li: li.get_kind_display()),
    Column(_("Description"), lambda li: li.description),
    Column(_("Quantity"), lambda li: li.quantity),
    Column(_("Price"), lambda li: li.unit_price),
    Column(_("Amount"), lambda li: li.amount),
    Column(_("Under warranty, no charge"), lambda li: li.covered),
    Column(_("Warranty, days"), lambda li: li.warranty_days),
    Column(_("Done by"), lambda li: _member(li.performed_by)),
    Column(_("Created"), lambda li: li.created_at),
]

ESTIMATE_COLUMNS = [
    Column(_("Order"), _order_number),
    Column(_("Version"), lambda e: e.version),
    Column(_("Amount"), lambda e: e.amount),
    Column(_("What it includes"), lambda e: e.comment),
    Column(_("State"), lambda e: e.get_state_display()),
    Column(_("Created"), lambda e: e.created_at),
    Column(_("Created by"), lambda e: _name(e.created_by)),
    Column(_("Decided"), lambda e: e.decided_at),
    Column(_("Decided by"), lambda e: "" if e.by_client else _name(e.decided_by)),
    Column(_("By the client"), lambda e: e.by_client),
    Column(_("Override reason"), lambda e: e.override_reason),
]

ESTIMATE_LINE_COLUMNS = [
    Column(_("Order"), lambda line: line.estimate.order.number),
    Column(_("Estimate version"), lambda line: line.estimate.version),
    Column(_("Kind"), lambda line: line.get_kind_display()),
    Column(_("Description"), lambda line: line.description),
    Column(_("Quantity"), lambda line: line.quantity),
    Column(_("Price"), lambda line: line.unit_price),
]

EVENT_COLUMNS = [
    Column(_("Order"), _order_number),
    Column(_("Date"), lambda ev: ev.created_at),
    Column(_("Kind"), lambda ev: ev.get_kind_display()),
    Column(_("From status"), lambda ev: ev.get_from_status_display() if ev.from_status else ""),
    Column(_("To status"), lambda ev: ev.get_to_status_display() if ev.to_status else ""),
    Column(_("What happened"), lambda ev: ev.display_text),
    Column(_("Who"), lambda ev: _name(ev.actor)),
    Column(_("By the client"), lambda ev: ev.by_client),
    Column(_("Shown to the client"), lambda ev: ev.is_public),
]

WORK_LOG_COLUMNS = [
    Column(_("Order"), _order_number),
    Column(_("Technician"), lambda w: _member(w.technician)),
    Column(_("Started"), lambda w: w.started_at),
    Column(_("Ended"), lambda w: w.ended_at),
    Column(
        _("Minutes"),
        lambda w: int((w.ended_at - w.started_at).total_seconds() // 60) if w.ended_at else "",
    ),
    Column(_("Source"), lambda w: w.get_source_display()),
    Column(_("Reason"), lambda w: w.reason),
    Column(_("Stopped automatically"), lambda w: w.stopped_automatically),
]

PART_COLUMNS = [
    Column(_("Id"), lambda p: p.pk),
    Column(_("Name"), lambda p: p.name),
    Column(_("SKU"), lambda p: p.sku),
    Column(_("Unit"), lambda p: p.get_unit_display()),
    Column(_("Cost price"), lambda p: p.cost_price),
    Column(_("Sale price"), lambda p: p.sale_price),
    Column(_("Warranty, days"), lambda p: p.warranty_days),
    Column(_("In use"), lambda p: p.is_active),
    Column(_("Notes"), lambda p: p.notes),
    Column(_("Created"), lambda p: p.created_at),
]

STOCK_LEVEL_COLUMNS = [
    Column(_("Part id"), lambda s: s.part_id),
    Column(_("SKU"), lambda s: s.part.sku),
    Column(_("Part"), lambda s: s.part.name),
    Column(_("Location"), lambda s: s.location.name),
    Column(_("On hand"), lambda s: s.on_hand),
    Column(_("Reserved"), lambda s: s.reserved),
    Column(_("Minimum"), lambda s: s.min_level),
]

STOCK_MOVEMENT_COLUMNS = [
    Column(_("Date"), lambda m: m.created_at),
    Column(_("Kind"), lambda m: m.get_kind_display()),
    Column(_("Part id"), lambda m: m.part_id),
    Column(_("SKU"), lambda m: m.part.sku),
    Column(_("Location"), lambda m: m.location.name),
    Column(_("From / to"), lambda m: m.other_location.name if m.other_location else ""),
    Column(_("On hand change"), lambda m: m.on_hand_delta),
    Column(_("Reserved change"), lambda m: m.reserved_delta),
    Column(_("Order"), _order_number),
    Column(_("Reason"), lambda m: m.reason),
    Column(_("Who"), lambda m: _name(m.by)),
]

FEEDBACK_COLUMNS = [
    Column(_("Order"), _order_number),
    Column(_("Received"), lambda f: f.created_at),
    Column(_("Rating"), lambda f: f.rating),
    Column(_("Would recommend, 0-10"), lambda f: f.recommend),
    Column(_("Comment"), lambda f: f.comment),
    Column(_("Technician"), lambda f: _member(f.technician)),
]

QUALITY_CHECK_COLUMNS = [
    Column(_("Order"), _order_number),
    Column(_("Checked"), lambda q: q.created_at),
    Column(_("Passed"), lambda q: q.passed),
    Column(_("Checked by"), lambda q: _member(q.checker)),
    Column(_("Technician"), lambda q: _member(q.technician)),
    Column(_("By someone else"), lambda q: q.independent),
    Column(_("Reason"), lambda q: q.reason),
]

COMPLAINT_COLUMNS = [
    Column(_("Id"), lambda c: c.pk),
    Column(_("Order"), _order_number),
    Column(_("Opened"), lambda c: c.opened_at),
    Column(_("Received by"), lambda c: c.get_source_display()),
    Column(_("What the client says"), lambda c: c.description),
    Column(_("Status"), lambda c: c.get_status_display()),
    Column(_("Handled by"), lambda c: _member(c.handler)),
    Column(_("Answer due"), lambda c: c.due_at),
    Column(_("Resolution"), lambda c: c.resolution),
    Column(_("Compensation"), lambda c: c.get_compensation_display() if c.compensation else ""),
    Column(_("Discount"), lambda c: c.discount_amount),
    Column(_("Closed"), lambda c: c.closed_at),
]

WARRANTY_CLAIM_COLUMNS = [
    Column(_("Id"), lambda w: w.pk),
    Column(_("Original order"), lambda w: w.original.number),
    Column(_("Order"), _order_number),
    Column(_("Opened"), lambda w: w.created_at),
    Column(_("Status"), lambda w: w.get_status_display()),
    Column(_("Problem"), lambda w: w.problem),
    Column(_("Warranty until"), lambda w: w.period_until),
    Column(_("Inside the warranty period"), lambda w: w.inside_period),
    Column(_("Accepted outside the period because"), lambda w: w.override_reason),
    Column(_("Refused because"), lambda w: w.refusal_reason),
    Column(_("Decided"), lambda w: w.decided_at),
]

AUDIT_COLUMNS = [
    Column(_("Id"), lambda a: a.pk),
    Column(_("Order"), _order_number),
    Column(_("Week of"), lambda a: a.week),
    Column(_("Status"), lambda a: a.get_status_display()),
    Column(_("Auditor"), lambda a: _member(a.auditor)),
    Column(_("Technician"), lambda a: _member(a.technician)),
    Column(_("Score, %"), lambda a: a.score),
    Column(_("Notes"), lambda a: a.notes),
    Column(_("Completed"), lambda a: a.completed_at),
]

AUDIT_FINDING_COLUMNS = [
    Column(_("Audit id"), lambda f: f.audit_id),
    Column(_("Found"), lambda f: f.created_at),
    Column(_("Severity"), lambda f: f.get_severity_display()),
    Column(_("Finding"), lambda f: f.description),
    Column(_("Corrective action"), lambda f: f.corrective_action),
    Column(_("Responsible"), lambda f: _member(f.responsible)),
    Column(_("Due"), lambda f: f.due_date),
    Column(_("Status"), lambda f: f.get_status_display()),
    Column(_("Closed"), lambda f: f.closed_at),
    Column(_("What was done"), lambda f: f.closing_note),
]


def document_archive_name(document) -> str:
    """Where a document's PDF lies in the full export's ZIP (its documents.csv row names it)."""
    return f"documents/{document.filename}"


DOCUMENT_COLUMNS = [
    Column(_("Number"), lambda d: d.display_number),
    Column(_("Document"), lambda d: d.get_kind_display()),
    Column(_("Version"), lambda d: d.version),
    Column(_("Order"), _order_number),
    Column(_("Language"), lambda d: d.language),
    Column(_("Issued"), lambda d: d.issued_at),
    Column(_("Issued by"), lambda d: d.issued_by_name),
    Column(_("Pages"), lambda d: d.pages),
    Column(_("Size, bytes"), lambda d: d.size),
    Column(_("SHA-256"), lambda d: d.sha256),
    Column(_("File"), document_archive_name),
]
