"""The center's full export: everything a center holds, in one ZIP its owner can take away.

The owner asks for it (`request_full_export`); a Celery task (`build`) writes the ZIP: one CSV per table
(the column definitions of api/exports.py, shared with the list exports), the issued documents' PDFs
under documents/, and manifest.json (the center, when, each file with its rows, bytes and SHA-256, the
schema version). The ZIP is written entry by entry into a temporary file, rows read EXPORT_CHUNK at a
time (exports.rows_of: keyset chunks, no cursor held open) and PDFs copied in blocks, so memory stays
flat; the temporary file is capped at CENTER_EXPORT_MAX_BYTES (the build stops and fails above it, so
one center cannot fill the disk). The finished file goes to the default storage and can be downloaded
for 24 hours; beat then deletes it (`expire`), and the row stays as the record of who took what, when.

One export is built per center at a time: the service refuses a second one while the first is queued
or being built (and a partial unique constraint settles a race between two clicks).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any, cast

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from documents.models import Document
from orders.models import Client, Estimate, EstimateLine, Item, LineItem, Order, OrderEvent, Payment
from orders.permissions import check_actor
from quality.models import Audit, AuditFinding, Complaint, Feedback, QualityCheck, WarrantyClaim
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm
from stock.models import Part, StockLevel, StockMovement
from technicians.models import WorkLog

from . import audit, exports
from .exports import Column
from .models import CenterExport

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
KEEP_FOR = timedelta(hours=24)
# A building export older than this belongs to a dead worker (the task's hard limit is an hour).
STALE_AFTER = timedelta(hours=2)
COPY_BLOCK = 1024 * 1024


class ExportRefused(Exception):
    """str(error) is a sentence for the owner."""


class TooBig(Exception):
    pass


@dataclass(frozen=True)
class Table:
    name: str  # the CSV's name in the ZIP, without .csv
    model: type[Model]
    related: tuple[str, ...]  # select_related: every relation the columns read, one query per chunk
    columns: Callable[[], list[Column]]


TABLES = [
    Table("clients", Client, (), lambda: exports.CLIENT_COLUMNS),
    Table("items", Item, ("client",), lambda: exports.ITEM_COLUMNS),
    Table(
        "orders",
        Order,
        (
            "client",
            "item",
            "service_type",
            "technician__user",
            "intake_location",
            "workshop",
            "created_by",
        ),
        exports.full_order_columns,
    ),
    Table("line_items", LineItem, ("order", "performed_by__user"), lambda: exports.LINE_ITEM_COLUMNS),
    Table("payments", Payment, ("order__client", "received_by"), lambda: exports.PAYMENT_COLUMNS),
    Table("estimates", Estimate, ("order", "created_by", "decided_by"), lambda: exports.ESTIMATE_COLUMNS),
    Table("estimate_lines", EstimateLine, ("estimate__order",), lambda: exports.ESTIMATE_LINE_COLUMNS),
    Table("events", OrderEvent, ("order", "actor"), lambda: exports.EVENT_COLUMNS),
    Table("work_logs", WorkLog, ("order", "technician__user"), lambda: exports.WORK_LOG_COLUMNS),
    Table("parts", Part, (), lambda: exports.PART_COLUMNS),
    Table("stock_levels", StockLevel, ("part", "location"), lambda: exports.STOCK_LEVEL_COLUMNS),
    Table(
        "stock_movements",
        StockMovement,
        ("part", "location", "other_location", "order", "by"),
        lambda: exports.STOCK_MOVEMENT_COLUMNS,
    ),
    Table("feedback", Feedback, ("order", "technician__user"), lambda: exports.FEEDBACK_COLUMNS),
    Table(
        "quality_checks",
        QualityCheck,
        ("order", "checker__user", "technician__user"),
        lambda: exports.QUALITY_CHECK_COLUMNS,
    ),
    Table("complaints", Complaint, ("order", "handler__user"), lambda: exports.COMPLAINT_COLUMNS),
    Table("warranty_claims", WarrantyClaim, ("original", "order"), lambda: exports.WARRANTY_CLAIM_COLUMNS),
    Table("audits", Audit, ("order", "auditor__user", "technician__user"), lambda: exports.AUDIT_COLUMNS),
    Table("audit_findings", AuditFinding, ("responsible__user",), lambda: exports.AUDIT_FINDING_COLUMNS),
    Table("documents", Document, ("order",), lambda: exports.DOCUMENT_COLUMNS),
]


# --- Asking for one ---------------------------------------------------------------------------------


def running(tenant: Tenant | int) -> CenterExport | None:
    return CenterExport.objects.for_tenant(tenant).filter(state__in=CenterExport.RUNNING).first()


def request_full_export(by: Membership) -> CenterExport:
    """Queue the full export of `by`'s center (the owner only); ExportRefused while one is being built."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=by.tenant_id)
    refused = _("An export of this center is being prepared already; wait until it is ready.")
    if running(by.tenant_id) is not None:
        raise ExportRefused(refused)
    try:
        with transaction.atomic():
            export = CenterExport.objects.create(tenant_id=by.tenant_id, requested_by=by.user)
            audit.record(by, audit.Action.EXPORT, "full export", {"export": export.pk, "step": "requested"})
    except IntegrityError:  # another click won the race (api_center_export_one_running)
        raise ExportRefused(refused) from None
    from . import tasks

    tenant_id, export_id = export.tenant_id, export.pk
    transaction.on_commit(lambda: tasks.build_center_export.delay(tenant_id, export_id), robust=True)
    return export


def unavailable(export: CenterExport, tenant: Tenant, *, missing: bool = False) -> str | None:
    """Why the export's file cannot be downloaded now (the web page's and the API's sentence), or None.
    `missing`: the file could not be opened (as gone as an expired one)."""
    if export.is_running:
        return _("This export is still being prepared: download it when the list says it is ready.")
    if export.state == CenterExport.State.FAILED:
        return _("This export failed, so there is nothing to download. Prepare a new one.")
    if export.is_downloadable and not missing:
        return None
    until = timezone.localtime(export.expires_at or timezone.now(), tenant.tz)
    return _(
        "This export expired on %(until)s: its file is deleted 24 hours after it is ready. Prepare a new one."
    ) % {"until": formats.date_format(until, "SHORT_DATETIME_FORMAT")}


def record_download(export: CenterExport, by: Membership) -> None:
    """The audit log names who took the file away, not only who asked for it."""
    audit.record(by, audit.Action.EXPORT, "full export", {"export": export.pk, "step": "downloaded"})


# --- Building it ------------------------------------------------------------------------------------


class _CappedFile:
    """The temporary file zipfile writes to, refusing to grow past `cap` bytes (zipfile seeks back to
    fill in headers, so the file's end is the largest position written, not a running sum)."""

    def __init__(self, raw: IO[bytes], cap: int) -> None:
        self._raw = raw
        self._cap = cap

    def write(self, data) -> int:
        if self._raw.tell() + len(data) > self._cap:
            raise TooBig
        return self._raw.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


@dataclass
class _Written:
    name: str
    bytes: int
    sha256: str
    rows: int | None = None

    def manifest(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "bytes": self.bytes, "sha256": self.sha256}
        if self.rows is not None:
            entry["rows"] = self.rows
        return entry


def _write_entry(archive: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> _Written:
    digest = hashlib.sha256()
    size = 0
    with archive.open(name, "w", force_zip64=True) as entry:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            entry.write(chunk)
    return _Written(name, size, digest.hexdigest())


def _counted(rows: Iterable[Any], counter: list[int]) -> Iterator[Any]:
    for row in rows:
        counter[0] += 1
        yield row


def _csv(archive: zipfile.ZipFile, tenant: Tenant, table: Table) -> _Written:
    queryset = table.model._default_manager.filter(tenant_id=tenant.pk)
    if table.related:
        queryset = queryset.select_related(*table.related)
    counter = [0]
    rows = _counted(exports.rows_of(queryset), counter)
    # The list exports' own writer: the same BOM, dialect and formula escaping.
    lines = exports._lines(tenant, table.columns(), rows)
    written = _write_entry(archive, f"{table.name}.csv", (line.encode("utf-8") for line in lines))
    written.rows = counter[0]
    return written


def _pdf_chunks(handle) -> Iterator[bytes]:
    while block := handle.read(COPY_BLOCK):
        yield block


def _documents(archive: zipfile.ZipFile, tenant: Tenant) -> tuple[list[_Written], list[str]]:
    """Every issued document's PDF (every version); the names of those whose file is gone."""
    written: list[_Written] = []
    missing: list[str] = []
    queryset = Document.objects.for_tenant(tenant).select_related("order")
    for row in exports.rows_of(queryset):
        document = cast(Document, row)  # rows_of yields the queryset's model
        name = exports.document_archive_name(document)
        try:
            handle = document.file.open("rb")
        except (FileNotFoundError, OSError, ValueError):
            # The export still goes out: documents.csv lists it and the manifest says it is missing.
            logger.warning("Full export: the PDF of document %s is missing.", document.pk)
            missing.append(name)
            continue
        with handle:
            written.append(_write_entry(archive, name, _pdf_chunks(handle)))
    return written, missing


def _manifest(tenant: Tenant, files: list[_Written], missing: list[str]) -> bytes:
    return json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "center": {
                "name": tenant.name,
                "slug": tenant.slug,
                "language": tenant.language,
                "time_zone": tenant.time_zone,
                "currency": tenant.currency,
            },
            "generated_at": timezone.now().isoformat(timespec="seconds"),
            "csv": {"encoding": "utf-8-sig", "dates": "the center's time zone, YYYY-MM-DD HH:MM"},
            "files": [item.manifest() for item in files],
            "missing_documents": missing,
        },
        ensure_ascii=False,
        indent=2,
    ).encode("utf-8")


def _fail(export: CenterExport, message: str) -> None:
    CenterExport.objects.filter(pk=export.pk).update(state=CenterExport.State.FAILED, failure=message[:300])


def build(tenant_id: int, export_id: int) -> CenterExport | None:
    """The task's body: claim the queued export, write the ZIP, store it, mark it ready for 24 hours."""
    taken = CenterExport.objects.filter(
        pk=export_id, tenant_id=tenant_id, state=CenterExport.State.QUEUED
    ).update(state=CenterExport.State.BUILDING, started_at=timezone.now())
    export = CenterExport.objects.select_related("tenant").filter(pk=export_id, tenant_id=tenant_id).first()
    if not taken or export is None:
        return export  # built, failed or claimed by another worker already
    tenant = export.tenant
    temporary = tempfile.NamedTemporaryFile(prefix="center-export-", suffix=".zip", delete=False)  # noqa: SIM115
    try:
        # The center's language and clock, as its pages: headers, labels and the timelines' texts.
        with translation.override(tenant.language), timezone.override(tenant.tz):
            try:
                counts, size = _write_zip(temporary, tenant)
            except TooBig:
                _fail(
                    export,
                    _(
                        "The export grew past %(size)s MB, the most this server makes; ask its "
                        "administrator to raise CENTER_EXPORT_MAX_BYTES."
                    )
                    % {"size": settings.CENTER_EXPORT_MAX_BYTES // (1024 * 1024)},
                )
                return _reloaded(export)
            except Exception:
                logger.exception("Full export %s failed.", export.pk)
                _fail(export, _("The export stopped on an unexpected error; ask for a new one."))
                raise
        temporary.seek(0)
        export.file.save("export.zip", File(temporary), save=False)
        now = timezone.now()
        CenterExport.objects.filter(pk=export.pk).update(
            state=CenterExport.State.READY,
            file=export.file.name,
            size=size,
            counts=counts,
            ready_at=now,
            expires_at=now + KEEP_FOR,
        )
    finally:
        temporary.close()
        os.unlink(temporary.name)
    return _reloaded(export)


def _reloaded(export: CenterExport) -> CenterExport:
    export.refresh_from_db()
    return export


def _write_zip(temporary: IO[bytes], tenant: Tenant) -> tuple[dict[str, int], int]:
    capped = _CappedFile(temporary, settings.CENTER_EXPORT_MAX_BYTES)
    files: list[_Written] = []
    counts: dict[str, int] = {}
    with zipfile.ZipFile(capped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            written = _csv(archive, tenant, table)
            files.append(written)
            counts[table.name] = written.rows or 0
        pdfs, missing = _documents(archive, tenant)
        files += pdfs
        counts["document_files"] = len(pdfs)
        manifest = _manifest(tenant, files, missing)
        _write_entry(archive, "manifest.json", [manifest])
    temporary.flush()
    return counts, temporary.tell()


# --- Expiry -----------------------------------------------------------------------------------------


def expire() -> dict[str, int]:
    """Beat's sweep over every center: delete the files past their 24 hours (the rows stay, "expired"),
    and fail exports a dead worker left queued or building, so their center can ask again."""
    now = timezone.now()
    expired = 0
    due = CenterExport.objects.filter(state=CenterExport.State.READY, expires_at__lte=now)
    for export in due.iterator(chunk_size=100):
        if export.file:
            export.file.delete(save=False)
        expired += CenterExport.objects.filter(pk=export.pk, state=CenterExport.State.READY).update(
            state=CenterExport.State.EXPIRED, file=""
        )
    stale = CenterExport.objects.filter(
        Q(state=CenterExport.State.BUILDING, started_at__lt=now - STALE_AFTER)
        | Q(state=CenterExport.State.QUEUED, created_at__lt=now - STALE_AFTER)
    ).update(state=CenterExport.State.FAILED, failure="")  # the page says it stopped unfinished
    return {"expired": expired, "stale": stale}
