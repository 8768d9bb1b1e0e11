"""Browser tests: Playwright (sync API) drives Debian's chromium against pytest-django's live_server.

Run them with `.venv/bin/python -m pytest tests/browser -q` (marker `browser`; `-m "not browser"` leaves them out).

Fixtures
--------
    browser              one chromium for the whole session, launched by its executable path
                         (/usr/bin/chromium). Missing chromium (or Playwright): the tests SKIP locally and
                         FAIL in CI (CI is "true"/"1"), like the postgres/redis markers.
    page_for(viewport)   a new page in a new browser context (its own cookies: one person), whose base_url
                         is the live server, so `page.goto("/accounts/login/")` works. viewport is DESKTOP
                         (1280x900, the default) or PHONE (375x800, a touch phone), or any {"width", "height"}.
                         Every page records its console errors; at the end of the test none may mention the
                         Content Security Policy (see `assert_no_csp_errors`), and axe-core checks every
                         document it loads and every htmx swap for WCAG 2.1 A/AA (tests/browser/a11y.py): a
                         violation fails the test, naming the rule and the elements.
    demo                 the demo staff, made by the real seeding code: seed_demo_staff() (tenant "demo", its
                         head office and workshop, owner/manager/reception/technician, a second tenant
                         "demo-north" where the technician also works) and the demo catalogue. Fast (no orders).
                         Log in with DEMO_EMAILS[role] and DEMO_PASSWORD ("demo-pass-2026").
    demo_orders          demo + seed_demo_orders(staff): clients and 26 orders in every status (about 4 s).
    make_order(status)   one demo-tenant order taken in by reception and walked through the real lifecycle to
                         `status` (the paths of orders.demo.PATHS): the quick way to get an order in a state.

Helpers (import them: `from .conftest import login, PHONE`)
-------
    login(page, email, password=DEMO_PASSWORD, next=None)
                                                 logs in through the real login form, waits to leave it
                                                 (for `next`, when given)
    console_errors(page)                         the console errors (and uncaught page errors) seen so far
    assert_no_csp_errors(page)                   fails if any of them is a Content Security Policy violation
    assert_fits_the_screen(page)                 fails if the page scrolls sideways (document.scrollingElement's
                                                 scrollWidth > clientWidth) or a table is cut off in its
                                                 scrolling box; on a phone (width < 576) every page a test
                                                 opens is checked by itself after it loads, and the test fails
                                                 at its end if one was too wide
    path_of(url)                                 "/s/<token>/" of an absolute link (links are built with
                                                 settings.SITE_URL, not the live server's address)

Tests use `pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]` and the live_server
fixture (through page_for). On a failure, a screenshot of every page the test opened is saved under
$BROWSER_FAILURE_DIR (default: <tmp>/servicedesk-browser-failures/) and the paths are printed in the report.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from ..clock import center_time_zone
from .a11y import recorded_violations, watch_accessibility

# Playwright's sync API runs an asyncio event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told it is fine (it is: the loop only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps trying to reach Google's services (the network here is closed).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
# How long one step may take: a click or an expectation, a page load. Generous enough for a busy 2-core CI
# machine, short enough that a broken test fails in seconds (BROWSER_TIMEOUT_MS overrides the first).
TIMEOUT_MS = int(os.environ.get("BROWSER_TIMEOUT_MS") or 10_000)
NAVIGATION_TIMEOUT_MS = max(TIMEOUT_MS, 15_000)

# axe-core checks every page the tests open (WCAG 2.1 A/AA; docs/accessibility.md); BROWSER_AXE=0 turns it off
# while chasing something else.
AXE_ON = os.environ.get("BROWSER_AXE", "1").strip() not in {"0", "false", "no"}

DEMO_PASSWORD = "demo-pass-2026"
DEMO_EMAILS = {
    "owner": "owner@demo.servicedesk.test",
    "manager": "manager@demo.servicedesk.test",
    "reception": "reception@demo.servicedesk.test",
    "technician": "tech@demo.servicedesk.test",
}

_PAGES = pytest.StashKey[list]()
_CONSOLE_ERRORS_ATTR = "_servicedesk_console_errors"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def _skip_or_fail(reason: str):
    if _in_ci():
        pytest.fail(f"CI is set, so this is an error, not a skip: {reason}", pytrace=False)
    pytest.skip(reason)


# --- The browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _skip_or_fail(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("browser tests need Playwright (pip install -e '.[dev]')")
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


def _watch_console(page) -> None:
    errors: list[str] = []
    setattr(page, _CONSOLE_ERRORS_ATTR, errors)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))


def console_errors(page) -> list[str]:
    """Console errors and uncaught exceptions seen on this page so far (all the documents it showed)."""
    return list(getattr(page, _CONSOLE_ERRORS_ATTR, []))


def assert_no_csp_errors(page) -> None:
    blocked = [text for text in console_errors(page) if "content security policy" in text.lower()]
    assert not blocked, "The Content Security Policy blocked something on the page:\n" + "\n".join(blocked)


# Measures what overflows: the page itself (it scrolls sideways), or a table cut off in a .table-responsive
# box (a column the reader must find by scrolling the box). Returns sentences, empty when all fits.
_OVERFLOW_JS = r"""() => {
  const found = [];
  const root = document.scrollingElement;
  if (!root || !document.body) { return found; }
  if (root.scrollWidth > root.clientWidth) {
    // Name what reaches past the screen's edge, so the message says where to look: the outermost elements whose
    // box does, and the innermost whose text spills out of a box that fits (a squeezed button's label). Boxes
    // clipped by an ancestor that fits (a visually hidden table head) are left out: they are not what scrolls.
    const edge = root.clientWidth + 0.5;
    const boxPast = (el) => el.getBoundingClientRect().right > edge;
    const contentPast = (el) => getComputedStyle(el).overflowX === "visible" && el.getBoundingClientRect().left + el.scrollWidth > edge;
    const clipped = (el) => {
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== "visible" && !boxPast(up)) { return true; }
      }
      return false;
    };
    const past = [...document.body.querySelectorAll("*")].filter((el) => {
      if (!(el.getBoundingClientRect().width > 0) || clipped(el)) { return false; }
      if (boxPast(el)) { return !(el.parentElement && boxPast(el.parentElement)); }
      return contentPast(el) && ![...el.children].some((child) => boxPast(child) || contentPast(child));
    }).slice(0, 3).map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}`);
    found.push(`the page is ${root.scrollWidth} px wide on a ${root.clientWidth} px screen (past the edge: ${past.join(", ") || "?"})`);
  }
  document.querySelectorAll(".table-responsive").forEach((box) => {
    if (box.offsetParent !== null && box.scrollWidth > box.clientWidth + 1) {
      const head = box.querySelector("th");
      found.push(`a table is cut off (${box.scrollWidth} px in ${box.clientWidth} px; first header: ${head ? head.textContent.trim() : "none"})`);
    }
  });
  return found;
}"""
# On phones, every document checks itself a moment after it loads and reports to the console, which the
# page_for fixture reads at the end of the test (an init script: it runs whatever the page's CSP says).
_OVERFLOW_MARK = "SERVICEDESK-TOO-WIDE"
_OVERFLOW_INIT = (
    "window.addEventListener('load', () => setTimeout(() => { const found = ("
    + _OVERFLOW_JS
    + f")(); if (found.length) {{ console.error('{_OVERFLOW_MARK} ' + location.pathname + ': ' + found.join('; ')); }} }}, 50));"
)


def assert_fits_the_screen(page) -> None:
    """No sideways scroll of the page and no table cut off: at 375 px every column is visible."""
    found = page.evaluate(_OVERFLOW_JS)
    assert not found, f"{page.url} does not fit the screen: " + "; ".join(found)


def too_wide_pages(page) -> list[str]:
    return [text for text in console_errors(page) if text.startswith(_OVERFLOW_MARK)]


_warmed_up: set[str] = set()


def _warm_up(base_url: str) -> None:
    """The live server's first request imports and compiles a lot (seconds on a busy machine): pay for it
    once, outside any test's step timeouts."""
    if base_url in _warmed_up:
        return
    _warmed_up.add(base_url)
    try:
        urlopen(f"{base_url}/accounts/login/", timeout=60).read()
    except OSError:
        pass  # the test's own first page load will say what is wrong


@pytest.fixture
def page_for(request, browser, live_server):
    """page_for(DESKTOP) / page_for(PHONE) -> a Playwright Page of a new person (new context, own cookies)."""
    _warm_up(live_server.url)
    contexts = []
    pages = request.node.stash.setdefault(_PAGES, [])

    def make(viewport: dict | None = None, *, watch_axe: bool = True, **context_options):
        viewport = dict(viewport or DESKTOP)
        phone = viewport["width"] < 576
        options = {
            "viewport": viewport,
            "base_url": live_server.url,
            "locale": "en-US",  # Accept-Language: the pages start in English
            "timezone_id": center_time_zone(),  # the centers' zone (pytest --clock-tz; tests/clock.py)
            "is_mobile": phone,
            "has_touch": phone,
        }
        options.update(context_options)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        if phone:
            context.add_init_script(script=_OVERFLOW_INIT)
        contexts.append(context)
        if AXE_ON and watch_axe:
            watch_accessibility(context)  # axe-core on every document and htmx swap (tests/browser/a11y.py)

        def track(page) -> None:
            if hasattr(page, _CONSOLE_ERRORS_ATTR):
                return  # already watched (the "page" event and the call below may both see it)
            _watch_console(page)
            pages.append(page)

        context.on("page", track)  # also pages opened by target=_blank links and new tabs
        page = context.new_page()
        track(page)
        return page

    yield make

    try:
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is None or report.passed:
            for page in pages:
                assert_no_csp_errors(page)
            if AXE_ON:
                found = [text for page in pages for text in recorded_violations(page)]
                assert not found, "\n".join(dict.fromkeys(found))
            too_wide = [text for page in pages for text in too_wide_pages(page)]
            assert not too_wide, "Pages wider than the phone's screen:\n" + "\n".join(too_wide)
    finally:
        for context in contexts:
            context.close()


# --- Data ---------------------------------------------------------------------------------------------


@pytest.fixture
def demo(transactional_db):
    """The demo tenants and staff (seed_demo_staff) and the demo catalogue: fast, no orders."""
    from orders.demo import seed_catalogue
    from servicedesk.tenancy.demo import seed_demo_staff
    from servicedesk.tenancy.models import Membership

    staff = seed_demo_staff()
    service_types = {service_type.name: service_type for service_type in seed_catalogue(staff.tenant)}
    return SimpleNamespace(
        staff=staff,
        tenant=staff.tenant,
        users=staff.users,
        members={m.role: m for m in Membership.objects.for_tenant(staff.tenant).select_related("user")},
        head_office=staff.head_office,
        workshop=staff.workshop,
        service_types=service_types,
        emails=DEMO_EMAILS,
        password=DEMO_PASSWORD,
    )


@pytest.fixture
def demo_orders(demo):
    """The whole demo: seed_demo_orders(staff) adds clients and 26 orders in every status (about 4 s)."""
    from orders.demo import seed_demo_orders

    seed_demo_orders(demo.staff)
    return demo


@pytest.fixture
def make_order(demo):
    """make_order("awaiting_approval", client_name=..., client_phone=..., client_language="en") -> an Order of the demo tenant,
    taken in by reception and walked through the real lifecycle (orders.demo.PATHS) to that status."""
    from decimal import Decimal

    from orders.models import Client
    from servicedesk.tenancy.roles import Role
    from tests.factories import IntakeOrderFactory

    members = demo.members
    reception, manager, technician = members[Role.RECEPTION], members[Role.MANAGER], members[Role.TECHNICIAN]

    def make(
        status: str = "new",
        *,
        client_name: str = "Nina Orlova",
        client_phone: str = "+79035550101",
        service: str = "Phone screen replacement",
        estimate: str = "4500",
        client_language: str = "",  # empty: the center's (Russian); the client's pages open in it (#18)
    ):
        service_type = demo.service_types[service]
        client = Client.objects.for_tenant(demo.tenant).filter(phone=client_phone).first()
        return IntakeOrderFactory(
            tenant=demo.tenant,
            by=reception,
            client=client,
            client_name=client_name,
            client_phone=client_phone,
            service_type=service_type,
            intake_location=demo.head_office,
            problem="The screen is cracked",
            item_model="iPhone 12",
            estimate=Decimal(estimate),
            client_language=client_language,
            status=status,  # walked there by the lifecycle (orders.demo.walk_to)
            manager=manager,
            technician=technician,
            workshop=demo.workshop,
        )

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits (public page) and lock-outs count in the cache: every browser test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- Helpers ------------------------------------------------------------------------------------------


def login(page, email: str, password: str = DEMO_PASSWORD, next: str | None = None) -> None:
    """Log in through the real login form; returns once the browser has left the login page.

    next="/demo/orders/7/" goes straight there afterwards (as following a link while logged out does).
    """
    from urllib.parse import quote

    from playwright.sync_api import expect

    page.goto("/accounts/login/" + (f"?next={quote(next)}" if next else ""))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    if next:
        expect(page).to_have_url(re.compile(re.escape(next) + "$"))
    else:
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def path_of(url: str) -> str:
    """The path (and query) of an absolute URL, to open it on the live server."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- Screenshots of failed tests ----------------------------------------------------------------------

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def _failure_dir() -> Path:
    folder = Path(
        os.environ.get("BROWSER_FAILURE_DIR") or Path(tempfile.gettempdir()) / "servicedesk-browser-failures"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    if report.failed and report.when in {"setup", "call"}:
        saved = []
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
        for index, page in enumerate(item.stash.get(_PAGES, [])):
            if page.is_closed():
                continue
            path = _failure_dir() / f"{name}-{index}.png"
            try:
                page.screenshot(path=str(path), full_page=True, timeout=TIMEOUT_MS)
            except Exception as error:  # a crashed page must not hide the real failure
                saved.append(f"{page.url}: no screenshot ({error})")
            else:
                saved.append(f"{page.url} -> {path}")
        if saved:
            report.sections.append(("browser screenshots", "\n".join(saved)))
    return report
