"""The main journeys, in a real browser (Playwright + Debian's chromium) against the live server.

1. Every demo role logs in and reaches its dashboard; a technician of two centers switches between them;
   the language switcher turns the page Russian.
2. Issue 3's journey: reception takes in a new client's device, the manager plans it, the technician
   diagnoses, repairs and checks it, reception takes the payment and hands it over, and the client follows it
   on a phone through the public link.
3. Intake of a returning client found by phone (htmx search as you type).
4. The client approves the estimate on the public page on a phone; a second answer is refused politely.
5. Bad input: intake without consent explains the problem and saves nothing.

Buttons are found the way a person finds them (visible labels) or by the hooks the templates give
(`button[data-action=plan]`, data-testid="..."); the database is only read to check what was saved.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from orders.models import Client, LineItem, Order, OrderStatus

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORDER_URL = re.compile(r"/demo/orders/(\d+)/$")


def status_badge(page: Page):
    return page.locator("h1 .status-badge")


def act(page: Page, action: str, expected_status: str) -> None:
    """Press a lifecycle button on the order page and wait for the new status."""
    page.locator(f"button[data-action={action}]").click()
    expect(status_badge(page)).to_have_text(expected_status)


def order_number_of(page: Page) -> int:
    match = ORDER_URL.search(page.url)
    assert match, f"not an order page: {page.url}"
    return int(match.group(1))


def fill_intake(page: Page, *, phone: str, name: str, consent: bool = True) -> None:
    page.locator("#id_client_phone").fill(phone)
    if name:
        page.locator("#id_client_name").fill(name)
    if consent:
        page.locator("#id_consent").check()
    page.locator("#id_service_type").select_option(label="Phone screen replacement")
    page.locator("#id_item_kind").fill("Phone")
    page.locator("#id_item_brand").fill("Xiaomi")
    page.locator("#id_item_model").fill("Redmi Note 10")
    page.locator("#id_item_serial").fill("861234567890123")
    page.locator("#id_problem").fill("The screen cracked after a fall")


# --- 1. Log in, dashboards, tenant switcher, language ---------------------------------------------


@pytest.mark.parametrize(
    "role, first_name",
    [
        ("owner", "Olga"),
        ("manager", "Mikhail"),
        ("reception", "Rita"),
    ],
)
def test_office_roles_log_in_and_reach_their_dashboard(demo, page_for, role, first_name):
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS[role])

    expect(page).to_have_url(re.compile(r"/demo/$"))
    expect(page.locator("h1")).to_contain_text(f"Hello, {first_name}")
    expect(page.get_by_test_id("user-menu")).to_contain_text(role.capitalize())
    expect(page.get_by_test_id("dashboard-counts")).to_contain_text("Open orders")
    # A member of one center sees no center switcher.
    expect(page.get_by_test_id("tenant-switcher")).to_have_count(0)
    assert_no_csp_errors(page)


def test_technician_of_two_centers_switches_between_them_and_to_russian(demo, page_for):
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["technician"])

    # Two centers and no last one yet: the chooser.
    expect(page.locator("h1")).to_have_text("Your service centers")
    page.get_by_role("link", name=re.compile("Demo Service Center")).click()
    expect(page).to_have_url(re.compile(r"/demo/$"))
    expect(page.locator("h1")).to_contain_text("Hello, Timur")
    expect(page.locator(".navbar-brand")).to_contain_text("Demo Service Center")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Technician")
    expect(page.get_by_test_id("dashboard-counts")).to_contain_text("My open jobs")

    page.get_by_test_id("tenant-switcher").click()
    page.get_by_role("link", name=re.compile("North Repairs")).click()
    expect(page).to_have_url(re.compile(r"/demo-north/$"))
    expect(page.locator(".navbar-brand")).to_contain_text("North Repairs")
    expect(page.locator("h1")).to_contain_text("Hello, Timur")
    expect(page.get_by_test_id("dashboard-counts")).to_contain_text("My open jobs")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("language-switcher").click()
    page.locator("button[name=language][value=ru]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(re.compile(r"/demo-north/$"))  # the switcher comes back to the same page
    assert_no_csp_errors(page)


# --- 2. Intake -> planning -> execution -> handover, and the client's phone -------------------------


def test_order_travels_from_intake_to_handover_and_the_client_follows_it(demo, page_for):
    # Reception takes in a new client's phone.
    desk = page_for(DESKTOP)
    login(desk, DEMO_EMAILS["reception"])
    desk.locator("nav").get_by_role("link", name="New order").click()
    expect(desk.locator("h1")).to_have_text("New order")
    fill_intake(desk, phone="8 (903) 555-01-23", name="Pavel Sidorov")
    desk.locator("#id_client_language").select_option(value="en")  # his pages open in English (#18)
    desk.locator("#id_estimate").fill("4500")  # the price the client agrees to: the bill may not exceed it
    expect(desk.locator("#client-matches")).to_contain_text("No returning client found")
    desk.get_by_test_id("save-order").click()

    expect(desk).to_have_url(ORDER_URL)
    number = order_number_of(desk)
    expect(desk.locator(".alert-success")).to_contain_text(f"Order #{number} is taken in.")
    expect(status_badge(desk)).to_have_text("New")
    public_link = desk.get_by_test_id("public-link")
    public_path = path_of(public_link.get_attribute("href"))
    assert re.fullmatch(r"/s/[A-Za-z0-9_-]{43}/", public_path), public_path
    order = Order.objects.get(tenant=demo.tenant, number=number)
    assert (order.client.name, order.client.phone, order.item.brand) == (
        "Pavel Sidorov",
        "+79035550123",
        "Xiaomi",
    )
    assert order.client.consent_at is not None

    # The manager assigns the technician and the workshop, then plans it.
    office = page_for(DESKTOP)
    login(office, DEMO_EMAILS["manager"], next=f"/demo/orders/{number}/")
    assign = office.locator(f"form[action='/demo/orders/{number}/assign/']")
    assign.locator("select[name=technician]").select_option(label="Timur Technician (Technician)")
    assign.locator("select[name=workshop]").select_option(label="North workshop")
    office.get_by_test_id("assign").click()
    expect(office.locator(".alert-success")).to_contain_text("Assignment saved.")
    expect(office.get_by_test_id("technician")).to_have_text("Timur Technician")
    act(office, "plan", "Planned")

    # The technician, on a phone, diagnoses, repairs, records the work and checks it.
    phone = page_for(PHONE)
    login(phone, DEMO_EMAILS["technician"], next=f"/demo/orders/{number}/")
    act(phone, "start_diagnostics", "Diagnostics")
    act(phone, "start_work", "In progress")
    lines = phone.locator(f"form[action='/demo/orders/{number}/lines/']")
    lines.locator("select[name=kind]").select_option(value=LineItem.Kind.WORK)
    lines.locator("input[name=description]").fill("Screen replacement")
    lines.locator("input[name=quantity]").fill("1")
    lines.locator("input[name=unit_price]").fill("4500")
    lines.get_by_role("button", name="Add").click()
    expect(phone.locator("#lines tbody")).to_contain_text("Screen replacement")
    expect(phone.get_by_test_id("due")).to_contain_text("4")  # 4,500.00 in the locale's format
    act(phone, "finish_work", "Quality check")
    act(phone, "pass_check", "Ready for pickup")

    # Reception takes the money and hands it over.
    desk.goto(f"/demo/orders/{number}/")
    expect(status_badge(desk)).to_have_text("Ready for pickup")
    payment = desk.locator(f"form[action='/demo/orders/{number}/payments/']")
    expect(payment.locator("input[name=amount]")).to_have_value(re.compile(r"^4500(\.00)?$"))
    payment.get_by_role("button", name="Record payment").click()
    expect(desk.locator(".alert-success")).to_contain_text("Payment recorded.")
    expect(desk.get_by_test_id("due")).to_contain_text("0.00")
    act(desk, "hand_over", "Handed over")

    order.refresh_from_db()
    assert order.status == OrderStatus.HANDED_OVER
    assert order.amount_due == 0
    assert order.warranty_until is not None

    # The client opens the link from the receipt on a phone: no account, no staff cookies.
    client = page_for(PHONE)
    client.goto(public_path)
    expect(client.locator("h1")).to_have_text(f"Order No. {number}")
    expect(client.locator(".status-badge").first).to_have_text("Handed over")
    expect(client.get_by_test_id("public-words")).to_have_text("Handed over. Thank you!")
    expect(client.locator("main")).to_contain_text("For Pavel S.")
    expect(client.locator("main")).to_contain_text("Xiaomi")
    text = client.locator("body").inner_text()
    html = client.content()
    assert "Sidorov" not in html
    assert "5550123" not in re.sub(r"\D", "", text)
    assert "555-01-23" not in html and "55501" not in html
    # Reads on a phone: nothing wider than the screen.
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # And in Russian, with the page's own switcher.
    client.get_by_test_id("public-language").get_by_role("link", name="RU").click()
    expect(client.locator("html")).to_have_attribute("lang", "ru")
    expect(client).to_have_url(re.compile(re.escape(public_path) + "$"))

    for page in (desk, office, phone, client):
        assert_no_csp_errors(page)


# --- 3. A returning client -------------------------------------------------------------------------


def test_intake_finds_a_returning_client_by_phone(demo_orders, page_for):
    returning = Client.objects.for_tenant(demo_orders.tenant).get(phone="+79161234501")  # Ivan Petrov
    clients_before = Client.objects.for_tenant(demo_orders.tenant).count()
    orders_before = Order.objects.for_tenant(demo_orders.tenant).filter(client=returning).count()

    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["reception"], next="/demo/orders/new/")
    page.locator("#id_client_phone").press_sequentially("916 123-45-01", delay=20)
    matches = page.get_by_test_id("client-matches")
    expect(matches).to_be_visible()
    expect(matches).to_contain_text("Ivan Petrov")
    matches.get_by_role("button", name=re.compile("Ivan Petrov")).click()

    picked = page.get_by_test_id("client-picked")
    expect(picked).to_contain_text("Ivan Petrov")
    expect(picked).to_contain_text("Consent on file since")
    expect(page.locator("#new-client-fields")).to_be_hidden()
    expect(page.locator("#id_client_name")).to_be_hidden()

    page.locator("#id_service_type").select_option(label="Laptop diagnostics and repair")
    page.locator("#id_item_kind").fill("Laptop")
    page.locator("#id_item_brand").fill("Asus")
    page.locator("#id_problem").fill("Does not boot")
    page.get_by_test_id("save-order").click()

    expect(page).to_have_url(ORDER_URL)
    number = order_number_of(page)
    expect(page.locator("main")).to_contain_text("Ivan Petrov")
    order = Order.objects.get(tenant=demo_orders.tenant, number=number)
    assert order.client_id == returning.pk
    assert Client.objects.for_tenant(demo_orders.tenant).count() == clients_before
    assert Order.objects.for_tenant(demo_orders.tenant).filter(client=returning).count() == orders_before + 1
    assert_no_csp_errors(page)


# --- 4. The client approves the estimate on a phone ---------------------------------------------------


def test_client_approves_the_estimate_once_on_a_phone(make_order, page_for):
    order = make_order("awaiting_approval", client_language="en")  # the client reads English (#18)
    public_path = f"/s/{order.public_token}/"

    client = page_for(PHONE)
    client.goto(public_path)
    expect(client.get_by_test_id("public-words")).to_have_text(
        "Please approve or decline the estimate below."
    )
    decision = client.get_by_test_id("estimate-decision")
    expect(decision).to_contain_text("4")

    # The same link open in a second tab, left there (a double tap, an old tab, a second phone).
    stale = client.context.new_page()
    stale.goto(public_path)

    decision.get_by_role("button", name="Approve").click()
    expect(client.locator(".alert-success")).to_contain_text("Thank you! We will start the work.")
    expect(client.locator(".status-badge").first).to_have_text("In progress")
    expect(client.get_by_test_id("public-words")).to_have_text("The work is in progress.")
    expect(client.get_by_test_id("estimate-decision")).to_have_count(0)

    stale.get_by_test_id("estimate-decision").get_by_role("button", name="Approve").click()
    expect(stale.locator(".alert-warning")).to_contain_text("This estimate has already been answered.")
    expect(stale.locator(".status-badge").first).to_have_text("In progress")

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.estimate_state == "approved"
    assert order.events.filter(action="approve", by_client=True).count() == 1
    for page in (client, stale):
        assert_no_csp_errors(page)


# --- 5. Bad input ---------------------------------------------------------------------------------------


def test_intake_without_consent_explains_and_saves_nothing(demo, page_for):
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["reception"], next="/demo/orders/new/")
    fill_intake(page, phone="+7 903 555-77-88", name="Vera Belova", consent=False)
    page.get_by_test_id("save-order").click()

    expect(page).to_have_url(re.compile(r"/demo/orders/new/$"))
    expect(page.locator("#intake-form .alert-danger")).to_contain_text("Nothing was saved yet.")
    expect(page.locator("main")).to_contain_text(
        "The client must agree to the processing of personal data before intake."
    )
    # What was typed is still there, ready to be corrected.
    expect(page.locator("#id_client_name")).to_have_value("Vera Belova")
    expect(page.locator("#id_problem")).to_have_value("The screen cracked after a fall")
    assert not Order.objects.for_tenant(demo.tenant).exists()
    assert not Client.objects.for_tenant(demo.tenant).filter(phone="+79035557788").exists()

    # Ticking it now saves the order.
    page.locator("#id_consent").check()
    page.get_by_test_id("save-order").click()
    expect(page).to_have_url(ORDER_URL)
    assert Client.objects.for_tenant(demo.tenant).get(phone="+79035557788").consent_at is not None
    assert_no_csp_errors(page)
