"""Stock pages: lists with a constant number of queries, the low-stock list with the orders waiting,
receipts, transfers, counts and the parts catalogue; bad input gives form errors; roles."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from orders.models import OrderStatus
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import Part, PartServiceType, StockLevel, StockMovement
from tests.factories import LocationFactory

from .conftest import count_queries, make_order, make_part

pytestmark = pytest.mark.django_db


def url(name, tenant, *args):
    return reverse(f"stock:{name}", args=[tenant.slug, *args])


def _stock(tenant, locations, manager, n, prefix):
    for i in range(n):
        part = make_part(tenant, sku=f"{prefix}{i}", name=f"{prefix} part {i}")
        for location in locations:
            stock.receive(tenant, part=part, location=location, quantity=i + 1, by=manager)
            stock.set_min_level(tenant, part=part, location=location, min_level=3)


@pytest.mark.parametrize("page", ["stock", "low_stock", "movements", "parts"])
def test_stock_lists_query_count_is_constant(
    member_client, tenant_a, location_a, manager_a, tech_a, page, django_assert_num_queries
):
    north = LocationFactory(tenant=tenant_a, name="North")
    client = member_client(Role.TECHNICIAN)
    _stock(tenant_a, [location_a, north], manager_a, 2, "S")
    order = make_order(tenant_a, status=OrderStatus.AWAITING_PARTS, technician=tech_a)
    stock.reserve(order, part=Part.objects.first(), quantity=10, by=manager_a, wait_for_rest=True)
    small = count_queries(client, url(page, tenant_a))
    _stock(tenant_a, [location_a, north], manager_a, 20, "L")
    for part in Part.objects.filter(sku__startswith="L")[:5]:
        waiting = make_order(tenant_a, status=OrderStatus.AWAITING_PARTS, technician=tech_a)
        stock.reserve(waiting, part=part, quantity=50, by=manager_a, wait_for_rest=True)
    with django_assert_num_queries(small):
        response = client.get(url(page, tenant_a))
    assert response.status_code == 200
    assert b"L part 1<" in response.content  # the rows are really there


def test_stock_list_filters_and_pages(member_client, tenant_a, location_a, manager_a):
    _stock(tenant_a, [location_a], manager_a, 60, "P")
    client = member_client(Role.RECEPTION)
    first = client.get(url("stock", tenant_a))
    assert first.content.count(b"<tr class") == 50 and b'data-testid="next-page"' in first.content
    low = client.get(url("stock", tenant_a) + "?low=on")
    assert low.content.count(b"table-warning") == 2  # quantities 1 and 2 are under the minimum of 3
    found = client.get(url("stock", tenant_a) + "?q=P1")
    assert b"P part 1<" in found.content and b"P part 2<" not in found.content
    for query in ["?location=abc", "?location=999999", "?cursor=garbage", "?q=" + "x" * 500, "?low=maybe"]:
        assert client.get(url("stock", tenant_a) + query).status_code == 200


def test_low_stock_lists_levels_and_waiting_orders(member_client, tenant_a, location_a, manager_a, tech_a):
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=2, by=manager_a)
    stock.set_min_level(tenant_a, part=part, location=location_a, min_level=5)
    order = make_order(tenant_a, status=OrderStatus.AWAITING_PARTS, technician=tech_a)
    stock.reserve(order, part=part, quantity=4, by=manager_a, wait_for_rest=True)
    body = member_client(Role.TECHNICIAN).get(url("low_stock", tenant_a)).content.decode()
    low_table = body[body.index('data-testid="low-table"') : body.index('data-testid="waiting-table"')]
    assert part.name in low_table and f"#{order.number}" in low_table
    assert f"#{order.number}" in body[body.index('data-testid="waiting-table"') :]


def test_receive_fills_waiting_orders(member_client, tenant_a, location_a, manager_a, tech_a):
    part = make_part(tenant_a)
    order = make_order(tenant_a, status=OrderStatus.AWAITING_PARTS, technician=tech_a)
    stock.reserve(order, part=part, quantity=2, by=manager_a, wait_for_rest=True)
    response = member_client(Role.MANAGER).post(
        url("receive", tenant_a),
        {"part": part.pk, "location": location_a.pk, "quantity": "5", "reason": "Invoice 17"},
        follow=True,
    )
    assert f"#{order.number} × 2".encode() in response.content
    level = StockLevel.objects.get(part=part, location=location_a)
    assert (level.on_hand, level.reserved) == (5, 2)


@pytest.mark.parametrize("quantity", ["-3", "0", "abc", "", "1e10", "2.5", "NaN"])
def test_receive_bad_quantity_is_a_form_error(member_client, tenant_a, location_a, quantity):
    part = make_part(tenant_a)
    response = member_client(Role.MANAGER).post(
        url("receive", tenant_a), {"part": part.pk, "location": location_a.pk, "quantity": quantity}
    )
    assert response.status_code == 200
    assert b"invalid-feedback" in response.content or b'data-testid="form-errors"' in response.content
    assert not StockMovement.objects.exists()


def test_transfer_and_correct_pages(member_client, tenant_a, location_a, manager_a):
    north = LocationFactory(tenant=tenant_a, name="North")
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=3, by=manager_a)
    client = member_client(Role.MANAGER)
    response = client.post(
        url("transfer", tenant_a),
        {"part": part.pk, "source": location_a.pk, "target": north.pk, "quantity": "5"},
    )
    assert response.status_code == 200 and b"3 free" in response.content
    response = client.post(
        url("transfer", tenant_a), {"part": part.pk, "source": north.pk, "target": north.pk, "quantity": "1"}
    )
    assert response.status_code == 200
    client.post(
        url("transfer", tenant_a),
        {"part": part.pk, "source": location_a.pk, "target": north.pk, "quantity": "2"},
    )
    assert StockLevel.objects.get(part=part, location=north).on_hand == 2
    response = client.post(
        url("correct", tenant_a), {"part": part.pk, "location": north.pk, "counted": "-1", "reason": "count"}
    )
    assert response.status_code == 200
    response = client.post(
        url("correct", tenant_a), {"part": part.pk, "location": north.pk, "counted": "1", "reason": ""}
    )
    assert response.status_code == 200
    client.post(
        url("correct", tenant_a),
        {"part": part.pk, "location": north.pk, "counted": "1", "reason": "Count 5 May"},
    )
    assert StockLevel.objects.get(part=part, location=north).on_hand == 1
    assert StockMovement.objects.filter(kind=StockMovement.Kind.CORRECTION, reason="Count 5 May").exists()


def test_receive_form_prefills_the_part(member_client, tenant_a):
    part = make_part(tenant_a)
    client = member_client(Role.MANAGER)
    body = client.get(url("receive", tenant_a) + f"?part={part.pk}").content.decode()
    assert f'<option value="{part.pk}" selected>' in body
    for junk in ["?part=abc", "?part=999999", "?part=-1"]:
        assert client.get(url("receive", tenant_a) + junk).status_code == 200


def test_part_create_edit_and_unique_sku(member_client, tenant_a, service_type_a):
    client = member_client(Role.MANAGER)
    data = {
        "name": "Fan",
        "sku": "FAN-1",
        "unit": "pcs",
        "cost_price": "100",
        "sale_price": "250",
        "is_active": "on",
        "service_types": [service_type_a.pk],
    }
    response = client.post(url("part_new", tenant_a), data)
    part = Part.objects.get(sku="FAN-1")
    assert response.status_code == 302 and PartServiceType.objects.filter(part=part).count() == 1
    response = client.post(url("part_new", tenant_a), {**data, "sku": "fan-1"})
    assert response.status_code == 200 and b"already has this SKU" in response.content
    response = client.post(url("part_new", tenant_a), {**data, "sku": "FAN-2", "sale_price": "-5"})
    assert response.status_code == 200 and not Part.objects.filter(sku="FAN-2").exists()
    client.post(url("part_edit", tenant_a, part.pk), {**data, "name": "Cooling fan", "service_types": []})
    part.refresh_from_db()
    assert part.name == "Cooling fan" and not PartServiceType.objects.filter(part=part).exists()
    assert client.get(url("part", tenant_a, part.pk)).status_code == 200


def test_min_level(member_client, tenant_a, location_a):
    part = make_part(tenant_a)
    client = member_client(Role.MANAGER)
    client.post(url("part_min_level", tenant_a, part.pk), {"location": location_a.pk, "min_level": "4"})
    assert StockLevel.objects.get(part=part, location=location_a).min_level == 4
    response = client.post(
        url("part_min_level", tenant_a, part.pk), {"location": location_a.pk, "min_level": "-4"}, follow=True
    )
    assert b"alert alert-danger" in response.content
    assert StockLevel.objects.get(part=part, location=location_a).min_level == 4


@pytest.mark.parametrize("name", ["receive", "transfer", "correct", "part_new"])
def test_technician_and_reception_cannot_manage_stock(member_client, tenant_a, name):
    for role in (Role.TECHNICIAN, Role.RECEPTION):
        assert member_client(role).get(url(name, tenant_a)).status_code == 403


def test_movements_filters(member_client, tenant_a, location_a, manager_a, tech_a):
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=3, by=manager_a)
    order = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a)
    stock.consume(order, part=part, quantity=1, by=tech_a)
    client = member_client(Role.OWNER)
    body = client.get(url("movements", tenant_a) + f"?order={order.number}").content
    assert body.count(b"Used on an order") >= 1 and b"Receipt from a supplier</td>" not in body
    for query in [
        "?order=abc",
        "?order=99999999999999999999",
        "?kind=nope",
        "?since=2026-02-30",
        "?part=abc",
        "?cursor=%%%",
    ]:
        assert client.get(url("movements", tenant_a) + query).status_code == 200


def test_stock_list_pages_through_parts_of_the_same_name(member_client, tenant_a, location_a, manager_a):
    """The list is sorted by part name, then part, then level (so PostgreSQL can walk the parts by name and
    stop after a page): parts that share a name keep their levels together, and paging shows every level once."""
    north = LocationFactory(tenant=tenant_a, name="North")
    parts = [make_part(tenant_a, sku=f"D{i}", name=f"Dup {i % 3}") for i in range(30)]
    for location in (location_a, north):  # level ids interleave the parts
        for part in parts:
            stock.receive(tenant_a, part=part, location=location, quantity=1, by=manager_a)
    client = member_client(Role.RECEPTION)
    row = re.compile(r'/parts/(\d+)/">([^<]+)</a>.*?<td class="d-none d-md-table-cell">([^<]+)</td>', re.S)
    seen: list[tuple[str, int, str]] = []
    page_url: str | None = url("stock", tenant_a)
    while page_url:
        html = client.get(page_url).content.decode()
        seen += [(name, int(part), location) for part, name, location in row.findall(html)]
        found = re.search(r'href="\?([^"]+)" data-testid="next-page"', html)
        page_url = url("stock", tenant_a) + "?" + found.group(1).replace("&amp;", "&") if found else None
    levels = StockLevel.objects.filter(tenant=tenant_a).select_related("part", "location")
    assert sorted(seen) == sorted((level.part.name, level.part_id, level.location.name) for level in levels)
    assert [(name, part) for name, part, _location in seen] == sorted((name, part) for name, part, _ in seen)
