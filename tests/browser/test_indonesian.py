"""Bahasa Indonesia on a 375 px phone: switch the language before logging in, log in, and see the
dashboard and an order in Indonesian; the client's public page speaks it too (its own ID switch).

The words checked are the catalogue's (locale/id): a missing or stale .mo shows English and fails here.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_EMAILS, PHONE, assert_no_csp_errors, login, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_works_in_indonesian_on_a_phone(demo, make_order, page_for):
    order = make_order("awaiting_approval")
    page = page_for(PHONE)

    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".navbar-toggler").click()  # the navbar is collapsed at 375 px
    page.get_by_test_id("language-switcher").click()
    page.locator("button[name=language][value=id]").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("main")).to_contain_text("Masuk ke ServiceDesk")
    expect(page.get_by_role("link", name="Lupa kata sandi?")).to_be_visible()

    login(page, DEMO_EMAILS["manager"])
    # A manager of a center with history lands on the managers' dashboard (quality's landing), else the front page.
    expect(page).to_have_url(re.compile(r"/demo/(quality/dashboard/)?$"))
    expect(page.locator("html")).to_have_attribute("lang", "id")  # the choice outlives the log-in
    page.goto("/demo/")
    expect(page.locator("h1")).to_contain_text("Halo, Mikhail")
    expect(page.get_by_test_id("dashboard-counts")).to_contain_text("Order terbuka")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Manajer")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"/demo/orders/{order.number}/")
    expect(page.locator("h1")).to_contain_text(f"#{order.number}")
    expect(page.locator("h1 .status-badge")).to_have_text("Menunggu persetujuan pelanggan")
    main = page.locator("main")
    for words in ("Riwayat", "Jasa dan suku cadang", "Pembayaran", "Halaman status pelanggan"):
        expect(main).to_contain_text(words)
    for english in ("Timeline", "Works and parts", "Awaiting client approval"):
        expect(main).not_to_contain_text(english)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The client's page, on another phone: its own switch (a link) turns it Indonesian.
    public_path = path_of(page.get_by_test_id("public-link").get_attribute("href"))
    client = page_for(PHONE)
    client.goto(public_path)
    client.get_by_test_id("public-language").get_by_role("link", name="ID").click()
    expect(client.locator("html")).to_have_attribute("lang", "id")
    expect(client).to_have_url(re.compile(re.escape(public_path) + "$"))
    expect(client.locator("main")).to_contain_text("Mohon setujui atau tolak estimasi biaya di bawah ini.")
    expect(client.get_by_role("button", name="Setujui")).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    for p in (page, client):
        assert_no_csp_errors(p)
