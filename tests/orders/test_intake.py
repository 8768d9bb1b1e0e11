"""Reception's intake page: the happy path, the returning client, and bad input (a form error, never a
500, and nothing half-saved)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from orders.models import (
    Client,
    EventKind,
    Item,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    Payment,
    ServiceFormat,
)
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, ServiceTypeFactory
from tests.helpers import text_of

from .conftest import photo_upload, png_bytes, tenant_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def reception(member_client):
    return member_client(Role.RECEPTION)


def saved_rows(tenant) -> dict:
    return {
        model.__name__: model.objects.for_tenant(tenant).count()
        for model in [Client, Item, Order, Payment, OrderEvent, OrderPhoto]
    }


def test_the_intake_page_opens(reception, tenant_a):
    response = reception.get(tenant_url("intake", tenant_a))
    assert response.status_code == 200
    assert 'name="client_phone"' in response.content.decode()


def test_happy_path_creates_everything_and_opens_the_order(reception, tenant_a, intake_post, users_a):
    response = reception.post(tenant_url("intake", tenant_a), intake_post(photos=photo_upload()))

    order = Order.objects.for_tenant(tenant_a).get()
    assert response.status_code == 302
    assert response.url == f"/{tenant_a.slug}/orders/{order.number}/"
    assert order.number == 1
    client = order.client
    assert (client.name, client.phone, client.email) == ("Ivan Petrov", "+79161234567", "ivan@example.test")
    assert client.consent_at is not None
    assert client.consent_version == django_settings.PRIVACY_POLICY_VERSION
    assert (order.item.kind, order.item.brand, order.item.serial) == ("Phone", "Apple", "356789104512345")
    assert (order.item_condition, order.item_accessories) == ("Scratches", "Case")
    assert (order.status, order.version, order.estimate) == (OrderStatus.NEW, 1, Decimal("4500"))
    assert order.created_by == users_a[Role.RECEPTION]
    assert order.promised_at is not None, "the service's usual term is proposed"
    prepayment = Payment.objects.get(order=order)
    assert (prepayment.kind, prepayment.amount, prepayment.method) == ("prepayment", Decimal("1000"), "cash")
    order.refresh_from_db()
    assert order.paid_amount == Decimal("1000")
    created = OrderEvent.objects.filter(order=order, kind=EventKind.CREATED).get()
    assert created.to_status == OrderStatus.NEW and created.actor == users_a[Role.RECEPTION]
    assert order.photos.count() == 1

    page = reception.get(response.url)
    assert page.status_code == 200
    assert "Order #1 is taken in." in text_of(page)
    assert order.public_token in text_of(page), "the order page shows the public link"


def test_numbers_follow_each_other(reception, tenant_a, intake_post):
    reception.post(tenant_url("intake", tenant_a), intake_post())
    reception.post(
        tenant_url("intake", tenant_a), intake_post(client_phone="+7 916 765 43 21", item_serial="X2")
    )
    assert list(Order.objects.for_tenant(tenant_a).order_by("number").values_list("number", flat=True)) == [
        1,
        2,
    ]


def test_a_returning_client_is_found_by_phone_not_duplicated(reception, tenant_a, intake_post):
    known = ClientFactory(
        tenant=tenant_a, name="Maria Sokolova", phone="+79161234567", consent_at=None, consent_version=""
    )
    # Typed in another way and under another name: still the same person.
    response = reception.post(
        tenant_url("intake", tenant_a), intake_post(client_phone="8 916 123 45 67", client_name="Masha")
    )
    assert response.status_code == 302
    assert Client.objects.for_tenant(tenant_a).count() == 1
    order = Order.objects.for_tenant(tenant_a).get()
    assert order.client == known
    known.refresh_from_db()
    assert known.name == "Maria Sokolova" and known.consent_at is not None


def test_a_picked_client_with_consent_needs_no_tick(reception, tenant_a, intake_post):
    known = ClientFactory(tenant=tenant_a)
    response = reception.post(
        tenant_url("intake", tenant_a),
        intake_post(client=known.pk, client_name="", client_phone="", consent=None),
    )
    assert response.status_code == 302
    assert Order.objects.for_tenant(tenant_a).get().client == known


def test_another_tenants_client_cannot_be_picked(reception, tenant_a, tenant_b, intake_post):
    theirs = ClientFactory(tenant=tenant_b)
    response = reception.post(tenant_url("intake", tenant_a), intake_post(client=theirs.pk))
    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert Order.objects.count() == 0


def test_a_service_without_an_item_takes_none(reception, tenant_a, intake_post):
    consultation = ServiceTypeFactory(
        tenant=tenant_a, name="Consultation", needs_item=False, formats=[ServiceFormat.ONLINE]
    )
    response = reception.post(
        tenant_url("intake", tenant_a),
        intake_post(
            service_type=consultation.pk,
            format=ServiceFormat.ONLINE,
            item_kind="",
            item_brand="",
            item_model="",
            item_serial="",
        ),
    )
    assert response.status_code == 302
    order = Order.objects.for_tenant(tenant_a).get()
    assert order.item is None and Item.objects.count() == 0


def test_an_on_site_visit_keeps_its_address_and_slot(reception, tenant_a, intake_post):
    response = reception.post(
        tenant_url("intake", tenant_a),
        intake_post(
            format=ServiceFormat.ON_SITE,
            visit_address="Lenina 1, apt. 5",
            visit_start="2030-05-15T10:00",  # a Wednesday morning: inside the standard business hours
            visit_end="2030-05-15T12:00",
        ),
    )
    assert response.status_code == 302
    order = Order.objects.for_tenant(tenant_a).get()
    assert order.visit_address == "Lenina 1, apt. 5" and order.visit_end > order.visit_start


BAD_INPUT = {
    "malformed phone": ({"client_phone": "12"}, "client_phone"),
    "letters for a phone": ({"client_phone": "call me maybe"}, "client_phone"),
    "no phone for a new client": ({"client_phone": ""}, "client_phone"),
    "no name for a new client": ({"client_name": "  "}, "client_name"),
    "no consent from a new client": ({"consent": None}, "consent"),
    "no item for a service that needs one": ({"item_kind": ""}, "item_kind"),
    "a format the service does not offer": ({"format": ServiceFormat.ONLINE}, "format"),
    "a format that does not exist": ({"format": "teleport"}, "format"),
    "on-site without an address": (
        {"format": ServiceFormat.ON_SITE, "visit_start": "2030-05-01T10:00"},
        "visit_address",
    ),
    "on-site without a time": ({"format": ServiceFormat.ON_SITE, "visit_address": "Lenina 1"}, "visit_start"),
    "visit ending before it starts": (
        {
            "format": ServiceFormat.ON_SITE,
            "visit_address": "Lenina 1",
            "visit_start": "2030-05-01T10:00",
            "visit_end": "2030-05-01T09:00",
        },
        "visit_end",
    ),
    "negative prepayment": ({"prepayment": "-100"}, "prepayment"),
    "estimate with letters": ({"estimate": "12abc"}, "estimate"),
    "a huge estimate": ({"estimate": "1" * 20}, "estimate"),
    "no problem described": ({"problem": ""}, "problem"),
    "a promised date in the past": ({"promised_at": "2001-01-01T10:00"}, "promised_at"),
    "a date that is not one": ({"promised_at": "tomorrow-ish"}, "promised_at"),
    "an unknown service": ({"service_type": "999999"}, "service_type"),
    "a service id that is not a number": ({"service_type": "abc"}, "service_type"),
    "a bad priority": ({"priority": "99"}, "priority"),
    "a bad e-mail": ({"client_email": "not-an-address"}, "client_email"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_a_form_error_and_nothing_is_saved(changes, field, reception, tenant_a, intake_post):
    before = saved_rows(tenant_a)

    response = reception.post(tenant_url("intake", tenant_a), intake_post(**changes))

    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert "Nothing was saved yet" in text_of(response)
    assert saved_rows(tenant_a) == before


def test_an_oversize_photo_is_refused(reception, tenant_a, intake_post, settings):
    settings.ORDER_PHOTO_MAX_BYTES = 50
    before = saved_rows(tenant_a)
    big = photo_upload("big.png", png_bytes(size=(64, 64)))
    assert big.size > 50

    response = reception.post(tenant_url("intake", tenant_a), intake_post(photos=big))

    assert response.status_code == 200
    assert "is too large" in " ".join(response.context["form"].errors["photos"])
    assert saved_rows(tenant_a) == before
    assert not (settings.MEDIA_ROOT / "orders").exists(), "no file is left behind"


@pytest.mark.parametrize(
    "content",
    [b"this is not a picture", b"GIF89a" + b"\x00" * 40, b"%PDF-1.4 ..."],
    ids=["text", "gif-header", "pdf"],
)
def test_a_file_that_is_not_a_photo_is_refused_whatever_its_name(
    content, reception, tenant_a, intake_post, settings
):
    before = saved_rows(tenant_a)
    response = reception.post(
        tenant_url("intake", tenant_a), intake_post(photos=photo_upload("holiday.jpg", content, "image/jpeg"))
    )
    assert response.status_code == 200
    assert "is not a photo" in " ".join(response.context["form"].errors["photos"])
    assert saved_rows(tenant_a) == before


def test_a_real_gif_is_refused_too(reception, tenant_a, intake_post):
    response = reception.post(
        tenant_url("intake", tenant_a),
        intake_post(photos=photo_upload("a.gif", png_bytes(fmt="GIF"), "image/gif")),
    )
    assert response.status_code == 200 and "photos" in response.context["form"].errors


def test_more_than_ten_photos_are_refused(reception, tenant_a, intake_post):
    photos = [photo_upload(f"p{i}.png") for i in range(11)]
    response = reception.post(tenant_url("intake", tenant_a), intake_post(photos=photos))
    assert response.status_code == 200 and "At most 10 photos" in text_of(response)
    assert Order.objects.count() == 0


def test_an_empty_post_shows_the_form_again(reception, tenant_a):
    response = reception.post(tenant_url("intake", tenant_a), {})
    assert response.status_code == 200 and Order.objects.count() == 0


def test_a_technician_cannot_take_in_orders(member_client, tenant_a, intake_post):
    response = member_client(Role.TECHNICIAN).post(tenant_url("intake", tenant_a), intake_post())
    assert response.status_code == 403 and Order.objects.count() == 0


# --- Finding a returning client as you type ------------------------------------------------------------


@pytest.fixture
def known_clients(tenant_a, tenant_b):
    return {
        "ivan": ClientFactory(tenant=tenant_a, name="Ivan Petrov", phone="+79161234567"),
        "maria": ClientFactory(tenant=tenant_a, name="Maria Ivanova", phone="+79037654321"),
        "other tenant": ClientFactory(tenant=tenant_b, name="Ivan Beta", phone="+79161234560"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+7 916 123-45-67", ["Ivan Petrov"]),
        ("8 (916) 123-45-67", ["Ivan Petrov"]),
        ("89161234567", ["Ivan Petrov"]),
        ("8 916 12", ["Ivan Petrov"]),  # the local 8-prefix, while still typing
        ("916 123", ["Ivan Petrov"]),
        ("765 43", ["Maria Ivanova"]),
        ("ivan", ["Ivan Petrov", "Maria Ivanova"]),
        ("Petrov", ["Ivan Petrov"]),
        ("Beta", []),
        ("x", []),
    ],
)
def test_client_search_by_phone_digits_and_name(query, expected, known_clients, reception, tenant_a):
    response = reception.get(
        tenant_url("client_search", tenant_a), {"client_phone": query}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    found = [name for name in ["Ivan Petrov", "Maria Ivanova", "Ivan Beta"] if name in text_of(response)]
    assert found == expected


def test_client_search_by_the_name_field(known_clients, reception, tenant_a):
    response = reception.get(tenant_url("client_search", tenant_a), {"client_name": "Maria"})
    assert "Maria Ivanova" in text_of(response) and "Ivan Petrov" not in text_of(response)


@pytest.mark.parametrize(
    "query", ["", "%", "_", "'; drop table orders_client; --", "\u0000abc", "9" * 500, "😀😀"]
)
def test_client_search_never_fails(query, known_clients, reception, tenant_a):
    response = reception.get(tenant_url("client_search", tenant_a), {"q": query})
    assert response.status_code == 200


def test_picking_a_client_shows_them(known_clients, reception, tenant_a):
    response = reception.get(tenant_url("client_pick", tenant_a, known_clients["ivan"].pk))
    assert response.status_code == 200 and "Ivan Petrov" in text_of(response)
    assert (
        reception.get(tenant_url("client_pick", tenant_a, known_clients["other tenant"].pk)).status_code
        == 404
    )


# --- The visit slot (orders.visits) ----------------------------------------------------------------
def on_site(**changes) -> dict:
    return {"format": ServiceFormat.ON_SITE, "visit_address": "Lenina 1", **changes}


def test_a_visit_in_the_past_is_refused_on_its_field(reception, tenant_a, intake_post):
    before = saved_rows(tenant_a)
    response = reception.post(
        tenant_url("intake", tenant_a), intake_post(**on_site(visit_start="2020-05-13T10:00"))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["visit_start"] == [
        "The visit time 13 May 2020, 10:00 is in the past: choose a time from now on."
    ]
    assert saved_rows(tenant_a) == before


def test_a_visit_outside_business_hours_asks_to_confirm(reception, tenant_a, intake_post, location_a):
    before = saved_rows(tenant_a)
    sunday = on_site(visit_start="2030-05-19T11:00", visit_end="2030-05-19T12:00")
    response = reception.post(tenant_url("intake", tenant_a), intake_post(**sunday))
    assert response.status_code == 200
    assert response.context["form"].errors["confirm_hours"] == [
        f"The visit (19 May 2030 11:00–12:00) is outside the business hours of {location_a.name}: closed that day."
    ]
    assert 'data-testid="hours-warning"' in response.content.decode()
    assert saved_rows(tenant_a) == before
    # Confirmed: booked as asked.
    response = reception.post(tenant_url("intake", tenant_a), intake_post(**sunday, confirm_hours="on"))
    assert response.status_code == 302
    order = Order.objects.for_tenant(tenant_a).get()
    assert order.visit_start.astimezone(tenant_a.tz).strftime("%Y-%m-%d %H:%M") == "2030-05-19 11:00"


def test_an_in_shop_order_is_not_asked_about_hours(reception, tenant_a, intake_post):
    response = reception.get(tenant_url("intake", tenant_a))
    assert 'name="confirm_hours"' not in response.content.decode()
    assert reception.post(tenant_url("intake", tenant_a), intake_post()).status_code == 302


# --- Consent for the privacy text in force ----------------------------------------------------------
def test_consent_to_an_older_privacy_text_is_asked_again(reception, tenant_a, intake_post):
    older = ClientFactory(tenant=tenant_a, consent_version="2020-01")
    response = reception.post(
        tenant_url("intake", tenant_a),
        intake_post(client=older.pk, client_name="", client_phone="", consent=None),
    )
    assert response.status_code == 200
    assert "consent" in response.context["form"].errors
    assert "Consent on file for an earlier privacy text" in response.content.decode()
    response = reception.post(
        tenant_url("intake", tenant_a), intake_post(client=older.pk, client_name="", client_phone="")
    )
    assert response.status_code == 302
    older.refresh_from_db()
    assert older.consent_version == django_settings.PRIVACY_POLICY_VERSION


def test_the_consent_box_is_marked_by_what_is_on_file(reception, tenant_a):
    current = ClientFactory(tenant=tenant_a)
    older = ClientFactory(tenant=tenant_a, consent_version="2020-01")
    never = ClientFactory(tenant=tenant_a, consent_at=None, consent_version="")
    marks = {}
    for client in (current, older, never):
        body = reception.get(tenant_url("client_pick", tenant_a, client.pk)).content.decode()
        marks[client.pk] = "current" if 'data-consent="current"' in body else "needed"
    assert marks == {current.pk: "current", older.pk: "needed", never.pk: "needed"}


def test_the_service_type_comes_first_on_the_page(reception, tenant_a):
    body = reception.get(tenant_url("intake", tenant_a)).content.decode()
    assert (
        body.index('name="service_type"')
        < body.index('name="client_phone"')
        < body.index('name="item_serial"')
    )
    assert body.index('name="item_serial"') < body.index('name="item_kind"')
