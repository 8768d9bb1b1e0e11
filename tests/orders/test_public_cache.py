"""The client's status page from the cache (issue 12, orders/public.py): the same page as rendered afresh,
its own CSRF token and headers on every response, never stale (each shown value, changed, changes the
page), and the rate limit, the link's expiry and the center's being active checked on every request."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from orders import public, services
from orders.models import Estimate, EventKind, OrderEvent, OrderStatus
from servicedesk import fragments
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, EstimateLineFactory, OrderEventFactory
from tests.helpers import text_of

S = OrderStatus
pytestmark = pytest.mark.django_db
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


def status_url(token: str) -> str:
    return f"/s/{token}/"


@pytest.fixture
def order(make_order, tenant_a, staff_a):
    person = ClientFactory(tenant=tenant_a, name="Ivan Sidorovsky", phone="+79161234567", language="en")
    order = make_order(S.IN_PROGRESS, client=person, promised_at=timezone.now() + timedelta(days=2))
    services.add_note(order, text="Your part has been ordered", public=True, by=staff_a[Role.TECHNICIAN])
    return order


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None
    return found.group(1)


def without_csrf(html: str) -> str:
    return CSRF.sub("TOKEN", html)


def page(client, order) -> str:
    response = client.get(status_url(order.public_token))
    assert response.status_code == 200
    return without_csrf(response.content.decode())


def test_the_second_view_comes_from_the_cache_and_is_the_same_page(client, order, django_assert_num_queries):
    first = client.get(status_url(order.public_token))
    with django_assert_num_queries(
        1
    ):  # the order's row and its public events in one statement, nothing rendered
        second = client.get(status_url(order.public_token))

    assert second.status_code == 200
    assert without_csrf(second.content.decode()) == without_csrf(first.content.decode())
    assert fragments.csrf_placeholder() not in second.content.decode()
    for header in [
        "Content-Type",
        "Referrer-Policy",
        "Cache-Control",
        "X-Robots-Tag",
        "Content-Security-Policy",
        "X-Frame-Options",
        "Content-Language",
        "Vary",
    ]:
        assert second.get(header) == first.get(header), header
    assert second["Cache-Control"] == "no-store" and second["Referrer-Policy"] == "no-referrer"


def test_every_response_carries_its_own_csrf_token(client, order):
    tokens = [csrf_of(client.get(status_url(order.public_token)).content.decode()) for _ in range(3)]

    assert len(set(tokens)) == 3, "a fresh masked token each time, never a cached one"
    assert fragments.csrf_placeholder() not in tokens
    assert client.cookies["csrftoken"].value, "the cookie the token belongs to is set"


def test_visitors_never_get_each_others_csrf_token(client, order):
    from django.test import Client

    mine = csrf_of(client.get(status_url(order.public_token)).content.decode())
    other = Client()
    theirs = other.get(status_url(order.public_token))

    assert csrf_of(theirs.content.decode()) != mine
    assert theirs.cookies["csrftoken"].value != client.cookies["csrftoken"].value


def _status(order):
    order.status = S.READY
    order.save()


def _promised(order):
    order.promised_at = order.promised_at + timedelta(days=3)
    order.save()


def _expected_ready(order):
    order.expected_ready_at = timezone.now() + timedelta(days=9)
    order.save()


def _total(order):
    order.total_amount = Decimal("4321")
    order.save()


def _paid(order):
    order.total_amount, order.paid_amount = Decimal("5000"), Decimal("1234")
    order.save()


def _warranty(order):
    order.warranty_until = date(2031, 5, 17)
    order.save()


def _public_note(order):
    OrderEventFactory(order=order, kind=EventKind.NOTE, message="Arrived today", is_public=True)


def _note_edited(order):
    OrderEvent.objects.filter(order=order, kind=EventKind.NOTE).update(message="Your part was ordered again")


def _note_hidden(order):
    OrderEvent.objects.filter(order=order, kind=EventKind.NOTE).update(is_public=False)


def _client_name(order):
    order.client.name = "Boris Sidorovsky"
    order.client.save()


def _client_language(order):
    order.client.language = "ru"
    order.client.save()


def _item(order):
    order.item.brand, order.item.model = "Nokia", "3310"
    order.item.save()


def _no_item(order):
    order.item = None
    order.save()


def _center_name(order):
    order.tenant.name = "Renamed Repairs"
    order.tenant.save()


def _center_phone(order):
    order.intake_location.phone = ""
    order.intake_location.save()
    order.tenant.phone = "+7 495 000-11-22"
    order.tenant.save()


def _currency(order):
    order.tenant.currency = "EUR" if order.tenant.currency != "EUR" else "RUB"
    order.tenant.save()


def _time_zone(order):
    order.tenant.time_zone = "Asia/Jakarta" if order.tenant.time_zone != "Asia/Jakarta" else "Europe/Moscow"
    order.tenant.save()


def _center_language(order):
    order.client.language = ""  # the client's was English: now the center's speaks
    order.client.save()
    order.tenant.language = "id" if order.tenant.language != "id" else "ru"
    order.tenant.save()


def _location(field: str, value: str):
    def change(order):
        setattr(order.intake_location, field, value)
        order.intake_location.save()

    change.__name__ = f"_location_{field}"
    return change


CHANGES = [
    _status,
    _promised,
    _expected_ready,
    _total,
    _paid,
    _warranty,
    _public_note,
    _note_edited,
    _note_hidden,
    _client_name,
    _client_language,
    _item,
    _no_item,
    _center_name,
    _center_phone,
    _currency,
    _time_zone,
    _center_language,
    _location("name", "Second counter"),
    _location("address", "Lenina 5"),
    _location("opening_hours", "Mon-Sat 9-21"),
    _location("phone", "+7 495 333-44-55"),
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_a_change_of_anything_shown_changes_the_page(change, client, order):
    before = page(client, order)
    assert page(client, order) == before  # now served from the cache

    change(order)

    after = page(client, order)
    assert after != before
    cache.clear()
    assert after == page(client, order), "the page from the cache is the page rendered afresh"


def test_the_service_shown_for_an_order_without_an_item_is_never_stale(client, order):
    order.item = None
    order.save()
    before = page(client, order)
    assert page(client, order) == before

    order.service_type.name = "Screen replacement"
    order.service_type.save()

    assert "Screen replacement" in page(client, order)


def test_the_estimate_waiting_for_an_answer_is_never_stale(client, make_order, tenant_a):
    order = make_order(S.AWAITING_APPROVAL, client=ClientFactory(tenant=tenant_a, language="en"))
    before = page(client, order)
    estimate = Estimate.objects.get(order=order)  # made by the first view (an order from before versions)
    assert page(client, order) == before

    EstimateLineFactory(estimate=estimate, description="New battery", quantity=1, unit_price=Decimal("700"))
    with_line = page(client, order)
    assert "New battery" in with_line

    Estimate.objects.filter(pk=estimate.pk).update(amount=Decimal("1700"), comment="Battery and labour")
    changed = page(client, order)
    assert changed != with_line and "Battery and labour" in changed


def test_the_rate_limit_counts_views_from_the_cache(client, order, settings, steady_rate_window):
    settings.PUBLIC_PAGE_RATE = "3/m"
    url = status_url(order.public_token)

    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert client.get(url).status_code == 429


def test_a_cached_page_is_not_served_once_the_link_expired(client, order):
    page(client, order)
    order.public_token_expires_at = timezone.now() - timedelta(seconds=1)
    order.save()

    assert client.get(status_url(order.public_token)).status_code == 404


def test_a_cached_page_is_not_served_once_the_center_is_inactive(client, order):
    page(client, order)
    order.tenant.is_active = False
    order.tenant.save()

    assert client.get(status_url(order.public_token)).status_code == 404


def test_a_replaced_link_leaves_the_old_one_404(client, order, staff_a):
    old = order.public_token
    page(client, order)
    services.replace_public_link(order, by=staff_a[Role.MANAGER])

    assert client.get(status_url(old)).status_code == 404


def test_the_language_the_client_picked_is_kept_apart(client, order):
    english = page(client, order)
    client.get(status_url(order.public_token) + "?language=ru")

    russian = page(client, order)
    assert russian != english and 'lang="ru"' in russian
    client.cookies.pop("django_language")
    assert page(client, order) == english


def test_a_message_after_the_clients_answer_is_shown_once(client, make_order, tenant_a):
    order = make_order(S.AWAITING_APPROVAL, client=ClientFactory(tenant=tenant_a, language="en"))
    page(client, order)  # cached
    client.post(f"/s/{order.public_token}/approve/", {"estimate_version": "1", "estimate_amount": "1000.00"})

    shown = text_of(client.get(status_url(order.public_token)))
    assert "Thank you! We will start the work." in shown
    assert "Thank you! We will start the work." not in text_of(client.get(status_url(order.public_token)))


def test_after_handover_the_page_is_rendered_every_time(
    client, make_order, tenant_a, django_assert_num_queries
):
    order = make_order(S.HANDED_OVER, client=ClientFactory(tenant=tenant_a, language="en"))
    order.closed_at = timezone.now()
    order.save()
    first = page(client, order)
    assert "How did we do?" in first
    # The feedback and the documents (other apps' rows) are read each time: no cache key covers them.
    assert public._shown_values(client.get("/").wsgi_request, order.public_token) is None


def test_dates_follow_the_centers_time_zone_from_the_cache(client, order):
    order.tenant.time_zone = "Europe/Moscow"
    order.tenant.save()
    order.promised_at = datetime(2031, 1, 1, 21, 30, tzinfo=ZoneInfo("UTC"))
    order.save()
    moscow = page(client, order)
    assert page(client, order) == moscow and "2 Jan 2031, 00:30" in moscow
