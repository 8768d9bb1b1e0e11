"""Shared fixtures of the ServiceDesk test suite.

Services (PostgreSQL, Redis)
----------------------------
Tests that need a real service say so with a marker:

    @pytest.mark.postgres   # runs only when DATABASES["default"] is PostgreSQL (DATABASE_URL=postgres://...)
    @pytest.mark.redis      # runs only when settings.REDIS_URL is set and Redis answers PING

Locally a missing service SKIPS such tests, with the reason in the report (`pytest -rs`).
In CI (environment variable CI is "true" or "1") a missing service is a FAILURE, never a skip:
a CI run that silently skipped the PostgreSQL tests would prove nothing about PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk REDIS_URL=redis://127.0.0.1:6379/15 pytest

Tenants and people
------------------
Two tenants, A ("alpha") and B ("beta"), each with one location and one user per role:

    tenant_a, tenant_b              the tenants
    users_a, users_b                dict Role -> User (members of A, of B)
    outsider                        a user who belongs to no tenant
    member_client(role, tenant)     a django test Client logged in as that member (tenant defaults to A)
    client_for(user)                a django test Client logged in as any user
    world                           A and B filled with one of every tenant-owned object (A has more of
                                    each than B); the cross-tenant and role tests use it. Extend it when
                                    you add a model (see the fixture).

Every factory user's password is tests.factories.PASSWORD.

Time
----
    clock                           the test's wall clock in the centers' zone: clock.set("2026-03-10 23:50")
                                    pins it; --clock / --clock-tz move the whole session (tests/clock.py)
"""

from __future__ import annotations

import functools
import os
import time
from types import SimpleNamespace

import pytest
from django.test import Client

from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.roles import Role

from .factories import InvitationFactory, LocationFactory, MembershipFactory, TenantFactory, UserFactory

# The test clock: the `clock` fixture, the --clock / --clock-tz options and the clock_sensitive marker;
# the PostgreSQL test database's cheaper flush and commits (tests/pg_speed.py).
pytest_plugins = ["tests.clock", "tests.pg_speed"]

# --- Service markers ------------------------------------------------------------------------------


# The longest tests (each a minute or two of one worker on PostgreSQL under CI's load) start first: collected
# last (tests/test_*.py), they ran at the end of the pass, alone on one worker while the other had finished
# (the CI run of 2026-12-01: 137 s and 126 s at the tail of a 844 s pass).
SLOW_FIRST = (
    "tests/test_migrations.py",
    "tests/test_demo_history.py",
    "tests/test_demo_jakarta.py",
    "tests/orders/test_lifecycle_random.py",
    "tests/orders/test_money.py::test_the_demo_bills",
)


def pytest_collection_modifyitems(config, items):
    """Move SLOW_FIRST to the front, otherwise in collection order (the same on every xdist worker)."""
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


def pytest_configure(config):
    # Also declared in pyproject.toml; repeated here so the markers exist wherever this conftest goes.
    config.addinivalue_line("markers", "postgres: needs PostgreSQL; skipped locally without it, fails in CI")
    config.addinivalue_line(
        "markers", "redis: needs Redis (REDIS_URL); skipped locally without it, fails in CI"
    )
    config.addinivalue_line(
        "markers",
        "once: reads neither the database nor the clock: .ci/run runs it in the SQLite step only",
    )
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        _own_redis_database(int(worker[2:]))
    _sessions_as_in_production()


def _sessions_as_in_production() -> None:
    """Sessions read from the cache, as production reads them (servicedesk/sessions.py), with or without
    Redis: each test process is one process, where the local-memory cache is as shared as Redis. The query
    counts the tests assert are a staff page's in production. SESSION_ENGINE in the environment wins
    (SESSION_ENGINE=django.contrib.sessions.backends.db: every page reads its session from the database)."""
    from django.conf import settings

    if not os.environ.get("SESSION_ENGINE"):
        settings.SESSION_ENGINE = "servicedesk.sessions"


def _own_redis_database(worker: int) -> None:
    """Under pytest-xdist each worker gets its own Redis database (REDIS_URL's number minus the worker's).

    Every test empties the cache (FLUSHDB) and the Celery tests purge their queue: in a shared database
    one worker would wipe the other's rate-limit counters and queued tasks. The test databases are already
    per worker (pytest-django adds the suffix).
    """
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings

    if not settings.REDIS_URL:
        return
    parts = urlsplit(settings.REDIS_URL)
    base = int(parts.path.strip("/") or 0)
    number = base - worker if base - worker >= 0 else base + worker
    url = urlunsplit(parts._replace(path=f"/{number}"))
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {
        name: {**config, "LOCATION": url} if "redis" in config["BACKEND"].lower() else config
        for name, config in settings.CACHES.items()
    }
    from servicedesk.celery import app as celery_app

    celery_app.conf.broker_url = url


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return (
            f"needs PostgreSQL, but the database engine is {connection.settings_dict['ENGINE']} "
            "(set DATABASE_URL=postgres://...)"
        )
    return None


@functools.cache
def _redis_ping_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError, ValueError) as error:
        return f"needs Redis, but REDIS_URL={url} does not answer PING ({error})"
    return None


def redis_problem() -> str | None:
    """Why Redis tests cannot run here, or None when they can."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return "needs Redis, but REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379/15)"
    return _redis_ping_problem(settings.REDIS_URL)


SERVICE_CHECKS = {"postgres": postgres_problem, "redis": redis_problem}


def pytest_runtest_setup(item):
    for marker, problem_of in SERVICE_CHECKS.items():
        if item.get_closest_marker(marker) is None:
            continue
        problem = problem_of()
        if problem is None:
            continue
        if in_ci():
            pytest.fail(f"CI is set, so a missing service is an error, not a skip: {problem}", pytrace=False)
        pytest.skip(problem)


# --- Isolation and speed --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (rate limits, cached pages), locmem or Redis alike."""
    from django.conf import settings
    from django.core.cache import cache

    if not settings.REDIS_URL or _redis_ping_problem(settings.REDIS_URL) is None:
        cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: LocaleMiddleware leaves a request's language active on the
    thread, so a Russian page in one test made the next test's service messages Russian (seen under xdist)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def celery_eager(request):
    """Celery tasks run in-process (as in the demo), also in the PostgreSQL + Redis pass, so a test sees the
    mail its action sends; tests marked `redis` keep the real broker. The documents, notifications and
    quality tests turn this on for every test in their conftest."""
    from servicedesk.celery import app as celery_app

    if request.node.get_closest_marker("redis"):
        yield
        return
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def steady_rate_window(monkeypatch):
    """django-ratelimit counts in fixed windows (e.g. each minute): freeze its clock, so a window boundary
    falling inside the test cannot reset the count halfway."""
    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Tenants and people ---------------------------------------------------------------------------


def _staff(tenant: Tenant) -> dict[Role, object]:
    """One member per role, e-mail <role>@<slug>.test, e.g. owner@alpha.test."""
    users = {}
    for role in Role:
        user = UserFactory(
            email=f"{role.value}@{tenant.slug}.test", full_name=f"{role.label} of {tenant.name}"
        )
        MembershipFactory(tenant=tenant, user=user, role=role)
        users[role] = user
    return users


@pytest.fixture
def tenant_a(db):
    return TenantFactory(slug="alpha", name="Alpha Repairs")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(slug="beta", name="Beta Service")


@pytest.fixture
def location_a(tenant_a):
    return LocationFactory(tenant=tenant_a, name="Alpha main office")


@pytest.fixture
def location_b(tenant_b):
    return LocationFactory(tenant=tenant_b, name="Beta main office")


@pytest.fixture
def users_a(tenant_a, location_a):
    return _staff(tenant_a)


@pytest.fixture
def users_b(tenant_b, location_b):
    return _staff(tenant_b)


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.test", full_name="Oscar Outsider")


@pytest.fixture
def client_for():
    """client_for(user) -> a test Client logged in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def member_client(tenant_a, tenant_b, users_a, users_b, client_for):
    """member_client(Role.MANAGER) -> Client of A's manager; member_client(Role.OWNER, tenant_b) -> B's owner.

    The tenant may be given as a Tenant or its slug.
    """
    staff = {tenant_a.slug: users_a, tenant_b.slug: users_b}

    def make(role: Role | str, tenant: Tenant | str | None = None) -> Client:
        slug = tenant_a.slug if tenant is None else getattr(tenant, "slug", tenant)
        return client_for(staff[slug][Role(role)])

    return make


# --- The world: one of every tenant-owned object ----------------------------------------------------


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The `world` below, built once for a module that only reads it (tests/helpers.py world_for_the_module):
    such a module defines `world(module_world, db)`, and each of its tests runs in a savepoint."""
    from .helpers import world_for_the_module

    with world_for_the_module(django_db_blocker, tmp_path_factory.mktemp("module-world-media")) as built:
        yield built


@pytest.fixture
def world(tenant_a, tenant_b, users_a, users_b, outsider, location_a, location_b, settings, tmp_path):
    """Tenants A and B filled with objects, for the cross-tenant and role tests (see build_world)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(tenant_a, tenant_b, users_a, users_b, outsider, location_a, location_b)


def build_world(tenant_a, tenant_b, users_a, users_b, outsider, location_a, location_b) -> SimpleNamespace:
    """The `world` fixture's objects (documents are stored under settings.MEDIA_ROOT).

    HOW TO EXTEND (when you add a tenant-owned model and URLs with a new kwarg):
    1. Create the objects below with the factories (tests/factories/; add one for the new model), for B
       first and then for A, giving A MORE of each kind than B
       (e.g. B one order, A three orders). Per-tenant numbers (order number 3 of A) then do not
       exist in B, so a view that looks up by number without the tenant is caught.
    2. Keep A's object the test should use on `world`, e.g. `world.order_a = orders_a[-1]` (the LAST
       one: its number is the one B does not have).
    3. Add one line to KWARG_FILLERS in tests/test_cross_tenant.py, e.g.
       "order_number": lambda world: world.order_a.number,
    """
    # Tenant B: one of each kind (B's staff and location come from users_b / location_b).
    InvitationFactory(tenant=tenant_b, email="someone@beta.test")

    # Tenant A: more of each kind than B.
    locations_a = [location_a, *LocationFactory.create_batch(2, tenant=tenant_a)]
    extra_member_a = MembershipFactory(
        tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(email="extra-tech@alpha.test")
    )
    invitations_a = [
        InvitationFactory(tenant=tenant_a, email="first@alpha.test", role=Role.RECEPTION),
        InvitationFactory(tenant=tenant_a, email="second@alpha.test", role=Role.TECHNICIAN),
    ]

    # Documents (archived PDFs, stored under a temporary media folder): B one, A two.
    from tests.documents.world import add_documents, orders_for

    document_a = add_documents(orders_for(tenant_b, 1), orders_for(tenant_a, 2))

    # Notifications (failed outbox rows, so "resend" has something to do): B one, A two.
    from tests.notifications.world import add_notifications

    notification_a = add_notifications(tenant_b, tenant_a)

    # Technicians: orders in progress with a technician, parts, stock, reservations, work logged: B one, A three.
    from tests.technicians.world import add_technicians

    technicians_a = add_technicians(tenant_b, tenant_a)

    # Orders: clients, catalogue entries, and line items and photos on the world's order of A: B one, A two.
    from tests.orders.world import add_orders

    orders_a = add_orders(tenant_b, tenant_a, order_a=technicians_a.order)

    # Business hours: weekly hours and the centers' own days off: B one day, A two.
    from tests.quality.world import add_business_hours

    calendar_day_a = add_business_hours(tenant_b, location_b, tenant_a, locations_a[-1])

    # The API: keys, feedback, the item of A's world order: B one key and one rating, A two.
    from tests.api.world import add_api

    api_a = add_api(tenant_b, tenant_a, order_a=technicians_a.order)
    # The reception queue: a desk and visits at A's last location (B one, A two), one with its order.
    from tests.reception.world import add_visits

    visit_a = add_visits(tenant_b, location_b, tenant_a, locations_a[-1])

    # Standards and goals: B one of each, A two.
    from tests.quality.world import add_standards

    standard_a, goal_a = add_standards(tenant_b, tenant_a)
    # Service-level policies: B its two defaults and one more, A its defaults and two more.
    from tests.quality.world import add_sla_policies

    sla_policy_a = add_sla_policies(tenant_b, tenant_a)
    # The managers' dashboard: daily rollups of both, from the orders above.
    from tests.quality.world import add_rollups

    add_rollups(tenant_b, tenant_a)
    # Checklists: a version on the service of the world's order of A, pinned to it; B one item, A five.
    from tests.quality.world import add_checklists

    checklist_item_a = add_checklists(tenant_b, tenant_a, technicians_a.order)
    # After-sales: complaints, warranty claims, audits and findings on handed-over orders with devices.
    from tests.quality.world import add_aftersales

    aftersales_a = add_aftersales(tenant_b, tenant_a)

    return SimpleNamespace(
        tenant_a=tenant_a,
        tenant_b=tenant_b,
        users_a=users_a,
        users_b=users_b,
        outsider=outsider,
        # A's objects the URL kwargs point at (see KWARG_FILLERS):
        location_a=locations_a[-1],
        membership_a=extra_member_a,
        invitation_a=invitations_a[-1],
        document_a=document_a,
        notification_a=notification_a,
        order_a=technicians_a.order,
        part_a=technicians_a.part,
        reservation_a=technicians_a.reservation,
        client_a=orders_a.client,
        service_type_a=orders_a.service_type,
        line_a=orders_a.line,
        photo_a=orders_a.photo,
        calendar_day_a=calendar_day_a,
        api_key_a=api_a.api_key,
        webhook_endpoint_a=api_a.webhook_endpoint,
        webhook_delivery_a=api_a.webhook_delivery,
        import_job_a=api_a.import_job,
        center_export_a=api_a.center_export,
        item_a=api_a.item,
        feedback_a=api_a.feedback,
        visit_a=visit_a,
        standard_a=standard_a,
        goal_a=goal_a,
        sla_policy_a=sla_policy_a,
        checklist_item_a=checklist_item_a,
        complaint_a=aftersales_a.complaint,
        claim_a=aftersales_a.claim,
        audit_a=aftersales_a.audit,
        finding_a=aftersales_a.finding,
    )


@pytest.fixture
def fragment_cache(monkeypatch):
    """The fragments' cache (servicedesk/fragments.py), emptied, with what pages asked of it (`.asked`: keys
    of get_many) and stored in it (`.stored`: set_many's values): the same on local memory and on Redis."""
    from types import SimpleNamespace

    from django.core.cache import caches

    from servicedesk import fragments

    cache = caches[fragments.CACHE_ALIAS]
    cache.clear()
    spy = SimpleNamespace(cache=cache, asked=[], stored={})
    get_many, set_many = cache.get_many, cache.set_many

    def asking(keys, *args, **kwargs):
        spy.asked.extend(keys)
        return get_many(keys, *args, **kwargs)

    def storing(data, *args, **kwargs):
        spy.stored.update(data)
        return set_many(data, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", asking)
    monkeypatch.setattr(cache, "set_many", storing)
    return spy
