"""Concurrency on PostgreSQL: two technicians take the last unit at the same moment; one succeeds, the
other is told. Real threads, each with its own database connection, released by a barrier."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orders.models import LineItem, OrderStatus
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import PartReservation, StockLevel
from technicians import worklog
from technicians.models import WorkLog
from tests.factories import MembershipFactory, UserFactory

from .conftest import make_order, make_part

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls in threads released together; returns each call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def two_technicians(tenant_a, users_a):
    from .conftest import member

    first = member(tenant_a, users_a[Role.TECHNICIAN])
    second = MembershipFactory(
        tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(email="second@alpha.test")
    )
    return first, second


@pytest.mark.parametrize("round_", range(5))
def test_two_technicians_take_the_last_unit(tenant_a, location_a, manager_a, two_technicians, round_):
    first, second = two_technicians
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=1, by=manager_a)
    order_1 = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=first, workshop=location_a)
    order_2 = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=second, workshop=location_a)
    results = race(
        lambda: stock.consume(order_1, part=part, quantity=1, by=first),
        lambda: stock.consume(order_2, part=part, quantity=1, by=second),
    )
    won = [r for r in results if isinstance(r, LineItem)]
    told = [r for r in results if isinstance(r, stock.StockShortage)]
    assert len(won) == 1 and len(told) == 1, results
    assert "0 free" in told[0].messages[0]
    level = StockLevel.objects.get(part=part, location=location_a)
    assert (level.on_hand, level.reserved) == (0, 0)
    assert LineItem.objects.filter(kind=LineItem.Kind.PART).count() == 1


def test_concurrent_reservations_never_overbook(tenant_a, location_a, manager_a, two_technicians):
    first, second = two_technicians
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=3, by=manager_a)
    orders = [
        make_order(tenant_a, status=OrderStatus.PLANNED, technician=first, workshop=location_a)
        for _ in range(4)
    ]
    results = race(
        *[lambda order=order: stock.reserve(order, part=part, quantity=1, by=manager_a) for order in orders]
    )
    assert sum(isinstance(r, stock.ReserveResult) for r in results) == 3
    assert sum(isinstance(r, stock.StockShortage) for r in results) == 1
    level = StockLevel.objects.get(part=part, location=location_a)
    assert (level.on_hand, level.reserved) == (3, 3)
    assert sum(r.reserved for r in PartReservation.objects.all()) == Decimal(3)


def test_reserved_unit_is_not_taken_by_another_order(tenant_a, location_a, manager_a, two_technicians):
    first, second = two_technicians
    part = make_part(tenant_a)
    stock.receive(tenant_a, part=part, location=location_a, quantity=1, by=manager_a)
    order_1 = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=first, workshop=location_a)
    order_2 = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=second, workshop=location_a)
    stock.reserve(order_1, part=part, quantity=1, by=manager_a)
    results = race(
        lambda: stock.consume(order_1, part=part, quantity=1, by=first),
        lambda: stock.consume(order_2, part=part, quantity=1, by=second),
    )
    assert isinstance(results[0], LineItem) and isinstance(results[1], stock.StockShortage)


def test_two_timer_starts_at_once_leave_one_running(tenant_a, location_a, two_technicians):
    first, _second = two_technicians
    orders = [
        make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=first, workshop=location_a)
        for _ in range(2)
    ]
    results = race(
        *[lambda order=order: worklog.start_timer(order, technician=first, by=first) for order in orders]
    )
    assert all(isinstance(r, worklog.TimerStart | ValidationError) for r in results), results
    assert WorkLog.objects.filter(technician=first, ended_at__isnull=True).count() == 1
