"""Cached rows (servicedesk/fragments.py) never show stale data: every value a row shows, changed in the
database behind the page's back (a queryset update: no signal, no version bump), shows on the next view; so do
the clock passing the promised time, another language, another time zone and another center. And a row that
did not change is read from the cache, not rendered again."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Client, Item, Order, OrderStatus, ServiceType
from servicedesk import fragments
from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.roles import Role
from tests.factories import ItemFactory

from .conftest import tenant_url

S = OrderStatus
pytestmark = pytest.mark.django_db
ALL = "?view=&sort=-created"


@pytest.fixture(autouse=True)
def _empty_fragments(fragment_cache):
    """Emptied, and watched (tests/conftest.py)."""


def row_of(response, number: int) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(rf'<tr class="[^"]*">\s*<td><a [^>]*href="/\w+/orders/{number}/">.*?</tr>', html, re.S)
    assert found, f"no row of #{number}"
    return found.group(0)


@pytest.fixture
def shown(make_order, service_a, tenant_a, client_for, users_a):
    """An open order of A on the list, its row already cached by one view; `see()` views the list again."""
    order = make_order(
        S.IN_PROGRESS,
        priority=2,
        promised_at=timezone.now() + timedelta(hours=2),
        item=ItemFactory(tenant=tenant_a, kind="Phone", brand="Apple", model="iPhone 13"),
        total_amount=Decimal("1500"),
        paid_amount=Decimal("500"),
    )
    browser = client_for(users_a[Role.MANAGER])
    url = tenant_url("list", tenant_a) + ALL

    def see(**headers) -> str:
        return row_of(browser.get(url, **headers), order.number)

    first = see()
    assert "Phone Apple iPhone 13" in first and "1,000.00" in first and "overdue" not in first
    return order, see


def test_an_unchanged_row_is_read_from_the_cache(shown, fragment_cache):
    order, see = shown
    (key,) = {key for key in fragment_cache.asked if ":orders.row:" in key}
    fragment_cache.cache.set(
        key, f'<tr class=""><td><a href="/alpha/orders/{order.number}/">FROM THE CACHE</a></td></tr>'
    )
    assert "FROM THE CACHE" in see()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: Order.objects.filter(pk=o.pk).update(status=S.READY), "Ready for pickup"),
        (lambda o: Order.objects.filter(pk=o.pk).update(priority=3), "text-danger"),
        (lambda o: Client.objects.filter(pk=o.client_id).update(name="Renamed Client"), "Renamed Client"),
        (lambda o: Item.objects.filter(pk=o.item_id).update(model="Pixel 9"), "Phone Apple Pixel 9"),
        (
            lambda o: ServiceType.objects.filter(pk=o.service_type_id).update(name="Screen swap"),
            "Screen swap",
        ),
        (
            lambda o: User.objects.filter(pk=o.technician.user_id).update(full_name="Tanya Renamed"),
            "Tanya Renamed",
        ),
        (lambda o: Order.objects.filter(pk=o.pk).update(paid_amount=Decimal("1000")), "500.00"),
        (lambda o: Order.objects.filter(pk=o.pk).update(paid_amount=Decimal("2000")), "−500.00"),
        (lambda o: Order.objects.filter(pk=o.pk).update(sla_state="breached"), 'data-sla="breached"'),
        (
            lambda o: Order.objects.filter(pk=o.pk).update(
                promised_at=timezone.now() + timedelta(days=3, hours=5)
            ),
            (timezone.localtime(timezone.now() + timedelta(days=3, hours=5))).strftime("%Y"),
        ),
    ],
    ids=[
        "status",
        "priority",
        "client-name",
        "item",
        "service-name",
        "technician-name",
        "amount-due",
        "credit",
        "sla",
        "promised",
    ],
)
def test_each_value_a_row_shows_is_fresh(shown, change, expected):
    order, see = shown
    before = see()
    assert expected not in before or expected.isdigit()
    change(order)
    after = see()
    assert after != before
    assert expected in after


def test_another_technician_shows(shown, other_tech_a):
    order, see = shown
    Order.objects.filter(pk=order.pk).update(technician=other_tech_a)
    assert "Second Technician" in see()


def test_the_promised_time_passing_makes_the_row_overdue(shown, time_machine):
    order, see = shown
    assert "table-danger" not in see()
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    after = see()
    assert 'class="table-danger"' in after and "overdue" in after


def test_another_language_renders_again(shown):
    order, see = shown
    assert "In progress" in see(HTTP_ACCEPT_LANGUAGE="en")
    assert "В работе" in see(HTTP_ACCEPT_LANGUAGE="ru")
    assert "In progress" in see(HTTP_ACCEPT_LANGUAGE="en")


def test_another_time_zone_renders_again(shown, tenant_a):
    order, see = shown
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="UTC")
    utc = see()
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="Asia/Tokyo")
    tokyo = see()
    assert utc != tokyo  # the promised time, 9 hours apart


def test_another_center_never_gets_a_row_of_this_one(shown, tenant_b, users_b, client_for, tenant_a):
    """The same number and values in center B: its own row (its links), not A's."""
    from tests.factories import OrderFactory

    order, see = shown
    twin = OrderFactory(tenant=tenant_b, number=order.number, status=S.IN_PROGRESS)
    page = client_for(users_b[Role.MANAGER]).get(tenant_url("list", tenant_b) + ALL).content.decode()
    assert f'href="/beta/orders/{twin.number}/"' in page
    assert "/alpha/" not in page


def test_a_csrf_token_in_a_cached_block_is_the_viewers(rf, fragment_cache):
    """{% csrf_token %} inside a cached block: each request gets its own token, none is stored."""
    from django.middleware.csrf import _does_token_match, get_token
    from django.template import engines

    fragments.register_fingerprint("tests.form", lambda item, context: (item,))
    template = engines["django"].from_string(
        '{% load fragments %}{% cachedfor x in xs fingerprint "tests.form" %}<form>{% csrf_token %}{{ x }}</form>'
        "{% endcachedfor %}"
    )
    for _ in range(2):
        request = rf.get("/")
        get_token(request)
        html = template.render({"xs": [1, 2]}, request)
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert len(tokens) == 2
        assert all(_does_token_match(token, request.META["CSRF_COOKIE"]) for token in tokens)
        stored = "".join(fragment_cache.stored.values())
        assert fragments.csrf_placeholder() in stored
        assert not any(token in stored for token in tokens)


def test_without_a_request_a_cached_csrf_token_renders_nothing():
    from django.template import engines

    fragments.register_fingerprint("tests.form", lambda item, context: (item,))
    template = engines["django"].from_string(
        '{% load fragments %}{% cachedfor x in xs fingerprint "tests.form" %}<b>{% csrf_token %}{{ x }}</b>'
        "{% empty %}none{% endcachedfor %}"
    )
    assert template.render({"xs": [1, 2]}) == "<b>1</b><b>2</b>"
    assert template.render({"xs": []}) == "none"


# --- The order page's timeline --------------------------------------------------------------------------


@pytest.fixture
def timeline(make_order, users_a, client_for, manager_a):
    """An order with a note and a status change in its timeline, already cached by one view of the page."""
    from orders import services

    order = make_order(S.IN_PROGRESS)
    services.add_note(order, text="Screen glue is drying", public=False, by=manager_a)
    browser = client_for(users_a[Role.MANAGER])
    url = f"/alpha/orders/{order.number}/"

    def see(**headers) -> str:
        response = browser.get(url, **headers)
        assert response.status_code == 200
        html = response.content.decode()
        start = html.index('data-testid="timeline"')
        return html[start : html.index("</ul>", start)]

    first = see()
    assert "Screen glue is drying" in first and "internal" in first
    return order, see


def test_a_note_made_public_shows_public(timeline):
    from orders.models import OrderEvent

    order, see = timeline
    OrderEvent.objects.filter(order=order, kind="note").update(is_public=True)
    assert ">public<" in see()


def test_the_author_renamed_shows_the_new_name(timeline, manager_a):
    order, see = timeline
    User.objects.filter(pk=manager_a.user_id).update(full_name="Maria Renamed")
    assert "Maria Renamed" in see()


def test_a_new_event_shows_first(timeline, manager_a):
    from orders import services

    order, see = timeline
    services.add_note(order, text="Second note", public=True, by=manager_a)
    html = see()
    assert html.index("Second note") < html.index("Screen glue is drying")


def test_the_timeline_follows_the_language_and_time_zone(timeline, tenant_a):
    order, see = timeline
    english = see(HTTP_ACCEPT_LANGUAGE="en")
    assert "internal" in english
    assert "internal" not in see(HTTP_ACCEPT_LANGUAGE="ru")
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="Asia/Tokyo")
    assert see(HTTP_ACCEPT_LANGUAGE="en") != english
