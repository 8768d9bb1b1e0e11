"""Two people, one order: the second one gets "this order changed, reload", never a silent overwrite.
And order numbers stay unique and gapless when many intakes happen at once (PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from orders import services
from orders.lifecycle import OrderChanged, transition
from orders.models import Order, OrderEvent, OrderStatus
from servicedesk.tenancy.models import Counter
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory
from tests.helpers import text_of

from .conftest import order_url

S = OrderStatus
RELOAD = "This order was changed by someone else meanwhile. Reload the page and try again."


def two_copies(order) -> tuple[Order, Order]:
    """The same order as two people loaded it."""
    return Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)


# --- Service level -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_transition_from_the_same_page_is_refused(make_order, manager_a, reception_a):
    order = make_order(S.NEW)
    mine, theirs = two_copies(order)
    transition(mine, "plan", by=manager_a, expected_version=1)

    # Their copy still says "new", version 1: the guard passes on it, the database refuses.
    with pytest.raises(OrderChanged) as changed:
        transition(theirs, "cancel", by=reception_a, expected_version=1, reason="Client called")

    assert str(changed.value) == RELOAD
    order.refresh_from_db()
    assert (order.status, order.version) == (S.PLANNED, 2)
    assert OrderEvent.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_stale_edits_are_refused_by_every_versioned_service(
    make_order, manager_a, tech_a, reception_a, location_a
):
    order = make_order(S.NEW)
    services.set_estimate(
        Order.objects.get(pk=order.pk), amount=Decimal("900"), by=tech_a, expected_version=1
    )
    stale = {"expected_version": 1}
    with pytest.raises(OrderChanged):
        services.set_estimate(order, amount=Decimal("1"), by=tech_a, **stale)
    with pytest.raises(OrderChanged):
        services.edit_order(order, changes={"problem": "Overwritten"}, by=reception_a, **stale)
    with pytest.raises(OrderChanged):
        services.assign(order, technician=None, workshop=None, by=manager_a, **stale)
    with pytest.raises(OrderChanged):
        transition(order, "plan", by=manager_a, **stale)
    order.refresh_from_db()
    assert (order.estimate, order.problem, order.version, order.technician) == (
        Decimal("900"),
        "Does not turn on",
        2,
        tech_a,
    )


# --- Through the screens -----------------------------------------------------------------------------


@pytest.fixture
def stale_page(make_order, manager_a, member_client):
    """An order whose page the reception loaded at version 1; the manager then planned it (version 2)."""
    order = make_order(S.NEW)
    reception = member_client(Role.RECEPTION)
    assert reception.get(order_url("detail", order)).status_code == 200
    transition(Order.objects.get(pk=order.pk), "plan", by=manager_a, expected_version=1)
    return order, reception


@pytest.mark.django_db
def test_an_action_button_on_a_stale_page_says_reload_and_changes_nothing(stale_page):
    order, reception = stale_page

    response = reception.post(
        order_url("transition", order, "cancel"), {"version": 1, "reason": "Client called"}, follow=True
    )

    assert response.status_code == 200
    assert RELOAD in text_of(response)
    order.refresh_from_db()
    assert (order.status, order.version) == (S.PLANNED, 2)


@pytest.mark.django_db
def test_the_edit_form_with_a_stale_version_says_reload_and_changes_nothing(stale_page):
    order, reception = stale_page
    data = {
        "version": 1,
        "problem": "Overwritten problem",
        "priority": 1,
        "promised_at": "",
        "item_condition": "",
        "item_accessories": "",
        "terms": "",
    }

    response = reception.post(order_url("edit", order), data)

    assert response.status_code == 200
    assert RELOAD in text_of(response)
    order.refresh_from_db()
    assert order.problem == "Does not turn on" and order.version == 2


@pytest.mark.django_db
def test_the_edit_form_carries_the_version_it_was_loaded_with(make_order, member_client):
    order = make_order(S.NEW)
    reception = member_client(Role.RECEPTION)
    page = reception.get(order_url("edit", order))
    assert 'name="version" value="1"' in page.content.decode()
    data = {
        "version": 1,
        "problem": "Screen cracked",
        "priority": 2,
        "promised_at": "",
        "item_condition": "",
        "item_accessories": "",
        "terms": "",
    }
    response = reception.post(order_url("edit", order), data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.problem, order.priority, order.version) == ("Screen cracked", 2, 2)


@pytest.mark.django_db
def test_stale_assignment_and_estimate_forms_say_reload(stale_page, member_client, other_tech_a):
    order, _reception = stale_page
    manager = member_client(Role.MANAGER)
    response = manager.post(
        order_url("assign", order),
        {"version": 1, "technician": other_tech_a.pk, "workshop": order.workshop_id},
        follow=True,
    )
    assert RELOAD in text_of(response)
    response = manager.post(order_url("estimate", order), {"version": 1, "amount": "5"}, follow=True)
    assert RELOAD in text_of(response)
    order.refresh_from_db()
    assert (order.technician_id, order.estimate, order.version) == (order.technician_id, Decimal("1000"), 2)
    assert order.technician_id != other_tech_a.pk


# --- Numbers under concurrency -----------------------------------------------------------------------

THREADS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_order_numbers_are_unique_and_gapless_under_concurrent_intake(
    tenant_a, reception_a, service_a, location_a
):
    """THREADS intakes at the same moment, some rolled back after taking a number: the committed orders
    are numbered exactly 1..n, because a rolled-back intake gives its number back."""
    clients = [ClientFactory(tenant=tenant_a) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    rolled_back = {2, 5, 7}

    class RollBack(Exception):
        pass

    def intake(index: int) -> None:
        try:
            start.wait(timeout=30)
            data = services.IntakeData(
                client=clients[index],
                client_name="",
                client_phone="",
                client_email="",
                consent=True,
                service_type=service_a,
                format="in_shop",
                intake_location=location_a,
                problem=f"Problem {index}",
                item_kind="Phone",
            )
            try:
                with transaction.atomic():
                    services.take_in(tenant_a, data, by=reception_a)
                    if index in rolled_back:
                        raise RollBack
            except RollBack:
                pass
        except BaseException as error:  # reported below: an exception in a thread is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    committed = THREADS - len(rolled_back)
    numbers = sorted(Order.objects.for_tenant(tenant_a).values_list("number", flat=True))
    assert numbers == list(range(1, committed + 1))
    assert Counter.objects.get(tenant=tenant_a, key="order").last_number == committed
