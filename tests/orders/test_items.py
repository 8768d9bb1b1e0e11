"""Devices across visits: intake finds a device by serial as you type and reuses it; the device's page lists
its orders; reception and managers correct its details, recorded on an order's timeline."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders import items
from orders.models import EventKind, Item, Order, OrderStatus
from orders.permissions import ActorRefused
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, ItemFactory, OrderFactory

from .conftest import tenant_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(tenant_a):
    client = ClientFactory(tenant=tenant_a, name="Anna Smirnova", phone="+79160000001")
    return ItemFactory(
        tenant=tenant_a,
        client=client,
        kind="Phone",
        brand="Apple",
        model="iPhone 12",
        serial="35-678910-451234-5",
    )


# --- Finding a device -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["356789", "35 6789 1045", "35-678910", "451234-5", "3567891045123455"[:15]]
)
def test_a_device_is_found_by_its_serial_however_typed(tenant_a, phone, typed):
    assert list(items.find_items(tenant_a, typed)) == [phone]


@pytest.mark.parametrize("typed", ["", "35", "  - ", "\x00\x00", "999999"])
def test_too_short_or_unknown_serials_find_nothing(tenant_a, phone, typed):
    assert list(items.find_items(tenant_a, typed)) == []


def test_another_centers_devices_are_not_found(tenant_a, tenant_b, phone):
    ItemFactory(tenant=tenant_b, serial="35-678910-451234-5")
    assert list(items.find_items(tenant_b, "3567891045")) != [phone]
    assert [item.tenant_id for item in items.find_items(tenant_b, "3567891045")] == [tenant_b.pk]


def test_the_match_knows_its_visits_and_warranty(tenant_a, phone):
    from datetime import timedelta

    from django.utils import timezone

    OrderFactory(tenant=tenant_a, client=phone.client, item=phone)
    OrderFactory(
        tenant=tenant_a,
        client=phone.client,
        item=phone,
        status=OrderStatus.HANDED_OVER,
        warranty_until=timezone.now().date() + timedelta(days=30),
    )
    found = items.find_items(tenant_a, "356789").get()
    assert found.order_count == 2
    assert found.warranty_until == timezone.now().date() + timedelta(days=30)


# --- Intake reuses it ---------------------------------------------------------------------------------


def test_intake_with_a_picked_device_reuses_it_and_its_client(
    tenant_a, users_a, phone, intake_post, member_client
):
    response = member_client(Role.RECEPTION).post(
        tenant_url("intake", tenant_a),
        intake_post(
            item=phone.pk,
            client_name="",
            client_phone="",
            client_email="",
            item_kind="",
            item_serial="356789",
            consent="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get(tenant=tenant_a)
    assert (order.item_id, order.client_id) == (phone.pk, phone.client_id)
    assert Item.objects.filter(tenant=tenant_a).count() == 1


def test_a_picked_device_of_another_client_is_refused(tenant_a, users_a, phone, intake_post, member_client):
    other = ClientFactory(tenant=tenant_a)
    response = member_client(Role.RECEPTION).post(
        tenant_url("intake", tenant_a), intake_post(client=other.pk, item=phone.pk)
    )
    assert response.status_code == 200
    assert "recorded for another client" in response.content.decode()
    assert not Order.objects.exists()


def test_another_centers_device_cannot_be_picked(tenant_a, tenant_b, users_a, intake_post, member_client):
    foreign = ItemFactory(tenant=tenant_b)
    response = member_client(Role.RECEPTION).post(
        tenant_url("intake", tenant_a), intake_post(item=foreign.pk)
    )
    assert response.status_code == 200 and not Order.objects.exists()


def test_the_intake_search_and_pick(tenant_a, users_a, phone, member_client):
    reception = member_client(Role.RECEPTION)
    found = reception.get(
        tenant_url("item_search", tenant_a), {"item_serial": "35-6789"}, HTTP_HX_REQUEST="true"
    )
    assert 'data-testid="item-match"' in found.content.decode() and "Anna Smirnova" in found.content.decode()
    none = reception.get(tenant_url("item_search", tenant_a), {"item_serial": "000000"}).content.decode()
    assert "No device with this serial" in none
    picked = reception.get(tenant_url("item_pick", tenant_a, phone.pk)).content.decode()
    assert (
        f'name="item" value="{phone.pk}"' in picked and f'name="client" value="{phone.client_id}"' in picked
    )
    assert 'hx-swap-oob="true"' in picked
    assert (
        member_client(Role.TECHNICIAN)
        .get(tenant_url("item_search", tenant_a), {"item_serial": "356"})
        .status_code
        == 403
    )


def test_take_in_refuses_a_device_of_another_center_or_client(
    tenant_a, tenant_b, users_a, service_a, location_a
):
    from orders.services import IntakeData, take_in

    from .conftest import membership

    reception = membership(tenant_a, users_a[Role.RECEPTION])
    client = ClientFactory(tenant=tenant_a)
    base = {
        "client_name": "",
        "client_phone": "",
        "client_email": "",
        "consent": True,
        "service_type": service_a,
        "format": "in_shop",
        "intake_location": location_a,
        "problem": "x",
    }
    with pytest.raises(ValidationError):
        take_in(tenant_a, IntakeData(client=client, item=ItemFactory(tenant=tenant_b), **base), by=reception)
    with pytest.raises(ValidationError):
        take_in(tenant_a, IntakeData(client=client, item=ItemFactory(tenant=tenant_a), **base), by=reception)
    assert not Order.objects.exists()


# --- Correcting the details -------------------------------------------------------------------------


def test_correcting_an_imei_is_an_event_on_the_order(tenant_a, users_a, phone):
    from .conftest import membership

    older = OrderFactory(tenant=tenant_a, client=phone.client, item=phone)
    latest = OrderFactory(tenant=tenant_a, client=phone.client, item=phone)
    reception = membership(tenant_a, users_a[Role.RECEPTION])
    changed = items.edit_item(
        phone, changes={"serial": "356789104512346", "model": "iPhone 12"}, by=reception, order=older
    )
    assert changed == {"serial": ("35-678910-451234-5", "356789104512346")}
    phone.refresh_from_db()
    assert phone.serial == "356789104512346"
    event = older.events.get(kind=EventKind.ITEM)
    assert event.actor == users_a[Role.RECEPTION]
    assert (
        event.display_text
        == "Item details corrected: serial number / IMEI / VIN: 35-678910-451234-5 → 356789104512346"
    )
    assert {k: v for k, v in event.data.items() if k != "text"} == {
        "item": phone.pk,
        "changes": {"serial": ["35-678910-451234-5", "356789104512346"]},
    }
    assert not latest.events.filter(kind=EventKind.ITEM).exists()
    # Without an order named: the device's latest order. Nothing changed: no event.
    items.edit_item(phone, changes={"brand": "Apple Inc."}, by=reception)
    assert latest.events.filter(kind=EventKind.ITEM).count() == 1
    assert items.edit_item(phone, changes={"brand": "Apple Inc."}, by=reception) == {}
    assert latest.events.filter(kind=EventKind.ITEM).count() == 1


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, True), (Role.TECHNICIAN, False)],
)
def test_who_may_correct_a_device(tenant_a, users_a, phone, role, may, member_client):
    order = OrderFactory(tenant=tenant_a, client=phone.client, item=phone)
    url = tenant_url("item_edit", tenant_a, phone.pk) + f"?order={order.number}"
    response = member_client(role).post(
        url,
        {
            "kind": "Phone",
            "brand": "Apple",
            "model": "iPhone 12",
            "serial": "NEW-SERIAL",
            "order": order.number,
        },
    )
    phone.refresh_from_db()
    if may:
        assert response.status_code == 302 and response.url == reverse(
            "orders:detail", args=[tenant_a.slug, order.number]
        )
        assert phone.serial == "NEW-SERIAL" and order.events.filter(kind=EventKind.ITEM).exists()
    else:
        assert response.status_code == 403 and phone.serial == "35-678910-451234-5"


def test_an_item_cannot_be_corrected_on_another_devices_order(tenant_a, users_a, phone):
    from .conftest import membership

    other = OrderFactory(tenant=tenant_a)
    with pytest.raises(ValidationError):
        items.edit_item(
            phone, changes={"serial": "x"}, by=membership(tenant_a, users_a[Role.MANAGER]), order=other
        )
    with pytest.raises(ValidationError):
        items.edit_item(phone, changes={"kind": "  "}, by=membership(tenant_a, users_a[Role.MANAGER]))
    with pytest.raises(ActorRefused):
        items.edit_item(phone, changes={"serial": "x"}, by=membership(tenant_a, users_a[Role.TECHNICIAN]))


# --- The device's page ------------------------------------------------------------------------------


def test_the_device_page_lists_every_order_on_it(tenant_a, users_a, phone, member_client):
    orders = [OrderFactory(tenant=tenant_a, client=phone.client, item=phone) for _ in range(3)]
    OrderFactory(tenant=tenant_a)  # another device's
    page = member_client(Role.TECHNICIAN).get(tenant_url("item_detail", tenant_a, phone.pk)).content.decode()
    assert all(f"#{o.number}</a>" in page for o in orders)
    import re

    assert len(re.findall(r'href="/alpha/orders/\d+/"', page)) == 3
    assert "Correct the details" not in page  # a technician may not


def test_the_device_page_costs_the_same_at_two_sizes(
    tenant_a, users_a, phone, member_client, django_assert_num_queries
):
    from .test_query_counts import assert_same_count, queries_of

    manager = member_client(Role.MANAGER)
    url = tenant_url("item_detail", tenant_a, phone.pk)
    OrderFactory(tenant=tenant_a, client=phone.client, item=phone)
    expected = queries_of(manager, url)
    for _ in range(4):
        returned = OrderFactory(
            tenant=tenant_a, client=phone.client, item=phone, status=OrderStatus.HANDED_OVER
        )
        OrderFactory(tenant=tenant_a, client=phone.client, item=phone, warranty_of=returned)
    assert_same_count(manager, url, expected, django_assert_num_queries)
