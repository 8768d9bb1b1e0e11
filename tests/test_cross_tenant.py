"""THE cross-tenant test: no URL of tenant A answers to anyone outside tenant A.

It walks every URL pattern of the project (get_resolver(), through every include and namespace) and
sorts each one into:

- admin/ patterns: skipped (Django's admin has its own staff-only checks);
- tenant patterns (the route contains <tenant_slug>): the view must be wrapped by
  `tenant_view(perm)`, and is requested by every member of tenant B, by an outsider and anonymously,
  with GET and with an empty POST,
    (a) under A's slug with A's objects    -> 404 (anonymous: redirect to the log-in page);
    (b) under B's slug with A's objects    -> 404; 403 only for a role the matrix denies the view's
        perm. Exception, documented: tenant_view runs before require_GET/require_POST, so a B member
        allowed to see the view gets 405 for a method the view does not take, before any object
        lookup (the answer does not depend on the object, so it reveals nothing). 405 is accepted
        only then, and only with an Allow header that leaves the method out.
  Afterwards A's rows must be unchanged, and A's own owner must find the URL (not 404) - which
  proves the filled-in objects exist, so the 404s above mean something.
- public patterns: must be listed in PUBLIC_PATTERNS with the reason they are safe. Public patterns
  with a `token` kwarg (invitation links, future /s/<token>/ client links) must answer 404 to a
  random token.

EXTENDING (every new tenant URL is covered automatically, but needs its kwargs filled in):
- A new kwarg name (order_number, client_id, token ...) fails the test until you add ONE line to
  KWARG_FILLERS below: name -> function(world) returning the value for an object of tenant A.
- Create that object in the `world` fixture in tests/conftest.py (A gets more of each kind than B).
- A view that reads what to show from the query string (?kind=...) gets one line in URL_QUERIES.
- A new public (non-tenant) URL fails until it is added to PUBLIC_PATTERNS with a reason; if it takes
  a token plus other kwargs, give those a sample value in PUBLIC_KWARG_SAMPLES.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Role, has_perm


# --- Registry: URL kwarg name -> value of an object that exists ONLY in tenant A ---------------------
# The world, built once for the module (conftest's module_world): each test runs in a savepoint.
@pytest.fixture
def world(module_world, db):
    return module_world


# One line per kwarg name. `world` is the fixture in tests/conftest.py; add A's objects there.
KWARG_FILLERS: dict[str, Callable] = {
    "membership_id": lambda world: world.membership_a.pk,
    "invitation_id": lambda world: world.invitation_a.pk,
    "location_id": lambda world: world.location_a.pk,
    "document_id": lambda world: world.document_a.pk,
    "notification_id": lambda world: world.notification_a.pk,
    "order_number": lambda world: world.order_a.number,
    "part_id": lambda world: world.part_a.pk,
    "reservation_id": lambda world: world.reservation_a.pk,
    "client_id": lambda world: world.client_a.pk,
    "service_type_id": lambda world: world.service_type_a.pk,
    "line_id": lambda world: world.line_a.pk,
    "photo_id": lambda world: world.photo_a.pk,
    "calendar_day_id": lambda world: world.calendar_day_a.pk,
    "visit_id": lambda world: world.visit_a.pk,
    "standard_id": lambda world: world.standard_a.pk,
    "goal_id": lambda world: world.goal_a.pk,
    "policy_id": lambda world: world.sla_policy_a.pk,
    "checklist_item_id": lambda world: world.checklist_item_a.pk,
    "action": lambda world: "plan",  # a real lifecycle action: an unknown one would 404 by itself
    "api_key_id": lambda world: world.api_key_a.pk,
    "endpoint_id": lambda world: world.webhook_endpoint_a.pk,
    "delivery_id": lambda world: world.webhook_delivery_a.pk,
    "import_id": lambda world: world.import_job_a.pk,
    "export_id": lambda world: world.center_export_a.pk,
    "complaint_id": lambda world: world.complaint_a.pk,
    "claim_id": lambda world: world.claim_a.pk,
    "decision": lambda world: (
        "refuse"
    ),  # a warranty claim's decision (refusing needs a reason: nothing changes)
    "audit_id": lambda world: world.audit_a.pk,
    "finding_id": lambda world: world.finding_a.pk,
    "item_id": lambda world: world.item_a.pk,
}

# --- Query strings for views that pick what they show from the query, not the path ------------------
# URL name -> query string appended to every request of that URL (one line per URL), so that the
# view finds something to show and the tests below reach past its own "unknown ... -> 404".
URL_QUERIES: dict[str, str] = {
    "notifications:template_edit": "kind=order_received&lang=en",
    "documents:template_edit": "kind=intake_receipt&language=en",
    "quality:dashboard_export": "table=technicians",
}

# --- Public (non-tenant) URLs, each with the reason it needs no tenant check ------------------------
PUBLIC_PATTERNS: dict[str, str] = {
    "home": "log-in required; redirects to the user's own tenants (looked up by user), no tenant in the URL",
    "healthz": "load-balancer probe; answers 'ok' and reads no data",
    "readyz": "readiness probe; names its dependencies' states, reads no tenant data",
    "ops:metrics": "Prometheus metrics: 404 without the bearer token or an allowed address; no tenant data",
    "set_language": "i18n: stores the chosen language in a cookie, no data",
    "accounts:login": "authentication (django-axes guards it)",
    "accounts:logout": "authentication",
    "accounts:signup": "creates a new tenant; see tests/tenancy/test_signup.py",
    "accounts:signup_sent": "static page, the same for every sign-up",
    "accounts:confirm_email": "signed token URL (the user's own address); a random token gives 404 (test below)",
    "accounts:resend_confirmation": "mails the logged-in user's own confirmation link; no tenant data",
    "accounts:profile": "the logged-in user's own profile; no tenant data",
    "accounts:password_change": "the logged-in user's own password",
    "accounts:password_change_done": "static page",
    "accounts:password_reset": "sends a mail to an address; same answer whether it exists or not",
    "accounts:password_reset_done": "static page",
    "accounts:password_reset_confirm": "Django's signed uid+token; a wrong one shows 'invalid link'",
    "accounts:password_reset_complete": "static page",
    "accounts:accept_invitation": "public token URL; a random token gives 404 (test below)",
    "orders:public_status": "the client's status page: public token URL; a random token gives 404 (test below)",
    "orders:public_decide": "the client's estimate decision: public token URL; a random token gives 404 (test below)",
    "documents_public:public_document": "the client's completion act or warranty card after handover: public token "
    "URL; a random token gives 404 (test below)",
    "quality:feedback": "the client's feedback form: public token URL; a random token gives 404 (test below)",
    "reception:checkin": "the door's QR code: take a ticket at that desk; public token URL, a random token gives 404 "
    "(test below); shows nothing of other clients (tests/reception/test_public.py)",
    "reception:ticket": "the client's own ticket: public token URL; a random token gives 404 (test below)",
    "reception:ticket_leave": "the client leaves the queue: public token URL; a random token gives 404 (test below)",
    "quality:warranty_public": "the warranty card's page: public token URL; a random token gives 404 (test below)",
}

# Public patterns with a `token` kwarg that are NOT expected to 404 on a random token, with why.
TOKEN_404_EXEMPT: dict[str, str] = {
    "accounts:password_reset_confirm": "Django's view answers 200 with an 'invalid link' page",
}


# --- The URL walk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlEntry:
    name: str | None  # reverse() name with namespaces, e.g. "tenancy:member_edit"
    route: str  # the full route, e.g. "<slug:tenant_slug>/members/<int:membership_id>/"
    callback: Callable
    kwargs: tuple[str, ...]  # every kwarg name of the route, outer includes first
    namespaces: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name or self.route

    @property
    def object_kwargs(self) -> tuple[str, ...]:
        return tuple(kwarg for kwarg in self.kwargs if kwarg != "tenant_slug")


def _kwarg_names(pattern) -> tuple[str, ...]:
    # The named groups of the compiled route, for path() and re_path() alike. Not
    # `pattern.pattern.converters`: Django shares that dict between equal routes (e.g. every "")
    # and adds the converters of enclosing includes to it, so it can name kwargs the route lacks.
    regex = getattr(pattern.pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def walk_urls(patterns=None, route="", namespaces=(), kwargs=()) -> Iterator[UrlEntry]:
    """Every URL pattern of the project, with the routes, namespaces and kwargs of its includes."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        here_route = route + str(pattern.pattern)
        here_kwargs = kwargs + _kwarg_names(pattern)
        if isinstance(pattern, URLResolver):
            here_namespaces = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from walk_urls(pattern.url_patterns, here_route, here_namespaces, here_kwargs)
        elif isinstance(pattern, URLPattern):
            name = ":".join([*namespaces, pattern.name]) if pattern.name else None
            yield UrlEntry(name, here_route, pattern.callback, here_kwargs, namespaces)


ALL_URLS = [entry for entry in walk_urls() if "admin" not in entry.namespaces]
TENANT_URLS = [entry for entry in ALL_URLS if "tenant_slug" in entry.kwargs]
# The REST API (/api/v1/): the key, not the path, selects the center; walked by the API tests below.
API_URLS = [entry for entry in ALL_URLS if "api" in entry.namespaces]
PUBLIC_URLS = [entry for entry in ALL_URLS if "tenant_slug" not in entry.kwargs and entry not in API_URLS]


def fill_object_kwargs(entry: UrlEntry, world) -> dict:
    """Values for every kwarg but tenant_slug, from KWARG_FILLERS; fails on a kwarg without a filler."""
    missing = [kwarg for kwarg in entry.object_kwargs if kwarg not in KWARG_FILLERS]
    if missing:
        pytest.fail(
            f"URL {entry.label!r} ({entry.route}) takes {', '.join(missing)}, which the cross-tenant test "
            "cannot fill in. Add one line per kwarg to KWARG_FILLERS in tests/test_cross_tenant.py, e.g.\n"
            + "".join(
                f'    "{kwarg}": lambda world: world.<object of tenant A>.<field>,\n' for kwarg in missing
            )
            + "and create that object for tenant A (and fewer of its kind for B) in the `world` fixture "
            "in tests/conftest.py.",
            pytrace=False,
        )
    return {kwarg: KWARG_FILLERS[kwarg](world) for kwarg in entry.object_kwargs}


def tenant_url(entry: UrlEntry, tenant: Tenant, object_kwargs: dict) -> str:
    if entry.name is None:
        pytest.fail(
            f"Tenant URL {entry.route} has no name; give it one so tests can reverse() it.", pytrace=False
        )
    url = reverse(entry.name, kwargs={"tenant_slug": tenant.slug, **object_kwargs})
    return f"{url}?{URL_QUERIES[entry.name]}" if entry.name in URL_QUERIES else url


def snapshot(tenant: Tenant) -> dict:
    """Every row that belongs to the tenant (its own row, its tenant-owned rows, its members' users)."""
    rows: dict = {"tenant": list(Tenant.objects.filter(pk=tenant.pk).values())}
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            rows[model._meta.label] = list(model._base_manager.filter(tenant=tenant).order_by("pk").values())
    member_ids = Membership.objects.filter(tenant=tenant).values("user_id")
    rows["users"] = list(User.objects.filter(pk__in=member_ids).order_by("pk").values())
    return rows


# --- The walk found what it should --------------------------------------------------------------


def test_walk_finds_the_tenant_urls():
    names = {entry.name for entry in TENANT_URLS}
    assert {"orders:dashboard", "tenancy:member_edit", "tenancy:location_edit"} <= names
    assert "home" in {entry.name for entry in PUBLIC_URLS}


def test_every_non_tenant_url_is_allow_listed():
    unknown = [entry.label for entry in PUBLIC_URLS if entry.label not in PUBLIC_PATTERNS]
    assert not unknown, (
        f"These URLs are neither under /<tenant_slug>/ nor in PUBLIC_PATTERNS: {unknown}. Mount tenant pages "
        "under tenant_patterns in servicedesk/urls.py; add a truly public page to PUBLIC_PATTERNS in "
        "tests/test_cross_tenant.py with the reason it is safe."
    )


def test_allow_list_has_no_stale_entries():
    existing = {entry.label for entry in PUBLIC_URLS}
    assert set(PUBLIC_PATTERNS) <= existing, f"No such URLs any more: {set(PUBLIC_PATTERNS) - existing}"
    assert set(TOKEN_404_EXEMPT) <= existing


# --- Tenant URLs --------------------------------------------------------------------------------


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def _method_not_allowed(response, method: str) -> bool:
    return response.status_code == 405 and method.upper() not in response.get("Allow", "").upper().split(", ")


@pytest.mark.parametrize("entry", TENANT_URLS, ids=lambda entry: entry.label)
def test_tenant_url_is_closed_to_other_tenants(entry, world):
    perm = getattr(entry.callback, "tenant_perm", None)
    assert perm is not None, (
        f"{entry.label} ({entry.route}) is a tenant URL but its view is not wrapped by "
        "servicedesk.tenancy.access.tenant_view(perm). Every view under /<tenant_slug>/ must be."
    )
    object_kwargs = fill_object_kwargs(entry, world)
    url_of_a = tenant_url(entry, world.tenant_a, object_kwargs)
    url_in_b = tenant_url(entry, world.tenant_b, object_kwargs) if object_kwargs else None
    before = snapshot(world.tenant_a)

    visitors = [(f"B's {role.value}", world.users_b[role], role) for role in Role]
    visitors += [("outsider", world.outsider, None), ("anonymous", None, None)]
    problems = []
    for who, user, role in visitors:
        client = Client()
        if user is not None:
            client.force_login(user)
        for method in ("get", "post"):
            response = getattr(client, method)(url_of_a)
            if user is None:
                ok, expected = _is_login_redirect(response), "a redirect to the log-in page"
            else:
                ok, expected = response.status_code == 404, "404"
            if not ok:
                problems.append(
                    f"{who}: {method.upper()} {url_of_a} gave {response.status_code}, expected {expected}"
                )

            if url_in_b is None:
                continue
            response = getattr(client, method)(url_in_b)
            if user is None:
                ok, expected = _is_login_redirect(response), "a redirect to the log-in page"
            elif role is None:
                ok, expected = response.status_code == 404, "404"
            elif not has_perm(role, perm):
                ok, expected = response.status_code in {403, 404}, "403 or 404 (the role lacks the perm)"
            else:
                ok = response.status_code == 404 or _method_not_allowed(response, method)
                expected = "404 (or 405 for a method the view does not take)"
            if not ok:
                problems.append(
                    f"{who}: {method.upper()} {url_in_b} (B's slug, A's objects) gave {response.status_code}, "
                    f"expected {expected}"
                )

    assert not problems, f"{entry.label} leaks across tenants:\n" + "\n".join(problems)
    assert snapshot(world.tenant_a) == before, (
        f"Requests from outside tenant A changed A's data via {entry.label}"
    )

    # The filled-in objects exist: A's owner (who holds every perm) does not get 404.
    owner = Client()
    owner.force_login(world.users_a[Role.OWNER])
    response = owner.get(url_of_a)
    if _method_not_allowed(response, "get"):
        response = owner.post(url_of_a)
    assert response.status_code != 404, (
        f"A's owner gets 404 on {url_of_a}: the KWARG_FILLERS values for {entry.label} do not point at "
        "existing objects of tenant A, so the 404s above prove nothing. Fix the filler or the world fixture."
    )


# --- Public token URLs ----------------------------------------------------------------------------
# Every public URL with a `token` kwarg (invitation links, the client's /s/<token>/ pages ...) must
# answer 404 to a token nobody was given. Its other kwargs get a valid-looking value from here
# (one line per kwarg name):
PUBLIC_KWARG_SAMPLES: dict[str, str] = {
    "decision": "approve",
    "kind": "completion_act",
}

TOKEN_URLS = [
    entry for entry in PUBLIC_URLS if "token" in entry.kwargs and entry.label not in TOKEN_404_EXEMPT
]


def test_token_urls_are_found():
    assert "accounts:accept_invitation" in {entry.label for entry in TOKEN_URLS}


@pytest.mark.parametrize("entry", TOKEN_URLS, ids=lambda entry: entry.label)
@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_public_token_url_with_random_token_is_404(entry, logged_in, world):
    """GET and POST: 404, or 405 for the method the view does not take (decided before any lookup)."""
    missing = [kwarg for kwarg in entry.kwargs if kwarg != "token" and kwarg not in PUBLIC_KWARG_SAMPLES]
    assert not missing, (
        f"{entry.label} takes {missing} besides token: add a sample value per kwarg to PUBLIC_KWARG_SAMPLES "
        "in tests/test_cross_tenant.py."
    )
    client = Client()
    if logged_in:
        client.force_login(world.users_b[Role.OWNER])
    for token in [secrets.token_urlsafe(32), secrets.token_hex(8), "x", "a" * 200]:
        kwargs = {kwarg: PUBLIC_KWARG_SAMPLES.get(kwarg) for kwarg in entry.kwargs}
        url = reverse(entry.name, kwargs={**kwargs, "token": token})
        answers = {method: getattr(client, method)(url) for method in ("get", "post")}
        for method, response in answers.items():
            assert response.status_code == 404 or _method_not_allowed(response, method), (
                f"{method.upper()} {url} gave {response.status_code}, expected 404"
            )
        assert 404 in {response.status_code for response in answers.values()}, (
            f"{url}: no method answered 404"
        )


# --- The REST API ---------------------------------------------------------------------------------
# /api/v1/ has no tenant in the path: the API key selects the center. Every API view is made with
# api.endpoints.endpoint({method: perm}) (its `api_perms`), except these, each with why it is safe:
API_PUBLIC: dict[str, str] = {
    "api:schema": "the OpenAPI schema: describes the endpoints, no data",
    "api:docs": "the documentation page (Swagger UI on the schema), no data",
    "api:not_found": "any other path under /api/: a JSON 404, reads nothing",
}
API_DATA_URLS = [entry for entry in API_URLS if entry.name not in API_PUBLIC]


def api_keys_of(tenant: Tenant) -> dict[Role, str]:
    from tests.api.conftest import make_key

    return {role: make_key(tenant, role, name=f"Cross-tenant {role.value}")[1] for role in Role}


def api_request(method: str, url: str, key: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    client = Client()
    if method in {"get", "delete"}:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, "{}", content_type="application/json", **headers)


def test_the_api_walk_finds_its_urls():
    assert {"api:orders", "api:order", "api:order_action", "api:document_pdf"} <= {
        e.name for e in API_DATA_URLS
    }
    assert set(API_PUBLIC) <= {entry.name for entry in API_URLS}


@pytest.mark.parametrize("entry", API_DATA_URLS, ids=lambda entry: entry.label)
def test_api_url_is_closed_to_other_tenants(entry, world, settings):
    """B's keys (every role) with A's ids: 404, or 403 at the door for a role the matrix denies (decided
    before any lookup); no key: 401. A list answers B's rows only (nothing of "Alpha" in it). A's rows are
    unchanged; A's owner's key finds the URL (the filled-in ids exist)."""
    settings.API_KEY_RATE = "100000/min"
    perms = getattr(entry.callback, "api_perms", None)
    assert perms, f"{entry.label} is an API URL but its view is not made with api.endpoints.endpoint(perms)"
    object_kwargs = fill_object_kwargs(entry, world)
    url = reverse(entry.name, kwargs=object_kwargs)
    before = snapshot(world.tenant_a)
    keys_b = api_keys_of(world.tenant_b)
    problems = []
    for method in ("get", "post", "patch", "put", "delete"):
        allowed = method.upper() in perms
        anonymous = api_request(method, url, None)
        if anonymous.status_code != 401:
            problems.append(f"no key: {method.upper()} {url} gave {anonymous.status_code}, expected 401")
        for role, key in keys_b.items():
            response = api_request(method, url, key)
            code = response.status_code
            if not allowed:
                ok, expected = code == 405, "405"
            elif not has_perm(role, perms[method.upper()]):
                ok, expected = code in {403, 404}, "403 or 404 (the role lacks the perm)"
            elif object_kwargs:
                ok, expected = code == 404, "404"
            else:  # a list or a create: B's own rows only
                ok = code < 500 and "alpha" not in response.content.decode(errors="replace").lower()
                expected = "an answer about B's rows only"
            if not ok:
                problems.append(
                    f"B's {role.value} key: {method.upper()} {url} gave {code}, expected {expected}"
                )
    assert not problems, f"{entry.label} leaks across tenants:\n" + "\n".join(problems)
    assert snapshot(world.tenant_a) == before, (
        f"Requests from outside tenant A changed A's data via {entry.label}"
    )

    owner_a = api_keys_of(world.tenant_a)[Role.OWNER]
    method = "get" if "GET" in perms else next(iter(perms)).lower()
    response = api_request(method, url, owner_a)
    assert response.status_code != 404, (
        f"A's owner's key gets 404 on {method.upper()} {url}: the KWARG_FILLERS values for {entry.label} do not "
        "point at existing objects of tenant A."
    )
