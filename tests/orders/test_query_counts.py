"""A constant number of queries whatever the size: the order list (10 and 100 orders, and its second
page), the order page (few and many events, lines, payments, photos), the public page (short and long
timeline), the client page and the catalogue.

Each test measures the count at the small size, grows the data, and asserts the same count with
django_assert_num_queries. Every row gets its own related objects (client, item, technician ...), so
an N+1 on any of them shows up.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import EventKind, OrderStatus
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ClientFactory,
    LineItemFactory,
    LocationFactory,
    MembershipFactory,
    OrderEventFactory,
    OrderFactory,
    OrderPhotoFactory,
    PaymentFactory,
    ServiceTypeFactory,
    UserFactory,
)

from .conftest import order_url, photo_upload, tenant_url

S = OrderStatus
pytestmark = pytest.mark.django_db


def queries_of(client, url: str) -> int:
    client.get(url)  # warm up: the first request of a session writes the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def assert_same_count(client, url: str, expected: int, django_assert_num_queries):
    client.get(url)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.fixture
def add_orders(tenant_a):
    """add_orders(n) -> n open orders of A, each with its own client, item, service, location and technician."""

    def add(n: int, **fields):
        orders = []
        for i in range(n):
            location = LocationFactory(tenant=tenant_a)
            values = {
                "technician": MembershipFactory(
                    tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(full_name=f"Tech {i}")
                ),
                "service_type": ServiceTypeFactory(tenant=tenant_a),
                "intake_location": location,
                "workshop": location,
                "status": [S.NEW, S.PLANNED, S.IN_PROGRESS, S.READY][i % 4],
                "priority": i % 4,
                "total_amount": Decimal(i),
                **fields,
            }
            order = OrderFactory(tenant=tenant_a, **values)
            orders.append(order)
        return orders

    return add


LIST_URLS = {
    "default view": "",
    "all, newest first": "?view=&sort=-created",
    "by priority": "?view=&sort=-priority",
    "by promised date": "?view=&sort=promised",
    "oldest first": "?view=&sort=created",
    "by number": "?view=&sort=-number",
    "by the next SLA deadline": "?view=&sort=sla",
    "filtered": "?view=&status=planned&status=in_progress&stage=execution",
    "searched": "?view=&q=Client",
}


@pytest.mark.parametrize("query", LIST_URLS.values(), ids=LIST_URLS.keys())
def test_the_order_list_costs_the_same_for_10_and_100_orders(
    query, add_orders, tenant_a, member_client, django_assert_num_queries
):
    manager = member_client(Role.MANAGER)
    url = tenant_url("list", tenant_a) + query
    add_orders(10)
    expected = queries_of(manager, url)

    add_orders(90)
    response = assert_same_count(manager, url, expected, django_assert_num_queries)

    rows = re.findall(r'href="/alpha/orders/(\d+)/"', response.content.decode())
    if "status=" not in query and "q=" not in query:
        assert len(set(rows)) == 50, "a full page"
        next_page = re.search(r'href="\?([^"]+)" data-testid="next-page"', response.content.decode())
        assert next_page, "a next page link"
        second = url.split("?")[0] + "?" + next_page.group(1).replace("&amp;", "&")
        response = assert_same_count(manager, second, expected, django_assert_num_queries)
        assert not set(re.findall(r'href="/alpha/orders/(\d+)/"', response.content.decode())) & set(rows)


def test_a_technicians_list_costs_the_same_too(
    add_orders, tenant_a, member_client, tech_a, django_assert_num_queries
):
    technician = member_client(Role.TECHNICIAN)
    url = tenant_url("list", tenant_a)
    add_orders(10)
    add_orders(3, technician=tech_a)
    expected = queries_of(technician, url)
    add_orders(90)
    add_orders(60, technician=tech_a)
    assert_same_count(technician, url, expected, django_assert_num_queries)


def fill_order(order, n: int, people: list) -> None:
    """n events, lines, payments and photos on the order, by different people."""
    for i in range(n):
        member = people[i % len(people)]
        OrderEventFactory(
            order=order,
            actor=member.user,
            kind=[EventKind.NOTE, EventKind.STATUS, EventKind.PAYMENT][i % 3],
            to_status=S.IN_PROGRESS,
            is_public=bool(i % 2),
        )
        LineItemFactory(order=order, performed_by=member, kind=["work", "part"][i % 2])
        PaymentFactory(order=order, received_by=member.user, kind=["payment", "prepayment"][i % 2])
        OrderPhotoFactory(tenant=order.tenant, order=order, image=photo_upload(), uploaded_by=member.user)


@pytest.fixture
def many_people(tenant_a):
    from servicedesk.tenancy.models import Membership

    for i in range(6):
        MembershipFactory(tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(full_name=f"Worker {i}"))
    return list(Membership.objects.filter(tenant=tenant_a).select_related("user"))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.TECHNICIAN])
def test_the_order_page_costs_the_same_with_few_and_many_events(
    role, make_order, many_people, member_client, django_assert_num_queries
):
    small, large = make_order(S.IN_PROGRESS), make_order(S.IN_PROGRESS)
    fill_order(small, 2, many_people)
    fill_order(large, 30, many_people)
    visitor = member_client(role)

    expected = queries_of(visitor, order_url("detail", small))

    assert_same_count(visitor, order_url("detail", large), expected, django_assert_num_queries)


def test_the_public_page_costs_the_same_for_short_and_long_timelines(
    make_order, many_people, client, django_assert_num_queries
):
    small, large = make_order(S.IN_PROGRESS), make_order(S.IN_PROGRESS)
    fill_order(small, 2, many_people)
    fill_order(large, 60, many_people)

    expected = queries_of(client, f"/s/{small.public_token}/")

    assert_same_count(client, f"/s/{large.public_token}/", expected, django_assert_num_queries)


def test_the_client_page_costs_the_same_for_few_and_many_orders(
    add_orders, tenant_a, member_client, django_assert_num_queries
):
    few, many = ClientFactory(tenant=tenant_a), ClientFactory(tenant=tenant_a)
    add_orders(2, client=few)
    add_orders(25, client=many)
    manager = member_client(Role.MANAGER)
    expected = queries_of(manager, tenant_url("client_detail", tenant_a, few.pk))
    assert_same_count(
        manager, tenant_url("client_detail", tenant_a, many.pk), expected, django_assert_num_queries
    )


def test_the_client_list_and_catalogue_cost_the_same_at_two_sizes(
    tenant_a, member_client, django_assert_num_queries
):
    manager = member_client(Role.MANAGER)
    urls = [tenant_url("client_list", tenant_a), tenant_url("catalogue", tenant_a)]
    ClientFactory.create_batch(3, tenant=tenant_a)
    ServiceTypeFactory.create_batch(3, tenant=tenant_a)
    expected = [queries_of(manager, url) for url in urls]
    ClientFactory.create_batch(70, tenant=tenant_a)
    ServiceTypeFactory.create_batch(30, tenant=tenant_a)
    for url, count in zip(urls, expected, strict=True):
        assert_same_count(manager, url, count, django_assert_num_queries)
