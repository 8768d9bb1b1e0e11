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
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    return page


class Sweep:
    """Checks page after page and fails once at the end, with every page's violations (one fix often mends many)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, page: Page, where: str) -> None:
        violations = axe_violations(page)
        if violations:
            viewport = page.viewport_size or {}
            self.found.append(
                format_violations(violations, f"{where} ({page.url}, {viewport.get('width')} px)")
            )

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
    hrefs = page.locator("nav a[href^='/demo/']").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
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
        if (
            role == "technician"
            and "/choose" in page.url
            or page.url.rstrip("/").endswith("/accounts/tenants")
        ):
            page.goto("/demo/")
        sweep.check(page, f"{role}'s first page")
        sweep.menus(page)
        # Reception's navbar pages are among the owner's (its own: the order page as reception, and intake below).
        paths = ([] if role == "reception" else nav_paths(page)) + [f"/demo/orders/{order.number}/"]
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


# --- The keyboard ----------------------------------------------------------------------------------------

_FOCUSED = """() => {
  const e = document.activeElement;
  const ring = e.matches('input[type=radio]') && e.labels && e.labels[0] ? e.labels[0] : e;  // the star's label shows it
  const style = getComputedStyle(ring);
  return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '', action: e.dataset.action || '', testid: e.dataset.testid || '',
          text: (e.innerText || e.value || '').trim().slice(0, 60), summary: e.hasAttribute('data-error-summary'),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0, color: style.outlineColor};
}"""


def focused(page: Page) -> dict:
    return page.evaluate(_FOCUSED)


def assert_focus_visible(page: Page) -> dict:
    for _ in range(10):  # a date field moves the focus between its parts: give the style a moment to settle
        now = focused(page)
        if now["outline"] not in {"none", ""} and now["width"] >= 2:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"no visible focus ring on {now}")


def tab_to(page: Page, matches, limit: int = 60, key: str = "Tab") -> list[dict]:
    """Press Tab until the focused element matches; every stop on the way must show its focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = assert_focus_visible(page)
        stops.append(now)
        if matches(now):
            return stops
    raise AssertionError(
        f"not reached with {limit} x {key}; the stops were: {[(s['tag'], s['id'] or s['text']) for s in stops]}"
    )


def test_intake_form_by_keyboard(demo, page_for):
    from orders.models import Order

    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["reception"])
    page.goto("/demo/orders/new/")
    # The first Tab stop is the skip link; Enter puts the keyboard at the start of the form.
    page.keyboard.press("Tab")
    skip = assert_focus_visible(page)
    assert skip["tag"] == "a" and skip["text"] == "Skip to main content", skip
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    # A failed submit: the focus lands on the error summary, whose links lead to the fields.
    stops = tab_to(page, lambda s: s["testid"] == "save-order", limit=80)
    order = [s["id"] for s in stops if s["id"].startswith("id_")]
    expected = [
        "id_service_type",
        "id_client_phone",
        "id_client_name",
        "id_client_email",
        "id_consent",
        "id_problem",
    ]
    # Reading order: the service first (#14: it decides what the form asks), then the client, then the job.
    assert [i for i in order if i in expected] == expected, order
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    assert focused(page)["summary"], focused(page)
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a", first
    page.keyboard.press("Enter")
    assert focused(page)["tag"] in {"input", "select", "textarea"}, focused(page)

    # Filled in with the keyboard only, saved with Enter on the button (Space ticks the consent box).
    page.goto("/demo/orders/new/")
    # The service first (a native list, not ours to test): it decides which item fields show.
    page.locator("#id_service_type").select_option(label="Phone screen replacement")
    page.locator(".skip-link").focus()  # back to the top of the page
    page.keyboard.press("Enter")
    values = {
        "id_client_phone": "+79035550177",
        "id_client_name": "Kira Keyboard",
        "id_consent": " ",
        "id_item_kind": "Phone",
        "id_item_brand": "Nokia",
        "id_problem": "It does not charge",
    }
    for _ in range(60):  # in the order the form puts them, each typed as Tab reaches it
        now = tab_to(page, lambda s: s["id"] in values or s["testid"] == "save-order")[-1]
        if now["testid"] == "save-order":
            break
        text = values.pop(now["id"])
        if text == " ":
            page.keyboard.press("Space")
        else:
            page.keyboard.type(text)
    assert not values, f"not reached by Tab: {values}"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/demo/orders/\d+/$"))
    assert Order.objects.get(client__name="Kira Keyboard").item.brand == "Nokia"


def test_order_page_actions_by_keyboard(make_order, page_for):
    order = make_order("planned")
    page = page_for(PHONE)
    login(page, DEMO_EMAILS["technician"], next=f"/demo/orders/{order.number}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    tab_to(page, lambda s: s["action"] == "start_diagnostics")
    page.keyboard.press("Enter")
    expect(page.locator("h1 .status-badge")).to_have_text("Diagnostics")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, lambda s: s["action"] == "start_work")
    page.keyboard.press("Space")
    expect(page.locator("h1 .status-badge")).to_have_text("In progress")
    # The estimate's and the photo's fields are named for a screen reader.
    for name in ("Estimate amount", "Photos to upload", "Caption", "Add a note"):
        expect(page.get_by_label(name, exact=True)).to_have_count(1)


def test_status_page_approve_and_decline_by_keyboard(make_order, page_for):
    approving = make_order("awaiting_approval", client_language="en")  # the clients read English (#18)
    declining = make_order("awaiting_approval", client_phone="+79035550102", client_language="en")
    page = page_for(PHONE)
    page.goto(f"/s/{approving.public_token}/")
    expect(page.locator(".stage-track [aria-current=step]")).to_have_count(1)
    expect(page.locator(".stage-track [aria-current=step] .visually-hidden")).to_have_text("(current)")
    tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Approve")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("In progress")

    page.goto(f"/s/{declining.public_token}/")
    page.once("dialog", lambda dialog: dialog.accept())  # "Decline the repair ...?"
    tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Decline")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("estimate-decision")).to_have_count(0)
    declining.refresh_from_db()
    assert declining.status != "awaiting_approval"


def test_feedback_form_by_keyboard(make_order, page_for):
    from quality.models import Feedback

    order = make_order("handed_over", client_language="en")  # the client reads English (#18)
    page = page_for(PHONE)
    page.goto(f"/s/{order.public_token}/feedback/")
    # Sending without a rating: the focus goes to the first star, whose group names the error.
    tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Send")
    page.keyboard.press("Enter")
    expect(page.locator("#rating-error")).to_have_text("Choose a rating from 1 to 5.")
    now = focused(page)
    assert (now["name"], now["id"]) == ("rating", "id_rating_0"), now
    expect(page.locator("fieldset[aria-describedby=rating-error]")).to_have_count(1)
    expect(page.locator("input[name=rating][aria-invalid=true]")).to_have_count(5)
    # The arrows go the way the stars do: 1, then Right three times is 4.
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.locator("input[name=rating]:checked").get_attribute("value") == "4"
    assert_focus_visible(page)
    tab_to(page, lambda s: s["tag"] == "textarea")
    page.keyboard.type("Quick and polite.")
    tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Send")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("feedback-received")).to_contain_text("4 of 5")
    assert Feedback.objects.get().rating == 4
