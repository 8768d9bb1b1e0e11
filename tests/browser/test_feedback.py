"""Browser journey: after handover the client rates the work on a phone, in the keyboard-friendly star
form; the manager finds the rating (a low one, to follow up) on the feedback page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from quality.models import Feedback

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_rates_the_work_on_a_phone_and_the_manager_sees_it(make_order, page_for):
    order = make_order("handed_over", client_language="en")  # the client reads English (#18)

    client = page_for(PHONE)
    client.goto(f"/s/{order.public_token}/")
    invite = client.get_by_test_id("feedback-invite")
    expect(invite).to_be_visible()
    invite.get_by_role("link", name="Rate our work").click()
    expect(client.locator("h1")).to_have_text("How did we do?")

    # Sending without choosing explains; nothing is saved.
    client.get_by_role("button", name="Send").click()
    expect(client.locator(".invalid-feedback")).to_contain_text("Choose a rating from 1 to 5.")
    assert not Feedback.objects.exists()

    client.locator("label[title='2 of 5']").click()  # the second star from the left
    client.get_by_label("Anything to add?").fill("Ready two days late and nobody called.")
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    client.get_by_role("button", name="Send").click()
    expect(client.locator(".alert-success")).to_contain_text("Thank you for your feedback!")
    expect(client.get_by_test_id("feedback-received")).to_contain_text("★★☆☆☆")
    expect(client.get_by_test_id("feedback-received")).to_contain_text("A manager will look into it")
    assert Feedback.objects.get().rating == 2

    client.get_by_role("link", name="Back to the order's status").click()
    expect(client.get_by_test_id("feedback-thanks")).to_be_visible()
    expect(client.get_by_test_id("feedback-invite")).to_have_count(0)

    manager = page_for(DESKTOP)
    login(manager, DEMO_EMAILS["manager"], next="/demo/quality/feedback/?low=on")
    rows = manager.get_by_test_id("feedback-rows")
    expect(rows).to_contain_text(f"#{order.number}")
    expect(rows).to_contain_text("Ready two days late and nobody called.")
    expect(manager.get_by_test_id("feedback-summary")).to_contain_text("1 rating")
    manager.get_by_role("link", name=f"#{order.number}").click()
    expect(manager.locator("main")).to_contain_text(
        "Ready two days late"
    )  # the timeline event (in the center's language)
    for page in (client, manager):
        assert_no_csp_errors(page)
