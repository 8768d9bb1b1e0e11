"""Bad input never makes a 500: every URL of the project, fed junk, answers below 500.

The project rule: "bad input gets a clear message; no input makes a 500". This test has no table of
pages or fields. It reuses the URL walk of tests/test_cross_tenant.py (TENANT_URLS, PUBLIC_URLS,
KWARG_FILLERS, URL_QUERIES: a new URL is covered as soon as the cross-tenant test can fill its kwargs)
and learns what each URL takes from the pages themselves:

- Discovery (once per module): every page that answers GET is fetched with A's own objects, as A's owner
  and as A's technician (public pages anonymously and logged in, then the client's /s/<token>/ page A's
  order links to), and every <form> is parsed: action, method, each field's type, value and options.
  A POST form is filed under the URL its action resolves to, a GET form's fields (filters, search
  boxes, hx-get inputs) under the page it submits to, a select's name under a page without object
  kwargs that shows it (B's ids for it are read from B's same page).
- Per tenant URL (one test each, ids = URL names), with A's own objects in the path so the views run,
  as A's owner (every perm; thorough) and as A's technician (the most limited staff role; the rounds
  only). A role the URL refuses (403, or 403 + 405) is done after its first GET and POST: the refusal
  comes before any input is read.
    GET   rounds with every parameter junk at once: the common names (page=-1/abc/99999999,
          sort=nonexistent, ordering=;drop, q=<script>, status=bogus, date=2026-13-45, from=abc, to=,
          cursor, next=the page itself / another host) and every name the page's forms use, set to an
          out-of-range number, a NUL byte, 10,000 characters; one round with repeated values, one as an
          htmx request (HX-Request, and every hx-target that swaps this URL in). Then (owner) each of the
          page's parameters alone, with NUL, 99999999999999999999 and the extremes of its type
          (0001-01-01, 9999-12-31, -1, 1e30): one bad filter must not hide behind another one that
          already made the filterset invalid.
    POST  an empty body (also as htmx); then (owner) each field in turn with junk it may well accept
          (MAY_PASS: -1, 1e30, 99999999999999999999 in numbers, year 1 and 9999 in dates, 10,000
          characters in text, a non-existent id and B's id in selects, NUL / absent / stale `version`
          in hidden fields, a junk file) while the others keep the values the page filled in; then
          rounds with every field junk at once (MUST_FAIL: abc, NaN, Infinity, 2026-02-30, 25:61, NUL
          ...); last the form as the page fills it in (the happy path). A POST-only URL whose form no
          page shows (e.g. a timer that is not running) gets every field name known anywhere, junk.
  Every answer must be below 500 (400/403/404/405/429, 200 re-rendering the form, 302 are fine).
  Afterwards B's rows are unchanged and no row of A points at a row of B (no foreign id was accepted).
- Public URLs (log-in, sign-up, invitations, password reset, language, the client's /s/<token>/ pages):
  the same GET and POST junk anonymously (thorough) and logged in; junk tokens (NUL byte, 10,000
  characters, <script>, 43 characters of the right alphabet) and A's real token with junk decisions.

Each request runs in a savepoint, so on PostgreSQL one failing request does not poison the rest, and a
500 is reported with the exception and the line of our code that raised it. Run it on PostgreSQL too:
NUL bytes and over-long strings only fail there (DATABASE_URL=postgres://...).
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import ForeignKey
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.roles import Role
from tests.helpers import text_of, world_for_the_module
from tests.test_cross_tenant import (
    PUBLIC_KWARG_SAMPLES,
    PUBLIC_URLS,
    TENANT_URLS,
    UrlEntry,
    fill_object_kwargs,
    snapshot,
    tenant_url,
)

ROLES = (Role.OWNER, Role.TECHNICIAN)
LONG = "x" * 10_000
NUL = "a\x00b"

# --- Junk -----------------------------------------------------------------------------------------

# Query parameters any list, search or redirecting page might read. Round i gives each its i-th value
# (cycling) and every other parameter the page's forms use QUERY_ROUNDS[i]. "next" also gets the page itself.
COMMON_QUERY = {
    "page": ["-1", "abc", "99999999"],
    "sort": ["nonexistent", "-id;drop"],
    "ordering": [";drop table orders_order", "-nonexistent__x"],
    "q": ["<script>alert(1)</script>", "%_\\", NUL],
    "status": ["bogus"],
    "date": ["2026-13-45", "2026-02-30", "9999-12-31"],
    "from": ["abc", "9999-12-31", "0001-01-01"],
    "to": ["", "0001-01-01"],
    "cursor": ["!!garbage!!", "W10"],
    "next": ["//evil.example/", "abc"],
}
QUERY_ROUNDS = ["99999999999999999999", NUL, LONG]
# One discovered parameter alone, the others absent (a bad filter must not hide behind another one that
# already made the filterset invalid): these, plus what may pass for its type (MAY_PASS below).
QUERY_ALONE = [NUL, "99999999999999999999"]

# Junk a field may well accept, so that it reaches the code behind the form: sent in ONE field at a
# time while the others keep the values the page filled in. Keyed by field type (<input> type, "select",
# "textarea" ...; anything unlisted is text). NUL in a text field is refused by every Django CharField
# (ProhibitNullCharactersValidator), so it goes with MUST_FAIL, where all fields get it at once.
MAY_PASS: dict[str, list] = {
    "number": ["-1", "1e30", "99999999999999999999"],
    "date": ["0001-01-01", "9999-12-31"],
    "datetime-local": ["0001-01-01T00:00", "9999-12-31T23:59"],
    "time": ["00:00:00.000001"],
    "select": ["999999999"],  # + one of B's ids for a select of the same name
    "checkbox": [],
    "radio": [],
    "hidden": [NUL, "99999999999999999999"],  # + absent, + stale (value - 1)
    "text": [LONG],
}
# Junk every field must refuse: sent in ALL fields at once, round i giving each field the i-th junk of
# its type (cycling), so one request covers many fields.
MUST_FAIL: dict[str, list[str]] = {
    "number": ["abc", "NaN", "Infinity", NUL, "-1", "99999999999999999999"],
    "date": ["2026-02-30", "2026-13-45", "abc", NUL, "99999-01-01"],
    "datetime-local": ["2026-02-30T10:00", "2026-01-01T25:61", "abc", NUL, "99999-01-01T00:00"],
    "time": ["25:61", "abc", "-1", NUL],
    "select": ["abc", "-1", "99999999999999999999", NUL, "1e30"],
    "checkbox": ["garbage", NUL],
    "radio": ["garbage", NUL],
    "hidden": ["garbage", "-1", NUL, LONG],
    "text": ["<script>alert(1)</script>", LONG, NUL, "   ", "99999999999999999999", "-1"],
}
ABSENT = object()
NOT_DATA = {"csrfmiddlewaretoken"}  # the test client does not check CSRF: fuzzing it proves nothing


def may_pass(item) -> list:
    """MAY_PASS for the field, less what the page declares a bound against (maxlength, min, max: Django
    renders them from max_length, min_value, max_value), which the form refuses: that is MUST_FAIL's."""
    values = list(MAY_PASS[junk_kind(item.kind)])
    if "maxlength" in item.limits:
        values = [value for value in values if value != LONG]
    if "min" in item.limits:
        values = [value for value in values if value != "-1"]
    if "max" in item.limits:
        values = [value for value in values if value not in {"1e30", "99999999999999999999"}]
    return values


def junk_kind(kind: str) -> str:
    return kind if kind in MUST_FAIL or kind == "file" else "text"


def junk_file(name: str = "junk.jpg"):
    return SimpleUploadedFile(name, b"\x00not really a file" + b"x" * 2048, content_type="image/jpeg")


# --- One world for the module ---------------------------------------------------------------------
# Building the conftest `world` takes a fifth of a second; a hundred tests would spend 20 s on it. It is
# built once here, inside a transaction that is rolled back after the module, and every test runs in a
# savepoint of it (what Django's TestCase.setUpTestData does), so no test sees another's junk.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_for_the_module(django_db_blocker, tmp_path_factory.mktemp("bad-input-media")) as built:
        with django_db_blocker.unblock():
            _B_SNAPSHOT[:] = [b_rows(built)]
        yield built
    _DISCOVERY.clear()
    _B_SNAPSHOT.clear()


@pytest.fixture(autouse=True)
def quiet_refusals(caplog):
    """Thousands of 403/404/405 warnings would only slow the run; errors (the 500s) still show."""
    caplog.set_level(logging.ERROR, logger="django.request")


# --- Forms on a page ------------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # the <input> type, "select", "textarea" or "submit" (a named button)
    values: list[str] = field(default_factory=list)  # what the browser would send as the page stands
    options: list[str] = field(default_factory=list)  # select options, radio and checkbox values
    multiple: bool = False
    limits: dict[str, str] = field(default_factory=dict)  # maxlength, min, max as the page declares them


@dataclass
class Form:
    action: str  # path and query the form submits to
    method: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def add(
        self, name: str, kind: str, value: str | None, option: str | None = None, multiple=False, limits=None
    ):
        here = self.fields.setdefault(name, FormField(name, kind, multiple=multiple, limits=limits or {}))
        if option is not None:
            here.options.append(option)
        if value is not None and not (here.kind == "submit" and here.values):  # one button press
            here.values.append(value)

    def data(self) -> dict[str, list[str]]:
        """The form as a browser would send it: the page's values, a first option where none is chosen."""
        out = {}
        for item in self.fields.values():
            if item.kind == "file":
                continue
            values = item.values
            if not values and item.kind in {"select", "radio"}:
                values = [option for option in item.options if option][:1]
            if values:
                out[item.name] = list(values)
        return out


CONTROLS = {
    "input",
    "select",
    "option",
    "textarea",
    "button",
    "label",
    "form",
    "datalist",
    "script",
    "a",
    "img",
}


def _limits(attr: dict) -> dict[str, str]:
    return {key: attr[key] for key in ("maxlength", "min", "max") if attr.get(key)}


class _PageParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.ids: set[str] = (
            set()
        )  # ids of elements htmx could swap (not form controls, not crispy's wrappers)
        self.hx: list[
            tuple[str, str, str, str]
        ] = []  # (method, url, target id, name of the input that sends)
        self._form: Form | None = None
        self._select: FormField | None = None
        self._option: dict | None = None
        self._textarea: tuple[str, list[str], dict] | None = None

    def handle_starttag(self, tag, attrs):
        attr = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "a" and attr.get("href"):
            self.links.append(urljoin(self.page, attr["href"]))
        if attr.get("id") and tag not in CONTROLS and not attr["id"].startswith(("div_id_", "id_")):
            self.ids.add(attr["id"])
        for method in ("get", "post"):
            if attr.get(f"hx-{method}"):
                url = urljoin(self.page, attr[f"hx-{method}"])
                self.hx.append((method, url, attr.get("hx-target", "").lstrip("#"), attr.get("name", "")))
        if tag == "form":
            self._form = Form(
                urljoin(self.page, attr.get("action") or self.page), (attr.get("method") or "get").lower()
            )
            self.forms.append(self._form)
            return
        form, name = self._form, attr.get("name")
        if form is None or not name:
            if tag == "option" and self._select is not None:
                self._option = attr
            return
        if tag == "input":
            kind = (attr.get("type") or "text").lower()
            if kind in {"submit", "image", "button", "reset"}:
                form.add(name, "submit", attr.get("value", ""))
            elif kind in {"checkbox", "radio"}:
                value = attr.get("value", "on")
                form.add(name, kind, value if "checked" in attr else None, option=value)
            else:
                form.add(name, kind, attr.get("value", ""), limits=_limits(attr))
        elif tag == "button" and (attr.get("type") or "submit").lower() == "submit":
            form.add(name, "submit", attr.get("value", ""))
        elif tag == "select":
            form.add(name, "select", None, multiple="multiple" in attr)
            self._select = form.fields[name]
        elif tag == "textarea":
            self._textarea = (name, [], _limits(attr))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self._form:
            name, text, limits = self._textarea
            self._form.add(name, "textarea", "".join(text).removeprefix("\n"), limits=limits)
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None and self._select is not None:
            value = self._option.get("value", data.strip())
            self._select.options.append(value)
            if "selected" in self._option:
                self._select.values.append(value)
            self._option = None


def parse_page(path: str, html: str) -> _PageParser:
    parser = _PageParser(path)
    # An empty <option value=""></option> has no data: give every option a character of text.
    parser.feed(html.replace("></option>", "> </option>"))
    parser.close()
    return parser


def url_name(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def is_html(response) -> bool:
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")


# --- Discovery: which page shows which form ---------------------------------------------------------


@dataclass
class Discovery:
    # target URL name -> pages that show a POST form to it: (page URL name, role or None for anonymous)
    post_forms: dict[str, set[tuple[str, Role | None]]] = field(default_factory=lambda: defaultdict(set))
    # target URL name -> parameters its GET forms (filters, search boxes) send: name -> field type
    query_names: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    # target URL name -> ids htmx swaps its answers into
    hx_targets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # select name -> a tenant page without object kwargs that shows it (B's ids come from B's same page)
    select_pages: dict[str, str] = field(default_factory=dict)
    # public URL name -> a page (URL name, role) that links to it (the client's /s/<token>/ link)
    public_links: dict[str, tuple[str, Role | None]] = field(default_factory=dict)
    # every field name of every form seen, with its type: for POST-only URLs no page shows a form for
    field_kinds: dict[str, str] = field(default_factory=dict)
    # every page the crawl opened, parsed: (URL name, role) -> page. The world is built once and every
    # test is rolled back, so each test starts from exactly these pages.
    parsed: dict[tuple[str, Role | None], _PageParser] = field(default_factory=dict)
    b_pages: dict[str, _PageParser] = field(default_factory=dict)  # B's pages read for B's ids

    @property
    def pages(self) -> int:
        return len(self.parsed)


_DISCOVERY: list[Discovery] = []
TENANT_BY_NAME = {entry.name: entry for entry in TENANT_URLS}
PUBLIC_BY_NAME = {entry.name: entry for entry in PUBLIC_URLS}
# Public pages the crawl can open by name: no kwargs (log-in, sign-up ...), or a token A's pages link to.
PLAIN_PUBLIC = [entry.name for entry in PUBLIC_URLS if not entry.kwargs]


def client_of(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_url(name: str, world, tenant: Tenant | None = None) -> str | None:
    """A page's URL in this world: a tenant page with A's objects, a public page, A's client link."""
    if name in TENANT_BY_NAME:
        entry = TENANT_BY_NAME[name]
        return tenant_url(entry, tenant or world.tenant_a, fill_object_kwargs(entry, world))
    if name in PLAIN_PUBLIC:
        return reverse(name)
    source = _DISCOVERY[0].public_links.get(name) if _DISCOVERY else None
    links = _links_on(source, name, world) if source else []
    return links[0] if links else None


_CLIENTS: dict[Role | None, Client] = {}


@pytest.fixture(autouse=True)
def fresh_clients():
    """Logged-in clients are made once per test (a log-in costs a session write) and not kept longer:
    the sessions are rolled back with the test."""
    _CLIENTS.clear()
    yield
    _CLIENTS.clear()


def visitor(world, role: Role | None) -> Client:
    """A's member of that role (None: anonymous), one client per test."""
    if role not in _CLIENTS:
        _CLIENTS[role] = client_of(world.users_a[role] if role else None)
    return _CLIENTS[role]


def _record(found: Discovery, source: tuple[str, Role | None], parsed: _PageParser, no_kwargs: bool):
    for form in parsed.forms:
        target = url_name(form.action)
        if target is None:
            continue
        if form.method == "post":
            found.post_forms[target].add(source)
        else:
            for item in form.fields.values():
                found.query_names[target].setdefault(item.name, item.kind)
        for item in form.fields.values():
            found.field_kinds.setdefault(item.name, item.kind)
            if item.kind == "select" and no_kwargs and source[0] in TENANT_BY_NAME:
                found.select_pages.setdefault(item.name, source[0])
    for method, url, target_id, input_name in parsed.hx:
        name = url_name(url)
        if name and target_id:
            found.hx_targets[name].add(target_id)
        if name and input_name and method == "get":
            found.query_names[name].setdefault(input_name, "text")
    for link in parsed.links:
        name = url_name(link)
        if name in PUBLIC_BY_NAME and PUBLIC_BY_NAME[name].kwargs:
            found.public_links.setdefault(name, source)


def discover(world) -> Discovery:
    """Crawl every page of A that answers GET (tenant pages as A's owner and technician, public pages
    anonymously and logged in, then the public pages A's pages link to) and file what their forms send."""
    if _DISCOVERY:
        return _DISCOVERY[0]
    found = Discovery()
    _DISCOVERY.append(found)
    sources = [(entry.name, role) for role in ROLES for entry in TENANT_URLS]
    sources += [(name, role) for role in (None, Role.OWNER) for name in PLAIN_PUBLIC]
    for _round in (1, 2):
        for name, role in sources:
            url = page_url(name, world)
            if url is None:
                continue
            client = visitor(world, role)  # logged in outside the savepoint below
            with transaction.atomic():
                response = client.get(url)
                transaction.set_rollback(True)  # the crawl changes nothing; make sure of it
            if is_html(response):
                no_kwargs = name in TENANT_BY_NAME and not TENANT_BY_NAME[name].object_kwargs
                found.parsed[name, role] = parse_page(url, response.content.decode())
                _record(found, (name, role), found.parsed[name, role], no_kwargs)
        # Round 2: the public pages with a token that round 1 found links to (the client's status page).
        sources = [(name, None) for name in found.public_links]
    # A view may answer an htmx request for one of its own elements with a fragment (the order list's
    # rows): each page's ids but the layout's (those on most pages) become its htmx targets.
    seen = Counter(element for page in found.parsed.values() for element in page.ids)
    for (name, _role), page in found.parsed.items():
        found.hx_targets[name].update(
            element for element in page.ids if seen[element] <= len(found.parsed) // 2
        )
    return found


# --- Requests ------------------------------------------------------------------------------------


@dataclass
class Fuzzer:
    """Sends requests in savepoints and collects every answer of 500 or more, with its cause."""

    label: str
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    posts_read: int = 0  # POSTs a view answered (not refused for the role or the method)

    def send(
        self,
        client: Client,
        method: str,
        url: str,
        data=None,
        *,
        who: str,
        case: str,
        htmx: str | None = None,
    ):
        headers = {"HX-Request": "true", "HX-Target": htmx, "HX-Current-URL": url} if htmx is not None else {}
        if htmx == "":
            headers.pop("HX-Target")
        self.requests += 1
        try:
            with transaction.atomic():
                if method == "get":
                    response = client.get(url, data or {}, headers=headers)
                else:
                    response = client.post(url, data or {}, headers=headers)
        except Exception as error:  # the test client re-raises what the view raised: a 500
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if "/site-packages/" not in f.filename] or frames
            where = f"{ours[-1].filename.rsplit('/work/main/', 1)[-1]}:{ours[-1].lineno}"
            self.problems.append(
                f"{who}: {method.upper()} {short(url)} [{case}] raised {type(error).__name__}: "
                f"{short(str(error), 200)} (at {where})"
            )
            return None
        if method == "post" and response.status_code not in {403, 405}:
            self.posts_read += 1
        if response.status_code >= 500:
            self.problems.append(f"{who}: {method.upper()} {short(url)} [{case}] gave {response.status_code}")
        return response

    def check(self):
        assert self.requests > 0
        assert not self.problems, (
            f"{self.label}: {len(self.problems)} of {self.requests} requests made a 500:\n"
            + "\n".join(dict.fromkeys(self.problems))
        )


def short(text: str, limit: int = 120) -> str:
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


def describe(value) -> str:
    if value is ABSENT:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if hasattr(value, "read"):
        return f"file {value.name}"
    return short(repr(value), 40)


def with_query(url: str, params: dict) -> str:
    """The URL with `params` added to its own query (URL_QUERIES: e.g. kind=... for a template editor)."""
    parts = urlsplit(url)
    query = urlencode(params, doseq=True)
    return f"{parts.path}?{'&'.join(p for p in (parts.query, query) if p)}"


def fuzz_get(
    fuzzer: Fuzzer,
    client: Client,
    url: str,
    names: dict[str, str],
    hx_targets: set[str],
    who: str,
    *,
    thorough: bool = True,
):
    """Junk query strings: rounds of every parameter at once (one of them as htmx, one with every value
    repeated), then each discovered parameter alone (thorough only)."""
    path = urlsplit(url).path
    base_query = dict(item.split("=", 1) for item in urlsplit(url).query.split("&") if "=" in item)
    names = {**dict.fromkeys(base_query, "hidden"), **names}
    common = {**COMMON_QUERY, "next": [path, *COMMON_QUERY["next"]]}

    def get(params: dict, case: str, htmx: str | None = None):
        fuzzer.send(client, "get", with_query(path, {**base_query, **params}), who=who, case=case, htmx=htmx)

    rounds = max(len(QUERY_ROUNDS), *(len(values) for values in common.values())) if thorough else 2
    for i in range(rounds):
        junk = QUERY_ROUNDS[i % len(QUERY_ROUNDS)]
        params = {name: values[i % len(values)] for name, values in common.items()}
        params |= dict.fromkeys(names, junk)
        if i == 0:
            params = {name: [NUL, "1", value] for name, value in params.items()}  # get() reads the last
        htmx = "" if i == 1 else None
        get(
            params,
            f"round {i}{' (htmx)' if htmx is not None else ''}: every parameter junk, e.g. {describe(junk)}",
            htmx=htmx,
        )
    for target in sorted(hx_targets):
        get(
            dict.fromkeys([*common, *names], NUL), f"htmx target={target!r}, every parameter NUL", htmx=target
        )
    if thorough:
        for name, kind in sorted(names.items()):
            for value in (
                QUERY_ALONE + [v for v in MAY_PASS.get(junk_kind(kind), []) if v not in QUERY_ALONE][:2]
            ):
                get({name: value}, f"only {name}={describe(value)}")


def post_cases(forms: list[Form], all_kinds: dict[str, str], foreign: dict[str, list[str]], *, thorough=True):
    """(case, data): each field junk in turn (MAY_PASS; thorough only), all fields junk (MUST_FAIL), the
    form as the page fills it in."""
    if not forms:  # no page shows this URL's form: every field name known anywhere, junk
        known = {
            name: junk_kind(kind)
            for name, kind in all_kinds.items()
            if name not in NOT_DATA and kind != "file"
        }
        for value in ["-1", "99999999999999999999", NUL, LONG] if thorough else [NUL]:
            yield f"every known field name={describe(value)}", dict.fromkeys(known, value)
        for i in range(3 if thorough else 1):
            yield (
                f"every known field, junk of its type #{i}",
                {name: MUST_FAIL[kind][i % len(MUST_FAIL[kind])] for name, kind in known.items()},
            )
        return
    for form in forms:
        valid = form.data()
        fields = [
            item for item in form.fields.values() if item.kind != "submit" and item.name not in NOT_DATA
        ]
        for item in fields if thorough else []:
            kind = junk_kind(item.kind)
            values: list = [junk_file()] if kind == "file" else may_pass(item)
            if kind == "select":
                values += foreign.get(item.name, [])[:1]
                if item.multiple:
                    values.append(["999999999", *item.options[-1:]])
            if kind == "hidden":
                values.append(ABSENT)
                current = (item.values or [""])[0]
                if current.lstrip("-").isdigit():
                    values.append(str(int(current) - 1))
            for value in values:
                data = {key: val for key, val in valid.items() if key != item.name}
                if value is not ABSENT:
                    data[item.name] = value
                yield f"{item.name}={describe(value)}", data
        rounds = max(len(values) for values in MUST_FAIL.values()) if thorough else 2
        for i in range(rounds):
            data = {}
            for item in fields:
                kind = junk_kind(item.kind)
                data[item.name] = (
                    junk_file(f"junk{i}.pdf") if kind == "file" else MUST_FAIL[kind][i % len(MUST_FAIL[kind])]
                )
            yield f"every field junk of its type, round {i}", data
        yield "the form as the page fills it in", valid  # last: it may change the state the others need


def forms_for(name: str, url: str, discovery: Discovery, world) -> list[Form]:
    """The forms that post to this URL, as the pages that show them fill them in for this world."""
    forms: list[Form] = []
    seen: set[tuple] = set()
    # A form in the layout (language, log-out) is on every page: a few pages show all its variants.
    sources = sorted(
        discovery.post_forms.get(name, ()), key=lambda s: (s[0] in TENANT_BY_NAME, s[0], s[1] or "")
    )
    for source in sources[:4]:
        candidates = [
            form
            for form in discovery.parsed[source].forms
            if form.method == "post" and url_name(form.action) == name
        ]
        # The form for exactly this URL first (this order, this line ...), then look-alikes for others.
        candidates.sort(key=lambda form: urlsplit(form.action).path != urlsplit(url).path)
        for form in candidates:
            key = tuple(sorted((field_name, item.kind) for field_name, item in form.fields.items()))
            if key not in seen:
                seen.add(key)
                forms.append(replace(form, action=url))
    return forms


def foreign_ids(forms: list[Form], discovery: Discovery, world) -> dict[str, list[str]]:
    """For each select name: B's option values, read from B's own page that shows the same select."""
    out: dict[str, list[str]] = {}
    pages = discovery.b_pages
    for form in forms:
        for item in form.fields.values():
            page_name = discovery.select_pages.get(item.name) if item.kind == "select" else None
            if page_name is None or item.name in out:
                continue
            if page_name not in pages:
                url = page_url(page_name, world, world.tenant_b)
                response = client_of(world.users_b[Role.OWNER]).get(url)
                pages[page_name] = parse_page(url, response.content.decode() if is_html(response) else "")
            options = {
                option
                for form_b in pages[page_name].forms
                for name, item_b in form_b.fields.items()
                if name == item.name
                for option in item_b.options
                if option
            }
            out[item.name] = sorted(options - set(item.options))[:3]
    return out


# --- Integrity after the fuzz ---------------------------------------------------------------------

_B_SNAPSHOT: list[dict] = []  # B's rows as the module's world was built (each test is rolled back)


def b_rows(world) -> dict:
    """B's rows, but for its users' last log-in (B's owner logs in to read B's ids for the selects)."""
    rows = snapshot(world.tenant_b)
    rows["users"] = [{k: v for k, v in user.items() if k != "last_login"} for user in rows["users"]]
    return rows


def rows_pointing_across(tenant: Tenant) -> list[str]:
    """Rows of the tenant whose foreign key points at a row of another tenant."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        if not any(f.name == "tenant" and f.related_model is Tenant for f in model._meta.concrete_fields):
            continue
        for fk in model._meta.concrete_fields:
            target = fk.related_model
            if not isinstance(fk, ForeignKey) or target is Tenant or target is None:
                continue
            if not any(
                f.name == "tenant" and f.related_model is Tenant for f in target._meta.concrete_fields
            ):
                continue
            bad = (
                model._base_manager.filter(tenant=tenant)
                .exclude(**{f"{fk.name}__isnull": True})
                .exclude(**{f"{fk.name}__tenant": tenant})
            )
            if bad.exists():
                found.append(f"{model._meta.label}.{fk.name}")
    return found


# --- One URL, one visitor -----------------------------------------------------------------------


def fuzz_url(
    fuzzer: Fuzzer,
    client: Client,
    who: str,
    url: str,
    name: str,
    discovery: Discovery,
    forms: list[Form],
    foreign: dict[str, list[str]],
    *,
    thorough: bool = True,
) -> None:
    """Every junk request for one URL and one visitor. `thorough` adds each parameter and field alone."""
    get = fuzzer.send(client, "get", url, who=who, case="plain")
    post = fuzzer.send(client, "post", url, {}, who=who, case="empty body")
    answers = {getattr(get, "status_code", None), getattr(post, "status_code", None)}
    if answers in ({403}, {403, 405}):
        return  # the role may not use this URL: refused before the view reads any input
    if getattr(get, "status_code", None) == 405:  # POST-only: the method is refused before any input is read
        fuzzer.send(client, "get", with_query(url, COMMON_QUERY), who=who, case="common junk")
    else:
        fuzz_get(
            fuzzer,
            client,
            url,
            discovery.query_names.get(name, {}),
            discovery.hx_targets.get(name, set()),
            who,
            thorough=thorough,
        )
    if getattr(post, "status_code", None) == 405:  # GET-only
        fuzzer.send(client, "post", url, {"version": NUL, "next": LONG}, who=who, case="junk")
        return
    fuzzer.send(client, "post", url, {"version": NUL, "next": NUL}, who=who, case="htmx", htmx="")
    for case, data in post_cases(forms, discovery.field_kinds, foreign, thorough=thorough):
        fuzzer.send(client, "post", url, data, who=who, case=case)


# --- Tenant URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", TENANT_URLS, ids=lambda entry: entry.label)
def test_tenant_url_survives_bad_input(entry, world):
    discovery = discover(world)
    url = tenant_url(entry, world.tenant_a, fill_object_kwargs(entry, world))
    forms = forms_for(entry.name, url, discovery, world)
    foreign = foreign_ids(forms, discovery, world)
    fuzzer = Fuzzer(entry.label)
    for role in ROLES:
        fuzz_url(
            fuzzer,
            visitor(world, role),
            f"A's {role.value}",
            url,
            entry.name,
            discovery,
            forms,
            foreign,
            thorough=role == Role.OWNER,
        )
    fuzzer.check()
    if not fuzzer.posts_read:
        return
    assert b_rows(world) == _B_SNAPSHOT[0], f"Junk posted by A's staff to {entry.label} changed B's data"
    assert not rows_pointing_across(world.tenant_a), (
        f"After junk posted to {entry.label}, rows of A point at rows of B: {rows_pointing_across(world.tenant_a)}"
    )


def test_discovery_finds_forms(world):
    """The walk is only as good as its discovery: it must find the forms and filters it fuzzes."""
    discovery = discover(world)
    posting = set(discovery.post_forms)
    assert {"orders:intake", "orders:edit", "orders:assign", "orders:line_add", "tenancy:invite"} <= posting
    assert {"q", "status", "technician", "created_after"} <= set(discovery.query_names["orders:list"])
    assert "orders:public_status" in discovery.public_links
    no_form = sorted(
        entry.label
        for entry in TENANT_URLS
        if entry.label not in posting and "GET" not in _allowed_methods(entry, world)
    )
    # POST-only URLs no crawled page shows a form for get every known field name as junk instead.
    assert len(no_form) < 10, f"POST-only URLs without a discovered form: {no_form}"


def _allowed_methods(entry: UrlEntry, world) -> set[str]:
    response = visitor(world, Role.OWNER).get(page_url(entry.name, world))
    return {"GET"} if response.status_code != 405 else set(response.get("Allow", "").split(", "))


# --- Public URLs ---------------------------------------------------------------------------------

JUNK_TOKENS = ["x", "\x00", "a" * 43 + "\x00", LONG, "<script>alert(1)<", "%", "..", " ", "é" * 43, "a" * 43]


def _real_public_urls(entry: UrlEntry, discovery: Discovery, world) -> list[str]:
    """The public URLs of A's objects, as A's pages link to them (the client's status link). A URL no page
    links to (the estimate decision) gets the token of a linked URL of its own app."""
    if entry.name in discovery.public_links:
        return _links_on(discovery.public_links[entry.name], entry.name, world)
    samples = {kwarg: PUBLIC_KWARG_SAMPLES.get(kwarg, "x") for kwarg in entry.kwargs}
    urls = []
    for other, source in discovery.public_links.items():
        if other.split(":")[0] == entry.name.split(":")[0]:
            for url in _links_on(source, other, world):
                token = resolve(url).kwargs.get("token")
                if token:
                    urls.append(reverse(entry.name, kwargs={**samples, "token": token}))
    return urls[:1]


def _links_on(source: tuple[str, Role | None], name: str, world) -> list[str]:
    page = _DISCOVERY[0].parsed.get(source)
    return sorted({urlsplit(link).path for link in page.links if url_name(link) == name}) if page else []


@pytest.mark.parametrize("entry", PUBLIC_URLS, ids=lambda entry: entry.label)
def test_public_url_survives_bad_input(entry, world, settings):
    settings.PUBLIC_PAGE_RATE = "100000/m"  # let the junk reach the view instead of the rate limit
    discovery = discover(world)
    fuzzer = Fuzzer(entry.label)
    if "token" in entry.kwargs:
        urls = _real_public_urls(entry, discovery, world)
        samples = {kwarg: PUBLIC_KWARG_SAMPLES.get(kwarg, "x") for kwarg in entry.kwargs}
        for token in JUNK_TOKENS:
            junk_url = reverse(entry.name, kwargs={**samples, "token": token})
            fuzzer.send(Client(), "get", junk_url, who="anonymous", case=f"token={describe(token)}")
            fuzzer.send(
                Client(),
                "post",
                junk_url,
                {"decision": NUL},
                who="anonymous",
                case=f"token={describe(token)}",
            )
        for url in list(urls):
            match = resolve(url)
            for kwarg in set(entry.kwargs) - {"token"}:
                for value in ["bogus", "x" * 200]:
                    urls.append(reverse(entry.name, kwargs={**match.kwargs, kwarg: value}))
    else:
        urls = [page_url(entry.name, world)]
    for url in urls:
        forms = forms_for(entry.name, url, discovery, world)
        for who, role in [("anonymous", None), ("A's owner", Role.OWNER)]:
            fuzz_url(
                fuzzer,
                visitor(world, role),
                who,
                url,
                entry.name,
                discovery,
                forms,
                {},
                thorough=role is None,
            )
    fuzzer.check()


# --- What the walk found: the answers a person gets now ---------------------------------------------

OUT_OF_CALENDAR = "Enter a date between the years 1900 and 2999."


def test_year_1_in_a_promised_date_is_refused_with_a_message(world):
    url = page_url("orders:edit", world)
    (form,) = forms_for("orders:edit", url, discover(world), world)
    response = visitor(world, Role.OWNER).post(url, {**form.data(), "promised_at": "0001-01-01T00:00"})
    assert response.status_code == 200
    assert OUT_OF_CALENDAR in text_of(response)


@pytest.mark.parametrize(
    "name, query",
    [
        ("technicians:board", "start=9999-12-31"),
        ("stock:movements", "since=0001-01-01"),
        ("technicians:hours", "date_from=0001-01-01"),
    ],
)
def test_a_filter_date_out_of_the_calendar_is_refused_with_a_message(world, name, query):
    response = visitor(world, Role.OWNER).get(f"{page_url(name, world)}?{query}")
    assert response.status_code == 200
    assert OUT_OF_CALENDAR in text_of(response)


def test_resend_with_a_next_that_is_no_path_goes_back_to_the_outbox(world):
    url = page_url("notifications:resend", world)
    response = visitor(world, Role.OWNER).post(url, {"next": "abc"})
    assert response.status_code == 302
    assert response.url == reverse("notifications:list", args=[world.tenant_a.slug])


def test_log_in_page_pointing_at_itself_sends_a_logged_in_user_home(world):
    login = reverse("accounts:login")
    response = visitor(world, Role.OWNER).get(f"{login}?next={login}")
    assert response.status_code == 302
    assert response.url == reverse("home")


# --- The REST API --------------------------------------------------------------------------------
# Every API URL (tests/test_cross_tenant.py's API_DATA_URLS) with A's own ids, with the keys of A's owner
# (thorough) and A's technician. What each endpoint takes is read from the OpenAPI schema: its query
# parameters and its request body's fields with their types. Rounds: the plain request; GET with the
# common junk and every parameter junk (together, then alone); each write method with bodies that are no
# JSON object, an empty object, every field junk at once, each field junk alone on a body that is
# otherwise right (API_HAPPY), the right body, and a form-encoded body. Every answer below 500; B's rows
# unchanged; no row of A pointing at a row of B.
import json as _json  # noqa: E402
import re as _re  # noqa: E402

from tests.test_cross_tenant import API_DATA_URLS  # noqa: E402

API_JUNK: dict[str, list] = {
    "integer": ["abc", -1, 99999999999999999999, 1e30, True, [], {"a": 1}, NUL, "1.5", ""],
    "number": ["abc", "NaN", "Infinity", -1, 1e30, "99999999999999999999", True, [], NUL, ""],
    "string": [LONG, NUL, 12, [], {"a": 1}, "   ", "<script>alert(1)</script>", True],
    "boolean": ["garbage", 2, NUL, [], {}],
    "date-time": ["2026-02-30T10:00", "0001-01-01T00:00", "9999-12-31T23:59", "abc", NUL, 0],
    "date": ["2026-02-30", "0001-01-01", "9999-12-31", NUL],
    "array": ["x", [NUL], [{}], [LONG], ["bogus"], [1] * 500],
}
NOT_OBJECTS = ["[]", '"x"', "null", "{bad json", "\x00", _json.dumps(LONG), "1e999", '{"a":' * 200]


def api_happy(world) -> dict[str, Callable]:
    """A right body per request component (the schema's name), made when it is sent (versions move on)."""

    def version():
        from orders.models import Order

        return Order.objects.get(pk=world.order_a.pk).version

    return {
        "IntakeRequest": lambda: {
            "client_name": "Junk Client",
            "client_phone": "+79160000001",
            "consent": True,
            "service_type": world.service_type_a.pk,
            "problem": "Junk",
            "item_kind": "Phone",
        },
        "OrderEditRequest": lambda: {"version": version(), "problem": "Edited"},
        "TransitionRequest": lambda: {"version": version(), "reason": "Junk"},
        "AssignRequest": lambda: {"version": version()},
        "EstimateRequest": lambda: {"version": version(), "amount": "100"},
        "LineRequest": lambda: {"kind": "work", "description": "Junk", "quantity": "1", "unit_price": "10"},
        "PaymentRequest": lambda: {"kind": "payment", "method": "cash", "amount": "10"},
        "NoteRequest": lambda: {"text": "Junk"},
        "ClientChangeRequest": lambda: {},
        "ErasureRequest": lambda: {"reason": "Junk request", "confirm": True},
        "ServiceTypeChangeRequest": lambda: {
            "name": "Junk service",
            "formats": ["in_shop"],
            "base_price": "100",
        },
    }


@functools.cache
def api_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def schema_path(entry) -> str:
    return "/" + _re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", entry.route)


def field_kind(spec: dict) -> str:
    if "$ref" in spec or "allOf" in spec or "oneOf" in spec:
        return "string"
    kind = spec.get("type", "string")
    if kind == "string" and spec.get("format") in {"date-time", "date"}:
        return spec["format"]
    if kind == "string" and spec.get("format") == "decimal":
        return "number"
    return kind if kind in API_JUNK else "string"


def body_fields(operation: dict) -> tuple[str | None, dict[str, str]]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    if not ref:
        return None, {}
    name = ref.rsplit("/", 1)[-1]
    properties = api_schema()["components"]["schemas"][name].get("properties", {})
    return name, {field: field_kind(spec) for field, spec in properties.items()}


class ApiFuzzer(Fuzzer):
    def call(
        self,
        key: str,
        method: str,
        url: str,
        body=None,
        *,
        who: str,
        case: str,
        content_type="application/json",
    ):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        self.requests += 1
        client = Client()
        try:
            with transaction.atomic():
                if method in {"get", "delete"}:
                    response = (
                        getattr(client, method)(url, body or {}, **headers)
                        if method == "get"
                        else client.delete(url, **headers)
                    )
                else:
                    data = body if isinstance(body, str) else _json.dumps(body, default=str)
                    if content_type != "application/json":
                        data = {"junk": "1"}
                        response = client.post(url, data, **headers)
                    else:
                        response = getattr(client, method)(url, data, content_type=content_type, **headers)
        except Exception as error:
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if "/site-packages/" not in f.filename] or frames
            self.problems.append(
                f"{who}: {method.upper()} {short(url)} [{case}] raised {type(error).__name__}: "
                f"{short(str(error), 200)} (at {ours[-1].filename}:{ours[-1].lineno})"
            )
            return None
        if method != "get" and response.status_code not in {403, 405}:
            self.posts_read += 1
        if response.status_code >= 500:
            self.problems.append(f"{who}: {method.upper()} {short(url)} [{case}] gave {response.status_code}")
        return response


def fuzz_api_url(
    fuzzer: ApiFuzzer, key: str, who: str, url: str, operations: dict, happy: dict, *, thorough: bool
):
    for method, operation in operations.items():
        first = fuzzer.call(key, method, url, {}, who=who, case="plain")
        if getattr(first, "status_code", None) == 403 and "may not:" in first.json().get("detail", ""):
            continue  # refused at the door, before any input is read
        if method == "get":
            names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
            for i, junk in enumerate(QUERY_ROUNDS):
                params = {name: values[i % len(values)] for name, values in COMMON_QUERY.items()}
                params.update({name: junk for name in names})
                fuzzer.call(key, "get", url, params, who=who, case=f"round {i}")
            if thorough:
                for name in names:
                    for junk in [*QUERY_ALONE, LONG, "-1", "0001-01-01", "9999-12-31", "1e30", ""]:
                        fuzzer.call(key, "get", url, {name: junk}, who=who, case=f"{name}={describe(junk)}")
            continue
        if method == "delete":
            continue  # no body: the plain request was all
        component, fields = body_fields(operation)
        for body in NOT_OBJECTS:
            fuzzer.call(key, method, url, body, who=who, case=f"body {describe(body)}")
        fuzzer.call(key, method, url, {}, who=who, case="form-encoded", content_type="multipart/form-data")
        rounds = max((len(API_JUNK[kind]) for kind in fields.values()), default=0)
        for i in range(rounds):
            body = {name: API_JUNK[kind][i % len(API_JUNK[kind])] for name, kind in fields.items()}
            fuzzer.call(key, method, url, body, who=who, case=f"all junk, round {i}")
        make_happy = happy.get(component)
        if make_happy is None or not thorough:
            continue
        for name, kind in fields.items():
            for junk in API_JUNK[kind]:
                fuzzer.call(
                    key, method, url, {**make_happy(), name: junk}, who=who, case=f"{name}={describe(junk)}"
                )
        fuzzer.call(key, method, url, make_happy(), who=who, case="the right body")


def test_the_api_schema_describes_what_is_fuzzed():
    paths = api_schema()["paths"]
    assert {"cursor", "status", "technician", "q"} <= {
        p["name"] for p in paths["/api/v1/orders/"]["get"]["parameters"]
    }
    component, fields = body_fields(paths["/api/v1/orders/"]["post"])
    assert (
        component == "IntakeRequest"
        and fields["service_type"] == "integer"
        and fields["promised_at"] == "date-time"
    )


@pytest.mark.parametrize("entry", API_DATA_URLS, ids=lambda entry: entry.label)
def test_api_url_survives_bad_input(entry, world, settings):
    from tests.api.conftest import make_key

    settings.API_KEY_RATE = "1000000/min"
    url = reverse(entry.name, kwargs=fill_object_kwargs(entry, world))
    path = api_schema()["paths"].get(schema_path(entry))
    assert path is not None, f"{entry.label}: {schema_path(entry)} is not in the OpenAPI schema"
    operations = {method: path[method] for method in ("get", "post", "patch", "delete") if method in path}
    fuzzer = ApiFuzzer(entry.label)
    happy = api_happy(world)
    for role in ROLES:
        key = make_key(world.tenant_a, role, name=f"Junk {role.value}")[1]
        fuzz_api_url(
            fuzzer, key, f"A's {role.value} key", url, operations, happy, thorough=role == Role.OWNER
        )
    fuzzer.check()
    assert b_rows(world) == _B_SNAPSHOT[0], f"Junk sent with A's keys to {entry.label} changed B's data"
    assert not rows_pointing_across(world.tenant_a), (
        f"After junk sent to {entry.label}, rows of A point at rows of B: {rows_pointing_across(world.tenant_a)}"
    )
