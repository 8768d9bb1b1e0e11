"""The center's full export: the ZIP's files and manifest (counts written out by hand from a small world
of two centers), nothing of the other center in it, the owner only, one at a time, the 24 hours and
beat's sweep, the size cap, downloads only of the center's own export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api import full_export
from api.models import CenterExport
from orders.models import OrderStatus
from orders.permissions import ActorRefused
from servicedesk.tenancy.models import AuditEntry, Location, Membership
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ClientFactory,
    ComplaintFactory,
    DocumentFactory,
    EstimateFactory,
    EstimateLineFactory,
    FeedbackFactory,
    LineItemFactory,
    OrderEventFactory,
    OrderFactory,
    PartFactory,
    PaymentFactory,
    StockLevelFactory,
    StockMovementFactory,
    WorkLogFactory,
)
from tests.factories.documents import STAND_IN_PDF

# Celery tasks run in-process, also in the PostgreSQL + Redis pass (tests/conftest.py, celery_eager).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _member(tenant, role: Role) -> Membership:
    return Membership.objects.get(tenant=tenant, role=role, user__email=f"{role.value}@{tenant.slug}.test")


def _fill(tenant, *, name: str, orders: int) -> list:
    """`orders` orders, each with its client and device; what hangs on them is added by the tests."""
    return [
        OrderFactory(
            tenant=tenant,
            client=ClientFactory(tenant=tenant, name=f"{name} client {n}"),
            problem=f"{name} problem {n}",
            status=OrderStatus.IN_PROGRESS,
        )
        for n in range(orders)
    ]


@pytest.fixture
def small_world(tenant_a, tenant_b, users_a, users_b):
    """A: 3 clients (one without orders), 2 orders with their 2 devices, 3 lines, 1 payment, 1 estimate
    of 2 lines, 2 events, 1 work log, 1 part with 1 stock level and 1 movement, 1 rating, 1 complaint,
    1 document. B: 1 order of everything, all named "Beta secret"."""
    technician_a = _member(tenant_a, Role.TECHNICIAN)
    first, second = _fill(tenant_a, name="Alpha", orders=2)
    ClientFactory(tenant=tenant_a, name="Alpha client without orders")
    LineItemFactory(order=first, description="Alpha screen")
    LineItemFactory(order=first, description="Alpha labour")
    LineItemFactory(order=second, description="Alpha battery")
    PaymentFactory(order=first, amount=Decimal("250.00"))
    estimate = EstimateFactory(tenant=tenant_a, order=first, version=1, amount=Decimal("300"))
    for text in ("Alpha estimate screen", "Alpha estimate labour"):
        EstimateLineFactory(tenant=tenant_a, estimate=estimate, description=text, unit_price=Decimal("150"))
    OrderEventFactory(order=first, message="Alpha note one")
    OrderEventFactory(order=second, message="Alpha note two")
    started = timezone.now() - timedelta(hours=2)
    WorkLogFactory(
        tenant=tenant_a,
        order=first,
        technician=technician_a,
        started_at=started,
        ended_at=started + timedelta(minutes=45),
    )
    location_a = Location.objects.filter(tenant=tenant_a).first()
    part = PartFactory(tenant=tenant_a, name="Alpha screen part", sku="A-SCR")
    StockLevelFactory(tenant=tenant_a, part=part, location=location_a, on_hand=Decimal("4"))
    StockMovementFactory(
        tenant=tenant_a, kind="receipt", part=part, location=location_a, on_hand_delta=Decimal("4")
    )
    FeedbackFactory(tenant=tenant_a, order=second, rating=5, comment="Alpha thanks")
    ComplaintFactory(
        tenant=tenant_a, order=first, description="Alpha complaint", due_at=timezone.now() + timedelta(days=3)
    )
    document = DocumentFactory(order=first)

    (beta,) = _fill(tenant_b, name="Beta secret", orders=1)
    LineItemFactory(order=beta, description="Beta secret line")
    PaymentFactory(order=beta, note="Beta secret payment")
    OrderEventFactory(order=beta, message="Beta secret note")
    FeedbackFactory(tenant=tenant_b, order=beta, rating=1, comment="Beta secret comment")
    location_b = Location.objects.filter(tenant=tenant_b).first()
    part_b = PartFactory(tenant=tenant_b, name="Beta secret part", sku="B-SECRET")
    StockLevelFactory(tenant=tenant_b, part=part_b, location=location_b, on_hand=Decimal("1"))
    DocumentFactory(order=beta)
    return document


def _ask(owner_client, tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("full_export:page", args=[tenant.slug]))
    assert response.status_code == 302
    return CenterExport.objects.for_tenant(tenant).latest("id")


def _download(owner_client, export):
    response = owner_client.get(reverse("full_export:download", args=[export.tenant.slug, export.pk]))
    assert response.status_code == 200, response.content[:500]
    return response


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


EXPECTED_COUNTS_A = {
    "clients": 3,
    "items": 2,
    "orders": 2,
    "line_items": 3,
    "payments": 1,
    "estimates": 1,
    "estimate_lines": 2,
    "events": 2,
    "work_logs": 1,
    "parts": 1,
    "stock_levels": 1,
    "stock_movements": 1,
    "feedback": 1,
    "quality_checks": 0,
    "complaints": 1,
    "warranty_claims": 0,
    "audits": 0,
    "audit_findings": 0,
    "documents": 1,
}


def test_the_zip_holds_every_table_the_pdfs_and_a_true_manifest(
    small_world, tenant_a, member_client, django_capture_on_commit_callbacks
):
    owner = member_client(Role.OWNER)
    export = _ask(owner, tenant_a, django_capture_on_commit_callbacks)
    assert export.state == CenterExport.State.READY
    assert export.counts == {**EXPECTED_COUNTS_A, "document_files": 1}
    assert export.expires_at == export.ready_at + timedelta(hours=24)

    response = _download(owner, export)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="alpha-full-export-')
    assert response["Cache-Control"] == "no-store"
    archive = _zip(response)
    pdf_name = f"documents/{small_world.filename}"
    assert sorted(archive.namelist()) == sorted(
        [f"{name}.csv" for name in EXPECTED_COUNTS_A] + [pdf_name, "manifest.json"]
    )
    assert archive.read(pdf_name) == STAND_IN_PDF

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema_version"] == 1
    assert manifest["center"]["slug"] == "alpha" and manifest["center"]["name"] == "Alpha Repairs"
    assert manifest["generated_at"][:4] == str(timezone.now().year)
    assert manifest["missing_documents"] == []
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert set(files) == set(archive.namelist()) - {"manifest.json"}
    for name, rows in EXPECTED_COUNTS_A.items():
        assert files[f"{name}.csv"]["rows"] == rows, name
        assert len(_rows(archive, f"{name}.csv")) == rows + 1, name  # and its header
    for name, entry in files.items():
        data = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    assert files[pdf_name]["sha256"] == small_world.sha256
    assert "rows" not in files[pdf_name]

    # The columns are the list exports' (one definition): the clients' header as on the clients export.
    assert _rows(archive, "clients.csv")[0][:4] == ["Id", "Name", "Phone", "E-mail"]
    orders = _rows(archive, "orders.csv")
    assert orders[0][:4] == ["Number", "Created", "Status", "Client"]
    assert [row[3] for row in orders[1:]] == ["Alpha client 0", "Alpha client 1"]
    (work,) = _rows(archive, "work_logs.csv")[1:]
    assert work[0] == str(small_world.order.number) and work[4] == "45"
    (document,) = _rows(archive, "documents.csv")[1:]
    assert document[-1] == pdf_name
    assert document[0] == small_world.display_number

    # Asking and downloading are both in the audit log.
    entries = AuditEntry.objects.for_tenant(tenant_a).filter(target="full export").order_by("id")
    assert [entry.data for entry in entries] == [
        {"export": export.pk, "step": "requested"},
        {"export": export.pk, "step": "downloaded"},
    ]
    assert {entry.action for entry in entries} == {AuditEntry.Action.EXPORT}


def test_nothing_of_the_other_center_is_in_the_zip(
    small_world, tenant_a, tenant_b, member_client, django_capture_on_commit_callbacks
):
    export = _ask(member_client(Role.OWNER), tenant_a, django_capture_on_commit_callbacks)
    archive = _zip(_download(member_client(Role.OWNER), export))
    for name in archive.namelist():
        data = archive.read(name)
        assert b"Beta" not in data and b"beta" not in data, name
        assert "Beta".encode("utf-16-le") not in data
    # And B's own export holds B's one order, not A's two.
    export_b = _ask(member_client(Role.OWNER, tenant_b), tenant_b, django_capture_on_commit_callbacks)
    assert export_b.counts["orders"] == 1 and export_b.counts["clients"] == 1
    assert export_b.counts["document_files"] == 1 and export_b.counts["stock_levels"] == 1
    archive_b = _zip(_download(member_client(Role.OWNER, tenant_b), export_b))
    assert not any(b"Alpha" in archive_b.read(name) for name in archive_b.namelist())


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN])
def test_only_the_owner_exports(tenant_a, users_a, member_client, role):
    client = member_client(role)
    for response in (
        client.get(reverse("full_export:page", args=[tenant_a.slug])),
        client.post(reverse("full_export:page", args=[tenant_a.slug])),
        client.get(reverse("full_export:status", args=[tenant_a.slug])),
    ):
        assert response.status_code == 403
    assert not CenterExport.objects.exists()
    # The service refuses too, whoever calls it.
    with pytest.raises(ActorRefused):
        full_export.request_full_export(_member(tenant_a, role))
    assert not CenterExport.objects.exists()


def test_one_export_at_a_time(tenant_a, users_a, member_client):
    owner = member_client(Role.OWNER)
    url = reverse("full_export:page", args=[tenant_a.slug])
    # No on_commit here: the first one stays queued, as while a worker builds it.
    owner.post(url)
    response = owner.post(url, follow=True)
    assert "An export of this center is being prepared already; wait until it is ready." in (
        response.content.decode()
    )
    assert CenterExport.objects.for_tenant(tenant_a).count() == 1
    page = owner.get(url).content.decode()
    # While it runs the list polls itself and the button is off.
    assert 'hx-trigger="every 3s"' in page and reverse("full_export:status", args=[tenant_a.slug]) in page
    assert "disabled" in page
    with pytest.raises(full_export.ExportRefused):
        full_export.request_full_export(_member(tenant_a, Role.OWNER))


def test_another_center_s_export_is_not_found(
    tenant_a, tenant_b, users_b, member_client, django_capture_on_commit_callbacks
):
    export_b = _ask(member_client(Role.OWNER, tenant_b), tenant_b, django_capture_on_commit_callbacks)
    owner_a = member_client(Role.OWNER)
    assert owner_a.get(reverse("full_export:download", args=[tenant_a.slug, export_b.pk])).status_code == 404
    assert owner_a.get(reverse("full_export:download", args=[tenant_b.slug, export_b.pk])).status_code == 404
    assert owner_a.get(reverse("full_export:download", args=[tenant_a.slug, 99999999])).status_code == 404


def _age(export, **delta) -> None:
    """Move the export's times back, as if asked for and made that long ago."""
    shift = timedelta(**delta)
    CenterExport.objects.filter(pk=export.pk).update(
        created_at=export.created_at - shift,
        started_at=export.started_at - shift if export.started_at else None,
        ready_at=export.ready_at - shift if export.ready_at else None,
        expires_at=export.expires_at - shift if export.expires_at else None,
    )
    export.refresh_from_db()


def test_after_24_hours_the_file_is_gone_and_the_page_says_so(
    tenant_a, users_a, member_client, django_capture_on_commit_callbacks
):
    owner = member_client(Role.OWNER)
    export = _ask(owner, tenant_a, django_capture_on_commit_callbacks)
    stored = export.file.name
    assert export.file.storage.exists(stored)
    _age(export, hours=23, minutes=59)
    _download(owner, export)
    assert full_export.expire() == {"expired": 0, "stale": 0}

    _age(export, minutes=2)
    url = reverse("full_export:download", args=[tenant_a.slug, export.pk])
    response = owner.get(url)  # before beat's sweep: refused all the same
    assert response.status_code == 410
    assert "This export expired on" in response.content.decode()
    assert full_export.expire() == {"expired": 1, "stale": 0}
    export.refresh_from_db()
    assert export.state == CenterExport.State.EXPIRED and not export.file
    assert not export.file.storage.exists(stored)
    response = owner.get(url)
    assert response.status_code == 410
    assert "its file is deleted 24 hours after it is ready" in response.content.decode()
    page = owner.get(reverse("full_export:page", args=[tenant_a.slug])).content.decode()
    assert "Expired" in page and "full-export-download" not in page
    # A new one may be asked for.
    assert _ask(owner, tenant_a, django_capture_on_commit_callbacks).state == CenterExport.State.READY


def test_a_dead_worker_s_export_is_failed_by_the_sweep(tenant_a, users_a, member_client):
    export = full_export.request_full_export(_member(tenant_a, Role.OWNER))  # never built
    _age(export, hours=1)
    assert full_export.expire() == {"expired": 0, "stale": 0}
    _age(export, hours=2)
    assert full_export.expire() == {"expired": 0, "stale": 1}
    export.refresh_from_db()
    assert export.state == CenterExport.State.FAILED
    page = member_client(Role.OWNER).get(reverse("full_export:page", args=[tenant_a.slug])).content.decode()
    assert "It stopped before it was finished; prepare a new one." in page
    response = member_client(Role.OWNER).get(reverse("full_export:download", args=[tenant_a.slug, export.pk]))
    assert response.status_code == 409


def test_a_center_bigger_than_the_cap_fails_with_the_reason(
    small_world, tenant_a, member_client, settings, django_capture_on_commit_callbacks
):
    settings.CENTER_EXPORT_MAX_BYTES = 2000
    export = _ask(member_client(Role.OWNER), tenant_a, django_capture_on_commit_callbacks)
    assert export.state == CenterExport.State.FAILED and not export.file
    assert export.failure.startswith("The export grew past 0 MB")
    response = member_client(Role.OWNER).get(reverse("full_export:download", args=[tenant_a.slug, export.pk]))
    assert response.status_code == 409


def test_rows_are_read_in_chunks(small_world, tenant_a, settings):
    """Chunks of two rows (keyset, on the center's rows only): 3 clients are 2 chunks and an empty one."""
    settings.EXPORT_CHUNK = 2
    export = full_export.request_full_export(_member(tenant_a, Role.OWNER))
    with CaptureQueriesContext(connection) as queries:
        built = full_export.build(tenant_a.pk, export.pk)
    assert built.state == CenterExport.State.READY and built.counts["clients"] == 3
    client_reads = [q["sql"] for q in queries.captured_queries if 'FROM "orders_client"' in q["sql"]]
    assert len(client_reads) == 3
    assert all("LIMIT 2" in sql and '"tenant_id" = ' in sql for sql in client_reads)


def test_a_missing_pdf_is_listed_not_fatal(
    small_world, tenant_a, member_client, django_capture_on_commit_callbacks
):
    small_world.file.storage.delete(small_world.file.name)
    owner = member_client(Role.OWNER)
    export = _ask(owner, tenant_a, django_capture_on_commit_callbacks)
    assert export.state == CenterExport.State.READY and export.counts["document_files"] == 0
    manifest = json.loads(_zip(_download(owner, export)).read("manifest.json"))
    assert manifest["missing_documents"] == [f"documents/{small_world.filename}"]


def test_bad_input_never_makes_a_500(tenant_a, users_a, member_client, django_capture_on_commit_callbacks):
    owner = member_client(Role.OWNER)
    base = reverse("full_export:page", args=[tenant_a.slug])
    assert owner.get(base, {"page": "\x00", "x": "y" * 10_000}).status_code == 200
    assert owner.get(base + "status/", HTTP_HX_REQUEST="true").status_code == 200
    assert owner.post(base, {"anything": "\x00"}).status_code == 302
    assert owner.get(base + "abc/download/").status_code == 404
    assert owner.get(base + "99999999999999999999/download/").status_code == 404
    assert owner.post(base + "1/download/").status_code in {404, 405}
    assert owner.put(base).status_code == 405


def test_the_tables_speak_the_center_s_language(tenant_a, users_a):
    """Built by a worker with no request: headers and labels still in the center's language."""
    tenant_a.language = "ru"
    tenant_a.save(update_fields=["language"])
    OrderFactory(tenant=tenant_a, status=OrderStatus.IN_PROGRESS)
    export = full_export.request_full_export(_member(tenant_a, Role.OWNER))
    built = full_export.build(tenant_a.pk, export.pk)
    with built.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        header, row = _rows(archive, "orders.csv")
    assert header[1] == "Создано"
    assert row[2] == "В работе"
