"""Browser journey: a device comes back. Reception types part of its serial at intake, the device and its
warranty appear, and the claim is opened from there: a new order linked to the original, free of charge.
Then the same device is taken in again for something else, reused instead of recorded twice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orders.models import Item, Order
from quality.models import WarrantyClaim

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_reception_opens_a_warranty_claim_from_a_returning_devices_serial(make_order, page_for, viewport):
    original = make_order("handed_over", client_name="Nina Orlova")
    Item.objects.filter(pk=original.item_id).update(serial="35-678910-451234-5")

    page = page_for(viewport)
    login(page, DEMO_EMAILS["reception"], next="/demo/orders/new/")
    page.get_by_label("Serial / IMEI / VIN").press_sequentially("3567 8910", delay=30)
    match = page.get_by_test_id("item-match")
    expect(match).to_contain_text("Nina Orlova")
    expect(match).to_contain_text("under warranty until")
    match.click()
    picked = page.get_by_test_id("item-picked")
    expect(picked).to_contain_text("Returning device")
    expect(page.get_by_test_id("item-warranty")).to_contain_text(f"order #{original.number}")
    expect(page.get_by_test_id("client-picked")).to_contain_text(
        "Nina Orlova"
    )  # the owner comes with the device
    expect(page.get_by_label("Brand")).to_be_hidden()  # the recorded details stand in for the new-item fields
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_test_id("claim-from-intake").click()
    expect(page.get_by_test_id("claim-inside")).to_be_visible()
    page.get_by_label("The problem the client reports").fill("The screen does not respond to touch again.")
    page.get_by_test_id("open-claim").click()
    expect(page.get_by_test_id("return-of")).to_contain_text(f"#{original.number}")

    claim = WarrantyClaim.objects.get()
    assert (claim.status, claim.source, claim.original_id) == ("accepted", "device", original.pk)
    new = claim.order
    assert (new.warranty_of_id, new.item_id, new.client_id) == (
        original.pk,
        original.item_id,
        original.client_id,
    )
    assert page.url.endswith(f"/demo/orders/{new.number}/")

    # The same device again, for something else: picked, reused, not recorded twice.
    page.goto("/demo/orders/new/")
    page.get_by_label("Serial / IMEI / VIN").press_sequentially("451234", delay=30)
    page.get_by_test_id("item-match").click()
    expect(page.get_by_test_id("item-picked")).to_be_visible()
    page.get_by_label("Service").select_option(label="Phone screen replacement")
    page.get_by_label("Problem in the client's words").fill("Battery drains by noon.")
    page.get_by_test_id("save-order").click()
    expect(page.locator("h1")).to_contain_text("#")
    latest = Order.objects.order_by("-id").first()
    assert (latest.item_id, latest.client_id, latest.warranty_of_id) == (
        original.item_id,
        original.client_id,
        None,
    )
    assert Item.objects.filter(tenant=original.tenant).count() == 1
    page.get_by_test_id("item-history").click()
    expect(page.get_by_test_id("item-orders")).to_contain_text(f"return of #{original.number}")
    assert_no_csp_errors(page)
