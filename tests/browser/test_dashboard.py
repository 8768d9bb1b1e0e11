"""Browser journey: a manager opens the dashboard from the menu, drills down from a figure to the orders behind
it (the order list shows as many as the figure said), narrows the dashboard to one service, downloads a table
as CSV, and reads it on a phone without the page scrolling sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(demo_orders):
    """The demo's orders, with the dashboard's rollups recomputed as seed_demo does after dating them back."""
    from quality.demo import seed_demo_rollups

    seed_demo_rollups(demo_orders.staff)
    return demo_orders


def figure_value(page, key: str) -> int:
    return int(page.get_by_test_id(f"figure-{key}").locator(".figure-value").inner_text())


def test_a_manager_drills_down_from_the_dashboard_to_the_orders(history, page_for):
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["manager"])
    page.get_by_test_id("nav-performance").click()
    expect(page).to_have_url(re.compile(r"/demo/quality/dashboard/$"))
    expect(page.locator("h1")).to_have_text("Performance")

    # Now: the orders waiting for parts, then the list of them.
    waiting = figure_value(page, "wait_parts")
    assert waiting >= 1
    page.get_by_test_id("figure-wait_parts").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/demo/orders/\?.*status=awaiting_parts"))
    expect(page.get_by_test_id("order-count")).to_have_text(
        f"{waiting} order" + ("s" if waiting != 1 else "")
    )
    page.go_back()

    # Flow: the orders taken in during the period, in the list.
    taken_in = figure_value(page, "taken_in")
    page.get_by_test_id("figure-taken_in").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"created_after="))
    expect(page.get_by_test_id("order-count")).to_have_text(f"{taken_in} orders")
    page.go_back()

    # One service only: the figures and their links narrow to it.
    page.get_by_test_id("dashboard-filters").get_by_label("Service").select_option(
        label="Phone screen replacement"
    )
    page.get_by_test_id("dashboard-apply").click()
    expect(page.get_by_test_id("dashboard-period")).to_contain_text("Phone screen replacement")
    narrowed = figure_value(page, "taken_in")
    assert narrowed <= taken_in
    page.get_by_test_id("figure-taken_in").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"service_type=\d+"))
    expect(page.get_by_test_id("order-count")).to_have_text(re.compile(rf"^{narrowed} orders?$"))
    page.go_back()

    # A table as CSV, with the same filters.
    with page.expect_download() as download:
        page.get_by_test_id("csv-technicians").click()
    assert download.value.suggested_filename.startswith("demo-technicians-")
    assert "Technician,Handed over" in open(download.value.path(), encoding="utf-8").read()
    assert_no_csp_errors(page)


def test_the_dashboard_reads_on_a_phone(history, page_for):
    page = page_for(PHONE)
    login(page, DEMO_EMAILS["owner"], next="/demo/quality/dashboard/")
    expect(page.get_by_test_id("now")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_no_csp_errors(page)
