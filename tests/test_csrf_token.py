"""servicedesk/csrf.py: the status page's fresh CSRF token is one Django's middleware accepts."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token, get_token
from django.test import Client, RequestFactory

from servicedesk.csrf import fresh_token
from tests.factories import OrderFactory

CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def request_with_secret(secret: str | None = SECRET):
    request = RequestFactory().get("/")
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    return request


@pytest.mark.once
def test_the_token_is_the_secret_under_a_new_mask():
    request = request_with_secret()
    tokens = [fresh_token(request) for _ in range(50)]

    assert len(set(tokens)) == 50
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True, "the cookie is renewed, as get_token does"


@pytest.mark.once
def test_the_masks_use_every_character():
    masks = Counter("".join(fresh_token(request_with_secret())[:32] for _ in range(400)))

    assert set(masks) == set(CSRF_ALLOWED_CHARS)
    assert max(masks.values()) < 2 * min(masks.values())


@pytest.mark.once
def test_a_visitor_without_a_secret_gets_djangos_token_and_cookie():
    request = request_with_secret(None)
    token = fresh_token(request)

    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(get_token(request)) == request.META["CSRF_COOKIE"]


@pytest.mark.django_db
def test_the_cached_status_pages_token_passes_the_csrf_check(tenant_a):
    order = OrderFactory(tenant=tenant_a)
    client = Client(enforce_csrf_checks=True)
    client.get(f"/s/{order.public_token}/")
    cached = client.get(f"/s/{order.public_token}/")  # from the cache: the token is fresh_token's
    token = CSRF.search(cached.content.decode()).group(1)

    refused = Client(enforce_csrf_checks=True).post(
        "/i18n/setlang/", {"language": "ru", "csrfmiddlewaretoken": token}
    )
    accepted = client.post("/i18n/setlang/", {"language": "ru", "csrfmiddlewaretoken": token})
    by_header = client.post("/i18n/setlang/", {"language": "en"}, headers={"X-CSRFToken": token})

    assert refused.status_code == 403, "without the cookie the token proves nothing"
    assert accepted.status_code == 302 and by_header.status_code == 302
