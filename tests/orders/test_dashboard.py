"""The center's front page (orders/dashboard.py, issue 12): its counters in one bounded statement, the same
numbers the old aggregate gave, "1000+" past the limit, a technician's own numbers, the short lists, and the
same queries however many orders the center has."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import dashboard
from orders.models import Order, OrderStatus
from servicedesk.tenancy.roles import Role

S = OrderStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(make_order, other_tech_a):
    """Three new (one overdue), two ready (one overdue, of the other technician), one in progress taken in two
    days ago, one handed over long overdue (closed: counts nowhere), one cancelled."""
    now = timezone.now()
    past, future = now - timedelta(days=2), now + timedelta(days=2)
    yesterday = now - timedelta(days=2)
    made = [
        make_order(S.NEW, promised_at=past),
        make_order(S.NEW, promised_at=future),
        make_order(S.NEW, promised_at=None),
        make_order(S.READY, promised_at=past, technician=other_tech_a),
        make_order(S.READY, promised_at=future),
        make_order(S.IN_PROGRESS, promised_at=future, created_at=yesterday),
        make_order(S.HANDED_OVER, promised_at=past - timedelta(days=30)),
        make_order(S.CANCELLED, promised_at=past),
    ]
    return made


def counts_of(response) -> dict:
    return response.context["counts"]


def test_the_counters_of_the_office(member_client, tenant_a, orders):
    counts = counts_of(member_client(Role.MANAGER).get(reverse("orders:dashboard", args=[tenant_a.slug])))

    assert counts["open"] == 6
    assert counts["new"] == 3
    assert counts["ready"] == 2
    assert counts["overdue"] == 2
    assert counts["awaiting_approval"] == 0 and counts["awaiting_parts"] == 0
    assert counts["today"] == 7, "taken in today: every order but the one of two days ago"
    assert counts["mine"] == 0


def test_a_technician_counts_only_their_own(member_client, tenant_a, orders):
    counts = counts_of(member_client(Role.TECHNICIAN).get(reverse("orders:dashboard", args=[tenant_a.slug])))

    assert counts["mine"] == 5 and counts["open"] == 5
    assert counts["ready"] == 1 and counts["overdue"] == 1, (
        "the other technician's overdue order is not theirs"
    )


def test_past_the_limit_a_counter_reads_limit_plus(member_client, tenant_a, orders, monkeypatch):
    monkeypatch.setattr(dashboard, "COUNT_LIMIT", 2)
    for compiled in dashboard._COUNTS.values():
        monkeypatch.setattr(compiled, "_compiled", {})  # compiled again with the new limit

    response = member_client(Role.MANAGER).get(reverse("orders:dashboard", args=[tenant_a.slug]))
    counts = counts_of(response)

    assert counts["new"] == "2+" and counts["ready"] == 2 and counts["overdue"] == 2
    assert counts["open"] == "2+", "one status past the limit makes the sum a lower bound"
    assert counts["today"] == "2+"
    assert "2+" in response.content.decode()
    for compiled in dashboard._COUNTS.values():
        compiled._compiled.clear()  # the next tests compile with the real limit


def test_the_short_lists_show_their_orders(member_client, tenant_a, orders):
    response = member_client(Role.MANAGER).get(reverse("orders:dashboard", args=[tenant_a.slug]))

    assert [o.number for o in response.context["unplanned"]] == [
        orders[0].number,
        orders[1].number,
        orders[2].number,
    ]
    assert [o.number for o in response.context["ready_orders"]] == [orders[3].number, orders[4].number]
    assert [o.number for o in response.context["overdue_orders"]] == [orders[0].number, orders[3].number]
    html = response.content.decode()
    assert orders[0].client.name in html and str(orders[0].item) in html


def test_the_page_reads_the_same_queries_for_few_and_many_orders(
    member_client, tenant_a, make_order, django_assert_num_queries
):
    client = member_client(Role.MANAGER)
    url = reverse("orders:dashboard", args=[tenant_a.slug])
    make_order(S.READY)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for status in [S.NEW, S.READY, S.IN_PROGRESS, S.AWAITING_PARTS] * 10:
        make_order(status, promised_at=timezone.now() - timedelta(days=1))
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["overdue_orders"]) == 8
    assert Order.objects.filter(tenant=tenant_a).count() == 41
