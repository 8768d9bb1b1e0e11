"""My jobs' cards are cached (servicedesk/fragments.py, technicians.views.job_card_values): every value a card
shows, changed in the database behind the page's back (no signal, no version bump), shows on the next view; so
do the clock passing the promised time, the timer, the job just touched, the language; the card's forms carry
this request's CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.middleware.csrf import _does_token_match
from django.urls import reverse
from django.utils import timezone

from orders.models import Client, Item, LineItem, Order, OrderStatus, ServiceFormat, ServiceType
from servicedesk import fragments
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import Part, StockLevel
from technicians import worklog
from tests.factories import ItemFactory, LineItemFactory, PartServiceTypeFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db
S = OrderStatus


@pytest.fixture(autouse=True)
def _empty_fragments(fragment_cache):
    """Emptied, and watched (tests/conftest.py)."""


def card_of(response, number: int) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    start = html.rindex('<div class="card', 0, html.index(f'id="job-{number}"'))
    end = html.find('<div class="col-12 col-lg-6">', start)
    return html[start : end if end > 0 else len(html)]


@pytest.fixture
def card(tenant_a, tech_a, service_type_a, part_a, member_client, location_a):
    """An on-site job in progress of A's technician (contacts shown), with a part in stock for its service;
    its card already cached by one view. `see(**params)` views My jobs again and returns the card."""
    order = make_order(
        tenant_a,
        status=S.IN_PROGRESS,
        technician=tech_a,
        workshop=location_a,
        service_type=service_type_a,
        format=ServiceFormat.ON_SITE,
        visit_address="Mira 1",
        visit_start=timezone.now() + timedelta(days=1),
        promised_at=timezone.now() + timedelta(hours=2),
        priority=2,
    )
    Order.objects.filter(pk=order.pk).update(
        item=ItemFactory(
            tenant=tenant_a, client=order.client, kind="Phone", brand="Apple", model="", serial=""
        )
    )
    order.refresh_from_db()
    PartServiceTypeFactory(part=part_a, service_type=service_type_a)
    browser = member_client(Role.TECHNICIAN)
    url = reverse("technicians:my_jobs", args=[tenant_a.slug])

    def see(**params) -> str:
        return card_of(browser.get(url, params, HTTP_ACCEPT_LANGUAGE=params.pop("lang", "en")), order.number)

    first = see()
    assert (
        "Battery" in first
        and "Phone Apple" in first
        and order.client.name in first
        and "overdue" not in first
    )
    return order, see, browser, url


def test_an_unchanged_card_is_read_from_the_cache(card, fragment_cache):
    order, see, _browser, _url = card
    (key,) = {key for key in fragment_cache.asked if ":technicians.job_card:" in key}
    fragment_cache.cache.set(key, f'<div class="card" id="job-{order.number}">FROM THE CACHE</div>')
    assert "FROM THE CACHE" in see()


CHANGES = {
    "status": (lambda o: Order.objects.filter(pk=o.pk).update(status=S.QUALITY_CHECK), "Quality check"),
    "priority": (lambda o: Order.objects.filter(pk=o.pk).update(priority=3), "Urgent"),
    "problem": (lambda o: Order.objects.filter(pk=o.pk).update(problem="Cracked screen"), "Cracked screen"),
    "visit-address": (lambda o: Order.objects.filter(pk=o.pk).update(visit_address="Lenina 7"), "Lenina 7"),
    "client-name": (lambda o: Client.objects.filter(pk=o.client_id).update(name="Renamed Client"), "Renamed"),
    "client-phone": (
        lambda o: Client.objects.filter(pk=o.client_id).update(phone="+79990001122"),
        "+79990001122",
    ),
    "item": (lambda o: Item.objects.filter(pk=o.item_id).update(model="iPhone 15"), "Phone Apple iPhone 15"),
    "service-name": (
        lambda o: ServiceType.objects.filter(pk=o.service_type_id).update(name="Screen swap"),
        "Screen swap",
    ),
    "part-name": (lambda o: Part.objects.update(name="Charging port"), "Charging port"),
    "free-stock": (lambda o: StockLevel.objects.update(on_hand=Decimal("3")), "(3)"),
    "used-part": (
        lambda o: LineItemFactory(
            order=o,
            kind=LineItem.Kind.PART,
            description="Glue strip",
            quantity=Decimal("2"),
            unit_price=Decimal("10"),
        ),
        "Glue strip × 2",
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_value_a_card_shows_is_fresh(card, name):
    order, see, _browser, _url = card
    change, expected = CHANGES[name]
    before = see()
    assert expected not in before
    change(order)
    assert expected in see()


def test_a_reservation_shows(card, part_a, tech_a):
    order, see, _browser, _url = card
    order.refresh_from_db()
    stock.reserve(order, part=part_a, quantity=1, by=tech_a)
    assert "Reserved" in see()


def test_the_timer_shows_on_its_card(card, tech_a):
    order, see, _browser, _url = card
    assert 'data-testid="timer-start"' in see()
    order.refresh_from_db()
    worklog.start_timer(order, technician=tech_a, by=tech_a)
    after = see()
    assert 'data-testid="timer-stop"' in after and "running" in after.split(">", 1)[0]


def test_the_promised_time_passing_shows_overdue(card, time_machine):
    order, see, _browser, _url = card
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    assert "overdue" in see()


def test_the_job_just_touched_is_marked(card):
    order, see, _browser, _url = card
    assert " touched" not in see().split(">", 1)[0]
    assert " touched" in see(job=str(order.number)).split(">", 1)[0]
    assert " touched" not in see().split(">", 1)[0]


def test_another_language_renders_again(card):
    order, see, _browser, _url = card
    assert "Use a part" in see(lang="en")
    assert "Use a part" not in see(lang="ru")


def test_every_form_of_a_cached_card_carries_this_sessions_token(card, tenant_a, tech_a, client_for):
    order, see, browser, url = card
    html = browser.get(url).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) >= 4
    secret = browser.cookies["csrftoken"].value
    assert all(_does_token_match(token, secret) for token in tokens)
    assert fragments.csrf_placeholder() not in html
