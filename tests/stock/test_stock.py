"""Parts and stock: reserve, consume, release, transfer, correct; shortages are refused with the shortfall."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from orders.lifecycle import transition
from orders.models import EventKind, LineItem, OrderStatus
from orders.permissions import ActorRefused
from servicedesk.tenancy.models import Location
from stock import services as stock
from stock.models import Part, PartReservation, StockLevel, StockMovement
from tests.factories import LocationFactory

from .conftest import make_order, make_part

pytestmark = pytest.mark.django_db


def level(part, location) -> StockLevel:
    return StockLevel.objects.get(part=part, location=location)


def journal_matches(part, location) -> bool:
    lvl = level(part, location)
    moves = StockMovement.objects.filter(part=part, location=location)
    return (
        sum((m.on_hand_delta for m in moves), Decimal(0)) == lvl.on_hand
        and sum((m.reserved_delta for m in moves), Decimal(0)) == lvl.reserved
    )


def test_receive_adds_stock_and_journal(part_a, location_a):
    lvl = level(part_a, location_a)
    assert (lvl.on_hand, lvl.reserved, lvl.free) == (5, 0, 5)
    move = StockMovement.objects.get(part=part_a)
    assert move.kind == StockMovement.Kind.RECEIPT and move.on_hand_delta == 5
    assert journal_matches(part_a, location_a)


def test_reserve_then_consume_creates_line_item(job_a, part_a, location_a, tech_a, manager_a):
    stock.reserve(job_a, part=part_a, quantity=2, by=manager_a)
    lvl = level(part_a, location_a)
    assert (lvl.on_hand, lvl.reserved) == (5, 2)
    line = stock.consume(job_a, part=part_a, quantity=3, by=tech_a)
    lvl.refresh_from_db()
    assert (lvl.on_hand, lvl.reserved) == (2, 0)  # 2 from the reservation, 1 from free stock
    assert line.kind == LineItem.Kind.PART and line.quantity == 3 and line.unit_price == part_a.sale_price
    job_a.refresh_from_db()
    assert job_a.total_amount == 3 * part_a.sale_price
    assert not PartReservation.objects.filter(order=job_a).exists()  # fully used: tidied away
    assert journal_matches(part_a, location_a)


def test_reservation_beyond_free_is_refused_with_shortfall(job_a, part_a, manager_a):
    with pytest.raises(stock.StockShortage) as refused:
        stock.reserve(job_a, part=part_a, quantity=7, by=manager_a)
    assert refused.value.shortfall == 2 and refused.value.free == 5
    assert "2 short" in str(refused.value.messages[0])
    assert level(part_a, job_a.workshop).reserved == 0


def test_reserve_with_wait_records_missing_and_receipt_fills_oldest_first(
    tenant_a, job_a, part_a, location_a, manager_a, tech_a
):
    other = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a, workshop=location_a)
    first = stock.reserve(job_a, part=part_a, quantity=7, by=manager_a, wait_for_rest=True)
    assert (first.reserved, first.missing) == (5, 2)
    second = stock.reserve(other, part=part_a, quantity=1, by=manager_a, wait_for_rest=True)
    assert (second.reserved, second.missing) == (0, 1)
    waiting = {r.order_id: r.missing for r in stock.waiting_reservations(tenant_a)}
    assert waiting == {job_a.pk: 2, other.pk: 1}
    result = stock.receive(tenant_a, part=part_a, location=location_a, quantity=2, by=manager_a)
    assert [(o.pk, q) for o, q in result.filled] == [(job_a.pk, 2)]  # the older order gets them first
    assert PartReservation.objects.get(order=job_a).missing == 0
    assert PartReservation.objects.get(order=other).missing == 1
    assert journal_matches(part_a, location_a)


def test_consume_beyond_free_is_refused(tenant_a, job_a, part_a, manager_a, tech_a, location_a):
    other = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech_a, workshop=location_a)
    stock.reserve(other, part=part_a, quantity=5, by=manager_a)
    with pytest.raises(stock.StockShortage):
        stock.consume(job_a, part=part_a, quantity=1, by=tech_a)  # all 5 are reserved for the other order
    assert not LineItem.objects.filter(order=job_a).exists()


def test_technician_uses_parts_only_on_own_orders(tenant_a, part_a, location_a, manager_a, users_a):
    from servicedesk.tenancy.roles import Role

    from .conftest import member

    other_tech = member(tenant_a, users_a[Role.TECHNICIAN])
    order = make_order(tenant_a, status=OrderStatus.IN_PROGRESS, technician=manager_a, workshop=location_a)
    with pytest.raises(ActorRefused, match="Only the technician assigned"):
        stock.consume(order, part=part_a, quantity=1, by=other_tech)


def test_cancel_releases_reservations(job_a, part_a, manager_a, location_a):
    stock.reserve(job_a, part=part_a, quantity=3, by=manager_a)
    transition(job_a, "cancel", by=manager_a, expected_version=job_a.version, reason="Client changed mind")
    assert level(part_a, location_a).reserved == 0
    assert not PartReservation.objects.filter(order=job_a).exists()
    assert StockMovement.objects.filter(order=job_a, kind=StockMovement.Kind.RELEASE).exists()
    assert journal_matches(part_a, location_a)


def test_release_part_of_a_reservation(job_a, part_a, manager_a, location_a):
    stock.reserve(job_a, part=part_a, quantity=3, by=manager_a)
    reservation = PartReservation.objects.get(order=job_a)
    stock.release(reservation, by=manager_a, quantity=1)
    assert PartReservation.objects.get(order=job_a).reserved == 2
    with pytest.raises(ValidationError):
        stock.release(reservation, by=manager_a, quantity=5)
    assert level(part_a, location_a).reserved == 2


def test_transfer_moves_free_stock_only(tenant_a, part_a, location_a, manager_a, job_a):
    north = LocationFactory(tenant=tenant_a, name="North")
    stock.reserve(job_a, part=part_a, quantity=4, by=manager_a)
    with pytest.raises(stock.StockShortage):
        stock.transfer(tenant_a, part=part_a, source=location_a, target=north, quantity=2, by=manager_a)
    stock.transfer(tenant_a, part=part_a, source=location_a, target=north, quantity=1, by=manager_a)
    assert level(part_a, north).on_hand == 1 and level(part_a, location_a).on_hand == 4
    with pytest.raises(ValidationError):
        stock.transfer(tenant_a, part=part_a, source=north, target=north, quantity=1, by=manager_a)
    assert journal_matches(part_a, location_a) and journal_matches(part_a, north)


def test_reservations_follow_the_order_to_another_workshop(tenant_a, job_a, part_a, location_a, manager_a):
    from orders.services import assign

    north = LocationFactory(tenant=tenant_a, name="North", kind=Location.Kind.WORKSHOP)
    stock.reserve(job_a, part=part_a, quantity=2, by=manager_a)
    assign(job_a, technician=job_a.technician, workshop=north, by=manager_a, expected_version=job_a.version)
    reservation = PartReservation.objects.get(order=job_a)
    assert reservation.location == north and reservation.reserved == 2
    assert (level(part_a, north).on_hand, level(part_a, north).reserved) == (2, 2)
    assert (level(part_a, location_a).on_hand, level(part_a, location_a).reserved) == (3, 0)
    assert journal_matches(part_a, location_a) and journal_matches(part_a, north)


def test_correction_needs_reason_and_respects_reservations(tenant_a, job_a, part_a, location_a, manager_a):
    stock.reserve(job_a, part=part_a, quantity=2, by=manager_a)
    with pytest.raises(ValidationError):
        stock.correct(tenant_a, part=part_a, location=location_a, counted=4, by=manager_a, reason="")
    with pytest.raises(ValidationError):
        stock.correct(tenant_a, part=part_a, location=location_a, counted=1, by=manager_a, reason="count")
    assert (
        stock.correct(tenant_a, part=part_a, location=location_a, counted=4, by=manager_a, reason="count")
        == -1
    )
    assert level(part_a, location_a).on_hand == 4
    assert journal_matches(part_a, location_a)


@pytest.mark.parametrize("bad", ["-1", "0", "abc", "", "1e999", "NaN", "Infinity", "1.5", "0.0001", None])
def test_bad_quantities_are_refused(part_a, bad):
    with pytest.raises(ValidationError):
        stock.clean_quantity(part_a, bad)


def test_fractional_units_allow_decimals(tenant_a, location_a, manager_a, job_a, tech_a):
    cable = make_part(tenant_a, sku="CBL", name="Cable", unit=Part.Unit.METRE)
    stock.receive(tenant_a, part=cable, location=location_a, quantity="0.3", by=manager_a)
    stock.reserve(job_a, part=cable, quantity="0.1", by=manager_a)
    stock.reserve(job_a, part=cable, quantity="0.2", by=manager_a)  # 0.1 + 0.2 must fit exactly into 0.3
    stock.consume(job_a, part=cable, quantity="0.3", by=tech_a)
    lvl = level(cable, location_a)
    assert (lvl.on_hand, lvl.reserved) == (0, 0)


def test_other_tenants_part_is_refused(tenant_b, job_a, manager_a, location_b, users_b):
    foreign = make_part(tenant_b, sku="B-1")
    with pytest.raises(ValidationError):
        stock.reserve(job_a, part=foreign, quantity=1, by=manager_a)


def test_parts_events_on_the_timeline(job_a, part_a, manager_a):
    stock.reserve(job_a, part=part_a, quantity=1, by=manager_a)
    event = job_a.events.get(kind=EventKind.PARTS)
    assert event.data == {
        "part": part_a.pk,
        "reserved": "1",
        "missing": "0",
        "text": {"msgid": "Reserved %(part)s × %(qty)s", "args": {"part": "Battery", "qty": "1"}},
    }
    assert event.display_text == "Reserved Battery × 1"
    assert OrderStatus
