"""Money follows what the client approved (docs/architecture.md, "Money"): the approved estimate becomes the
bill, the bill cannot go past the approval (plus the center's tolerance) to the quality check or "ready"
without a new approval or a manager's recorded override, a declined estimate leaves only the diagnostic
fee, totals are SQL sums under the order's lock, and an overpayment shows as a credit to return."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orders import services
from orders.lifecycle import TransitionRefused, transition
from orders.models import Estimate, EventKind, LineItem, Order, OrderEvent, OrderStatus, Payment
from orders.permissions import ActorRefused
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import OrderFactory
from tests.helpers import text_of

from .conftest import order_url, tenant_url

S = OrderStatus
TOO_MUCH = "is more than the client approved"


def fresh(order: Order) -> Order:
    return Order.objects.select_related("tenant", "service_type").get(pk=order.pk)


def add(order: Order, price: str, by: Membership, kind: str = "part", description: str = "Part") -> LineItem:
    return services.add_line_item(
        fresh(order),
        kind=kind,
        description=description,
        quantity=Decimal("1"),
        unit_price=Decimal(price),
        by=by,
    )


def move(order: Order, action: str, by: Membership | None, **kwargs) -> Order:
    order = fresh(order)
    transition(order, action, by=by, expected_version=order.version, **kwargs)
    return fresh(order)


def quote(order: Order, amount: str, by: Membership) -> Estimate:
    order = fresh(order)
    return services.set_estimate(order, amount=Decimal(amount), by=by, expected_version=order.version)


@pytest.fixture
def diagnosed(make_order):
    """In diagnostics, nothing estimated, approved or billed yet."""
    return make_order(S.DIAGNOSTICS, estimate=None, approved_amount=None)


# --- The approved estimate becomes the bill -----------------------------------------------------------


@pytest.mark.django_db
def test_an_approved_total_becomes_the_bill(diagnosed, tech_a):
    quote(diagnosed, "120", tech_a)
    move(diagnosed, "request_approval", tech_a)
    order = move(diagnosed, "approve", None)  # the client, on the status page

    assert (order.total_amount, order.amount_due, order.approved_amount) == (
        Decimal("120.00"),
        Decimal("120.00"),
        Decimal("120.00"),
    )
    assert list(order.line_items.values_list("kind", "description", "amount")) == [
        ("work", "Work as estimated", Decimal("120.00"))
    ]
    estimate = order.estimates.get()
    assert (estimate.version, estimate.state, estimate.by_client, estimate.decided_by) == (
        1,
        "approved",
        True,
        None,
    )
    assert estimate.decided_at is not None


@pytest.mark.django_db
def test_staff_recording_the_clients_approval_is_named(diagnosed, tech_a, reception_a):
    quote(diagnosed, "300", tech_a)
    move(diagnosed, "request_approval", tech_a)
    order = move(diagnosed, "approve", reception_a)  # the client said yes on the phone
    estimate = order.estimates.get()
    assert (estimate.by_client, estimate.decided_by) == (True, reception_a.user)
    event = OrderEvent.objects.get(order=order, action="approve")
    assert event.data["estimate_version"] == 1 and event.data["approved_amount"] == "300.00"


@pytest.mark.django_db
def test_a_total_only_approval_bills_what_the_lines_do_not_yet(diagnosed, tech_a):
    add(diagnosed, "1500", tech_a)  # a part already used
    quote(diagnosed, "1620", tech_a)
    move(diagnosed, "request_approval", tech_a)
    order = move(diagnosed, "approve", None)
    assert order.total_amount == Decimal("1620.00")
    assert sorted(order.line_items.values_list("amount", flat=True)) == [
        Decimal("120.00"),
        Decimal("1500.00"),
    ]


@pytest.mark.django_db
def test_a_newer_approval_replaces_the_lines_of_the_older_one(diagnosed, tech_a):
    quote(diagnosed, "120", tech_a)
    move(diagnosed, "request_approval", tech_a)
    move(diagnosed, "approve", None)
    order = fresh(diagnosed)
    services.set_estimate(
        order,
        by=tech_a,
        expected_version=order.version,
        lines=[
            services.EstimateLineData("work", "Board repair", Decimal("1"), Decimal("900")),
            services.EstimateLineData("part", "Connector", Decimal("2"), Decimal("50")),
        ],
    )
    move(diagnosed, "request_approval", tech_a)
    order = move(diagnosed, "approve", None)
    assert list(order.line_items.values_list("description", "amount")) == [
        ("Board repair", Decimal("900.00")),
        ("Connector", Decimal("100.00")),
    ]
    assert (order.total_amount, order.approved_amount) == (Decimal("1000.00"), Decimal("1000.00"))
    assert list(order.estimates.values_list("version", "state")) == [(1, "approved"), (2, "approved")]


@pytest.mark.django_db
def test_intake_records_the_estimate_as_approved_at_the_counter(member_client, intake_post, tenant_a):
    member_client(Role.RECEPTION).post(tenant_url("intake", tenant_a), intake_post())
    order = Order.objects.for_tenant(tenant_a).get()
    estimate = order.estimates.get()
    assert (estimate.version, estimate.amount, estimate.state, estimate.by_client) == (
        1,
        Decimal("4500"),
        "approved",
        True,
    )
    assert (order.approved_amount, order.estimate_state, order.total_amount) == (
        Decimal("4500"),
        "approved",
        Decimal("0"),
    )


# --- The ceiling ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_part_above_the_approval_stops_the_order_before_the_check(make_order, tech_a):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("120"))
    add(order, "120", tech_a, kind="work", description="Repair")
    add(order, "1500", tech_a)
    with pytest.raises(TransitionRefused, match=TOO_MUCH) as refused:
        move(order, "finish_work", tech_a)
    assert "1620.00" in str(refused.value) and "120" in str(refused.value)
    assert fresh(order).status == S.IN_PROGRESS


@pytest.mark.django_db
def test_pass_check_is_guarded_too(make_order, tech_a):
    order = make_order(S.QUALITY_CHECK, approved_amount=Decimal("100"))
    add(order, "101", tech_a)
    with pytest.raises(TransitionRefused, match=TOO_MUCH):
        move(order, "pass_check", tech_a)


@pytest.mark.django_db
def test_nothing_approved_allows_no_bill(make_order, tech_a):
    order = make_order(S.IN_PROGRESS, approved_amount=None)
    add(order, "0.01", tech_a)
    with pytest.raises(TransitionRefused, match=TOO_MUCH):
        move(order, "finish_work", tech_a)


@pytest.mark.django_db
def test_a_bill_at_or_below_the_approval_passes(make_order, tech_a):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("1000"))
    add(order, "1000", tech_a)
    assert move(order, "finish_work", tech_a).status == S.QUALITY_CHECK
    assert move(order, "pass_check", tech_a).status == S.READY


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, percent, bill, passes",
    [
        ("100", "0", "1100", True),
        ("100", "0", "1100.01", False),
        ("0", "10", "1100", True),
        ("0", "10", "1100.01", False),
        ("50", "10", "1100", True),  # the larger allowance counts
        ("0", "0", "1000.01", False),
    ],
)
def test_the_centers_tolerance(amount, percent, bill, passes, make_order, tech_a, tenant_a):
    tenant_a.estimate_tolerance_amount, tenant_a.estimate_tolerance_percent = (
        Decimal(amount),
        Decimal(percent),
    )
    tenant_a.save()
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("1000"))
    add(order, bill, tech_a)
    if passes:
        assert move(order, "finish_work", tech_a).status == S.QUALITY_CHECK
    else:
        with pytest.raises(TransitionRefused, match=TOO_MUCH):
            move(order, "finish_work", tech_a)


@pytest.mark.django_db
def test_the_clients_new_approval_lifts_the_ceiling(make_order, tech_a):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("120"))
    add(order, "1620", tech_a)
    quote(order, "1620", tech_a)
    move(order, "request_approval", tech_a)
    order = move(order, "approve", None)
    assert (order.approved_amount, order.total_amount) == (
        Decimal("1620.00"),
        Decimal("1620.00"),
    )  # no double bill
    assert move(order, "finish_work", tech_a).status == S.QUALITY_CHECK


@pytest.mark.django_db
def test_a_manager_overrides_with_a_reason_and_it_is_recorded(make_order, tech_a, manager_a):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("120"))
    add(order, "1620", tech_a)
    with pytest.raises(TransitionRefused, match="Give a reason"):
        move(order, "finish_work", manager_a, override_estimate=True, reason="  ")

    order = move(order, "finish_work", manager_a, override_estimate=True, reason="Client agreed in the shop")

    assert (order.status, order.approved_amount, order.estimate, order.estimate_state) == (
        S.QUALITY_CHECK,
        Decimal("1620.00"),
        Decimal("1620.00"),
        "approved",
    )
    override = order.estimates.get(override_reason__gt="")
    assert (override.amount, override.by_client, override.decided_by, override.override_reason) == (
        Decimal("1620.00"),
        False,
        manager_a.user,
        "Client agreed in the shop",
    )
    event = OrderEvent.objects.get(order=order, action="finish_work")
    assert (event.message, event.data["estimate_override"], event.data["approved_before"]) == (
        "Client agreed in the shop",
        "1620.00",
        "120.00",
    )
    assert move(order, "pass_check", tech_a).status == S.READY  # the override holds for the check too


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.RECEPTION])
def test_only_management_may_override(role, make_order, staff_a, tech_a):
    order = make_order(S.QUALITY_CHECK, approved_amount=Decimal("100"))
    add(order, "500", tech_a)
    with pytest.raises(TransitionRefused):
        move(order, "pass_check", staff_a[role], override_estimate=True, reason="Because")
    assert fresh(order).status == S.QUALITY_CHECK and fresh(order).approved_amount == Decimal("100")


@pytest.mark.django_db
def test_a_member_of_another_center_cannot_override(make_order, tech_a, tenant_b, users_b):
    order = make_order(S.QUALITY_CHECK, approved_amount=Decimal("100"))
    add(order, "500", tech_a)
    manager_b = Membership.objects.get(tenant=tenant_b, user=users_b[Role.MANAGER])
    with pytest.raises(TransitionRefused, match="not a member"):
        move(order, "pass_check", manager_b, override_estimate=True, reason="Mine now")


# --- Declined -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_declined_estimate_leaves_only_the_diagnostic_fee(make_order, tech_a, tenant_a):
    tenant_a.diagnostic_fee = Decimal("500")
    tenant_a.save()
    order = make_order(S.DIAGNOSTICS, estimate=None, approved_amount=None)
    quote(order, "3000", tech_a)
    move(order, "request_approval", tech_a)
    order = move(order, "decline", None)
    assert (order.status, order.total_amount, order.approved_amount) == (
        S.QUALITY_CHECK,
        Decimal("500.00"),
        Decimal("500.00"),
    )
    assert list(order.line_items.values_list("description", "amount")) == [("Diagnostics", Decimal("500.00"))]
    assert move(order, "pass_check", tech_a).status == S.READY


@pytest.mark.django_db
def test_declined_without_a_fee_a_used_part_needs_the_managers_decision(make_order, tech_a, manager_a):
    order = make_order(S.DIAGNOSTICS, estimate=None, approved_amount=None)
    add(order, "300", tech_a)
    quote(order, "3000", tech_a)
    move(order, "request_approval", tech_a)
    order = move(order, "decline", None)
    assert (order.approved_amount, order.total_amount) == (Decimal("0"), Decimal("300.00"))
    with pytest.raises(TransitionRefused, match=TOO_MUCH):
        move(order, "pass_check", tech_a)


# --- Setting the estimate ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_change_is_a_new_version_and_a_pending_one_stays_pending(make_order, tech_a):
    order = make_order(S.AWAITING_APPROVAL)  # estimate 1000 waiting for the client
    second = quote(order, "1200", tech_a)
    assert (second.version, second.state) == (2, "pending")
    assert list(fresh(order).estimates.values_list("version", "state")) == [(1, "superseded"), (2, "pending")]
    assert (fresh(order).estimate, fresh(order).estimate_state) == (Decimal("1200"), "pending")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, says",
    [
        ({"amount": Decimal("-1")}, "cannot be negative"),
        ({}, "total or its lines"),
        ({"lines": [services.EstimateLineData("work", "X", Decimal("0"), Decimal("1"))]}, "more than zero"),
        (
            {"lines": [services.EstimateLineData("work", "X", Decimal("1"), Decimal("-1"))]},
            "cannot be negative",
        ),
        (
            {"lines": [services.EstimateLineData("work", "  ", Decimal("1"), Decimal("1"))]},
            "needs a description",
        ),
        ({"lines": [services.EstimateLineData("gift", "X", Decimal("1"), Decimal("1"))]}, "Unknown kind"),
        (
            {
                "lines": [services.EstimateLineData("work", "X", Decimal("1"), Decimal("10"))],
                "amount": Decimal("11"),
            },
            "differs from the sum",
        ),
    ],
)
def test_a_bad_estimate_is_refused(kwargs, says, make_order, tech_a):
    order = make_order(S.DIAGNOSTICS)
    with pytest.raises(ValidationError, match=says):
        services.set_estimate(order, by=tech_a, expected_version=1, **kwargs)
    assert (fresh(order).version, fresh(order).estimates.count()) == (1, 0)


@pytest.mark.django_db
def test_a_closed_order_keeps_its_estimate(make_order, tech_a):
    order = make_order(S.HANDED_OVER)
    with pytest.raises(ValidationError, match="closed"):
        quote(order, "5", tech_a)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.RECEPTION])
def test_roles_without_the_workshop_permission_cannot_estimate(role, make_order, staff_a):
    order = make_order(S.DIAGNOSTICS)
    with pytest.raises(ActorRefused):
        quote(order, "5", staff_a[role])


@pytest.mark.django_db
def test_another_technician_or_center_cannot_estimate(make_order, other_tech_a, tenant_b, users_b):
    order = make_order(S.DIAGNOSTICS)
    with pytest.raises(ActorRefused, match="assigned"):
        quote(order, "5", other_tech_a)
    with pytest.raises(ActorRefused, match="not a member"):
        quote(order, "5", Membership.objects.get(tenant=tenant_b, user=users_b[Role.OWNER]))
    assert fresh(order).version == 1


@pytest.mark.django_db
def test_the_estimate_form_takes_lines(make_order, member_client):
    order = make_order(S.DIAGNOSTICS)
    member_client(Role.TECHNICIAN).post(
        order_url("estimate", order),
        {
            "version": 1,
            "amount": "",
            "comment": "Screen",
            "lines": "Screen assembly; 1; 3 500,50; part\nLabour; 2; 500\n",
        },
    )
    estimate = fresh(order).estimates.get(version=2)  # version 1: the 1,000 estimate it had
    assert (estimate.amount, estimate.comment) == (Decimal("4500.50"), "Screen")
    assert list(estimate.lines.values_list("kind", "description", "quantity", "unit_price")) == [
        ("part", "Screen assembly", Decimal("1"), Decimal("3500.50")),
        ("work", "Labour", Decimal("2"), Decimal("500")),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines",
    [
        "Screen; 1",
        "Screen; one; 100",
        "; 1; 100",
        "Screen; 1; 100; gift",
        "Screen; 0; 100",
        "Screen; 1; -5",
        "Screen; 1; NaN",
        "Screen; 1e9999; 1",
        "Screen; 9999999; 9999999999",
        "x; 1; 1\n" * 51,
        "\x00; 1; 1",
    ],
)
def test_bad_estimate_lines_are_a_message(lines, make_order, member_client):
    order = make_order(S.DIAGNOSTICS)
    response = member_client(Role.TECHNICIAN).post(
        order_url("estimate", order), {"version": 1, "lines": lines}, follow=True
    )
    assert response.status_code == 200
    assert (fresh(order).version, fresh(order).estimates.count()) == (1, 0)


@pytest.mark.django_db
def test_another_centers_order_number_is_404(make_order, member_client, tenant_b):
    order = make_order(S.DIAGNOSTICS)
    response = member_client(Role.OWNER, tenant_b).post(
        order_url("estimate", order).replace(f"/{order.tenant.slug}/", f"/{tenant_b.slug}/"),
        {"version": 1, "amount": "1"},
    )
    assert response.status_code == 404
    assert fresh(order).version == 1


# --- Who adds lines and payments --------------------------------------------------------------------------


@pytest.mark.django_db
def test_payments_are_the_offices_and_lines_the_workshops(make_order, tech_a, reception_a):
    order = make_order(S.READY)
    with pytest.raises(ActorRefused):
        services.add_payment(order, amount=Decimal("1"), method="cash", by=tech_a)
    with pytest.raises(ActorRefused):
        add(order, "1", reception_a)
    assert (fresh(order).total_amount, fresh(order).paid_amount) == (0, 0)


@pytest.mark.django_db
def test_reception_neither_sees_nor_posts_the_line_form(make_order, member_client, tech_a):
    order = make_order(S.READY)
    line = add(order, "10", tech_a)
    reception = member_client(Role.RECEPTION)
    assert (
        f'action="{order_url("line_add", order)}"'
        not in reception.get(order_url("detail", order)).content.decode()
    )
    assert (
        reception.post(
            order_url("line_add", order),
            {"kind": "work", "description": "X", "quantity": "1", "unit_price": "5"},
        ).status_code
        == 403
    )
    assert reception.post(order_url("line_remove", order, line.pk)).status_code == 403
    assert fresh(order).total_amount == Decimal("10.00")


# --- Totals -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_totals_are_sums_of_rounded_lines_and_signed_payments(make_order, tech_a, reception_a):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("10000"))
    for _ in range(3):
        services.add_line_item(
            fresh(order),
            kind="work",
            description="Third",
            quantity=Decimal("0.333"),
            unit_price=Decimal("100.05"),
            by=tech_a,
        )  # 33.31665 -> 33.32 each
    services.add_payment(fresh(order), amount=Decimal("100"), method="cash", by=reception_a)
    services.add_payment(
        fresh(order), amount=Decimal("30"), method="cash", kind=Payment.Kind.REFUND, by=reception_a
    )
    order = fresh(order)
    assert (order.total_amount, order.paid_amount, order.amount_due) == (
        Decimal("99.96"),
        Decimal("70.00"),
        Decimal("29.96"),
    )


@pytest.mark.django_db
def test_a_refund_is_checked_against_the_stored_paid_amount_not_a_stale_copy(make_order, reception_a):
    order = make_order(S.READY)
    stale = fresh(order)
    services.add_payment(fresh(order), amount=Decimal("100"), method="cash", by=reception_a)
    services.add_payment(
        fresh(order), amount=Decimal("80"), method="cash", kind=Payment.Kind.REFUND, by=reception_a
    )
    stale.paid_amount = Decimal("100")  # what the page showed before the first refund
    with pytest.raises(ValidationError, match=r"more than was paid \(20"):
        services.add_payment(
            stale, amount=Decimal("50"), method="cash", kind=Payment.Kind.REFUND, by=reception_a
        )
    assert fresh(order).paid_amount == Decimal("20.00")


THREADS = 20


def _in_parallel(work, count: int) -> list[BaseException]:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            work(index)
        except BaseException as error:  # reported by the caller: an exception in a thread is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_payments_at_once_all_count(tenant_a, location_a, service_a, tech_a, reception_a):
    order = OrderFactory(
        tenant=tenant_a, service_type=service_a, intake_location=location_a, status=S.READY, technician=tech_a
    )
    copies = [Order.objects.get(pk=order.pk) for _ in range(THREADS)]  # everyone's page says "paid 0"

    errors = _in_parallel(
        lambda i: services.add_payment(copies[i], amount=Decimal(i + 1), method="cash", by=reception_a),
        THREADS,
    )

    assert not errors, errors
    order.refresh_from_db()
    assert order.paid_amount == Decimal(sum(range(1, THREADS + 1)))  # 210
    assert Payment.objects.filter(order=order).count() == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_refunds_never_return_more_than_was_paid(
    tenant_a, location_a, service_a, tech_a, reception_a
):
    order = OrderFactory(
        tenant=tenant_a, service_type=service_a, intake_location=location_a, status=S.READY, technician=tech_a
    )
    services.add_payment(order, amount=Decimal("100"), method="cash", by=reception_a)
    copies = [Order.objects.get(pk=order.pk) for _ in range(5)]  # each sees "paid 100"

    errors = _in_parallel(
        lambda i: services.add_payment(
            copies[i], amount=Decimal("40"), method="cash", kind=Payment.Kind.REFUND, by=reception_a
        ),
        5,
    )

    assert len(errors) == 3 and all(isinstance(e, ValidationError) for e in errors), errors
    order.refresh_from_db()
    assert order.paid_amount == Decimal("20.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_lines_at_once_all_count(tenant_a, location_a, service_a, tech_a):
    order = OrderFactory(
        tenant=tenant_a,
        service_type=service_a,
        intake_location=location_a,
        status=S.IN_PROGRESS,
        technician=tech_a,
    )
    copies = [Order.objects.get(pk=order.pk) for _ in range(THREADS)]

    errors = _in_parallel(
        lambda i: services.add_line_item(
            copies[i],
            kind="part",
            description=f"P{i}",
            quantity=Decimal(1),
            unit_price=Decimal(i + 1),
            by=tech_a,
        ),
        THREADS,
    )

    assert not errors, errors
    order.refresh_from_db()
    assert order.total_amount == Decimal("210.00")
    assert OrderEvent.objects.filter(order=order, kind=EventKind.LINE_ITEM).count() == THREADS


# --- Credit -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_overpayment_shows_as_credit_to_return(make_order, reception_a, tech_a, member_client, client):
    order = make_order(S.READY, approved_amount=Decimal("1000"))
    add(order, "1000", tech_a)
    services.add_payment(fresh(order), amount=Decimal("1500"), method="cash", by=reception_a)
    order = fresh(order)
    assert (order.amount_due, order.credit_amount) == (Decimal("0"), Decimal("500.00"))

    page = member_client(Role.RECEPTION).get(order_url("detail", order))
    assert 'data-testid="credit">RUB500.00' in page.content.decode().replace("\xa0", "")
    assert "Credit to return to the client" in text_of(page)
    listing = member_client(Role.RECEPTION).get(tenant_url("list", order.tenant))
    assert "−500.00" in text_of(listing).replace("\xa0", "")
    public = client.get(f"/s/{order.public_token}/")
    assert "We owe you" in text_of(public)


@pytest.mark.django_db
def test_a_prepayment_before_anything_is_billed_is_an_advance_not_a_credit(make_order, reception_a, client):
    order = make_order(S.NEW)
    services.add_payment(fresh(order), amount=Decimal("1000"), method="cash", by=reception_a)
    order = fresh(order)
    assert (order.amount_due, order.advance_amount, order.credit_amount) == (
        Decimal("0"),
        Decimal("1000.00"),
        Decimal("0"),
    )
    public = text_of(client.get(f"/s/{order.public_token}/"))
    assert "Prepayment" in public and "We owe you" not in public
    # Cancelled with nothing billed: the whole prepayment goes back to the client.
    order.status = S.CANCELLED
    assert (order.advance_amount, order.credit_amount) == (Decimal("0"), Decimal("1000.00"))


@pytest.mark.django_db
def test_the_order_page_shows_approved_versus_billed(make_order, tech_a, member_client):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("120"))
    add(order, "1620", tech_a)
    text = text_of(member_client(Role.MANAGER).get(order_url("detail", order)))
    assert "Approved by the client" in text and "Billed" in text
    assert "The bill (1620.00) is more than the client approved (120.00)" in text


# --- The demo ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_bills_match_what_the_clients_approved():
    from documents.demo import seed_demo_documents
    from orders.demo import seed_demo_orders
    from servicedesk.tenancy.demo import seed_demo_staff
    from stock.demo import seed_demo_stock
    from technicians.demo import seed_demo_planning

    staff = seed_demo_staff()
    seed_demo_orders(staff)
    seed_demo_planning(staff)
    seed_demo_stock(staff)
    seed_demo_documents(staff)
    orders = list(Order.objects.for_tenant(staff.tenant).select_related("tenant"))
    assert all(order.total_amount <= (order.approved_amount or 0) for order in orders), [
        (o.number, o.status, o.total_amount, o.approved_amount)
        for o in orders
        if o.total_amount > (o.approved_amount or 0)
    ]
    billed = [o for o in orders if o.status in {S.QUALITY_CHECK, S.READY, S.HANDED_OVER}]
    assert billed and all(o.total_amount == o.approved_amount for o in billed)
    quoted = [
        o for o in orders if o.line_items.filter(description="Spare part", estimate__isnull=False).exists()
    ]
    assert {o.status for o in quoted} == {S.READY, S.HANDED_OVER}


# --- Through the pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_overrides_from_the_order_page(make_order, tech_a, member_client):
    order = make_order(S.IN_PROGRESS, approved_amount=Decimal("120"))
    add(order, "1620", tech_a)
    manager = member_client(Role.MANAGER)
    page = manager.get(order_url("detail", order)).content.decode()
    assert 'name="override_estimate"' in page and 'data-action="finish_work"' in page
    technician_page = member_client(Role.TECHNICIAN).get(order_url("detail", order)).content.decode()
    assert (
        'data-action="finish_work"' not in technician_page and 'data-testid="bill-problem"' in technician_page
    )

    url = order_url("transition", order, "finish_work")
    refused = manager.post(url, {"version": fresh(order).version, "reason": "Agreed"}, follow=True)
    assert TOO_MUCH in text_of(refused) and fresh(order).status == S.IN_PROGRESS
    manager.post(
        url, {"version": fresh(order).version, "reason": "Agreed by phone", "override_estimate": "1"}
    )
    assert (fresh(order).status, fresh(order).approved_amount) == (S.QUALITY_CHECK, Decimal("1620.00"))


@pytest.mark.django_db
def test_the_owner_sets_the_money_rules(member_client, tenant_a):
    url = f"/{tenant_a.slug}/settings/"
    owner = member_client(Role.OWNER)
    data = {
        "name": "Alpha",
        "time_zone": "Europe/Moscow",
        "language": "en",
        "currency": "RUB",
        "country": "RU",
        "estimate_tolerance_amount": "200",
        "estimate_tolerance_percent": "5",
        "diagnostic_fee": "500",
    }
    assert owner.post(url, data).status_code == 302
    tenant_a.refresh_from_db()
    assert (
        tenant_a.estimate_tolerance_amount,
        tenant_a.estimate_tolerance_percent,
        tenant_a.diagnostic_fee,
    ) == (Decimal("200"), Decimal("5"), Decimal("500"))
    for bad in (
        {"estimate_tolerance_amount": "-1"},
        {"estimate_tolerance_percent": "101"},
        {"diagnostic_fee": "abc"},
        {"diagnostic_fee": "1" * 20},
    ):
        assert owner.post(url, {**data, **bad}).status_code == 200  # the form again, with the error
    tenant_a.refresh_from_db()
    assert tenant_a.diagnostic_fee == Decimal("500")
    assert member_client(Role.MANAGER).post(url, {**data, "diagnostic_fee": "0"}).status_code == 403
    owner.post(
        url, {**data, "estimate_tolerance_amount": "", "estimate_tolerance_percent": "", "diagnostic_fee": ""}
    )
    tenant_a.refresh_from_db()
    assert tenant_a.diagnostic_fee == Decimal("0")  # empty means none
