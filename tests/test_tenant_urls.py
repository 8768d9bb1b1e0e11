"""`<tenant:tenant_slug>` (servicedesk/tenancy/converters.py): a center's address is any slug but a reserved
word, so the fixed words' pages (the client's /s/<token>/ first) never go through the tenant patterns."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import Resolver404, get_resolver, resolve

pytestmark = pytest.mark.once

TOKEN = "a" * 43


def test_the_status_page_resolves_without_trying_a_tenants_pages():
    with pytest.raises(Resolver404) as missed:
        resolve(f"/s/{TOKEN}/no/such/page/")

    tried = [" ".join(str(pattern.pattern) for pattern in path) for path in missed.value.args[0]["tried"]]
    assert "<tenant:tenant_slug>/" in tried, "each tenant include was tried as a whole"
    assert not [route for route in tried if route.startswith("<tenant:tenant_slug>/ ")], (
        "and none of its patterns"
    )
    assert resolve(f"/s/{TOKEN}/").view_name == "orders:public_status"


@pytest.mark.parametrize("word", sorted(settings.RESERVED_TENANT_SLUGS))
def test_no_reserved_word_is_a_tenant(word):
    try:
        match = resolve(f"/{word}/orders/")
    except Resolver404:
        return
    assert "tenant_slug" not in match.kwargs


@pytest.mark.parametrize("slug", ["alpha", "s1", "ss", "q-shop", "admins", "w2", "status-centre", "new-york"])
def test_any_other_slug_is_a_tenant(slug):
    match = resolve(f"/{slug}/orders/")

    assert match.view_name == "orders:list"
    assert match.kwargs == {"tenant_slug": slug}


def test_the_converter_is_the_tenant_patterns_everywhere():
    routes = [str(pattern.pattern) for pattern in get_resolver().url_patterns]
    assert "<tenant:tenant_slug>/" in routes
    assert not [route for route in routes if "<slug:tenant_slug>" in route]
