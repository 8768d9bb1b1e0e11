"""Importing clients and their devices from CSV or Excel: upload, preview, map columns, check (a dry run
that writes nothing), import (a Celery task). Re-importing the same file changes nothing: a client is
found by the phone number normalised as on the web (E.164, the center's country), a device by its
client and serial number (or kind, brand and model when it has none).

Each row goes through the web's ClientForm (name, phone, e-mail rules and the phone normalisation), so
an import cannot store what the client page would refuse; a row is saved in its own transaction (client
and device together or nothing) and a bad row is reported with its spreadsheet row number, never half
saved. Limits: IMPORT_MAX_BYTES per file (and IMPORT_MAX_UNZIPPED for an .xlsx's contents),
IMPORT_MAX_ROWS rows, IMPORT_MAX_COLUMNS columns.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.forms import ClientForm
from orders.items import normalise_serial
from orders.models import Client, Item
from orders.permissions import check_actor
from orders.services import normalise_phone
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, StrOrPromise

from . import audit
from .models import ImportJob

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class Target:
    name: str
    label: StrOrPromise  # a lazy translation
    required: bool
    # Lower-case header words that suggest this column (English and Russian, and common CRM exports).
    hints: tuple[str, ...]


TARGETS = [
    Target(
        "name",
        gettext_lazy("Client name"),
        True,
        ("name", "client", "customer", "full name", "имя", "фио", "клиент"),
    ),
    Target("phone", gettext_lazy("Phone"), True, ("phone", "mobile", "tel", "телефон", "тел")),
    Target("email", gettext_lazy("E-mail"), False, ("email", "e-mail", "mail", "почта")),
    Target("notes", gettext_lazy("Notes"), False, ("note", "notes", "comment", "примечание", "комментарий")),
    Target("item_kind", gettext_lazy("Device kind"), False, ("kind", "device", "type", "тип", "устройство")),
    Target(
        "item_brand",
        gettext_lazy("Brand"),
        False,
        ("brand", "make", "manufacturer", "бренд", "марка", "производитель"),
    ),
    Target("item_model", gettext_lazy("Model"), False, ("model", "модель")),
    Target(
        "item_serial",
        gettext_lazy("Serial number"),
        False,
        ("serial", "imei", "sn", "vin", "серийный", "серийный номер"),
    ),
]
TARGET_NAMES = [target.name for target in TARGETS]


class ImportRefused(Exception):
    """str(error) is a sentence for the user."""


# --- Reading files ---------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed as a number in Excel: 79161234567.0
    return str(value).replace("\x00", "").strip()[:500]


def read_rows(data: bytes, file_format: str) -> Iterator[list[str]]:
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
                yield [_cell(value) for value in values[:columns]]
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


def guess_mapping(headers: list[str]) -> dict[str, int]:
    lowered = [header.strip().lower() for header in headers]
    mapping: dict[str, int] = {}
    for target in TARGETS:
        for index, header in enumerate(lowered):
            if index in mapping.values():
                continue
            if header in target.hints or any(header.startswith(hint + " ") for hint in target.hints):
                mapping[target.name] = index
                break
    return mapping


def upload(tenant: Tenant, uploaded: UploadedFile, *, by: Membership) -> ImportJob:
    """Store the file, read its header and first rows, count its rows (within the limits)."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=tenant.pk)
    name = (uploaded.name or "file")[:200]
    file_format = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if file_format not in ("csv", "xlsx"):
        raise ImportRefused(_("Upload a .csv or .xlsx file."))
    if uploaded.size is None or uploaded.size > settings.IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is bigger than %(size)s MB.") % {"size": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    data = uploaded.read(settings.IMPORT_MAX_BYTES + 1)
    rows = read_rows(data, file_format)
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
        original_name=name,
        file_format=file_format,
        headers=headers,
        preview=preview,
        row_count=count,
        mapping=guess_mapping(headers),
        created_by=by.user,
    )
    job.file.save("upload", ContentFile(data), save=False)
    with transaction.atomic():
        job.save()
        audit.record(by, audit.Action.IMPORT_UPLOADED, name, {"import": job.pk, "rows": count})
    return job


def set_mapping(job: ImportJob, mapping: dict[str, int | None], *, by: Membership) -> None:
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=job.tenant_id)
    clean = {name: index for name, index in mapping.items() if index is not None and name in TARGET_NAMES}
    for target in TARGETS:
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
        {"import": job.pk, "rows": job.row_count, "mapping": job.mapping},
    )
    from . import tasks

    tenant_id, job_id = job.tenant_id, job.pk
    transaction.on_commit(lambda: tasks.run_import.delay(tenant_id, job_id), robust=True)
    return True


@dataclass
class _Row:
    number: int
    values: dict[str, str]


def _values(job: ImportJob, values: list[str]) -> dict[str, str]:
    return {name: (values[index] if index < len(values) else "") for name, index in job.mapping.items()}


def _client_data(existing: Client | None, values: dict[str, str]) -> dict[str, object]:
    """The client form's data: a new client from the row; a known one keeps what it has and gains what
    was empty (so importing the same file again changes nothing)."""
    if existing is None:
        return {
            "name": values.get("name", ""),
            "phone": values.get("phone", ""),
            "email": values.get("email", ""),
            "notes": values.get("notes", ""),
            "notify_email": "on",
            "notify_sms": "on",
        }
    data: dict[str, object] = {
        "name": existing.name,
        "phone": existing.phone,
        "email": existing.email or values.get("email", ""),
        "notes": existing.notes or values.get("notes", ""),
    }
    data |= {key: "on" for key in ("notify_email", "notify_sms") if getattr(existing, key)}
    return data


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {m}".lstrip(": ")
        for f, ms in form.errors.items()
        for m in ms
    )


def _item_key(kind: str, brand: str, model: str, serial: str) -> tuple:
    serial = normalise_serial(serial)
    return ("serial", serial) if serial else ("name", kind.lower(), brand.lower(), model.lower())


def run(tenant_id: int, job_id: int) -> ImportJob | None:
    """The task's body: read every row, check it, and unless this is a dry run save it (row by row)."""
    job = ImportJob.objects.select_related("tenant").filter(pk=job_id, tenant_id=tenant_id).first()
    if job is None or job.state not in (ImportJob.State.CHECKING, ImportJob.State.IMPORTING):
        return job
    tenant = job.tenant
    dry_run = job.state == ImportJob.State.CHECKING
    counts = {"created_clients": 0, "updated_clients": 0, "unchanged_clients": 0, "created_items": 0}
    errors: list[dict] = []
    error_count = 0
    # Within one run: rows already seen (a file may list a client twice, with two devices).
    seen_phones: dict[str, Client | None] = {}
    seen_items: set[tuple] = set()
    with translation.override(tenant.language):
        try:
            job.file.open("rb")
            data = job.file.read(settings.IMPORT_MAX_BYTES + 1)
            job.file.close()
            rows = read_rows(data, job.file_format)
            next(rows, None)
            for done, (number, raw) in enumerate(_nonblank(rows), start=1):
                if done > settings.IMPORT_MAX_ROWS:
                    break
                values = _values(job, raw)
                try:
                    outcome = _one_row(
                        tenant, values, dry_run=dry_run, seen_phones=seen_phones, seen_items=seen_items
                    )
                except ValidationError as problem:
                    error_count += 1
                    if len(errors) < settings.IMPORT_MAX_ERRORS:
                        errors.append({"row": number, "message": " ".join(problem.messages)[:300]})
                else:
                    for key in outcome:
                        counts[key] += 1
                if done % 200 == 0:
                    ImportJob.objects.filter(pk=job.pk).update(processed=done)
        except ImportRefused as refused:
            ImportJob.objects.filter(pk=job.pk).update(
                state=ImportJob.State.FAILED, failure=str(refused)[:300]
            )
            job.refresh_from_db()
            return job
        except Exception:
            # Never left "importing" for ever: the owner sees it failed and may run it again (safe: rows
            # already saved are found again and left unchanged).
            logger.exception("Import %s failed.", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(
                state=ImportJob.State.FAILED,
                failure=_("The import stopped on an unexpected error; run it again."),
            )
            raise
    final = ImportJob.State.CHECKED if dry_run else ImportJob.State.DONE
    ImportJob.objects.filter(pk=job.pk).update(
        state=final,
        processed=job.row_count,
        errors=errors,
        error_count=error_count,
        finished_at=timezone.now(),
        **counts,
    )
    job.refresh_from_db()
    if not dry_run and job.file:
        job.file.delete(save=True)  # personal data: not kept once imported
    return job


def _one_row(
    tenant: Tenant, values: dict[str, str], *, dry_run: bool, seen_phones: dict, seen_items: set
) -> list[str]:
    """What the row does: ["created_clients", "created_items"] ...; ValidationError with the reason."""
    raw_phone = values.get("phone", "")
    phone = normalise_phone(raw_phone, tenant.phone_region)  # ValidationError with the web's sentence
    item_values = [values.get(key, "") for key in ("item_kind", "item_brand", "item_model", "item_serial")]
    if any(item_values[1:]) and not item_values[0]:
        raise ValidationError(_("A device needs its kind (phone, laptop ...)."))
    limits = {"item_kind": 60, "item_brand": 60, "item_model": 100, "item_serial": 64}
    for key, limit in limits.items():
        if len(values.get(key, "")) > limit:
            raise ValidationError(
                _("%(field)s is longer than %(count)s characters.") % {"field": key, "count": limit}
            )
    outcome: list[str] = []
    with transaction.atomic():
        if phone in seen_phones:
            client = seen_phones[phone]
            existing = client
        else:
            existing = Client.objects.for_tenant(tenant).filter(phone=phone).first()
            client = existing
        form = ClientForm(
            _client_data(existing, {**values, "phone": phone}), tenant=tenant, instance=existing
        )
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        if phone in seen_phones:
            pass  # the file named this client before: counted (and saved) on its first row
        elif existing is None:
            outcome.append("created_clients")
            if dry_run:
                client = None
            else:
                client = form.save(commit=False)
                client.tenant = tenant
                client.save()
        elif form.has_changed():
            outcome.append("updated_clients")
            if not dry_run:
                form.save()
        else:
            outcome.append("unchanged_clients")
        seen_phones[phone] = client
        if item_values[0]:
            seen_key = (phone, *_item_key(*item_values))
            if seen_key not in seen_items:
                seen_items.add(seen_key)
                exists = client is not None and _item_exists(tenant, client, *item_values)
                if not exists:
                    outcome.append("created_items")
                    if not dry_run:
                        Item.objects.create(
                            tenant=tenant,
                            client=client,
                            kind=item_values[0],
                            brand=item_values[1],
                            model=item_values[2],
                            serial=item_values[3],
                        )
    return outcome


def _item_exists(tenant: Tenant, client: Client, kind: str, brand: str, model: str, serial: str) -> bool:
    items = Item.objects.for_tenant(tenant).filter(client=client)
    key = _item_key(kind, brand, model, serial)
    if key[0] == "serial":
        return any(
            normalise_serial(s) == key[1]
            for s in items.exclude(serial="").values_list("serial", flat=True)[:500]
        )
    return items.filter(serial="", kind__iexact=kind, brand__iexact=brand, model__iexact=model).exists()
