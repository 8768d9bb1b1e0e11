"""Importing clients and devices: preview and guessed mapping, a dry run that saves nothing with
row-numbered problems, the import (a Celery task, eager here), re-import changes nothing (phones
normalised), Excel, limits, the owner only."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from openpyxl import Workbook

from api import imports
from api.models import ImportJob
from orders.models import Client, Item
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory

# Celery tasks run in-process, also in the PostgreSQL + Redis pass (tests/conftest.py, celery_eager).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]

CSV = (
    "ФИО;Телефон;E-mail;Устройство;Бренд;Модель;IMEI\n"
    "Анна Петрова;8 (916) 555-01-02;anna@example.test;Phone;Apple;iPhone 13;35-678910 451234-5\n"
    "Анна Петрова;+7 916 555 01 02;;Laptop;Lenovo;T14;\n"
    ";+7 916 555 01 03;;;;;\n"
    "Борис Сидоров;12;;;;;\n"
    "Вера Смирнова;+79165550104;not-an-address;;;;\n"
    ";;;;;;\n"
    "Глеб Орлов;9165550105;;;Samsung;;\n"
    "Дарья Белова;+7 916 555-01-06;;Tablet;;;\n"
).encode()


@pytest.fixture
def owner_a(tenant_a, users_a) -> Membership:
    return Membership.objects.get(tenant=tenant_a, user=users_a[Role.OWNER])


def _upload(owner, tenant, data: bytes, name: str = "clients.csv"):
    return owner.post(reverse("imports:list", args=[tenant.slug]), {"file": SimpleUploadedFile(name, data)})


def _run(owner, tenant, job, action: str, django_capture_on_commit_callbacks):
    mapping = {key: "" if value is None else str(value) for key, value in job.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            reverse("imports:detail", args=[tenant.slug, job.pk]), {**mapping, "action": action}
        )
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def test_check_then_import_then_import_again(
    tenant_a, tenant_b, member_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    ClientFactory(tenant=tenant_a, name="Дарья Белова", phone="+79165550106", email="")
    ClientFactory(tenant=tenant_b, name="Other center's Anna", phone="+79165550102")
    owner = member_client(Role.OWNER)
    response = _upload(owner, tenant_a, CSV)
    job = ImportJob.objects.get(tenant=tenant_a)
    assert response.status_code == 302
    assert job.row_count == 7 and job.headers[0] == "ФИО" and len(job.preview) == 5
    # Columns guessed from the Russian headers.
    assert job.mapping == {
        "name": 0,
        "phone": 1,
        "email": 2,
        "item_kind": 3,
        "item_brand": 4,
        "item_model": 5,
        "item_serial": 6,
    }
    page = owner.get(reverse("imports:detail", args=[tenant_a.slug, job.pk])).content.decode()
    assert "Анна Петрова" in page and "iPhone 13" in page

    before = Client.objects.filter(tenant=tenant_a).count()
    job = _run(owner, tenant_a, job, "check", django_capture_on_commit_callbacks)
    assert job.state == ImportJob.State.CHECKED
    assert (
        Client.objects.filter(tenant=tenant_a).count() == before
        and not Item.objects.filter(tenant=tenant_a, client__name="Анна Петрова").exists()
    )
    assert (job.created_clients, job.unchanged_clients, job.created_items, job.error_count) == (1, 1, 3, 4)
    assert [error["row"] for error in job.errors] == [4, 5, 6, 8]
    messages = {error["row"]: error["message"] for error in job.errors}
    assert "Name" in messages[4] and "not a phone number" in messages[5]
    assert "e-mail" in messages[6].lower() and "kind" in messages[8]

    job = _run(owner, tenant_a, job, "import", django_capture_on_commit_callbacks)
    assert job.state == ImportJob.State.DONE and not job.file
    anna = Client.objects.get(tenant=tenant_a, phone="+79165550102")
    assert anna.name == "Анна Петрова" and anna.email == "anna@example.test"
    assert sorted(anna.items.values_list("kind", "model")) == [("Laptop", "T14"), ("Phone", "iPhone 13")]
    assert Item.objects.get(tenant=tenant_a, client__phone="+79165550106").kind == "Tablet"
    assert not Client.objects.filter(tenant=tenant_a, phone="+79165550104").exists()  # bad row: nothing of it
    assert Client.objects.get(tenant=tenant_b, phone="+79165550102").name == "Other center's Anna"

    # The same file again: nothing new.
    counts = (Client.objects.count(), Item.objects.count())
    _upload(owner, tenant_a, CSV)
    again = ImportJob.objects.filter(tenant=tenant_a).latest("id")
    again = _run(owner, tenant_a, again, "check", django_capture_on_commit_callbacks)
    again = _run(owner, tenant_a, again, "import", django_capture_on_commit_callbacks)
    assert (again.created_clients, again.updated_clients, again.created_items) == (0, 0, 0)
    assert again.unchanged_clients == 2
    assert (Client.objects.count(), Item.objects.count()) == counts
    # Done: it cannot be run a second time.
    response = owner.post(
        reverse("imports:detail", args=[tenant_a.slug, again.pk]),
        {"name": "0", "phone": "1", "action": "import"},
        follow=True,
    )
    assert "Which column is which" not in response.content.decode()


def test_excel_files_are_read(tenant_a, owner_a, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "Device"])
    sheet.append(["Ivan Petrov", 79165550201, "Phone"])  # a phone typed as a number
    sheet.append(["Olga Ivanova", "+7 916 555-02-02", None])
    data = io.BytesIO()
    book.save(data)
    job = imports.upload(tenant_a, SimpleUploadedFile("x.xlsx", data.getvalue()), by=owner_a)
    assert job.mapping == {"name": 0, "phone": 1, "item_kind": 2} and job.row_count == 2
    assert imports.start(job, dry_run=False, by=owner_a) is True
    assert imports.start(job, dry_run=False, by=owner_a) is False  # already running
    imports.run(tenant_a.pk, job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.created_clients == 2 and job.created_items == 1
    assert Client.objects.get(tenant=tenant_a, phone="+79165550201").items.get().kind == "Phone"
    assert Client.objects.get(tenant=tenant_a, phone="+79165550202").name == "Olga Ivanova"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("clients.txt", b"Name,Phone\nA,1\n", "Upload a .csv or .xlsx file"),
        ("clients.csv", b"", "empty"),
        ("clients.csv", b"Name,Phone\n", "no rows"),
        ("clients.csv", b"Name,Phone\n" + b"A,+79160000000\n" * 6, "more than 5 rows"),
        ("clients.xlsx", b"PK\x03\x04 not a zip", "not an Excel file"),
        ("clients.csv", b"x" * 3000, "bigger than"),
    ],
)
def test_files_outside_the_limits_are_refused(
    tenant_a, member_client, settings, tmp_path, name, data, message
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_MAX_ROWS = 5
    settings.IMPORT_MAX_BYTES = 2048
    response = _upload(member_client(Role.OWNER), tenant_a, data, name)
    assert response.status_code == 200 and message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_zip_bomb_is_refused(tenant_a, owner_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_MAX_UNZIPPED = 100_000
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone"])
    for n in range(3000):
        sheet.append(["A" * 50, f"+7916{n:07d}"])
    data = io.BytesIO()
    book.save(data)
    with pytest.raises(imports.ImportRefused, match="too big once unpacked"):
        imports.upload(tenant_a, SimpleUploadedFile("big.xlsx", data.getvalue()), by=owner_a)


def test_the_mapping_needs_name_and_phone(tenant_a, member_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = member_client(Role.OWNER)
    _upload(owner, tenant_a, b"A,B\nAnna,+79165550301\n")
    job = ImportJob.objects.get()
    assert job.mapping == {}
    response = owner.post(
        reverse("imports:detail", args=[tenant_a.slug, job.pk]),
        {"name": "0", "phone": "0", "action": "check"},
    )
    assert response.status_code == 200 and "One column is chosen for two fields" in response.content.decode()
    response = owner.post(
        reverse("imports:detail", args=[tenant_a.slug, job.pk]),
        {"name": "0", "phone": "7", "action": "check"},
    )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN])
def test_only_the_owner_imports(tenant_a, owner_a, member_client, settings, tmp_path, role):
    settings.MEDIA_ROOT = tmp_path
    job = imports.upload(
        tenant_a, SimpleUploadedFile("c.csv", b"Name,Phone\nAnna,+79165550401\n"), by=owner_a
    )
    client = member_client(role)
    assert client.get(reverse("imports:list", args=[tenant_a.slug])).status_code == 403
    assert _upload(client, tenant_a, b"Name,Phone\nB,+79165550402\n").status_code == 403
    response = client.post(
        reverse("imports:detail", args=[tenant_a.slug, job.pk]),
        {"name": "0", "phone": "1", "action": "import"},
    )
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED and ImportJob.objects.count() == 1
    with transaction.atomic():
        assert not Client.objects.filter(phone__in=["+79165550401", "+79165550402"]).exists()


# --- Chunks (api/imports.CHUNK_ROWS): lookups and writes for many rows at once ---------------------


def _import(tenant, owner, data: bytes, *, dry_run: bool = False) -> ImportJob:
    job = imports.upload(tenant, SimpleUploadedFile("clients.csv", data), by=owner)
    assert imports.start(job, dry_run=dry_run, by=owner)
    imports.run(tenant.pk, job.pk)
    job.refresh_from_db()
    return job


CHUNKED = (
    b"Name,Phone,E-mail,Device,Serial\n"
    b"Anna,+79165550501,,Phone,SN-1\n"  # row 2, chunk 1
    b"Boris,+79165550502,not-an-address,Phone,SN-2\n"  # row 3: bad, in the middle of chunk 1
    b"Vera,+79165550503,,,\n"  # row 4
    b"Anna again,8 916 555-05-01,anna@example.test,Laptop,\n"  # row 5, chunk 2: Anna's second device
    b"Boris,+79165550502,boris@example.test,Phone,SN-2\n"  # row 6: Boris, now good
    b"Anna,+79165550501,,Phone,sn 1\n"  # row 7: Anna's phone again (the same serial, written otherwise)
    b"Gleb,+79165550507,,,SN-7\n"  # row 8, chunk 3: a serial without the device's kind
    b"Vera,+79165550503,,Tablet,\n"  # row 9
)


def test_a_bad_row_in_a_chunk_is_reported_and_the_rest_of_the_chunk_saved(
    tenant_a, owner_a, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    job = _import(tenant_a, owner_a, CHUNKED)
    assert job.state == ImportJob.State.DONE and job.processed == 8
    assert job.errors == [
        {"row": 3, "message": "E-mail: Enter a valid email address."},
        {"row": 8, "message": "A device needs its kind (phone, laptop ...)."},
    ]
    assert job.counts == {
        "created_clients": 3,
        "updated_clients": 0,
        "unchanged_clients": 0,
        "created_items": 4,
    }
    clients = Client.objects.filter(tenant=tenant_a).order_by("phone")
    assert [(c.name, c.phone, c.email) for c in clients] == [
        ("Anna", "+79165550501", ""),  # its later rows name it again: counted once, kept as first written
        ("Boris", "+79165550502", "boris@example.test"),  # made by row 6, nothing of row 3
        ("Vera", "+79165550503", ""),
    ]
    devices = Item.objects.filter(tenant=tenant_a).order_by("id")
    assert [(d.client.name, d.kind, d.serial) for d in devices] == [
        ("Anna", "Phone", "SN-1"),
        ("Anna", "Laptop", ""),
        ("Boris", "Phone", "SN-2"),
        ("Vera", "Tablet", ""),
    ]
    assert not Client.objects.filter(tenant=tenant_a, phone="+79165550507").exists()


def test_the_dry_run_counts_as_the_import_does_and_saves_nothing(
    tenant_a, owner_a, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    job = _import(tenant_a, owner_a, CHUNKED, dry_run=True)
    assert job.state == ImportJob.State.CHECKED and [error["row"] for error in job.errors] == [3, 8]
    assert job.counts == {
        "created_clients": 3,
        "updated_clients": 0,
        "unchanged_clients": 0,
        "created_items": 4,
    }
    assert not Client.objects.filter(tenant=tenant_a).exists() and not Item.objects.exists()


def test_a_re_import_by_chunks_changes_nothing_and_completes_what_was_empty(
    tenant_a, owner_a, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    _import(tenant_a, owner_a, CHUNKED)
    before = list(
        Client.objects.filter(tenant=tenant_a).values_list("id", "name", "email", "notes").order_by("id")
    )
    again = _import(tenant_a, owner_a, CHUNKED)
    assert again.counts == {
        "created_clients": 0,
        "updated_clients": 0,
        "unchanged_clients": 3,
        "created_items": 0,
    }
    # Boris has his e-mail now: the bad one of row 3 is not read (a client keeps its e-mail).
    assert [error["row"] for error in again.errors] == [8]
    assert (
        list(
            Client.objects.filter(tenant=tenant_a).values_list("id", "name", "email", "notes").order_by("id")
        )
        == before
    )
    assert Item.objects.filter(tenant=tenant_a).count() == 4
    # A later file fills what a client had empty, and nothing else.
    completed = _import(
        tenant_a,
        owner_a,
        b"Name,Phone,E-mail,Notes\nAnna Renamed,+79165550501,anna@example.test,Prefers calls\n"
        b"Vera,+79165550503,,\n",
    )
    assert completed.counts == {
        "created_clients": 0,
        "updated_clients": 1,
        "unchanged_clients": 1,
        "created_items": 0,
    }
    anna = Client.objects.get(tenant=tenant_a, phone="+79165550501")
    assert (anna.name, anna.email, anna.notes) == ("Anna", "anna@example.test", "Prefers calls")


def test_an_erased_client_is_not_completed_by_an_import(tenant_a, owner_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.utils import timezone

    ClientFactory(tenant=tenant_a, name="Erased", phone="+79165550601", email="", erased_at=timezone.now())
    job = _import(tenant_a, owner_a, b"Name,Phone,E-mail\nNew name,+79165550601,x@example.test\n")
    assert job.errors == [
        {"row": 2, "message": "This client's personal data was erased; the client cannot be edited."}
    ]
    assert Client.objects.get(tenant=tenant_a, phone="+79165550601").email == ""


def test_the_queries_are_per_chunk_not_per_row(tenant_a, owner_a, settings, tmp_path, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)

    def queries(first: int, rows: int) -> int:
        lines = "".join(f"Client {n},+7916556{n:04d},,Phone,SN{n}\n" for n in range(first, first + rows))
        job = imports.upload(
            tenant_a,
            SimpleUploadedFile("c.csv", f"Name,Phone,E-mail,Device,Serial\n{lines}".encode()),
            by=owner_a,
        )
        assert imports.start(job, dry_run=False, by=owner_a)
        with CaptureQueriesContext(connection) as captured:
            imports.run(tenant_a.pk, job.pk)
        job.refresh_from_db()
        assert job.counts["created_clients"] == rows
        return len(captured)

    assert queries(0, 5) == queries(1000, 60)  # (SQLite inserts 90 clients a statement at most)


def test_a_chunk_meeting_a_client_saved_meanwhile_is_run_again(
    tenant_a, owner_a, settings, tmp_path, monkeypatch
):
    """Between the chunk's look-up and its bulk insert someone saves a client of the same phone: the insert
    fails on the unique phone, the chunk is undone and run once more (here the other save is undone with it,
    as it ran in the chunk's own transaction; in production it is another transaction, found on the second
    run). Nothing is doubled, nothing is lost."""
    from api import import_kinds

    settings.MEDIA_ROOT = tmp_path
    real = import_kinds._items_of
    raced: list[int] = []

    def racing(tenant, client_ids):
        if not raced:
            raced.append(ClientFactory(tenant=tenant_a, name="Typed on the web", phone="+79165550701").pk)
        return real(tenant, client_ids)

    monkeypatch.setattr(import_kinds, "_items_of", racing)
    job = _import(tenant_a, owner_a, b"Name,Phone,Device\nAnna,+79165550701,Phone\nBoris,+79165550702,\n")
    assert job.state == ImportJob.State.DONE and len(raced) == 1
    assert job.counts == {
        "created_clients": 2,
        "updated_clients": 0,
        "unchanged_clients": 0,
        "created_items": 1,
    }
    assert sorted(Client.objects.filter(tenant=tenant_a).values_list("name", "phone")) == [
        ("Anna", "+79165550701"),
        ("Boris", "+79165550702"),
    ]
    assert Item.objects.get(tenant=tenant_a).client.name == "Anna"
