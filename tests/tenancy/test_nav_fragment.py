"""The main menu is cached (servicedesk/fragments.py, servicedesk.tenancy.apps.nav_values): it follows the
member's role when it changes, marks the page's own entry, links into the member's own center and speaks the
page's language."""

from __future__ import annotations

import re

import pytest

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_fragments(fragment_cache):
    """Emptied, and watched (tests/conftest.py)."""


def menu(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return html[
        html.index('<ul class="navbar-nav me-auto">') : html.index('<ul class="navbar-nav align-items')
    ]


def active(html: str) -> list[str]:
    return re.findall(r'class="nav-link[^"]*active[^"]*" href="([^"]+)"', html)


def test_the_menu_follows_a_role_change(tenant_a, users_a, client_for):
    browser = client_for(users_a[Role.TECHNICIAN])
    as_technician = menu(browser.get("/alpha/orders/"))
    assert 'data-testid="nav-my-jobs"' in as_technician and "/alpha/settings/" not in as_technician
    Membership.objects.filter(tenant=tenant_a, user=users_a[Role.TECHNICIAN]).update(role=Role.MANAGER)
    as_manager = menu(browser.get("/alpha/orders/"))
    assert 'data-testid="nav-my-jobs"' not in as_manager and 'data-testid="nav-work"' in as_manager


def test_the_menu_marks_the_page_it_is_on(tenant_a, users_a, client_for):
    browser = client_for(users_a[Role.MANAGER])
    assert active(menu(browser.get("/alpha/orders/"))) == ["/alpha/orders/"]
    assert active(menu(browser.get("/alpha/clients/"))) == ["/alpha/clients/"]
    assert active(menu(browser.get("/alpha/orders/"))) == ["/alpha/orders/"]


def test_each_center_gets_its_own_links(tenant_a, tenant_b, users_a, users_b, client_for):
    assert "/alpha/" in menu(client_for(users_a[Role.MANAGER]).get("/alpha/orders/"))
    other = menu(client_for(users_b[Role.MANAGER]).get("/beta/orders/"))
    assert "/beta/orders/" in other and "/alpha/" not in other


def test_the_menu_speaks_the_pages_language(tenant_a, users_a, client_for):
    browser = client_for(users_a[Role.MANAGER])
    assert ">Orders<" in menu(browser.get("/alpha/orders/", HTTP_ACCEPT_LANGUAGE="en")).replace("</i> ", ">")
    assert "Orders" not in menu(browser.get("/alpha/orders/", HTTP_ACCEPT_LANGUAGE="ru"))
