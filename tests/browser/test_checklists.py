"""Browser journey on a phone (375 px): a technician ticks the order's checklist and cannot pass the quality
check without the required photo; with the photo taken, the order is ready for pickup."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderStatus

from .conftest import DEMO_EMAILS, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, "JPEG")
    return buffer.getvalue()


def test_technician_cannot_pass_the_check_without_the_required_photo(demo, make_order, page_for):
    from quality import checklists
    from quality.models import ChecklistAnswer, ItemKind
    from servicedesk.tenancy.roles import Role

    service = demo.service_types["Phone screen replacement"]
    checklists.save_checklist(
        service,
        [
            checklists.ItemData("quality", ItemKind.TICK, "Touch works over the whole screen"),
            checklists.ItemData("quality", ItemKind.PHOTO, "Photo of the screen switched on"),
            checklists.ItemData("quality", ItemKind.TEXT, "Remarks", required=False),
        ],
        by=demo.members[Role.MANAGER],
        expected_version=0,
    )
    order = make_order("in_progress", estimate="4500")  # taken in after the checklist: it follows it

    phone = page_for(PHONE)
    login(phone, DEMO_EMAILS["technician"], next="/demo/my-jobs/")
    card = phone.get_by_test_id(f"job-{order.number}")
    expect(card.get_by_test_id(f"job-checklist-{order.number}")).to_contain_text("0/3")

    card.get_by_test_id("action-finish_work").click()
    expect(phone.locator("[role=alert].alert-success")).to_contain_text(
        f"Order #{order.number}: Quality check."
    )
    card = phone.get_by_test_id(f"job-{order.number}")
    expect(card).to_contain_text(
        "Still required (Before the quality check): Touch works over the whole screen, "
        "Photo of the screen switched on"
    )

    # The checklist: tick the first item; it saves by itself (htmx) and says so.
    card.get_by_role("link", name="Checklist").click()
    expect(phone.locator("h1")).to_contain_text(f"Checklist of #{order.number}")
    phone.get_by_label("Touch works over the whole screen").check()
    tick = phone.locator(".checklist-item", has_text="Touch works over the whole screen")
    expect(tick).to_contain_text("Saved.")
    expect(tick.locator("input[name=done]")).to_be_checked()

    # Back to my jobs: "Checked, ready for pickup" is refused, naming the missing photo.
    phone.get_by_role("link", name="My jobs").first.click()
    phone.get_by_test_id(f"job-{order.number}").get_by_test_id("action-pass_check").click()
    expect(phone.locator("[role=alert].alert-danger")).to_contain_text(
        "Fill in the checklist first (Before the quality check): “Photo of the screen switched on”."
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.QUALITY_CHECK

    # Take the photo (the phone's camera opens from the file input); it is stored and shown.
    phone.get_by_test_id(f"job-{order.number}").get_by_role("link", name="Checklist").click()
    photo_item = phone.locator(".checklist-item", has_text="Photo of the screen switched on")
    photo_item.locator("input[type=file]").set_input_files(
        {"name": "screen.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    expect(photo_item).to_contain_text("Saved.")
    expect(photo_item.locator("img.checklist-photo")).to_be_visible()
    assert ChecklistAnswer.objects.filter(order=order, photo__isnull=False).count() == 1

    phone.get_by_role("link", name="My jobs").first.click()
    phone.get_by_test_id(f"job-{order.number}").get_by_test_id("action-pass_check").click()
    expect(phone.locator("[role=alert].alert-success")).to_contain_text(
        f"Order #{order.number}: Ready for pickup."
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY
    assert_no_csp_errors(phone)
