"""The other resources: clients, items, the catalogue, technicians, parts and stock, documents, feedback;
the door of every endpoint per role (written out by hand), and lists at a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from documents.models import Document
from orders.models import Client, ServiceType
from quality.models import Feedback
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ClientFactory,
    FeedbackFactory,
    ItemFactory,
    OrderFactory,
    PartFactory,
    ServiceTypeFactory,
)

pytestmark = pytest.mark.django_db

OWN, MAN, REC, TEC = Role.OWNER, Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN
EVERYONE, OFFICE, MANAGEMENT, WORKSHOP = {OWN, MAN, REC, TEC}, {OWN, MAN, REC}, {OWN, MAN}, {OWN, MAN, TEC}

# (URL name, kwargs from the world, method) -> the roles the door lets in. Written out, not derived.
DOORS = [
    ("api:root", {}, "get", EVERYONE),
    ("api:clients", {}, "get", OFFICE),
    ("api:client", {"client_id": "client_a"}, "get", OFFICE),
    ("api:client", {"client_id": "client_a"}, "patch", OFFICE),
    ("api:items", {}, "get", EVERYONE),
    ("api:item", {"item_id": "item_a"}, "get", EVERYONE),
    ("api:service_types", {}, "get", EVERYONE),
    ("api:service_types", {}, "post", MANAGEMENT),
    ("api:service_type", {"service_type_id": "service_type_a"}, "get", EVERYONE),
    ("api:service_type", {"service_type_id": "service_type_a"}, "patch", MANAGEMENT),
    ("api:orders", {}, "get", EVERYONE),
    ("api:orders", {}, "post", OFFICE),
    ("api:order", {"order_number": "order_a"}, "get", EVERYONE),
    ("api:order", {"order_number": "order_a"}, "patch", OFFICE),
    ("api:order_action", {"order_number": "order_a", "action": "hold"}, "post", EVERYONE),
    ("api:order_assign", {"order_number": "order_a"}, "post", OFFICE),
    ("api:order_estimate", {"order_number": "order_a"}, "post", WORKSHOP),
    ("api:order_lines", {"order_number": "order_a"}, "get", EVERYONE),
    ("api:order_lines", {"order_number": "order_a"}, "post", WORKSHOP),
    ("api:order_line", {"order_number": "order_a", "line_id": "line_a"}, "delete", WORKSHOP),
    ("api:order_payments", {"order_number": "order_a"}, "get", EVERYONE),
    ("api:order_payments", {"order_number": "order_a"}, "post", OFFICE),
    ("api:order_notes", {"order_number": "order_a"}, "post", EVERYONE),
    ("api:order_timeline", {"order_number": "order_a"}, "get", EVERYONE),
    ("api:order_documents", {"order_number": "order_a"}, "get", OFFICE),
    ("api:order_documents", {"order_number": "order_a"}, "post", OFFICE),
    ("api:technicians", {}, "get", OFFICE),
    ("api:technician", {"membership_id": "tech_a"}, "get", OFFICE),
    ("api:parts", {}, "get", EVERYONE),
    ("api:part", {"part_id": "part_a"}, "get", EVERYONE),
    ("api:stock", {}, "get", EVERYONE),
    ("api:documents", {}, "get", OFFICE),
    ("api:document", {"document_id": "document_a"}, "get", OFFICE),
    ("api:document_pdf", {"document_id": "document_a"}, "get", OFFICE),
    ("api:feedback", {}, "get", MANAGEMENT),
    ("api:client_data_report", {"client_id": "client_a"}, "get", MANAGEMENT),
    ("api:client_erasure", {"client_id": "client_a"}, "post", MANAGEMENT),
    ("api:client_data_requests", {"client_id": "client_a"}, "get", MANAGEMENT),
    ("api:exports", {}, "get", {OWN}),
    ("api:exports", {}, "post", {OWN}),
    ("api:export", {"export_id": "center_export_a"}, "get", {OWN}),
    ("api:export_download", {"export_id": "center_export_a"}, "get", {OWN}),
]


def _value(world, name: str):
    if name == "hold":
        return name
    if name == "tech_a":
        return world.order_a.technician_id
    obj = getattr(world, name)
    return obj.number if name == "order_a" else obj.pk


def test_the_door_table_covers_every_endpoint():
    from tests.test_cross_tenant import API_DATA_URLS

    covered = {(name, method.upper()) for name, _kwargs, method, _roles in DOORS}
    endpoints = {(entry.name, method) for entry in API_DATA_URLS for method in entry.callback.api_perms}
    assert covered == endpoints


@pytest.mark.parametrize("name, kwargs, method, allowed", DOORS, ids=[f"{d[0]} {d[2]}" for d in DOORS])
def test_each_role_at_each_door(world, api, name, kwargs, method, allowed):
    url = reverse(name, kwargs={k: _value(world, v) for k, v in kwargs.items()})
    for role in Role:
        client = api(role)
        response = client.delete(url) if method == "delete" else getattr(client, method)(url, {})
        refused = response.status_code == 403 and "may not:" in response.json()["detail"]
        assert refused == (role not in allowed), (
            f"{role.value}: {method.upper()} {url} gave {response.status_code}"
        )
        assert response.status_code < 500


def test_clients_by_name_with_search_and_change(api, tenant_a, tenant_b):
    ClientFactory(tenant=tenant_a, name="Boris Borisov", phone="+79160000002")
    anna = ClientFactory(tenant=tenant_a, name="Anna Antonova", phone="+79160000001")
    ClientFactory(tenant=tenant_b, name="Anna of Beta", phone="+79160000003")
    reception = api(Role.RECEPTION)
    names = [c["name"] for c in reception.get(reverse("api:clients")).json()["results"]]
    assert names == ["Anna Antonova", "Boris Borisov"]
    assert [c["name"] for c in reception.get(reverse("api:clients"), {"q": "Anna"}).json()["results"]] == [
        "Anna Antonova"
    ]
    changed = reception.patch(
        reverse("api:client", args=[anna.pk]), {"email": "anna@new.test", "phone": "8 916 000-00-09"}
    )
    assert changed.status_code == 200 and changed.json()["phone"] == "+79160000009"
    anna.refresh_from_db()
    assert anna.email == "anna@new.test" and anna.name == "Anna Antonova"
    clash = reception.patch(reverse("api:client", args=[anna.pk]), {"phone": "+79160000002"})
    assert clash.status_code == 400 and clash.json()["fields"]["phone"] == [
        "Another client has this phone number."
    ]


def test_items_by_client_and_serial(api, tenant_a):
    phone = ItemFactory(tenant=tenant_a, serial="IMEI-7")
    ItemFactory(tenant=tenant_a)
    owner = api(Role.OWNER)
    assert [
        i["id"] for i in owner.get(reverse("api:items"), {"client": phone.client_id}).json()["results"]
    ] == [phone.pk]
    assert [i["id"] for i in owner.get(reverse("api:items"), {"serial": "imei-7"}).json()["results"]] == [
        phone.pk
    ]
    assert owner.get(reverse("api:items"), {"client": "abc"}).status_code == 400


def test_the_catalogue_through_the_web_s_form(api, tenant_a):
    manager = api(Role.MANAGER)
    created = manager.post(
        reverse("api:service_types"),
        {"name": "Laptop cleaning", "formats": ["in_shop"], "base_price": "1200"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["needs_item"] is True and body["is_active"] is True and body["warranty_days"] == 365
    again = manager.post(
        reverse("api:service_types"), {"name": "laptop cleaning", "formats": ["in_shop"], "base_price": "1"}
    )
    assert again.json()["fields"]["name"] == ["The catalogue already has a service with this name."]
    changed = manager.patch(reverse("api:service_type", args=[body["id"]]), {"is_active": False})
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert ServiceType.objects.get(pk=body["id"]).base_price == Decimal("1200")


def test_technicians_parts_stock(world, api):
    owner = api(Role.OWNER)
    technicians = owner.get(reverse("api:technicians")).json()
    # The world's two technicians (its extra one is "Person <n>"); no API key is ever among them.
    assert len(technicians) == 2 and "Technician of Alpha Repairs" in [t["name"] for t in technicians]
    assert technicians[0]["skills"] == [] and technicians[0]["role"] == "technician"
    parts = owner.get(reverse("api:parts")).json()["results"]
    assert [p["sku"] for p in parts] == ["W-alpha-0", "W-alpha-1"]
    assert parts[0]["levels"][0]["on_hand"] == "10.000" and "cost_price" in parts[0]
    assert "cost_price" not in api(Role.RECEPTION).get(reverse("api:parts")).json()["results"][0]
    levels = owner.get(reverse("api:stock"), {"q": "W-alpha-1"}).json()["results"]
    assert [(lv["part"]["sku"], lv["available"]) for lv in levels] == [("W-alpha-1", "10.000")]


def test_documents_metadata_and_the_pdf(world, api):
    owner = api(Role.OWNER)
    listed = owner.get(reverse("api:documents"), {"order": world.document_a.order.number}).json()["results"]
    assert [d["id"] for d in listed] == [world.document_a.pk]
    assert listed[0]["pdf"] == reverse("api:document_pdf", args=[world.document_a.pk])
    pdf = owner.get(listed[0]["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert owner.get(reverse("api:documents"), {"kind": "poem"}).status_code == 400


def test_issuing_a_document(tenant_a, api, location_a):
    order = OrderFactory(tenant=tenant_a)
    response = api(Role.RECEPTION).post(
        reverse("api:order_documents", args=[order.number]), {"kind": "intake_receipt"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["language"] == "en" and response.json()["number"].endswith("-00001")
    document = Document.objects.get(order=order)
    assert document.issued_by_name == "Reception key (API key)"
    refused = api(Role.RECEPTION).post(
        reverse("api:order_documents", args=[order.number]), {"kind": "completion_act"}
    )
    assert refused.status_code == 422


def test_feedback_newest_first_with_the_web_s_filters(world, api):
    feedback = api(Role.MANAGER).get(reverse("api:feedback")).json()["results"]
    assert [f["id"] for f in feedback] == list(
        Feedback.objects.filter(tenant=world.tenant_a)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )
    assert api(Role.MANAGER).get(reverse("api:feedback"), {"low": "true"}).json()["results"] == []
    assert api(Role.MANAGER).get(reverse("api:feedback"), {"since": "0001-01-01"}).status_code == 400


LISTS = [
    "api:orders",
    "api:clients",
    "api:items",
    "api:service_types",
    "api:parts",
    "api:stock",
    "api:documents",
    "api:feedback",
    "api:technicians",
]


@pytest.mark.parametrize("name", LISTS)
def test_lists_cost_the_same_however_long(name, tenant_a, users_a, api, django_assert_num_queries, world):
    """The same number of queries for the world's rows and for five more of everything."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = api(Role.OWNER)
    owner.get(reverse("api:root"))  # the key's last use is written now, not inside the measured requests

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert owner.get(reverse(name)).status_code == 200
        return len(queries)

    before = count()
    from stock import services as stock

    for n in range(5):
        order = OrderFactory(tenant=tenant_a, technician=world.order_a.technician, workshop=world.location_a)
        ClientFactory(tenant=tenant_a)
        ServiceTypeFactory(tenant=tenant_a)
        FeedbackFactory(tenant=tenant_a, order=order, rating=5, technician=order.technician)
        part = PartFactory(tenant=tenant_a, sku=f"Q-{n}", name=f"Query part {n}")
        manager = world.order_a.technician.__class__.objects.get(tenant=tenant_a, role=Role.MANAGER)
        stock.receive(tenant_a, part=part, location=world.location_a, quantity=1, by=manager)
    assert count() == before
    assert Client.objects.filter(tenant=tenant_a).count() > 5
