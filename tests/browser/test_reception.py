"""Browser journeys of the reception queue: reception checks a walk-in client in with one tap and starts
the intake from the queue; a client takes a ticket on a phone at the door (375 px) and appears on the
board by itself (htmx polling), and is served from there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from reception import services
from reception.models import ServedAs, Visit, VisitSource, VisitState

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reception_checks_a_walk_in_client_in_and_starts_the_intake(demo, page_for):
    desk = page_for(DESKTOP)
    login(desk, DEMO_EMAILS["reception"])
    desk.get_by_test_id("nav-queue").click()
    expect(desk.locator("h1")).to_contain_text("Reception queue")
    expect(desk.get_by_test_id("queue-waiting")).to_contain_text("Nobody is waiting.")

    form = desk.get_by_test_id("check-in-form")
    form.get_by_placeholder("Name (optional)").fill("Pavel Orlov")
    form.get_by_placeholder("Phone (optional)").fill("8 (903) 555-01-23")
    form.get_by_test_id("check-in-drop_off").click()  # one tap: what the client came for
    expect(desk.locator(".alert-success")).to_contain_text("Ticket 1: Drop-off. The wait is being timed.")
    row = desk.get_by_test_id("waiting-1")
    expect(row).to_contain_text("Pavel Orlov")
    expect(row).to_contain_text("+7 903 555-01-23")
    expect(row.get_by_test_id("wait")).to_have_text("< 1 min")
    visit = Visit.objects.get()
    assert (visit.state, visit.phone) == (VisitState.WAITING, "+79035550123")

    row.get_by_role("button", name="Start intake").click()
    expect(desk.locator("h1")).to_have_text("New order")
    expect(desk.get_by_test_id("intake-from-queue")).to_contain_text(
        "Walk-in client, ticket 1 at Head office"
    )
    expect(desk.locator("#id_client_name")).to_have_value("Pavel Orlov")
    expect(desk.locator("#id_client_phone")).to_have_value("+79035550123")
    visit.refresh_from_db()
    assert (visit.state, visit.served_as) == (VisitState.SERVED, ServedAs.INTAKE)  # the wait stopped here

    desk.locator("#id_consent").check()
    desk.locator("#id_service_type").select_option(label="Phone screen replacement")
    desk.locator("#id_item_kind").fill("Phone")
    desk.locator("#id_problem").fill("The screen cracked after a fall")
    desk.get_by_role("button", name="Take in").click()
    expect(desk).to_have_url(re.compile(r"/demo/orders/\d+/$"))
    order = Order.objects.get(tenant=demo.tenant)
    expect(desk.locator("main")).to_contain_text("Walk-in client, ticket 1: waited 0 min at reception.")
    visit.refresh_from_db()
    assert visit.order == order and order.client.name == "Pavel Orlov"

    desk.get_by_test_id("nav-queue").click()
    expect(desk.get_by_test_id("queue-recent")).to_contain_text(f"#{order.number}")
    assert_no_csp_errors(desk)


def test_a_client_takes_a_ticket_on_a_phone_and_reception_sees_it(demo, page_for):
    location = demo.head_office
    location.tenant = demo.tenant
    door = services.desk_for(location)

    desk = page_for(DESKTOP)
    login(desk, DEMO_EMAILS["reception"], next=f"/demo/reception/{location.pk}/")
    expect(desk.get_by_test_id("queue-waiting")).to_contain_text("Nobody is waiting.")

    phone = page_for(PHONE)
    phone.goto(f"/q/{door.public_token}/")
    expect(phone.locator("h1")).to_have_text("Take a ticket")
    phone.get_by_text("Pickup", exact=True).click()  # a big radio button
    phone.get_by_label("Your first name (optional)").fill("Marina")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="Take a ticket").click()
    expect(phone.get_by_test_id("ticket-number")).to_have_text("1")
    expect(phone.get_by_test_id("ticket-state")).to_contain_text("Please wait: we will call your number.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visit = Visit.objects.get()
    assert (visit.source, visit.name, visit.purpose) == (VisitSource.QR, "Marina", "pickup")

    # The board refreshes itself: the new ticket appears without a reload.
    row = desk.get_by_test_id("waiting-1")
    expect(row).to_contain_text("Marina", timeout=15_000)
    row.get_by_role("button", name="Served").click()
    expect(desk.locator(".alert-success")).to_contain_text("Ticket 1 served after 0 min.")

    # The client's page follows by itself too.
    expect(phone.get_by_test_id("ticket-state")).to_contain_text("It's your turn.", timeout=20_000)
    visit.refresh_from_db()
    assert (visit.state, visit.served_as) == (VisitState.SERVED, ServedAs.PICKUP)
    for page in (desk, phone):
        assert_no_csp_errors(page)
