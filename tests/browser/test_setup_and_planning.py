"""Issue 14 in a browser: a new center from the sign-up page to its first order with a ready-made catalogue
(within 5 minutes of scripted steps), the setup checklist, planning a week on the board, and tables that
stack as cards on a phone. Every page is photographed at 1280 and 375 px in English and Russian into
UX_SHOTS_DIR (default /tmp/shots/ux-plan) and checked to fit the screen (assert_fits_the_screen)."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import Order, OrderStatus, ServiceType
from servicedesk.tenancy.models import Tenant
from technicians.models import WorkSlot

from .conftest import (
    DEMO_EMAILS,
    DESKTOP,
    PHONE,
    assert_fits_the_screen,
    assert_no_csp_errors,
    login,
    path_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("UX_SHOTS_DIR", "/tmp/shots/ux-plan"))
PASSWORD = "violet-Harbor-2931-lamp"


def in_language(page: Page, language: str) -> None:
    """Switch the interface as the navbar's language switcher does (its form, which also remembers the
    choice for a logged-in person), and wait for the page in that language."""
    if page.locator("html").get_attribute("lang") == language:
        return
    with page.expect_navigation():
        page.locator(f"button[name=language][value={language}]").evaluate(
            "button => button.form.requestSubmit(button)"
        )
    expect(page.locator("html")).to_have_attribute("lang", language)


def photograph(page: Page, name: str, path: str) -> None:
    """The page at 1280 and 375 px, in English and Russian; each must fit its screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "ru"):
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            page.goto(path)
            in_language(page, language)
            assert_fits_the_screen(page)
            page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}-{language}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    in_language(page, "en")


# --- The owner's first five minutes -----------------------------------------------------------------
def test_owner_signs_up_with_a_catalogue_and_takes_in_the_first_order_within_5_minutes(
    page_for, transactional_db
):
    started = time.monotonic()
    page = page_for(DESKTOP)
    page.goto("/accounts/signup/")
    page.locator("#id_full_name").fill("Sasha Founder")
    page.locator("#id_email").fill("sasha@gamma.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_tenant_name").fill("Gamma Fix")
    page.locator("#id_slug").fill("gamma")
    page.locator("#id_location_address").fill("1 Main Street")
    page.locator("#id_language").select_option("en")
    page.locator("#id_starter_catalogue").select_option(label="Phone and tablet repair")
    page.get_by_role("button", name="Create the service center").click()
    page.wait_for_url("**/accounts/signup/sent/")
    link = re.search(r"https?://\S+/accounts/confirm/\S+", mail.outbox[-1].body).group(0)
    page.goto(path_of(link))
    login(page, "sasha@gamma.test", PASSWORD, next="/gamma/")
    # The first dashboard: the checklist, services already ticked by the catalogue chosen at sign-up.
    setup = page.get_by_test_id("setup")
    expect(setup).to_be_visible()
    expect(page.get_by_test_id("setup-services")).to_have_attribute("data-done", "1")
    expect(page.get_by_test_id("setup-staff")).to_have_attribute("data-done", "0")
    expect(page.get_by_test_id("setup-locations")).to_have_attribute("data-done", "1")
    # Each step links to its settings page.
    expect(page.get_by_test_id("setup-details").get_by_role("link")).to_have_attribute(
        "href", "/gamma/settings/"
    )
    # The first order, choosing a ready-made service.
    page.get_by_role("link", name="New order").first.click()
    page.locator("#id_client_phone").fill("+79035550199")
    page.locator("#id_client_name").fill("Nina Orlova")
    consent = page.locator("#id_consent")
    if consent.count() and consent.is_visible():
        consent.check()
    page.locator("#id_service_type").select_option(label="Phone screen replacement")
    page.locator("#id_item_kind").fill("Phone")
    page.locator("#id_item_brand").fill("Xiaomi")
    page.locator("#id_item_model").fill("Redmi Note 10")
    page.locator("#id_problem").fill("The screen cracked after a fall")
    page.locator("form button[type=submit]").filter(
        has_text=re.compile("Save|Take in|Create", re.I)
    ).first.click()
    page.wait_for_url(re.compile(r"/gamma/orders/1/$"))
    elapsed = time.monotonic() - started
    tenant = Tenant.objects.get(slug="gamma")
    order = Order.objects.get(tenant=tenant, number=1)
    assert order.service_type.name == "Phone screen replacement" and order.status == OrderStatus.NEW
    assert ServiceType.objects.filter(tenant=tenant).count() == 6  # none typed by hand
    assert elapsed < 300, f"the owner needed {elapsed:.0f} s"
    photograph(page, "new-center-dashboard", "/gamma/")
    assert_no_csp_errors(page)


def test_the_checklist_offers_a_catalogue_on_a_phone(page_for, transactional_db):
    from servicedesk.tenancy.services import create_tenant_with_owner
    from tests.factories import UserFactory

    owner = UserFactory(email="olga@delta.test", full_name="Olga Owner", password=PASSWORD)  # confirmed
    create_tenant_with_owner(
        tenant_name="Delta", slug="delta", owner=owner, location_name="Office", language="en"
    )
    page = page_for(PHONE)
    login(page, "olga@delta.test", PASSWORD, next="/delta/")
    expect(page.get_by_test_id("setup-services")).to_have_attribute("data-done", "0")
    assert_fits_the_screen(page)
    page.get_by_test_id("starter-catalogue").locator("select").select_option(
        label="Consultations and training"
    )
    page.get_by_test_id("starter-catalogue").get_by_role("button").click()
    expect(page.locator(".alert-success")).to_contain_text("4 services added")
    expect(page.get_by_test_id("setup-services")).to_have_attribute("data-done", "1")
    assert_fits_the_screen(page)


# --- Planning a week -------------------------------------------------------------------------------
def test_manager_plans_an_in_shop_job_for_a_day_and_time(demo, make_order, page_for):
    order = make_order("new")
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    desk = page_for(DESKTOP)
    login(desk, DEMO_EMAILS["manager"], next="/demo/planning/")
    # The whole week is visible at 1280 px: the seventh day's column ends inside the screen.
    headers = desk.get_by_test_id("board").locator("thead th")
    expect(headers).to_have_count(8)
    box = headers.nth(7).bounding_box()
    assert box["x"] + box["width"] <= 1280
    desk.get_by_test_id(f"plan-{order.number}").click()
    suggestions = desk.get_by_test_id("suggestions")
    expect(suggestions).to_be_visible()
    desk.locator("input[name=day]").fill(f"{day:%Y-%m-%d}")
    suggestions.get_by_role("button", name="Show").click()
    first = suggestions.get_by_test_id("suggestion").first
    first.get_by_role("link", name="Choose").click()
    expect(desk.locator("input[name=work_start]")).to_have_value(re.compile(f"^{day:%Y-%m-%d}T"))
    desk.locator("input[name=work_start]").fill(f"{day:%Y-%m-%d}T11:00")
    desk.get_by_test_id("save-plan").click()
    if desk.get_by_test_id("warnings").count():
        desk.locator("input[name=accept_warnings]").check()
        desk.get_by_test_id("save-plan").click()
    expect(desk.locator("[role=alert].alert-success")).to_contain_text(f"Order #{order.number} assigned.")
    slot = WorkSlot.objects.get(order=order)
    assert (
        timezone.localtime(slot.start, demo.tenant.tz).strftime("%Y-%m-%d %H:%M") == f"{day:%Y-%m-%d} 11:00"
    )
    chip = desk.get_by_test_id("board").locator(".job-chip", has_text=f"#{order.number}")
    expect(chip).to_contain_text("11:00")
    photograph(desk, "planning-board", f"/demo/planning/?start={timezone.localdate():%Y-%m-%d}")
    photograph(desk, "plan-order", f"/demo/planning/{order.number}/?day={day:%Y-%m-%d}")
    assert_no_csp_errors(desk)


# --- Tables on a phone -----------------------------------------------------------------------------
def test_the_order_and_technicians_tables_stack_as_cards_on_a_phone(demo, make_order, page_for):
    order = make_order("ready")
    page = page_for(PHONE)
    login(page, DEMO_EMAILS["manager"], next=f"/demo/orders/{order.number}/")
    total = page.get_by_test_id("total")
    expect(total).to_be_visible()
    box = total.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # the amount is not cut off
    amount_cell = page.locator("table.table-cards tbody td[data-label='Amount']").first
    expect(amount_cell).to_be_visible()
    assert_fits_the_screen(page)
    page.goto("/demo/technicians/")
    expect(page.locator("table.table-cards")).to_have_count(1)
    assert_fits_the_screen(page)
    page.set_viewport_size(DESKTOP)
    photograph(page, "order-page", f"/demo/orders/{order.number}/")
    photograph(page, "technicians", "/demo/technicians/")
    assert_no_csp_errors(page)
