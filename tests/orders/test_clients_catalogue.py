"""Clients (page, list, edit) and the service catalogue (managers edit it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import Client, ServiceType
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, OrderFactory, ServiceTypeFactory
from tests.helpers import text_of

from .conftest import tenant_url

pytestmark = pytest.mark.django_db


def client_data(**changes) -> dict:
    data = {
        "name": "Ivan Petrov",
        "phone": "+7 916 000-00-01",
        "email": "",
        "notes": "",
        "notify_email": "on",
        "notify_sms": "on",
    }
    data.update(changes)
    return data


def test_the_client_page_shows_contacts_and_history(tenant_a, member_client, service_a):
    person = ClientFactory(tenant=tenant_a, name="Olga Novikova", phone="+79161234508")
    orders = [OrderFactory(tenant=tenant_a, client=person, service_type=service_a) for _ in range(3)]
    response = member_client(Role.RECEPTION).get(tenant_url("client_detail", tenant_a, person.pk))
    text = text_of(response)
    assert "Olga Novikova" in text and "+7 916 123-45-08" in text
    assert all(f"#{order.number}" in text for order in orders)


def test_the_list_and_the_page_say_which_language_each_client_hears(tenant_a, member_client):
    tenant_a.language = "ru"
    tenant_a.save()
    ClientFactory(tenant=tenant_a, name="Ayu Lestari", phone="+6281234567890", language="id")
    ClientFactory(tenant=tenant_a, name="Boris Orlov", phone="+79160000077", language="")
    reception = member_client(Role.RECEPTION)
    rows = text_of(reception.get(tenant_url("client_list", tenant_a))).split("<tr>")
    rows = {name: next(row for row in rows if name in row) for name in ("Ayu Lestari", "Boris Orlov")}
    assert "Indonesian" in rows["Ayu Lestari"]
    assert "Russian" in rows["Boris Orlov"]  # no language of his own: the center's
    ayu = Client.objects.get(tenant=tenant_a, name="Ayu Lestari")
    page = reception.get(tenant_url("client_detail", tenant_a, ayu.pk))
    assert 'data-testid="client-language">Indonesian<' in text_of(page)


def test_a_technician_cannot_see_clients(tenant_a, member_client):
    person = ClientFactory(tenant=tenant_a)
    assert (
        member_client(Role.TECHNICIAN).get(tenant_url("client_detail", tenant_a, person.pk)).status_code
        == 403
    )
    assert member_client(Role.TECHNICIAN).get(tenant_url("client_list", tenant_a)).status_code == 403


def test_the_client_list_searches_and_pages(tenant_a, member_client):
    ClientFactory(tenant=tenant_a, name="Zoya Unique", phone="+79035550000")
    ClientFactory.create_batch(55, tenant=tenant_a)
    reception = member_client(Role.RECEPTION)
    assert "Zoya Unique" in text_of(reception.get(tenant_url("client_list", tenant_a), {"q": "zoya"}))
    assert "Zoya Unique" in text_of(reception.get(tenant_url("client_list", tenant_a), {"q": "903 555"}))
    first = reception.get(tenant_url("client_list", tenant_a))
    assert first.status_code == 200 and first.context["page"].next_cursor
    second = reception.get(tenant_url("client_list", tenant_a), {"cursor": first.context["page"].next_cursor})
    assert not {c.pk for c in first.context["clients"]} & {c.pk for c in second.context["clients"]}
    assert reception.get(tenant_url("client_list", tenant_a), {"cursor": "garbage"}).status_code == 200


def test_editing_a_client_normalises_the_phone(tenant_a, member_client):
    person = ClientFactory(tenant=tenant_a)
    response = member_client(Role.RECEPTION).post(
        tenant_url("client_edit", tenant_a, person.pk), client_data(phone="8 (916) 000-00-01")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.phone) == ("Ivan Petrov", "+79160000001")


def test_a_phone_another_client_has_is_a_form_error(tenant_a, tenant_b, member_client):
    ClientFactory(tenant=tenant_a, phone="+79160000001")
    ClientFactory(tenant=tenant_b, phone="+79160000002")  # another tenant's client does not clash
    person = ClientFactory(tenant=tenant_a, phone="+79169999999")
    reception = member_client(Role.RECEPTION)

    response = reception.post(
        tenant_url("client_edit", tenant_a, person.pk), client_data(phone="8 916 000 00 01")
    )

    assert response.status_code == 200
    assert "Another client has this phone number." in text_of(response)
    person.refresh_from_db()
    assert person.phone == "+79169999999"
    assert (
        reception.post(
            tenant_url("client_edit", tenant_a, person.pk), client_data(phone="+79160000002")
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    "changes",
    [{"phone": "12"}, {"phone": ""}, {"name": ""}, {"email": "nope"}],
    ids=["short phone", "no phone", "no name", "bad e-mail"],
)
def test_bad_client_input_is_a_form_error(changes, tenant_a, member_client):
    person = ClientFactory(tenant=tenant_a, name="Before")
    response = member_client(Role.RECEPTION).post(
        tenant_url("client_edit", tenant_a, person.pk), client_data(**changes)
    )
    assert response.status_code == 200 and response.context["form"].errors
    person.refresh_from_db()
    assert person.name == "Before"


# --- Catalogue ---------------------------------------------------------------------------------------


def service_data(**changes) -> dict:
    data = {
        "name": "Laptop repair",
        "description": "",
        "formats": ["in_shop", "on_site"],
        "needs_item": "on",
        "default_duration_minutes": "90",
        "target_days": "3",
        "base_price": "2500",
        "warranty_days": "180",
        "equipment": "",
        "materials": "",
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_everyone_sees_the_catalogue(tenant_a, member_client, service_a):
    for role in Role:
        assert service_a.name in text_of(member_client(role).get(tenant_url("catalogue", tenant_a)))


def test_a_manager_adds_and_edits_a_service(tenant_a, member_client):
    manager = member_client(Role.MANAGER)
    assert manager.post(tenant_url("service_type_new", tenant_a), service_data()).status_code == 302
    service = ServiceType.objects.for_tenant(tenant_a).get(name="Laptop repair")
    assert (service.formats, service.base_price, service.warranty_days) == (
        ["in_shop", "on_site"],
        Decimal("2500"),
        180,
    )
    manager.post(tenant_url("service_type_edit", tenant_a, service.pk), service_data(base_price="3000"))
    service.refresh_from_db()
    assert service.base_price == Decimal("3000")


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_reception_and_technicians_cannot_edit_the_catalogue(role, tenant_a, member_client, service_a):
    visitor = member_client(role)
    assert visitor.get(tenant_url("service_type_new", tenant_a)).status_code == 403
    assert visitor.post(tenant_url("service_type_new", tenant_a), service_data()).status_code == 403
    assert (
        visitor.post(
            tenant_url("service_type_edit", tenant_a, service_a.pk), service_data(name="Hacked")
        ).status_code
        == 403
    )
    service_a.refresh_from_db()
    assert service_a.name == "Phone repair"


@pytest.mark.parametrize("name", ["Phone repair", "phone REPAIR", "  Phone repair  "])
def test_a_duplicate_service_name_is_a_form_error(name, tenant_a, tenant_b, member_client, service_a):
    ServiceTypeFactory(tenant=tenant_b, name="Laptop repair")  # another tenant's name is free to use
    manager = member_client(Role.MANAGER)
    response = manager.post(tenant_url("service_type_new", tenant_a), service_data(name=name))
    assert response.status_code == 200
    assert "The catalogue already has a service with this name." in text_of(response)
    assert ServiceType.objects.for_tenant(tenant_a).count() == 1
    assert manager.post(tenant_url("service_type_new", tenant_a), service_data()).status_code == 302


def test_renaming_a_service_to_its_own_name_is_fine(tenant_a, member_client, service_a):
    response = member_client(Role.MANAGER).post(
        tenant_url("service_type_edit", tenant_a, service_a.pk), service_data(name="Phone repair")
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "changes",
    [
        {"formats": []},
        {"formats": ["teleport"]},
        {"base_price": "-1"},
        {"base_price": "abc"},
        {"warranty_days": "-5"},
        {"name": ""},
    ],
    ids=["no format", "unknown format", "negative price", "letters", "negative warranty", "no name"],
)
def test_bad_service_input_is_a_form_error(changes, tenant_a, member_client):
    response = member_client(Role.MANAGER).post(
        tenant_url("service_type_new", tenant_a), service_data(**changes)
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert not ServiceType.objects.for_tenant(tenant_a).exists()


def test_another_tenants_service_or_client_is_404(tenant_a, tenant_b, member_client):
    theirs = ServiceTypeFactory(tenant=tenant_b)
    their_client = ClientFactory(tenant=tenant_b)
    owner = member_client(Role.OWNER)
    assert owner.get(tenant_url("service_type_edit", tenant_a, theirs.pk)).status_code == 404
    assert owner.get(tenant_url("client_detail", tenant_a, their_client.pk)).status_code == 404
    assert owner.post(tenant_url("client_edit", tenant_a, their_client.pk), client_data()).status_code == 404
    assert Client.objects.get(pk=their_client.pk).name != "Ivan Petrov"
