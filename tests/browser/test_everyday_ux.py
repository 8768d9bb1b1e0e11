"""Issue 14 in a real browser (items 1, 4, 8, 11), photographed at 1280 and 375 px in English and Russian into
$UX_SHOTS_DIR (default /tmp/shots/ux-data/):

1. A manager reads the timeline of an order whose payment and documents were recorded in Russian: in English
   every line is English, in Russian every line is Russian; dates in the language's one format; the Work menu
   shows its label at 1280 px.
2. The client's status page after handover offers the completion act and the warranty card as PDFs behind the
   same token, with the page's private headers.
3. The technician on a phone sees the client's phone masked on an in-shop job.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from orders.presentation import public_status_url

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("UX_SHOTS_DIR") or "/tmp/shots/ux-data")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((DESKTOP["width"], DESKTOP["height"]), (PHONE["width"], PHONE["height"])):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        # Nothing wider than the screen, on the phone and at 1280 px (the navbar with every label, in Russian too).
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{page.url} is {wide} px wide on a {width} px screen"
    page.set_viewport_size(DESKTOP)


def switch_language(page: Page, code: str) -> None:
    page.get_by_test_id("language-switcher").click()
    page.locator(f"button[name=language][value={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


@pytest.fixture
def handed_over(demo, make_order):
    """A handed-over order whose payment, act and warranty card were recorded with the interface in Russian."""
    from documents import services as documents
    from documents.demo import seed_demo_documents
    from servicedesk.tenancy.roles import Role

    seed_demo_documents(demo.staff)
    reception = demo.members[Role.RECEPTION]
    with translation.override("ru"):  # the whole history (payment included) written with a Russian interface
        order = make_order("handed_over", client_language="en")  # a client who reads English (#18)
        documents.issue(order, "completion_act", "en", by=reception)
        documents.issue(order, "warranty_card", "en", by=reception)
    return order


def test_the_timeline_reads_in_the_readers_language(page_for, demo, handed_over):
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["manager"], next=f"/demo/orders/{handed_over.number}/")
    work = page.get_by_test_id("nav-work")
    expect(work).to_be_visible()
    expect(work).to_contain_text("Work")  # a label, not a bare icon, at 1280 px
    timeline = page.locator("body")
    expect(timeline).to_contain_text("(Card)")
    expect(timeline).to_contain_text("Issued: Completion act")
    assert "Оплата:" not in page.content() and "(Карта)" not in page.content()
    assert not re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", page.locator("main, .container-xl").first.inner_text())
    shoot(page, "order-en")
    switch_language(page, "ru")
    expect(timeline).to_contain_text("(Карта)")
    assert "(Card)" not in page.content()
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b", page.content())
    shoot(page, "order-ru")


def test_the_client_downloads_the_act_and_the_warranty_card(page_for, demo, handed_over):
    page = page_for(PHONE)
    page.goto(urlsplit(public_status_url(handed_over)).path)
    downloads = page.get_by_test_id("public-documents")
    expect(downloads).to_contain_text("Completion act")
    expect(downloads).to_contain_text("Warranty card")
    shoot(page, "status-en")
    for link in downloads.locator("a").all():
        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.body().startswith(b"%PDF-")
    page.goto(urlsplit(public_status_url(handed_over)).path + "?language=ru")
    expect(page.get_by_test_id("public-documents").locator("a")).to_have_count(2)
    shoot(page, "status-ru")


def test_a_technician_sees_the_phone_masked_on_an_in_shop_job(page_for, demo, make_order):
    order = make_order("in_progress", client_phone="+79035550177")
    page = page_for(PHONE)
    login(page, DEMO_EMAILS["technician"], next=f"/demo/orders/{order.number}/")
    if "/demo/" not in page.url:  # the demo technician works for two centers
        page.goto(f"/demo/orders/{order.number}/")
    expect(page.get_by_test_id("client-phone")).to_contain_text("***")
    assert "+79035550177" not in page.content()
    shoot(page, "order-technician-en")
