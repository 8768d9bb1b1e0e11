"""Issue 14's measured targets, in a real browser:

- Reception takes in a returning client with a known device, from opening "New order" to the saved order,
  in at most 10 clicks plus typing (the serial and the problem): the service first, the device found by
  its serial brings its client, whose consent is on file, so no consent box.
- A technician on a 375 px phone goes from opening My jobs to the next status change of the current job
  in at most 2 taps, without scrolling past other jobs; the job stays in view after the change.

Both photograph the pages at 1280 and 375 px, in English and Russian, into ISSUE14_SHOTS_DIR
(default /tmp/shots/issue14).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from orders.models import Item, Order, OrderStatus

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("ISSUE14_SHOTS_DIR") or "/tmp/shots/issue14")
SERIAL = "356789104512345"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name


class Clicks:
    """Counts what a person does with the mouse or a finger: a click or a tap is 1, a select is 2."""

    def __init__(self) -> None:
        self.count = 0

    def click(self, locator) -> None:
        self.count += 1
        locator.click()

    def choose(self, locator, label: str) -> None:
        self.count += 2
        locator.select_option(label=label)


def test_reception_takes_in_a_returning_client_with_a_known_device_in_ten_clicks(make_order, page_for):
    earlier = make_order("handed_over")
    Item.objects.filter(pk=earlier.item_id).update(serial=SERIAL)
    orders_before = Order.objects.for_tenant(earlier.tenant_id).count()

    desk = page_for(DESKTOP)
    login(desk, DEMO_EMAILS["reception"], next="/demo/")
    clicks = Clicks()
    clicks.click(desk.locator("nav").get_by_role("link", name="New order"))
    expect(desk.locator("h1")).to_have_text("New order")
    # The service comes first on the page.
    service_box = desk.locator("#id_service_type").bounding_box()
    assert service_box["y"] < desk.locator("#id_client_phone").bounding_box()["y"]
    clicks.choose(desk.locator("#id_service_type"), "Phone screen replacement")
    clicks.click(desk.locator("#id_item_serial"))
    desk.locator("#id_item_serial").press_sequentially(SERIAL[-6:], delay=20)
    match = desk.get_by_test_id("item-matches").get_by_test_id("item-match")
    expect(match).to_contain_text("iPhone 12")
    clicks.click(match)
    expect(desk.get_by_test_id("item-picked")).to_contain_text("Returning device")
    expect(desk.get_by_test_id("client-picked")).to_contain_text("Nina Orlova")
    expect(desk.locator("#id_consent")).to_be_hidden()  # consent to the text in force is on file
    clicks.click(desk.locator("#id_problem"))
    desk.locator("#id_problem").press_sequentially("The screen flickers again", delay=5)
    shoot(desk, "intake-returning-1280-en")
    clicks.click(desk.get_by_test_id("save-order"))

    expect(desk).to_have_url(re.compile(r"/demo/orders/\d+/$"))
    assert clicks.count <= 10, clicks.count
    saved = Order.objects.for_tenant(earlier.tenant_id).order_by("-number").first()
    assert Order.objects.for_tenant(earlier.tenant_id).count() == orders_before + 1
    assert (saved.item_id, saved.client_id, saved.problem) == (
        earlier.item_id,
        earlier.client_id,
        "The screen flickers again",
    )
    assert_no_csp_errors(desk)

    # The empty form at both widths and in both languages, for people to look at.
    for width, viewport in (("1280", DESKTOP), ("375", PHONE)):
        for language in ("en", "ru"):
            page = page_for(viewport)
            login(page, DEMO_EMAILS["reception"], next="/demo/")
            page.goto("/demo/orders/new/")
            if language == "ru":
                page.context.add_cookies([{"name": "django_language", "value": "ru", "url": page.url}])
                page.reload()
            if width == "375":
                # On a phone the service is on the first screen, above the client.
                assert page.locator("#id_service_type").bounding_box()["y"] < PHONE["height"]
            shoot(page, f"intake-new-{width}-{language}")
            assert_no_csp_errors(page)


def test_technician_changes_the_current_job_in_two_taps_on_a_phone(make_order, page_for):
    current = make_order("in_progress", client_name="Oleg Current", client_phone="+79035550201")
    others = [
        make_order("planned", client_name="Pavel Planned", client_phone="+79035550202"),
        make_order("awaiting_parts", client_name="Vera Waiting", client_phone="+79035550203"),
        make_order("diagnostics", client_name="Ilya Diagnosing", client_phone="+79035550204"),
        make_order("new", client_name="Anna Later", client_phone="+79035550205"),
    ]
    phone = page_for(PHONE)
    login(phone, DEMO_EMAILS["technician"], next="/demo/")
    phone.goto("/demo/my-jobs/")  # opening My jobs (from the dashboard's link or a bookmark)
    expect(phone.locator("h1")).to_contain_text("My jobs")
    expect(phone.get_by_test_id("count-now")).to_have_text("2")
    shoot(phone, "my-jobs-375-en")

    # The current job: the first card; its next status is its first big button, on the first screen.
    first_card = phone.locator(".job-card").first
    number = int((first_card.get_attribute("id") or "").removeprefix("job-"))
    assert number in {current.number, others[2].number}
    button = first_card.locator("button[data-testid^=action-]").first
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the next status is on the first screen"
    assert phone.evaluate("window.scrollY") == 0
    taps = 1
    button.tap()
    expect(phone.locator("[role=alert].alert-success")).to_contain_text(f"Order #{number}:")
    assert taps <= 2
    # Back on My jobs at that job: its card is in view (marked), nothing wider than the phone.
    expect(phone).to_have_url(re.compile(rf"/demo/my-jobs/\?job={number}#job-{number}$"))
    card = phone.get_by_test_id(f"job-{number}")
    if card.count():
        expect(card).to_be_in_viewport()
        expect(card).to_have_class(re.compile(r"\btouched\b"))
    order = Order.objects.get(pk=current.pk if number == current.number else others[2].pk)
    assert order.status != (OrderStatus.IN_PROGRESS if number == current.number else OrderStatus.DIAGNOSTICS)
    shoot(phone, "my-jobs-after-375-en")
    assert_no_csp_errors(phone)

    # Search: one job by its client's name.
    phone.locator("input[name=q]").fill("Vera")
    phone.locator("input[name=q]").press("Enter")
    expect(phone).to_have_url(re.compile(r"/demo/my-jobs/\?q=Vera$"))
    expect(phone.locator(".job-card")).to_have_count(1)
    expect(phone.get_by_test_id(f"job-{others[1].number}")).to_be_visible()

    # The same page at 1280 px and in Russian.
    for width, viewport in (("1280", DESKTOP), ("375", PHONE)):
        for language in ("en", "ru"):
            page = page_for(viewport)
            login(page, DEMO_EMAILS["technician"], next="/demo/")
            if language == "ru":
                page.context.add_cookies([{"name": "django_language", "value": "ru", "url": page.url}])
            page.goto("/demo/my-jobs/")
            shoot(page, f"my-jobs-{width}-{language}")
            assert_no_csp_errors(page)
