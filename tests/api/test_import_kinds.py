"""Importing the service catalogue, parts with stock per location and past orders (api/import_kinds.py):
a dry run that saves nothing with row-numbered problems, the import, a second import of the same file
that changes nothing, the other center's records never matched, cells read in the center's language,
columns remembered per kind, a past order's warranty recognised when the device comes back, and no
message or webhook for the past."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api import imports
from api.import_values import parse_amount, parse_date
from api.models import ImportedRecord, ImportJob
from notifications.models import Notification
from orders import items
from orders.models import EventKind, Order, OrderStatus, ServiceType
from orders.services import next_order_number
from quality import warranty
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from stock.models import Part, StockLevel, StockMovement
from tests.factories import (
    ClientFactory,
    LocationFactory,
    PartFactory,
    ServiceTypeFactory,
    WebhookEndpointFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def owner_a(tenant_a, users_a) -> Membership:
    return Membership.objects.get(tenant=tenant_a, user=users_a[Role.OWNER])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _import(tenant, owner, kind: str, text: str, name: str = "file.csv") -> tuple[ImportJob, ImportJob]:
    """Upload, check (dry run), import: the job after the check and after the import."""
    job = imports.upload(tenant, SimpleUploadedFile(name, text.encode()), by=owner, kind=kind)
    assert imports.start(job, dry_run=True, by=owner)
    checked = imports.run(tenant.pk, job.pk)
    assert checked is not None and checked.state == ImportJob.State.CHECKED
    checked_copy = ImportJob.objects.get(pk=job.pk)
    assert imports.start(checked, dry_run=False, by=owner)
    done = imports.run(tenant.pk, job.pk)
    assert done is not None and done.state == ImportJob.State.DONE
    return checked_copy, done


def _errors(job: ImportJob) -> dict[int, str]:
    return {error["row"]: error["message"] for error in job.errors}


# --- Cells in the center's language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1 500,50", "ru", Decimal("1500.50")),
        ("1\xa0500,50 ₽", "ru", Decimal("1500.50")),
        ("Rp 1.500.000", "id", Decimal("1500000.00")),
        ("$1,500.50", "en", Decimal("1500.50")),
        ("1500.5", "en", Decimal("1500.50")),
    ],
)
def test_amounts_are_read_as_the_centers_language_writes_them(text, language, expected):
    assert parse_amount(text, language, "Paid") == expected


@pytest.mark.parametrize(
    ("text", "language", "message"),
    [
        ("1.500,00", "ru", "Paid: “1.500,00” is not a number (write it like 1\xa0500,50)."),
        ("1e999", "en", "Paid: “1e999” is not a number (write it like 1,500.50)."),
        ("-5", "en", "Paid cannot be negative."),
        ("0.125", "en", "Paid has more than two decimals."),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(text, language, message):
    with pytest.raises(ValidationError) as refused:
        parse_amount(text, language, "Paid")
    assert refused.value.messages == [message]


def test_dates_are_read_as_the_centers_language_writes_them():
    assert str(parse_date("15.03.2024", "ru", "Date")) == "2024-03-15"
    assert str(parse_date("15/03/2024", "id", "Date")) == "2024-03-15"
    assert str(parse_date("2024-03-15", "id", "Date")) == "2024-03-15"  # an Excel date cell
    with pytest.raises(ValidationError) as refused:
        parse_date("31.02.2024", "ru", "Date")
    assert refused.value.messages == ["Date: “31.02.2024” is not a date (write it like 15.03.2024)."]


# --- The service catalogue -------------------------------------------------------------------------

SERVICES = (
    "Service;Price;Duration;Warranty;Format\n"
    "Screen replacement;4500;90;180;in_shop, on_site\n"
    "Diagnostics;800;30;0;in_shop\n"
    ";100;30;0;\n"
    "Cleaning;cheap;60;90;\n"
    "Setup;100;ninety;0;\n"
    "Delivery;100;30;0;by drone\n"
    "screen replacement;4500;90;180;\n"
)


def test_the_service_catalogue(tenant_a, tenant_b, owner_a):
    ServiceTypeFactory(tenant=tenant_a, name="Diagnostics", base_price=Decimal("700"))
    ServiceTypeFactory(tenant=tenant_b, name="Screen replacement")  # the other center's: never matched
    checked, done = _import(tenant_a, owner_a, ImportJob.Kind.SERVICES, SERVICES)
    assert checked.mapping == {
        "name": 0,
        "base_price": 1,
        "default_duration_minutes": 2,
        "warranty_days": 3,
        "formats": 4,
    }
    assert checked.counts == {"created_services": 1, "unchanged_services": 2}
    assert checked.error_count == 4
    errors = _errors(checked)
    assert "required" in errors[4]
    assert errors[5] == "Base price: “cheap” is not a number (write it like 1,500.50)."
    assert errors[6] == "Usual duration, minutes: “ninety” is not a whole number."
    assert errors[7] == "Formats: unknown value “by drone”."
    assert done.counts == checked.counts and _errors(done) == errors
    screen = ServiceType.objects.get(tenant=tenant_a, name="Screen replacement")
    assert (screen.base_price, screen.default_duration_minutes, screen.warranty_days) == (
        Decimal("4500.00"),
        90,
        180,
    )
    assert screen.formats == ["in_shop", "on_site"] and screen.needs_item
    # Already in the catalogue: kept as the center has it.
    assert ServiceType.objects.get(tenant=tenant_a, name="Diagnostics").base_price == Decimal("700.00")
    assert not ServiceType.objects.filter(
        tenant=tenant_a, name__in=["Cleaning", "Setup", "Delivery"]
    ).exists()
    assert imports.summary(done) == "1 new services, 2 already in the catalogue; 4 rows with problems."

    again = _import(tenant_a, owner_a, ImportJob.Kind.SERVICES, SERVICES)[1]
    assert again.counts == {"created_services": 0, "unchanged_services": 3}
    assert ServiceType.objects.filter(tenant=tenant_a).count() == 2


# --- Parts with stock per location -----------------------------------------------------------------

PARTS = (
    "SKU,Name,Unit,Cost,Sale price,Location,Quantity,Minimum\n"
    "SCR-13,iPhone 13 screen,pcs,4000,6500,Alpha main office,5,2\n"
    "SCR-13,iPhone 13 screen,pcs,4000,6500,Alpha workshop,2,\n"
    "PASTE,Thermal paste,g,100,200,Alpha main office,3,\n"
    "BAT-1,Battery,pcs,100,200,Beta main office,3,\n"
    "BAT-2,Battery 2,pcs,100,200,Alpha main office,1.5,\n"
    "BAT-3,Battery 3,pcs,100,200,Alpha main office,,\n"
    "CBL,Cable,m,10,20,Alpha workshop,2.5,\n"
    "old-1,Old part renamed,pcs,1,1,Alpha main office,4,\n"
    "SCR-13,iPhone 13 screen,pcs,4000,6500,Alpha main office,7,\n"
)


def test_parts_with_stock_per_location(tenant_a, tenant_b, owner_a, location_a, location_b):
    workshop = LocationFactory(tenant=tenant_a, name="Alpha workshop")
    PartFactory(tenant=tenant_b, sku="SCR-13", name="Beta's screen")
    old = PartFactory(tenant=tenant_a, sku="OLD-1", name="Old part", sale_price=Decimal("9"))
    checked, done = _import(tenant_a, owner_a, ImportJob.Kind.PARTS, PARTS)
    assert set(checked.mapping) == {
        "sku",
        "name",
        "unit",
        "cost_price",
        "sale_price",
        "location",
        "quantity",
        "min_level",
    }
    expected = {"created_parts": 2, "unchanged_parts": 1, "stocked": 4, "unchanged_stock": 0}
    assert checked.counts == expected and done.counts == expected
    assert _errors(done) == {
        4: "Unit: unknown value “g”.",
        5: "Location: no location named “Beta main office” here.",
        6: "Battery 2 is counted in whole pcs.",
        7: "Stock needs both the location and the quantity.",
        10: "This part's stock at this location is on an earlier row of the file.",
    }
    screen = Part.objects.get(tenant=tenant_a, sku="SCR-13")
    assert (screen.cost_price, screen.sale_price) == (Decimal("4000.00"), Decimal("6500.00"))
    levels = {
        (level.part.sku, level.location.name): (level.on_hand, level.min_level)
        for level in StockLevel.objects.filter(tenant=tenant_a).select_related("part", "location")
    }
    assert levels == {
        ("SCR-13", "Alpha main office"): (Decimal("5"), Decimal("2")),
        ("SCR-13", "Alpha workshop"): (Decimal("2"), Decimal("0")),
        ("CBL", "Alpha workshop"): (Decimal("2.5"), Decimal("0")),
        ("OLD-1", "Alpha main office"): (Decimal("4"), Decimal("0")),
    }
    # Through the store's receipts: the journal adds up to the levels.
    movements = StockMovement.objects.filter(tenant=tenant_a)
    assert {(m.kind, m.reason) for m in movements} == {("receipt", "Imported")}
    assert sum(m.on_hand_delta for m in movements) == Decimal("13.5")
    assert old.__class__.objects.get(pk=old.pk).name == "Old part"  # a known part is not overwritten
    assert not Part.objects.filter(tenant=tenant_a, sku__in=["PASTE", "BAT-1", "BAT-2", "BAT-3"]).exists()
    assert StockLevel.objects.filter(tenant=tenant_b).count() == 0 and workshop.pk

    again = _import(tenant_a, owner_a, ImportJob.Kind.PARTS, PARTS)[1]
    assert again.counts == {"created_parts": 0, "unchanged_parts": 3, "stocked": 0, "unchanged_stock": 4}
    assert StockMovement.objects.filter(tenant=tenant_a).count() == movements.count() == 4


# --- Past orders -----------------------------------------------------------------------------------


def _orders_csv(today) -> str:
    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    return (
        "Number,Date,Status,Closed,Name,Phone,Service,Problem,Device,Brand,Model,IMEI,Paid,Warranty until\n"
        f"1001,{day(30)},Handed over,{day(28)},Anna Petrova,+79165550102,Screen replacement,Cracked,Phone,Apple,iPhone 13,35-678910 451234-5,4500,\n"
        f'1002,{day(800)},done,{day(790)},Boris Orlov,89165550103,screen replacement,,Phone,,,,"1,200.50",\n'
        f"1003,{day(10)},Cancelled,,Anna Petrova,+7 916 555-01-02,Screen replacement,Too dear,,,,,,\n"
        f"1004,{day(5)},In progress,,Vera,+79165550104,Screen replacement,,,,,,,\n"
        f"1005,{day(5)},Handed over,{day(6)},Vera,+79165550104,Screen replacement,,,,,,,\n"
        f"1006,{day(-3)},Handed over,{day(-3)},Vera,+79165550104,Screen replacement,,,,,,,\n"
        f"1007,{day(5)},Handed over,{day(4)},Vera,+79165550104,Battery replacement,,,,,,,\n"
        f",{day(5)},Handed over,{day(4)},Vera,+79165550104,Screen replacement,,,,,,,\n"
        f"1008,31.02.2024,Handed over,{day(4)},Vera,+79165550104,Screen replacement,,,,,,,\n"
        f"1009,{day(5)},Handed over,{day(4)},Vera,12,Screen replacement,,,,,,,\n"
        f"1001,{day(5)},Handed over,{day(4)},Vera,+79165550104,Screen replacement,,,,,,,\n"
    )


def test_past_orders(tenant_a, tenant_b, owner_a, location_a):
    ServiceTypeFactory(tenant=tenant_a, name="Screen replacement", warranty_days=180)
    ServiceTypeFactory(tenant=tenant_b, name="Battery replacement")  # the other center's: never matched
    anna = ClientFactory(tenant=tenant_a, name="Anna P.", phone="+79165550102")
    WebhookEndpointFactory(tenant=tenant_a, url="https://example.test/hook", events=["order.status_changed"])
    assert next_order_number(tenant_a) == 1  # an order taken in before the import
    today = tenant_a.local_date()
    text = _orders_csv(today)
    checked, done = _import(tenant_a, owner_a, ImportJob.Kind.ORDERS, text)
    assert checked.mapping["external_id"] == 0 and checked.mapping["paid"] == 12
    expected = {
        "created_orders": 3,
        "unchanged_orders": 0,
        "created_clients": 1,
        "updated_clients": 0,
        "unchanged_clients": 1,
        "created_items": 2,  # Anna's iPhone, Boris's phone
    }
    assert checked.counts == expected and done.counts == expected
    assert _errors(done) == {
        5: "Only finished orders are imported (handed over or cancelled); take open ones in as new orders.",
        6: "The order is closed before it was taken in.",
        7: "A past order cannot have a date in the future.",
        8: "No service “Battery replacement” in the catalogue: import the service catalogue first.",
        9: "Order number in the previous system is empty: it is how a second import knows the order.",
        10: "Taken in on: “31.02.2024” is not a date (write it like 15 Mar 2024).",
        11: "“12” is not a phone number.",
        12: "Order 1001 is on an earlier row of the file.",
    }
    orders = {
        record.external_id: Order.objects.get(pk=record.object_id)
        for record in ImportedRecord.objects.filter(tenant=tenant_a, kind=ImportedRecord.Kind.ORDER)
    }
    assert sorted(orders) == ["1001", "1002", "1003"]
    # Numbered from the center's one counter, after the order taken in before; the next one follows.
    assert sorted(order.number for order in orders.values()) == [2, 3, 4]
    assert next_order_number(tenant_a) == 5
    screen = orders["1001"]
    assert screen.client == anna and screen.status == OrderStatus.HANDED_OVER
    assert (screen.total_amount, screen.paid_amount, screen.amount_due) == (
        Decimal("4500.00"),
        Decimal("4500.00"),
        Decimal("0"),
    )
    assert tenant_a.local_date(screen.created_at) == today - timedelta(days=30)
    assert tenant_a.local_date(screen.closed_at) == today - timedelta(days=28)
    assert screen.warranty_until == today - timedelta(days=28) + timedelta(days=180)
    assert screen.item.serial == "35-678910 451234-5" and screen.problem == "Cracked"
    assert [(e.kind, e.action, e.to_status) for e in screen.events.all()] == [
        (EventKind.CREATED, "imported", OrderStatus.NEW),
        (EventKind.STATUS, "imported", OrderStatus.HANDED_OVER),
    ]
    assert screen.events.first().display_text == "Imported from the previous system (order 1001)."
    old = orders["1002"]
    assert old.client.phone == "+79165550103" and old.paid_amount == Decimal("1200.50")
    assert old.warranty_until == today - timedelta(days=790) + timedelta(days=180)  # long over
    cancelled = orders["1003"]
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.warranty_until is None
    assert cancelled.closed_at.date() == cancelled.created_at.date()
    # The past is not news: no message to a client, no webhook.
    assert not Notification.objects.exists()
    from api.models import WebhookDelivery

    assert not WebhookDelivery.objects.exists()

    # The device comes back: intake finds it by its IMEI, under the imported order's warranty.
    found = items.find_items(tenant_a, "356789104512345").get()
    assert found.warranty_until == screen.warranty_until
    assert items.latest_warranty(list(items.item_orders(found)), today) == screen
    assert warranty.coverage(screen).covers(today)
    claim = warranty.open_claim(screen, problem="The screen flickers again", by=owner_a)
    assert claim.order is not None and claim.order.warranty_of == screen
    assert claim.order.number == 6

    # The same file again: nothing new.
    again = _import(tenant_a, owner_a, ImportJob.Kind.ORDERS, text)[1]
    assert again.counts["created_orders"] == 0 and again.counts["unchanged_orders"] == 3
    assert Order.objects.filter(tenant=tenant_a).count() == 4  # three imported, one warranty claim


def test_past_orders_read_in_russian(tenant_a, owner_a, location_a):
    tenant_a.language = "ru"
    tenant_a.save(update_fields=["language"])
    ServiceTypeFactory(tenant=tenant_a, name="Замена экрана", warranty_days=90)
    text = (
        "№;Дата приёма;Статус;Дата выдачи;ФИО;Телефон;Услуга;Оплачено;Гарантия до\n"
        "А-17;01.02.2024;Выдан;03.02.2024;Анна Петрова;8 (916) 555-01-02;Замена экрана;1 500,50;01.08.2024\n"
    )
    _checked, done = _import(tenant_a, owner_a, ImportJob.Kind.ORDERS, text)
    assert done.error_count == 0, done.errors
    order = Order.objects.get(tenant=tenant_a)
    assert order.paid_amount == Decimal("1500.50") and str(order.warranty_until) == "2024-08-01"
    assert str(tenant_a.local_date(order.closed_at)) == "2024-02-03"
    assert order.client.phone == "+79165550102"


# --- Mapping remembered, roles, bad input ----------------------------------------------------------


def test_the_columns_are_remembered_per_kind(tenant_a, owner_a, member_client):
    first = imports.upload(
        tenant_a, SimpleUploadedFile("s.csv", b"Col A,Col B\nScreen,100\n"), by=owner_a, kind="services"
    )
    assert first.mapping == {}
    owner = member_client(Role.OWNER)
    response = owner.post(
        reverse("imports:detail", args=[tenant_a.slug, first.pk]),
        {"name": "0", "base_price": "1", "action": "check"},
    )
    assert response.status_code == 302
    second = imports.upload(
        tenant_a,
        SimpleUploadedFile("s2.csv", b"Extra,Col B,Col A\nx,200,Glass\n"),
        by=owner_a,
        kind="services",
    )
    assert second.mapping == {"name": 2, "base_price": 1}
    clients = imports.upload(tenant_a, SimpleUploadedFile("c.csv", b"Col A,Col B\nA,1\n"), by=owner_a)
    assert clients.mapping == {}  # another kind: its own columns


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN])
def test_only_the_owner_imports_any_kind(tenant_a, member_client, role):
    response = member_client(role).post(
        reverse("imports:list", args=[tenant_a.slug]),
        {"kind": "orders", "file": SimpleUploadedFile("o.csv", b"Number,Date\n1,2024-01-01\n")},
    )
    assert response.status_code == 403 and not ImportJob.objects.exists()


def test_bad_input_is_answered_not_a_500(
    tenant_a, tenant_b, owner_a, member_client, django_capture_on_commit_callbacks
):
    owner = member_client(Role.OWNER)
    url = reverse("imports:list", args=[tenant_a.slug])
    response = owner.post(url, {"kind": "nonsense", "file": SimpleUploadedFile("a.csv", b"A\n1\n")})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    response = owner.post(
        url, {"kind": "parts", "file": SimpleUploadedFile("p.csv", b"SKU,Name\n\x00\xff,\xfe\n")}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.kind == "parts" and job.mapping == {"sku": 0, "name": 1}
    detail = reverse("imports:detail", args=[tenant_a.slug, job.pk])
    assert owner.post(detail, {"sku": "x", "name": "99", "action": "check"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(detail, {"sku": "0", "name": "1", "action": "check"}).status_code == 302
    job.refresh_from_db()
    # Odd bytes are read as Windows-1251 text, as a Russian Excel writes CSV: a part named so is checked.
    assert job.state == ImportJob.State.CHECKED and job.counts["created_parts"] == 1
    # Another center's import is not found here.
    other = member_client(Role.OWNER, tenant_b)
    assert other.get(reverse("imports:detail", args=[tenant_b.slug, job.pk])).status_code == 404


def test_the_documented_samples_move_a_center_in(tenant_a, owner_a):
    """docs/samples/: the catalogue, the parts and the past orders, imported in that order, all clean."""
    from pathlib import Path

    LocationFactory(tenant=tenant_a, name="Main office")
    LocationFactory(tenant=tenant_a, name="Workshop")
    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    for kind, name in [("services", "services.csv"), ("parts", "parts.csv"), ("orders", "past_orders.csv")]:
        done = _import(tenant_a, owner_a, kind, (samples / name).read_text())[1]
        assert done.error_count == 0, (name, done.errors)
        assert sorted(done.mapping.values()) == list(range(len(done.headers))), name  # every column guessed
    assert ServiceType.objects.filter(tenant=tenant_a).count() == 4
    assert StockLevel.objects.filter(tenant=tenant_a).count() == 4
    assert Order.objects.filter(tenant=tenant_a).count() == 3


def test_past_orders_and_parts_by_small_chunks(tenant_a, owner_a, location_a, monkeypatch):
    """The chunks' look-ups (api.import_kinds.prepare_orders, prepare_parts) give what row-by-row gave:
    the same counts and problems with two rows a chunk, and a second import finds every row."""
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    ServiceTypeFactory(tenant=tenant_a, name="Screen replacement", warranty_days=180)
    ClientFactory(tenant=tenant_a, name="Anna P.", phone="+79165550102")
    text = _orders_csv(tenant_a.local_date())
    checked, done = _import(tenant_a, owner_a, ImportJob.Kind.ORDERS, text)
    assert (
        done.counts
        == checked.counts
        == {
            "created_orders": 3,
            "unchanged_orders": 0,
            "created_clients": 1,
            "updated_clients": 0,
            "unchanged_clients": 1,
            "created_items": 2,
        }
    )
    assert sorted(_errors(done)) == [5, 6, 7, 8, 9, 10, 11, 12]
    again = _import(tenant_a, owner_a, ImportJob.Kind.ORDERS, text)[1]
    assert (again.counts["created_orders"], again.counts["unchanged_orders"]) == (0, 3)

    parts = (
        "SKU,Part,Location,Quantity\n"
        f"sx1,Screen X1,{location_a.name},4\n"
        f"SX1,Screen X1,{location_a.name},4\n"  # the same part and place: refused, on an earlier row
        "BAT2,Battery 2,,\n"
        f"bat2,Battery 2,{location_a.name.upper()},3\n"  # the next chunk: the part made two rows up
    )
    first = _import(tenant_a, owner_a, ImportJob.Kind.PARTS, parts)[1]
    assert first.counts == {"created_parts": 2, "unchanged_parts": 0, "stocked": 2, "unchanged_stock": 0}
    assert _errors(first) == {3: "This part's stock at this location is on an earlier row of the file."}
    second = _import(tenant_a, owner_a, ImportJob.Kind.PARTS, parts)[1]
    assert second.counts == {"created_parts": 0, "unchanged_parts": 2, "stocked": 0, "unchanged_stock": 2}
    assert StockLevel.objects.get(tenant=tenant_a, part__sku="sx1").on_hand == Decimal("4")
