"""Whole pages from the cache (servicedesk/pagecache.py): served again only while nothing they show changed.

These tests commit for real (transaction=True): the page cache serves nothing inside a transaction, which is
what every other test runs in.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import caches
from django.db import connection, transaction
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from servicedesk import pagecache
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What a kept page still costs: the user and the membership (the session is read from the cache:
# servicedesk/sessions.py).
FLOOR_QUERIES = 2


@pytest.fixture(autouse=True)
def empty_page_cache(monkeypatch):
    caches[pagecache.CACHE_ALIAS].clear()
    # One time slice for the whole test: a slow machine must not cross a PAGE_CACHE_SECONDS boundary mid-test.
    monkeypatch.setattr(pagecache, "_time_slice", lambda: 1)


@pytest.fixture
def order(tenant_a, users_a, location_a):
    return OrderFactory(tenant=tenant_a, problem="Does not turn on")


def detail(order: Order) -> str:
    return reverse("orders:detail", kwargs={"tenant_slug": order.tenant.slug, "order_number": order.number})


def list_url(tenant) -> str:
    return reverse("orders:list", kwargs={"tenant_slug": tenant.slug})


def cached(client: Client, url: str) -> HttpResponse:
    """The page, requested until the cache holds it (the first request of a center sets its version)."""
    for _ in range(3):
        response = client.get(url)
    return response


def test_a_page_seen_again_costs_only_the_floor(member_client, order, django_assert_num_queries):
    manager = member_client(Role.MANAGER)
    first = cached(manager, detail(order))

    with django_assert_num_queries(FLOOR_QUERIES):
        again = manager.get(detail(order))

    assert again.status_code == 200
    assert _without_tokens(again) == _without_tokens(first)
    assert "Does not turn on" in again.content.decode()


def test_a_page_is_kept_from_its_second_view_on(member_client, order):
    manager = member_client(Role.MANAGER)
    manager.get(list_url(order.tenant))  # the center's first page view sets its version
    url = list_url(order.tenant) + "?q=made-up"

    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            manager.get(url)
        counts.append(len(captured))

    assert counts[0] > FLOOR_QUERIES  # asked once: rendered, only a marker kept
    assert counts[1] > FLOOR_QUERIES  # asked again: rendered and kept
    assert counts[2] == FLOOR_QUERIES


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda o: Order.objects.filter(pk=o.pk).update(problem="Cracked glass"), id="queryset-update"
        ),
        pytest.param(lambda o: _raw_update(o.pk, "Cracked glass"), id="raw-sql"),
        pytest.param(lambda o: _save(o, "Cracked glass"), id="model-save-in-a-transaction"),
    ],
)
def test_any_committed_write_shows_on_the_next_view(member_client, order, write):
    manager = member_client(Role.MANAGER)
    assert "Does not turn on" in cached(manager, detail(order)).content.decode()

    write(order)

    page = manager.get(detail(order)).content.decode()
    assert "Cracked glass" in page
    assert "Does not turn on" not in page


def test_a_change_made_through_the_page_shows_at_once(member_client, order):
    manager = member_client(Role.MANAGER)
    cached(manager, detail(order))

    response = manager.post(
        reverse("orders:note_add", kwargs={"tenant_slug": "alpha", "order_number": order.number}),
        {"text": "Client will call back at noon"},
        follow=True,
    )

    assert "Client will call back at noon" in response.content.decode()
    assert "Client will call back at noon" in manager.get(detail(order)).content.decode()


def test_a_rolled_back_write_keeps_the_page(member_client, order, django_assert_num_queries):
    manager = member_client(Role.MANAGER)
    cached(manager, detail(order))

    with pytest.raises(RuntimeError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(problem="Cracked glass")
        raise RuntimeError("changed my mind")

    with django_assert_num_queries(FLOOR_QUERIES):
        page = manager.get(detail(order)).content.decode()
    assert "Does not turn on" in page


def test_another_centers_writes_leave_this_centers_pages(
    member_client, order, tenant_b, users_b, django_assert_num_queries
):
    manager = member_client(Role.MANAGER)
    other = OrderFactory(tenant=tenant_b)  # outside any request's scope: a global write, made before caching
    cached(manager, detail(order))

    with pagecache.tenant_scope(tenant_b.pk):
        Order.objects.filter(pk=other.pk).update(problem="Beta's problem")

    with django_assert_num_queries(FLOOR_QUERIES):
        manager.get(detail(order))


def test_each_member_gets_their_own_page(member_client, order):
    manager, reception = member_client(Role.MANAGER), member_client(Role.RECEPTION)
    as_manager = cached(manager, list_url(order.tenant)).content.decode()
    as_reception = cached(reception, list_url(order.tenant)).content.decode()

    badge = 'd-xl-none d-xxl-inline">{}</span>'  # the role beside the user's name in the menu
    assert badge.format("Manager") in as_manager
    assert badge.format("Manager") not in as_reception
    assert badge.format("Reception") in as_reception


def test_a_kept_page_is_never_shown_to_another_center_or_an_outsider(
    member_client, order, outsider, client_for
):
    cached(member_client(Role.MANAGER), detail(order))

    assert member_client(Role.MANAGER, "beta").get(detail(order)).status_code == 404
    assert client_for(outsider).get(detail(order)).status_code == 404
    assert Client().get(detail(order)).status_code == 302  # to the log-in page


def test_the_decorator_must_sit_below_tenant_view():
    from django.core.exceptions import ImproperlyConfigured

    from servicedesk.tenancy.access import tenant_view
    from servicedesk.tenancy.roles import Perm

    with pytest.raises(ImproperlyConfigured):
        pagecache.cached_page(tenant_view(Perm.ORDERS_VIEW)(lambda request: HttpResponse()))


def test_russian_pages_are_kept_apart(member_client, order):
    manager = member_client(Role.MANAGER)
    english = cached(manager, detail(order)).content.decode()
    manager.cookies.load({"django_language": "ru"})
    russian = cached(manager, detail(order)).content.decode()

    assert 'lang="ru"' in russian
    assert 'lang="en"' in english


def test_every_response_carries_its_own_valid_csrf_token(order, users_a):
    manager = Client(enforce_csrf_checks=True)
    manager.force_login(users_a[Role.MANAGER])
    tokens = {_tokens(manager.get(detail(order))).pop() for _ in range(4)}
    secret = manager.cookies["csrftoken"].value

    assert len(tokens) == 4  # masked afresh each time, never one stored token
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    page = manager.get(detail(order)).content.decode()
    assert pagecache.csrf_placeholder() not in page

    posted = manager.post(
        reverse("orders:note_add", kwargs={"tenant_slug": "alpha", "order_number": order.number}),
        {"csrfmiddlewaretoken": _tokens(manager.get(detail(order))).pop(), "text": "Sent from a cached page"},
    )
    assert posted.status_code == 302


def test_the_clock_alone_renders_the_page_again(member_client, order, monkeypatch):
    manager = member_client(Role.MANAGER)
    cached(manager, detail(order))
    monkeypatch.setattr(pagecache, "_time_slice", lambda: 2)  # PAGE_CACHE_SECONDS later

    with CaptureQueriesContext(connection) as captured:
        manager.get(detail(order))
    assert len(captured) > FLOOR_QUERIES  # rendered again


def test_without_a_cache_pages_work_and_writes_go_through(member_client, order, monkeypatch):
    manager = member_client(Role.MANAGER)
    cache = caches[pagecache.CACHE_ALIAS]

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get_many", "incr", "set", "add"):
        monkeypatch.setattr(cache, method, down)

    assert manager.get(detail(order)).status_code == 200
    Order.objects.filter(pk=order.pk).update(problem="Cracked glass")
    assert "Cracked glass" in manager.get(detail(order)).content.decode()


def test_pages_in_a_transaction_are_never_cached(member_client, order):
    manager = member_client(Role.MANAGER)
    with transaction.atomic():
        cached(manager, detail(order))
        with CaptureQueriesContext(connection) as captured:
            manager.get(detail(order))
    assert len(captured) > FLOOR_QUERIES


def test_a_page_with_waiting_messages_is_rendered(order, users_a):
    membership = Membership.objects.get(user=users_a[Role.MANAGER], tenant=order.tenant)
    calls = []

    @pagecache.cached_page
    def view(request):
        calls.append(request)
        return HttpResponse("<p>page</p>")

    def request(message: str | None = None):
        made = RequestFactory().get("/alpha/x/")
        made.user, made.tenant, made.membership = users_a[Role.MANAGER], order.tenant, membership
        made.session = {}
        made._messages = FallbackStorage(made)
        if message:
            made._messages.add(20, message)
        return made

    for _ in range(3):
        view(request())
    assert len(calls) == 2  # the first view sets the versions, the second stores, the third is served
    view(request("Saved."))
    assert len(calls) == 3


# --- Which writes bump which version ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "scope", "expected"),
    [
        ('SELECT "orders_order"."id" FROM "orders_order"', 7, None),
        ('INSERT INTO "orders_order" ("tenant_id") VALUES (%s)', 7, "pv:t:7"),
        ('  update "orders_order" SET "problem" = %s', 7, "pv:t:7"),
        ('DELETE FROM "orders_orderevent" WHERE "id" = %s', 7, "pv:t:7"),
        ('INSERT INTO "orders_order" ("tenant_id") VALUES (%s)', None, pagecache.GLOBAL),
        ('UPDATE "accounts_user" SET "full_name" = %s', 7, pagecache.GLOBAL),
        ('UPDATE "tenancy_tenant" SET "name" = %s', 7, pagecache.GLOBAL),
        ('UPDATE "django_session" SET "session_data" = %s', 7, None),
        ("TRUNCATE orders_order", 7, pagecache.GLOBAL),
        ("WITH x AS (DELETE FROM orders_order RETURNING id) SELECT 1", 7, pagecache.GLOBAL),
        ("SAVEPOINT s1", 7, None),
    ],
)
def test_the_version_a_statement_bumps(sql, scope, expected):
    with pagecache.tenant_scope(scope):
        assert pagecache.version_key_for(sql) == expected


def test_a_transaction_bumps_each_version_once_after_it_commits(tenant_a):
    cache = caches[pagecache.CACHE_ALIAS]
    key = pagecache.tenant_version_key(tenant_a.pk)
    cache.set(key, 100, None)

    with pagecache.tenant_scope(tenant_a.pk), transaction.atomic():
        OrderFactory.create_batch(3, tenant=tenant_a)
        assert cache.get(key) == 100  # not before the commit
    assert cache.get(key) == 101


def test_a_task_of_one_center_writes_as_that_center(tenant_a, monkeypatch, celery_eager):
    from notifications import outbox
    from notifications.tasks import deliver_email

    seen = []
    monkeypatch.setattr(
        outbox, "deliver", lambda *args, **kwargs: seen.append(pagecache.current_tenant_id.get())
    )

    deliver_email.delay(tenant_a.pk, [])
    deliver_email.delay(tenant_id=tenant_a.pk, ids=[])

    assert seen == [tenant_a.pk, tenant_a.pk]
    assert pagecache.current_tenant_id.get() is None  # and nothing is left behind


# --- Helpers -------------------------------------------------------------------------------------------------
def _raw_update(pk: int, problem: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "orders_order" SET "problem" = %s WHERE "id" = %s', [problem, pk])


def _save(order: Order, problem: str) -> None:
    with transaction.atomic():
        order.problem = problem
        order.save(update_fields=["problem"])


_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


def _tokens(response: HttpResponse) -> set[str]:
    return set(_TOKEN.findall(response.content.decode()))


def _without_tokens(response: HttpResponse) -> str:
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "<token>", response.content.decode())
