"""Warranty claims: inside, on the last day and outside the period; a claim on a claim keeps the first
period; covered work costs nothing; the client's request from the warranty card; comeback rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders import money
from orders.models import EventKind, Order, OrderStatus
from orders.permissions import ActorRefused
from orders.services import add_line_item
from quality import warranty
from quality.models import WarrantyClaim, WarrantyLink
from servicedesk.tenancy.roles import Role
from stock.models import StockMovement
from tests.factories import PartFactory, StockMovementFactory

from .aftersales import hand_over, handed_over, member

pytestmark = pytest.mark.django_db


def _claim(order: Order, role: Role = Role.RECEPTION, **kwargs) -> WarrantyClaim:
    return warranty.open_claim(
        order, problem="Does not charge again", by=member(order.tenant, role), **kwargs
    )


def _ready(order: Order) -> Order:
    """Move a return along to "ready" (its work is not what these tests are about)."""
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.READY, technician=member(order.tenant, Role.TECHNICIAN)
    )
    order.refresh_from_db()
    return order


# --- The period ------------------------------------------------------------------------------------


@pytest.mark.clock("2026-03-01 12:00")
def test_a_90_day_warranty_from_1_march_runs_until_30_may(tenant_a, users_a):
    order = handed_over(tenant_a)
    assert order.warranty_until == date(2026, 5, 30)
    cover = warranty.coverage(order)
    assert (cover.labour_until, cover.parts, cover.until) == (date(2026, 5, 30), [], date(2026, 5, 30))


@pytest.mark.clock("2026-03-01 12:00")
def test_a_part_with_its_own_warranty_extends_what_is_covered(tenant_a, users_a):
    """The battery has 180 days from 1 March: until 28 August; the work until 30 May."""
    order = handed_over(
        tenant_a,
        lines=(
            ("work", "Replacement", "500", None),
            ("part", "Battery", "2500", 180),
            ("part", "Glue", "50", None),
        ),
    )
    cover = warranty.coverage(order)
    assert cover.labour_until == date(2026, 5, 30)
    assert [(p.description, p.days, p.until) for p in cover.parts] == [("Battery", 180, date(2026, 8, 28))]
    assert cover.until == date(2026, 8, 28)


@pytest.mark.clock("2026-03-01 12:00")
def test_a_claim_inside_the_period_is_a_new_order_linked_to_the_original(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-04-15 10:00")
    claim = _claim(order)
    assert (claim.status, claim.inside_period, claim.period_until, claim.first_order_id) == (
        "accepted",
        True,
        date(2026, 5, 30),
        order.pk,
    )
    new = claim.order
    assert (new.warranty_of_id, new.client_id, new.item_id, new.service_type_id, new.status) == (
        order.pk,
        order.client_id,
        order.item_id,
        order.service_type_id,
        OrderStatus.NEW,
    )
    assert new.problem == f"Warranty claim on order #{order.number}: Does not charge again"
    accepted = order.events.get(kind=EventKind.WARRANTY)
    assert accepted.data == {
        "claim": claim.pk,
        "order": new.number,
        "override": None,
        "text": {
            "msgid": "Warranty claim %(ref)s accepted: order #%(number)s.",
            "args": {"ref": f"W-{claim.pk}", "number": new.number},
        },
    }
    assert accepted.display_text == f"Warranty claim W-{claim.pk} accepted: order #{new.number}."
    created = new.events.get(kind=EventKind.CREATED)
    assert created.data["warranty_of"] == order.number
    assert created.display_text == f"Order taken in at Alpha main office. A return of order #{order.number}."


@pytest.mark.clock("2026-03-01 12:00")
def test_the_last_day_of_the_period_is_inside(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-05-30 23:50")
    assert _claim(order).status == "accepted"


@pytest.mark.clock("2026-03-01 12:00")
def test_the_day_after_the_period_is_refused_with_the_reason(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-05-31 00:10")
    claim = _claim(order)
    assert (claim.status, claim.inside_period, claim.order_id) == ("refused", False, None)
    assert claim.refusal_reason == f"The warranty of order #{order.number} ended on 30 May 2026."
    assert not Order.objects.filter(warranty_of=order).exists()
    refused = order.events.get(kind=EventKind.WARRANTY)
    assert refused.display_text == (
        f"Warranty claim W-{claim.pk} refused: The warranty of order #{order.number} ended on 30 May 2026."
    )


@pytest.mark.clock("2026-03-01 12:00")
def test_a_manager_may_accept_outside_the_period_with_a_reason(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-06-10 12:00")
    with pytest.raises(ValidationError, match="Only a manager"):
        _claim(order, Role.RECEPTION, override_reason="Good client")
    with pytest.raises(ValidationError, match="Give the reason"):
        _claim(order, Role.MANAGER, override_reason="   ")
    assert not WarrantyClaim.objects.exists()
    claim = _claim(order, Role.MANAGER, override_reason="Same fault as in May, reported by phone then")
    assert (claim.status, claim.inside_period, claim.override_reason) == (
        "accepted",
        False,
        "Same fault as in May, reported by phone then",
    )
    assert claim.order.warranty_of_id == order.pk
    assert order.events.filter(kind=EventKind.WARRANTY, data__override=claim.override_reason).exists()


@pytest.mark.clock("2026-03-01 12:00")
def test_a_refused_claim_can_be_accepted_by_a_manager_later(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-06-10 12:00")
    claim = _claim(order)
    with pytest.raises(ActorRefused):
        warranty.accept_anyway(claim, by=member(tenant_a, Role.RECEPTION), reason="please")
    new = warranty.accept_anyway(claim, by=member(tenant_a, Role.OWNER), reason="Goodwill")
    claim.refresh_from_db()
    assert (claim.status, claim.order_id, claim.override_reason, claim.refusal_reason) == (
        "accepted",
        new.pk,
        "Goodwill",
        "",
    )
    with pytest.raises(ValidationError, match="already accepted"):
        warranty.accept_anyway(claim, by=member(tenant_a, Role.OWNER), reason="again")


@pytest.mark.clock("2026-03-01 12:00")
def test_a_claim_on_a_claim_keeps_the_first_period(tenant_a, users_a, clock):
    """Handed over 1 March (until 30 May). The claim order, handed over on 15 April, keeps 30 May (not 14 July);
    a claim on it on 31 May is outside, measured against the first order."""
    first = handed_over(tenant_a)
    clock.set("2026-04-10 10:00")
    claim_order = _claim(first).order
    clock.set("2026-04-15 10:00")
    claim_order = hand_over(_ready(claim_order))
    assert claim_order.warranty_until == date(2026, 5, 30)
    clock.set("2026-05-20 10:00")
    second = _claim(claim_order)
    assert (second.status, second.first_order_id, second.original_id, second.period_until) == (
        "accepted",
        first.pk,
        claim_order.pk,
        date(2026, 5, 30),
    )
    assert second.order.warranty_of_id == claim_order.pk
    clock.set("2026-05-31 10:00")
    third = _claim(claim_order)
    assert (third.status, third.first_order_id) == ("refused", first.pk)
    assert f"order #{first.number} ended" in third.refusal_reason


@pytest.mark.clock("2026-03-01 12:00")
def test_only_a_handed_over_order_is_under_warranty(tenant_a, users_a):
    from .aftersales import ready_order

    order = ready_order(tenant_a)
    with pytest.raises(ValidationError, match="handed over"):
        _claim(order)


@pytest.mark.clock("2026-03-01 12:00")
@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, True), (Role.TECHNICIAN, False)],
)
def test_who_may_open_a_claim(tenant_a, users_a, role, may):
    order = handed_over(tenant_a)
    if may:
        assert _claim(order, role).status == "accepted"
    else:
        with pytest.raises(ActorRefused):
            _claim(order, role)
        assert not WarrantyClaim.objects.exists()


# --- No charge for covered work ----------------------------------------------------------------------


@pytest.mark.clock("2026-03-01 12:00")
def test_covered_work_costs_nothing_and_uncovered_parts_need_approval(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-04-01 10:00")
    new = _claim(order).order
    Order.objects.filter(pk=new.pk).update(
        status=OrderStatus.IN_PROGRESS, technician=member(tenant_a, Role.TECHNICIAN)
    )
    new.refresh_from_db()
    tech = member(tenant_a, Role.TECHNICIAN)
    work = add_line_item(
        new,
        kind="work",
        description="Connector resoldered",
        quantity=Decimal("1"),
        unit_price=Decimal("1500"),
        by=tech,
    )
    part = add_line_item(
        new, kind="part", description="Connector", quantity=Decimal("2"), unit_price=Decimal("300"), by=tech
    )
    new.refresh_from_db()
    assert (work.covered, work.amount, work.list_amount) == (True, Decimal("0.00"), Decimal("1500.00"))
    assert (part.covered, part.amount) == (True, Decimal("0.00"))
    assert (new.total_amount, new.amount_due) == (Decimal("0.00"), Decimal("0.00"))
    assert money.bill_problem(new) is None
    # The client pays for a case they break meanwhile: not covered, so the client must approve it first.
    add_line_item(
        new,
        kind="part",
        description="New case",
        quantity=Decimal("1"),
        unit_price=Decimal("900"),
        by=tech,
        covered=False,
    )
    new.refresh_from_db()
    assert new.total_amount == Decimal("900.00")
    assert money.bill_problem(new) is not None


def test_an_ordinary_order_has_no_free_lines(tenant_a, users_a):
    from .aftersales import ready_order

    order = ready_order(tenant_a, lines=())
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.IN_PROGRESS)
    order.refresh_from_db()
    line = add_line_item(
        order,
        kind="work",
        description="Work",
        quantity=Decimal("1"),
        unit_price=Decimal("700"),
        by=member(tenant_a, Role.MANAGER),
    )
    assert (line.covered, line.amount) == (False, Decimal("700.00"))
    with pytest.raises(ValidationError, match="Only a return under warranty"):
        add_line_item(
            order,
            kind="work",
            description="Work",
            quantity=Decimal("1"),
            unit_price=Decimal("700"),
            by=member(tenant_a, Role.MANAGER),
            covered=True,
        )
    with pytest.raises(ValidationError, match="Unknown kind"):
        add_line_item(
            order,
            kind="discount",
            description="Free",
            quantity=Decimal("1"),
            unit_price=Decimal("7"),
            by=member(tenant_a, Role.MANAGER),
        )


# --- The client's request from the warranty card -------------------------------------------------------


@pytest.mark.clock("2026-03-01 12:00")
def test_the_client_requests_and_reception_confirms(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-05-30 21:00")  # the last day, after hours: reception confirms the next morning
    request = warranty.request_claim(order, problem="  The screen flickers again  ")
    assert (request.status, request.source, request.problem, request.created_by) == (
        "requested",
        "client",
        "The screen flickers again",
        None,
    )
    event = order.events.get(kind=EventKind.WARRANTY)
    assert event.by_client and event.data == {
        "claim": request.pk,
        "requested": True,
        "text": {
            "msgid": "The client reports a problem under warranty (%(ref)s): %(problem)s",
            "args": {"ref": f"W-{request.pk}", "problem": "The screen flickers again"},
        },
    }
    assert (
        event.display_text
        == f"The client reports a problem under warranty (W-{request.pk}): The screen flickers again"
    )
    with pytest.raises(ValidationError, match="already with us"):
        warranty.request_claim(order, problem="Hello?")
    clock.set("2026-06-01 09:30")
    new = warranty.confirm_request(request, by=member(tenant_a, Role.RECEPTION))
    request.refresh_from_db()
    assert (request.status, request.order_id, new.warranty_of_id) == ("accepted", new.pk, order.pk)
    with pytest.raises(ValidationError, match="already been answered"):
        warranty.confirm_request(request, by=member(tenant_a, Role.RECEPTION))


@pytest.mark.clock("2026-03-01 12:00")
def test_a_request_can_be_refused_with_the_reason(tenant_a, users_a):
    order = handed_over(tenant_a)
    request = warranty.request_claim(order, problem="Dropped it in the sea")
    with pytest.raises(ValidationError, match="reason"):
        warranty.refuse_request(request, by=member(tenant_a, Role.RECEPTION), reason=" ")
    with pytest.raises(ActorRefused):
        warranty.refuse_request(request, by=member(tenant_a, Role.TECHNICIAN), reason="Water damage")
    warranty.refuse_request(
        request, by=member(tenant_a, Role.RECEPTION), reason="Water damage is not covered"
    )
    request.refresh_from_db()
    assert (request.status, request.refusal_reason) == ("refused", "Water damage is not covered")
    # A new request may follow a refused one.
    assert warranty.request_claim(order, problem="It also does not charge").status == "requested"


@pytest.mark.clock("2026-03-01 12:00")
@pytest.mark.parametrize("problem", ["", "   ", "x" * 2001])
def test_a_request_needs_a_short_description(tenant_a, users_a, problem):
    order = handed_over(tenant_a)
    with pytest.raises(ValidationError):
        warranty.request_claim(order, problem=problem)
    assert not WarrantyClaim.objects.exists()


@pytest.mark.clock("2026-03-01 12:00")
def test_no_request_after_the_period(tenant_a, users_a, clock):
    order = handed_over(tenant_a)
    clock.set("2026-05-31 09:00")
    with pytest.raises(ValidationError, match="ended on"):
        warranty.request_claim(order, problem="Broken")


@pytest.mark.clock("2026-03-01 12:00")
def test_the_warranty_page_takes_a_request(tenant_a, users_a, client, clock):
    order = handed_over(tenant_a)
    url = warranty.warranty_path(order)
    assert url == reverse("quality:warranty_public", args=[WarrantyLink.objects.get(order=order).token])
    assert warranty.warranty_path(order) == url  # one link per order
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="warranty-form"' in page.content.decode()
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    assert order.client.name not in page.content.decode() and order.client.phone not in page.content.decode()
    response = client.post(url, {"problem": "Battery drains in an hour"}, follow=True)
    assert 'data-testid="warranty-waiting"' in response.content.decode()
    assert WarrantyClaim.objects.get().problem == "Battery drains in an hour"
    client.post(url, {"problem": "Again"})
    assert WarrantyClaim.objects.count() == 1
    clock.set("2026-06-15 12:00")
    WarrantyClaim.objects.all().delete()
    ended = client.get(url).content.decode()
    assert 'data-testid="warranty-ended"' in ended and 'data-testid="warranty-form"' not in ended
    client.post(url, {"problem": "Late"})
    assert not WarrantyClaim.objects.exists()


def test_the_warranty_page_answers_404_to_unknown_tokens(client, db):
    for token in ["x", "a" * 43, "bad\x00token" * 5]:
        assert client.get(f"/w/{token}/").status_code == 404


# --- Comebacks ------------------------------------------------------------------------------------------


@pytest.mark.clock("2026-03-02 12:00")
def test_comeback_rates_per_technician_service_and_part(tenant_a, users_a, clock, location_a):
    """Handed over on 2 March: technician A two orders (phone repair), B one (laptop repair). A's first comes
    back on 20 March (18 days), B's on 15 May (74 days): within 30 days A 1 of 2, B 0 of 1; within 90 days
    B 1 of 1 too. A's first order used the battery, A's second and B's the screen."""
    from tests.factories import MembershipFactory, ServiceTypeFactory, UserFactory

    tech_a = member(tenant_a, Role.TECHNICIAN)
    tech_b = MembershipFactory(
        tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(full_name="Boris Second")
    )
    phones = ServiceTypeFactory(tenant=tenant_a, name="Phone repair", warranty_days=90)
    laptops = ServiceTypeFactory(tenant=tenant_a, name="Laptop repair", warranty_days=90)
    a1 = handed_over(tenant_a, technician=tech_a, service=phones)
    a2 = handed_over(tenant_a, technician=tech_a, service=phones)
    b1 = handed_over(tenant_a, technician=tech_b, service=laptops)
    battery = PartFactory(tenant=tenant_a, sku="BAT", name="Battery")
    screen = PartFactory(tenant=tenant_a, sku="SCR", name="Screen")
    for order, part in [(a1, battery), (a2, screen), (b1, screen)]:
        StockMovementFactory(
            tenant=tenant_a,
            kind=StockMovement.Kind.CONSUMPTION,
            part=part,
            location=location_a,
            order=order,
            on_hand_delta=Decimal("-1"),
        )
    clock.set("2026-03-20 12:00")
    _claim(a1)
    clock.set("2026-05-15 12:00")
    _claim(b1)
    tz = ZoneInfo(tenant_a.time_zone)
    since, until = datetime(2026, 3, 1, tzinfo=tz), datetime(2026, 4, 1, tzinfo=tz)

    def rows(by, days):
        return [
            (r.label, r.orders, r.comebacks, r.rate)
            for r in warranty.comeback_rates(tenant_a, by=by, days=days, since=since, until=until)
        ]

    technician = tech_a.user.full_name
    assert rows("technician", 30) == [(technician, 2, 1, 50.0), ("Boris Second", 1, 0, 0.0)]
    assert sorted(rows("technician", 90)) == sorted([("Boris Second", 1, 1, 100.0), (technician, 2, 1, 50.0)])
    assert rows("service_type", 30) == [("Phone repair", 2, 1, 50.0), ("Laptop repair", 1, 0, 0.0)]
    assert rows("part", 30) == [("Battery (BAT)", 1, 1, 100.0), ("Screen (SCR)", 2, 0, 0.0)]
    assert rows("part", 90) == [
        ("Battery (BAT)", 1, 1, 100.0),
        ("Screen (SCR)", 2, 1, 50.0),
    ]  # most back, then by name
    total = warranty.comeback_rate(tenant_a, days=30, since=since, until=until)
    assert (total.orders, total.comebacks, total.rate) == (3, 1, 33.3)
    # The orders of another month are not counted.
    assert (
        warranty.comeback_rate(tenant_a, days=30, since=until, until=datetime(2026, 5, 1, tzinfo=tz)).orders
        == 0
    )
    with pytest.raises(ValueError):
        warranty.comeback_rates(tenant_a, by="colour", days=30, since=since, until=until)


def test_comeback_queries_do_not_grow_with_the_orders(tenant_a, users_a, django_assert_num_queries):
    from django.utils import timezone

    now = timezone.now()
    for _ in range(3):
        handed_over(tenant_a)
    with django_assert_num_queries(1):
        warranty.comeback_rates(
            tenant_a,
            by="technician",
            days=30,
            since=now.replace(year=now.year - 1),
            until=now.replace(year=now.year + 1),
        )
