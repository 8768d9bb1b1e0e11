"""Small helpers shared by the tests."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace


def text_of(response) -> str:
    """The page as text with HTML entities decoded, for `assert "..." in text_of(response)`."""
    return html.unescape(response.content.decode())


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def links_in(message_body: str) -> list[str]:
    return re.findall(r"https?://\S+", message_body)


def render_order_panel(name: str, order, membership, path: str = "/") -> str:
    """One app's panel of the order page, as that member would see it (orders.panels)."""
    from django.contrib.sessions.backends.base import SessionBase
    from django.test import RequestFactory

    from orders.panels import render_panel

    request = RequestFactory().get(path)
    request.user, request.session = membership.user, SessionBase()
    request.tenant, request.membership = membership.tenant, membership
    return render_panel(name, request, order)


def form_values(response, containing: str | None = None) -> dict:
    """The values a browser would send back from the page's form (inputs, selects, textareas): the first form
    whose HTML has `containing` in it (e.g. 'name="tax_id"'), else the whole page. An unchecked checkbox sends nothing, a select with
    nothing selected its first option."""
    page = response.content.decode()
    if containing is not None:
        forms = re.findall(r"<form\b.*?</form>", page, re.S)
        page = next(form for form in forms if containing in form)
    values: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or (re.search(r'type="(checkbox|radio)"', tag) and " checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = (
            html.unescape(value.group(1)) if value else ("on" if " checked" in tag else "")
        )
    # A browser drops the newline that follows <textarea>.
    values.update(
        (name, html.unescape(text.removeprefix("\n")))
        for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    )
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    values.pop("csrfmiddlewaretoken", None)
    return values


@contextmanager
def world_for_the_module(django_db_blocker, media_root) -> Iterator[SimpleNamespace]:
    """The conftest `world` (tests/conftest.py build_world), built once for a whole module.

    Building it costs 0.2-0.3 s of CPU (more on PostgreSQL); a module of a hundred tests that each built
    their own spent minutes on it. Here it is built inside a transaction that is rolled back after the
    module, and each test runs in a savepoint of it (what Django's TestCase.setUpTestData does), so no test
    sees another's rows. tests/conftest.py's `module_world` fixture builds it; a module gives its tests a
    function-scoped `world` that also asks for `db` (their savepoint):

        @pytest.fixture
        def world(module_world, db):
            return module_world

    A test that changes one of its Python objects (not just rows) must refresh it or build its own.
    """
    from django.db import transaction
    from django.test import override_settings

    from tests.conftest import _staff, build_world
    from tests.factories import LocationFactory, TenantFactory, UserFactory

    media = override_settings(
        MEDIA_ROOT=media_root, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    media.enable()
    try:
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                tenant_a = TenantFactory(slug="alpha", name="Alpha Repairs")
                tenant_b = TenantFactory(slug="beta", name="Beta Service")
                location_a = LocationFactory(tenant=tenant_a, name="Alpha main office")
                location_b = LocationFactory(tenant=tenant_b, name="Beta main office")
                users_a, users_b = _staff(tenant_a), _staff(tenant_b)
                outsider = UserFactory(email="outsider@example.test", full_name="Oscar Outsider")
                built = build_world(tenant_a, tenant_b, users_a, users_b, outsider, location_a, location_b)
            except BaseException:
                outer.__exit__(*sys.exc_info())
                raise
        try:
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
    finally:
        media.disable()
