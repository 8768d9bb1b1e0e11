"""WCAG 2.1 A/AA with axe-core on every page the journeys visit, at 1280 and 375 px, in English and Russian,
with their open states (every <details> open, the navbar's menus open, htmx fragments loaded); and the
keyboard: the intake form, the order page's actions, the status page's approve/decline and the feedback form
are reachable with Tab, show their focus and work with Enter or Space. docs/accessibility.md.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from .a11y import axe_violations, format_violations
from .conftest import DEMO_EMAILS, DESKTOP, PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1280": DESKTOP, "375": PHONE}
LANGUAGES = ["en", "ru"]


def person(page_for, live_server, width: str, language: str) -> Page:
    """A new person at this width whose pages speak this language (the language cookie the switcher sets)."""
    page = page_for(WIDTHS[width], watch_axe=False, locale="ru-RU" if language == "ru" else "en-US")
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    return page


class Sweep:
    """Checks page after page and fails once at the end, with every page's violations (one fix often mends many)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, page: Page, where: str) -> None:
        violations = axe_violations(page)
        if violations:
            viewport = page.viewport_size or {}
            self.found.append(format_violations(violations, f"{where} ({page.url}, {viewport.get('width')} px)"))

    def page(self, page: Page, path: str) -> None:
        """The page as loaded, then with every <details> open."""
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        self.check(page, path)
        if page.locator("details:not([open])").count():
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            self.check(page, f"{path} with every <details> open")

    def menus(self, page: Page) -> None:
        """Each navbar menu open (on a phone, the collapsed navbar first)."""
        toggler = page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
        toggles = page.locator("nav [data-bs-toggle=dropdown]")
        for index in range(toggles.count()):
            toggle = toggles.nth(index)
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            self.check(page, f"the menu {toggle.inner_text().strip()!r} open")
            page.keyboard.press("Escape")

    def assert_clean(self) -> None:
        assert not self.found, "\n".join(self.found)


def nav_paths(page: Page) -> list[str]:
    """The tenant pages a person reaches from the navbar (menus included)."""
    hrefs = page.locator("nav a[href^='/demo/']").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    return list(dict.fromkeys(hrefs))


@pytest.fixture
def handed_over(make_order):
    return make_order("handed_over")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", ["1280", "375"])
def test_every_staff_page_passes_axe(demo_orders, make_order, page_for, live_server, width, language):
    order = make_order("awaiting_approval")
    sweep = Sweep()
    for role in ("owner", "reception", "technician"):
        page = person(page_for, live_server, width, language)
        login(page, DEMO_EMAILS[role])
        if role == "technician" and "/choose" in page.url or page.url.rstrip("/").endswith("/accounts/tenants"):
            page.goto("/demo/")
        sweep.check(page, f"{role}'s first page")
        sweep.menus(page)
        paths = nav_paths(page) + [f"/demo/orders/{order.number}/"]
        if role == "owner":
            paths += [f"/demo/orders/{order.number}/edit/", "/demo/orders/new/", "/accounts/profile/"]
        for path in dict.fromkeys(paths):
            sweep.page(page, path)
        if role == "reception":
            # The intake's htmx fragments: a returning client's matches, then the picked card.
            page.goto("/demo/orders/new/")
            page.locator("#id_client_phone").fill("+7903")
            expect(page.get_by_test_id("client-matches")).not_to_be_empty()
            sweep.check(page, "intake with the client matches loaded")
            # A failed submit: the errors shown.
            page.goto("/demo/orders/new/")
            page.locator("form [type=submit]").last.click()
            sweep.check(page, "intake after a failed submit")
        page.context.close()
    sweep.assert_clean()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", ["1280", "375"])
def test_public_pages_pass_axe(demo, make_order, page_for, live_server, width, language):
    waiting = make_order("awaiting_approval", client_phone="+79035550102")
    done = make_order("handed_over")
    sweep = Sweep()
    page = person(page_for, live_server, width, language)
    for path in ("/accounts/login/", "/accounts/signup/"):
        sweep.page(page, path)
    sweep.menus(page)
    sweep.page(page, f"/s/{waiting.public_token}/")
    sweep.page(page, f"/s/{done.public_token}/")
    sweep.page(page, f"/s/{done.public_token}/feedback/")
    page.locator("form [type=submit]").last.click()  # no rating: the error shown
    sweep.check(page, "the feedback form after a failed submit")
    sweep.assert_clean()
