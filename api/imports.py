"""Importing from CSV or Excel: clients and their devices, the service catalogue, parts with their stock
per location, past orders. Upload, preview, map the columns (remembered per kind), check (a dry run that
writes nothing, with row-numbered problems), import (a Celery task with its progress). Re-importing the
same file changes nothing: each kind finds a row's record again (api/import_kinds.py says by what).

Each row goes through the web's own rules (ClientForm's fields, ServiceTypeForm, PartForm,
stock.services, orders.history_import), so an import cannot store what the pages would refuse. The rows
go by chunks of CHUNK_ROWS, each chunk in one transaction; a row's records are saved all or nothing and a
bad row is reported with its spreadsheet row number, never half saved. Amounts, dates and phone numbers
are read with the center's language and country (api/import_values.py). Limits: IMPORT_MAX_BYTES per
file (and IMPORT_MAX_UNZIPPED for an .xlsx's contents), IMPORT_MAX_ROWS rows, IMPORT_MAX_COLUMNS columns.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal

from babel.numbers import format_decimal
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.permissions import check_actor
from servicedesk.money_format import babel_locale
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm

from . import audit
from .import_kinds import KINDS, Kind, RowContext, RowResult, Target
from .models import ImportJob

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 5
# Rows read, looked up, checked and written together, in one transaction (see run).
CHUNK_ROWS = 500


# The clients' columns (the first kind; the others are in import_kinds.KINDS).
TARGETS = KINDS[ImportJob.Kind.CLIENTS].targets
TARGET_NAMES = [target.name for target in TARGETS]


def targets_of(kind: str) -> list[Target]:
    return KINDS[kind].targets


class ImportRefused(Exception):
    """str(error) is a sentence for the user."""


# --- Reading files ---------------------------------------------------------------------------------


def _cell(value, language: str = "en") -> str:
    """A cell as text. Excel's typed cells are written as the center would type them, so one reading
    serves both files: a number with its language's decimal sign and no grouping (1500,5 in Russian),
    a date as ISO 2024-03-15 (which every language's date reading accepts)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed as a number in Excel: 79161234567.0
    if isinstance(value, float | Decimal):
        value = format_decimal(value, format="0.##########", locale=babel_locale(language))
    elif isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == time(0, 0) else value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        value = value.isoformat()
    return str(value).replace("\x00", "").strip()[:500]


def read_rows(data: bytes, file_format: str, language: str = "en") -> Iterator[list[str]]:
    """The file's rows as lists of text (the header first); ImportRefused when it cannot be read."""
    columns = settings.IMPORT_MAX_COLUMNS
    if file_format == "xlsx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if sum(info.file_size for info in archive.infolist()) > settings.IMPORT_MAX_UNZIPPED:
                    raise ImportRefused(_("The spreadsheet is too big once unpacked."))
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield [_cell(value, language) for value in values[:columns]]
            book.close()
        except ImportRefused:
            raise
        except Exception as error:  # noqa: BLE001 - openpyxl and zipfile raise many kinds for a bad file
            raise ImportRefused(
                _("This is not an Excel file that can be read (%(error)s).") % {"error": type(error).__name__}
            ) from None
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251", errors="replace")  # Russian Excel saves CSV in Windows-1251
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [_cell(value) for value in values[:columns]]
    except csv.Error as error:
        raise ImportRefused(_("The CSV file cannot be read: %(error)s") % {"error": error}) from None


def _nonblank(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, values) of the rows after the header that hold anything."""
    for number, values in enumerate(rows, start=2):
        if any(values):
            yield number, values


def guess_mapping(headers: list[str], kind: str = ImportJob.Kind.CLIENTS) -> dict[str, int]:
    lowered = [header.strip().lower() for header in headers]
    mapping: dict[str, int] = {}
    for target in targets_of(kind):
        for index, header in enumerate(lowered):
            if index in mapping.values():
                continue
            if header in target.hints or any(header.startswith(hint + " ") for hint in target.hints):
                mapping[target.name] = index
                break
    return mapping


def remembered_mapping(tenant: Tenant, kind: str, headers: list[str]) -> dict[str, int]:
    """The columns chosen for the center's last file of this kind, where the new file has a column of
    the same heading; the rest guessed from the headings. A center exporting from the same system each
    time maps its columns once."""
    mapping = guess_mapping(headers, kind)
    last = (
        ImportJob.objects.for_tenant(tenant)
        .filter(kind=kind)
        .exclude(state=ImportJob.State.UPLOADED)  # a mapping that was used, not only guessed
        .only("headers", "mapping")
        .first()
    )
    if last is None:
        return mapping
    position = {header.strip().lower(): index for index, header in reversed(list(enumerate(headers)))}
    names = {target.name for target in targets_of(kind)}
    remembered: dict[str, int] = {}
    for name, index in last.mapping.items():
        if name in names and isinstance(index, int) and 0 <= index < len(last.headers):
            found = position.get(str(last.headers[index]).strip().lower())
            if found is not None:
                remembered[name] = found
    for name, index in mapping.items():  # guesses fill the rest, never a column already taken
        if name not in remembered and index not in remembered.values():
            remembered[name] = index
    return remembered


def upload(
    tenant: Tenant, uploaded: UploadedFile, *, by: Membership, kind: str = ImportJob.Kind.CLIENTS
) -> ImportJob:
    """Store the file, read its header and first rows, count its rows (within the limits)."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=tenant.pk)
    if kind not in KINDS:
        raise ImportRefused(_("Choose what the file holds."))
    name = (uploaded.name or "file")[:200]
    file_format = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if file_format not in ("csv", "xlsx"):
        raise ImportRefused(_("Upload a .csv or .xlsx file."))
    if uploaded.size is None or uploaded.size > settings.IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is bigger than %(size)s MB.") % {"size": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    data = uploaded.read(settings.IMPORT_MAX_BYTES + 1)
    rows = read_rows(data, file_format, tenant.language)
    headers = next(rows, None)
    if not headers or not any(headers):
        raise ImportRefused(_("The file is empty: the first row should name the columns."))
    preview: list[list[str]] = []
    count = 0
    for _number, values in _nonblank(rows):
        count += 1
        if count > settings.IMPORT_MAX_ROWS:
            raise ImportRefused(
                _("The file has more than %(count)s rows: split it.") % {"count": settings.IMPORT_MAX_ROWS}
            )
        if len(preview) < PREVIEW_ROWS:
            preview.append(values)
    if not count:
        raise ImportRefused(_("The file has no rows under its header."))
    job = ImportJob(
        tenant=tenant,
        kind=kind,
        original_name=name,
        file_format=file_format,
        headers=headers,
        preview=preview,
        row_count=count,
        mapping=remembered_mapping(tenant, kind, headers),
        created_by=by.user,
    )
    job.file.save("upload", ContentFile(data), save=False)
    with transaction.atomic():
        job.save()
        audit.record(by, audit.Action.IMPORT_UPLOADED, name, {"import": job.pk, "rows": count, "kind": kind})
    return job


def set_mapping(job: ImportJob, mapping: dict[str, int | None], *, by: Membership) -> None:
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=job.tenant_id)
    targets = targets_of(job.kind)
    names = {target.name for target in targets}
    clean = {name: index for name, index in mapping.items() if index is not None and name in names}
    for target in targets:
        if target.required and target.name not in clean:
            raise ValidationError(_("Choose the column of “%(field)s”.") % {"field": target.label})
    if len(set(clean.values())) != len(clean):
        raise ValidationError(_("One column is chosen for two fields."))
    if any(not 0 <= index < len(job.headers) for index in clean.values()):
        raise ValidationError(_("Unknown column."))
    job.mapping = clean
    job.save(update_fields=["mapping"])


# --- Checking and importing -----------------------------------------------------------------------


def start(job: ImportJob, *, dry_run: bool, by: Membership) -> bool:
    """Queue a check or the import; False when one is already running or the file is imported."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=job.tenant_id)
    ready = [ImportJob.State.UPLOADED, ImportJob.State.CHECKED, ImportJob.State.FAILED]
    new_state = ImportJob.State.CHECKING if dry_run else ImportJob.State.IMPORTING
    taken = ImportJob.objects.filter(pk=job.pk, tenant_id=job.tenant_id, state__in=ready).update(
        state=new_state, processed=0, dry_run=dry_run, failure=""
    )
    if not taken:
        return False
    audit.record(
        by,
        audit.Action.IMPORT_CHECKED if dry_run else audit.Action.IMPORT_STARTED,
        job.original_name,
        {"import": job.pk, "rows": job.row_count, "mapping": job.mapping, "kind": job.kind},
    )
    from . import tasks

    tenant_id, job_id = job.tenant_id, job.pk
    transaction.on_commit(lambda: tasks.run_import.delay(tenant_id, job_id), robust=True)
    return True


def _values(job: ImportJob, values: list[str]) -> dict[str, str]:
    return {name: (values[index] if index < len(values) else "") for name, index in job.mapping.items()}


def _chunks(rows: Iterator[tuple[int, list[str]]], most: int) -> Iterator[list[tuple[int, list[str]]]]:
    """The rows by CHUNK_ROWS, at most `most` of them in all."""
    chunk: list[tuple[int, list[str]]] = []
    for done, row in enumerate(rows, start=1):
        if done > most:
            break
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _row_by_row(kind: Kind, context: RowContext, rows: list[tuple[int, dict[str, str]]]) -> list[RowResult]:
    results = []
    for _number, values in rows:
        try:
            with transaction.atomic():  # a savepoint: the row's records together, or nothing of the row
                results.append(RowResult(counts=kind.row(context, values)))
        except ValidationError as problem:
            results.append(RowResult(problem=problem))
    return results


def _run_chunk(kind: Kind, context: RowContext, rows: list[tuple[int, dict[str, str]]]) -> list[RowResult]:
    """A chunk's rows in one transaction (one commit, not one a row). A chunk function's bulk insert can
    meet a record saved meanwhile by someone else (the same phone typed on the web): the chunk is then
    undone and run once more, finding it."""
    if kind.chunk is None:
        if kind.prepare is not None:
            kind.prepare(context, [values for _number, values in rows])
        with transaction.atomic():
            return _row_by_row(kind, context, rows)
    try:
        with transaction.atomic():
            return kind.chunk(context, rows)
    except IntegrityError:
        with transaction.atomic():
            return kind.chunk(context, rows)


def _fail(job: ImportJob, failure: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, failure=failure[:300])
    job.refresh_from_db()
    return job


def run(tenant_id: int, job_id: int) -> ImportJob | None:
    """The task's body: read every row, check it, and unless this is a dry run save it (row by row)."""
    job = ImportJob.objects.select_related("tenant").filter(pk=job_id, tenant_id=tenant_id).first()
    if job is None or job.state not in (ImportJob.State.CHECKING, ImportJob.State.IMPORTING):
        return job
    tenant = job.tenant
    kind = KINDS[job.kind]
    dry_run = job.state == ImportJob.State.CHECKING
    counts = dict.fromkeys(kind.counts, 0)
    errors: list[dict] = []
    error_count = 0
    member = (
        Membership.objects.for_tenant(tenant)
        .filter(user_id=job.created_by_id, is_active=True)
        .select_related("user")
        .first()
        if job.created_by_id
        else None
    )
    with translation.override(tenant.language):
        if kind.needs_member and member is None:
            return _fail(job, _("Whoever uploaded this file is no longer on the staff: upload it again."))
        context = RowContext(tenant=tenant, job=job, dry_run=dry_run, by=member)
        try:
            job.file.open("rb")
            data = job.file.read(settings.IMPORT_MAX_BYTES + 1)
            job.file.close()
            rows = read_rows(data, job.file_format, tenant.language)
            next(rows, None)
            done = 0
            for chunk in _chunks(_nonblank(rows), settings.IMPORT_MAX_ROWS):
                numbered = [(number, _values(job, raw)) for number, raw in chunk]
                for (number, _raw), result in zip(numbered, _run_chunk(kind, context, numbered), strict=True):
                    if result.problem is not None:
                        error_count += 1
                        if len(errors) < settings.IMPORT_MAX_ERRORS:
                            errors.append({"row": number, "message": " ".join(result.problem.messages)[:300]})
                    else:
                        for key in result.counts:
                            counts[key] = counts.get(key, 0) + 1
                done += len(chunk)
                ImportJob.objects.filter(pk=job.pk).update(processed=done)  # the progress bar
        except ImportRefused as refused:
            return _fail(job, str(refused))
        except Exception:
            # Never left "importing" for ever: the owner sees it failed and may run it again (safe: rows
            # already saved are found again and left unchanged).
            logger.exception("Import %s failed.", job.pk)
            _fail(job, _("The import stopped on an unexpected error; run it again."))
            raise
    final = ImportJob.State.CHECKED if dry_run else ImportJob.State.DONE
    legacy = {key: counts.get(key, 0) for key in LEGACY_COUNTS} if job.kind == ImportJob.Kind.CLIENTS else {}
    ImportJob.objects.filter(pk=job.pk).update(
        state=final,
        processed=job.row_count,
        errors=errors,
        error_count=error_count,
        finished_at=timezone.now(),
        counts=counts,
        **legacy,
    )
    job.refresh_from_db()
    if not dry_run and job.file:
        job.file.delete(save=True)  # personal data: not kept once imported
    return job


# The clients' counts also have fields of their own (imports made before `counts` existed show them).
LEGACY_COUNTS = ("created_clients", "updated_clients", "unchanged_clients", "created_items")


def summary(job: ImportJob) -> str:
    """What the check found or the import did, in a sentence of the job's kind."""
    counts = job.counts or {key: getattr(job, key) for key in LEGACY_COUNTS}
    return KINDS[job.kind].summary(counts, job.error_count)
