"""Sessions read from the cache, kept in the database (servicedesk/sessions.py): no query for the session on a
staff page; login, pages and logout work when the sessions' cache fails on every call; a removed session never
comes back from the cache to log anybody in."""

from __future__ import annotations

import logging
import os

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import salted_hmac

from servicedesk import sessions
from servicedesk.sessions import KEY_PREFIX, SessionStore
from servicedesk.tenancy.roles import Role
from tests.factories import PASSWORD
from tests.helpers import logged_in_user_id

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")


class CacheDown(BaseCache):
    """A cache whose every call fails, as Redis's client does when Redis is down."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = has_key = incr = decr = clear = _down
    get_many = set_many = delete_many = _down

    def __contains__(self, key):
        return self.has_key(key)


class DeleteFails(LocMemCache):
    """A cache that keeps what it has but does not take a delete: Redis away for the logout, back after it
    with its data (it keeps them through a restart: AOF)."""

    def delete(self, key, version=None):
        raise ConnectionError("Timeout reading from 127.0.0.1:6379")


@pytest.fixture
def session_cache(settings):
    """The sessions' cache alias pointed at `backend` (a dotted path); returns the cache."""

    def use(backend: str):
        settings.CACHES = {
            **settings.CACHES,
            "sessions-test": {"BACKEND": backend, "LOCATION": "sessions-test"},
        }
        settings.SESSION_CACHE_ALIAS = "sessions-test"
        cache = caches["sessions-test"]
        if isinstance(cache, LocMemCache):
            cache.clear()  # local memory is shared by LOCATION: the previous test's sessions
        return cache

    sessions._failing = False
    yield use
    sessions._failing = False


def session_queries(captured) -> list[str]:
    """The reads of a session (a page may also save its session: an UPDATE)."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and '"django_session"' in query["sql"]
    ]


def test_the_engine_is_this_store_in_the_tests():
    if os.environ.get("SESSION_ENGINE"):
        pytest.skip("SESSION_ENGINE is set in the environment")
    assert django_settings.SESSION_ENGINE == "servicedesk.sessions"


# --- With a working cache: no query ------------------------------------------------------------------------


def test_a_staff_page_reads_its_session_from_the_cache(member_client, tenant_a):
    manager = member_client(Role.MANAGER)
    manager.get(f"/{tenant_a.slug}/")

    with CaptureQueriesContext(connection) as captured:
        response = manager.get(f"/{tenant_a.slug}/")

    assert response.status_code == 200
    assert session_queries(captured) == []


def test_a_session_missing_from_the_cache_is_read_from_the_database_once(member_client, tenant_a):
    manager = member_client(Role.MANAGER)
    manager.get(f"/{tenant_a.slug}/")
    caches[django_settings.SESSION_CACHE_ALIAS].clear()  # Redis restarted empty

    with CaptureQueriesContext(connection) as first:
        assert manager.get(f"/{tenant_a.slug}/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert manager.get(f"/{tenant_a.slug}/").status_code == 200

    assert len(session_queries(first)) == 1
    assert session_queries(second) == []


def test_the_cached_copy_follows_every_save(member_client, tenant_a):
    manager = member_client(Role.MANAGER)
    store = SessionStore(manager.session.session_key)
    store["picked"] = "second"
    store.save()

    cached = caches[django_settings.SESSION_CACHE_ALIAS].get(KEY_PREFIX + store.session_key)
    assert cached["picked"] == "second"
    assert SessionStore(store.session_key)["picked"] == "second"


# --- Logout and flush ------------------------------------------------------------------------------------


def test_logout_removes_the_session_from_the_cache_and_the_database(member_client, tenant_a):
    manager = member_client(Role.MANAGER)
    manager.get(f"/{tenant_a.slug}/")
    key = manager.cookies[django_settings.SESSION_COOKIE_NAME].value

    assert manager.post(LOGOUT_URL).status_code == 302

    assert caches[django_settings.SESSION_CACHE_ALIAS].get(KEY_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    replayed = Client()
    replayed.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert replayed.get(f"/{tenant_a.slug}/").status_code == 302  # to the log-in page


def test_a_session_flushed_elsewhere_is_not_served_from_the_cache(member_client, tenant_a):
    manager = member_client(Role.MANAGER)
    manager.get(f"/{tenant_a.slug}/")
    key = manager.cookies[django_settings.SESSION_COOKIE_NAME].value

    SessionStore(key).delete()  # another process ends it (an administrator, a script)

    assert manager.get(f"/{tenant_a.slug}/").status_code == 302


# --- The cache down ----------------------------------------------------------------------------------------


def test_login_a_staff_page_and_logout_work_with_the_cache_down(
    client, users_a, tenant_a, session_cache, caplog
):
    session_cache("tests.test_sessions.CacheDown")
    manager = users_a[Role.MANAGER]

    with caplog.at_level(logging.WARNING, logger="servicedesk.sessions"):
        response = client.post(LOGIN_URL, {"username": manager.email, "password": PASSWORD})
        assert response.status_code == 302
        assert logged_in_user_id(client) == str(manager.pk)
        for _ in range(3):
            assert client.get(f"/{tenant_a.slug}/").status_code == 200
        key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        assert client.post(LOGOUT_URL).status_code == 302

    assert client.get(f"/{tenant_a.slug}/").status_code == 302  # logged out
    assert not Session.objects.filter(session_key=key).exists()
    logged = [record.getMessage() for record in caplog.records if record.name == "servicedesk.sessions"]
    assert len([line for line in logged if "did not answer" in line]) == 1, "logged once, not on every call"
    # The cache may come back with the session's copy (Redis keeps its data): the person's sessions end.
    assert [line for line in logged if "did not answer" not in line] == [
        f"The cache did not take a session's removal: every session of user {manager.pk} was ended"
    ]
    manager.refresh_from_db()
    assert manager.session_generation == 1


def test_with_the_cache_down_every_page_reads_the_session_from_the_database(
    member_client, tenant_a, session_cache
):
    manager = member_client(Role.MANAGER)
    session_cache("tests.test_sessions.CacheDown")

    with CaptureQueriesContext(connection) as captured:
        assert manager.get(f"/{tenant_a.slug}/").status_code == 200

    assert len(session_queries(captured)) == 1


def test_the_cache_answering_again_is_noted_and_used(
    member_client, tenant_a, session_cache, settings, caplog
):
    manager = member_client(Role.MANAGER)
    working = settings.SESSION_CACHE_ALIAS
    session_cache("tests.test_sessions.CacheDown")
    manager.get(f"/{tenant_a.slug}/")
    settings.SESSION_CACHE_ALIAS = working

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="servicedesk.sessions"):
        manager.get(f"/{tenant_a.slug}/")
        with CaptureQueriesContext(connection) as captured:
            manager.get(f"/{tenant_a.slug}/")

    assert session_queries(captured) == []
    assert [record.getMessage() for record in caplog.records if record.name == "servicedesk.sessions"] == [
        "The session cache answers again"
    ]


# --- A delete the cache did not take -----------------------------------------------------------------------


def test_a_logout_the_cache_missed_ends_every_session_of_the_person(client, users_a, tenant_a, session_cache):
    cache = session_cache("tests.test_sessions.DeleteFails")
    manager = users_a[Role.MANAGER]
    other_device = Client()
    other_device.force_login(manager)
    client.post(LOGIN_URL, {"username": manager.email, "password": PASSWORD})
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert cache.get(KEY_PREFIX + key)[SESSION_KEY] == str(manager.pk)

    assert client.post(LOGOUT_URL).status_code == 302

    assert cache.get(KEY_PREFIX + key) is not None, "the copy the cache kept (the case under test)"
    replayed = Client()
    replayed.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert replayed.get(f"/{tenant_a.slug}/").status_code == 302, "the kept copy logs nobody in"
    assert other_device.get(f"/{tenant_a.slug}/").status_code == 302, "nor do the person's other sessions"
    manager.refresh_from_db()
    assert manager.session_generation == 1
    # Logging in again works, and stays logged in.
    client.post(LOGIN_URL, {"username": manager.email, "password": PASSWORD})
    assert client.get(f"/{tenant_a.slug}/").status_code == 200
    assert client.get(f"/{tenant_a.slug}/").status_code == 200


def test_an_anonymous_session_the_cache_kept_ends_nobodys_sessions(client, users_a, session_cache):
    session_cache("tests.test_sessions.DeleteFails")
    store = SessionStore()
    store["language_picked"] = "ru"
    store.save()

    store.flush()

    assert {user.session_generation for user in users_a.values()} == {0}


def test_a_login_moving_the_session_to_a_new_key_ends_nothing(client, users_a, tenant_a, session_cache):
    session_cache("tests.test_sessions.DeleteFails")
    manager = users_a[Role.MANAGER]
    client.get(LOGIN_URL)  # an anonymous session first (the log-in page's)
    session = client.session
    session["seen"] = True
    session.save()

    client.post(LOGIN_URL, {"username": manager.email, "password": PASSWORD})

    manager.refresh_from_db()
    assert manager.session_generation == 0
    assert client.get(f"/{tenant_a.slug}/").status_code == 200


def test_a_password_change_the_cache_missed_keeps_the_person_logged_in(
    client, users_a, tenant_a, session_cache
):
    session_cache("tests.test_sessions.DeleteFails")
    manager = users_a[Role.MANAGER]
    client.post(LOGIN_URL, {"username": manager.email, "password": PASSWORD})
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "An0ther-long-pass",
            "new_password2": "An0ther-long-pass",
        },
    )

    assert response.status_code == 302
    assert client.get(f"/{tenant_a.slug}/").status_code == 200
    replayed = Client()
    replayed.cookies[django_settings.SESSION_COOKIE_NAME] = old_key
    assert replayed.get(f"/{tenant_a.slug}/").status_code == 302, (
        "the old key's copy has the old password's hash"
    )


# --- The session hash --------------------------------------------------------------------------------------


def test_the_session_hash_is_djangos_until_the_sessions_are_ended(users_a, settings):
    settings.SECRET_KEY_FALLBACKS = ["an-older-secret-" + "x" * 40]
    user = users_a[Role.MANAGER]
    salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

    assert user.get_session_auth_hash() == salted_hmac(salt, user.password, algorithm="sha256").hexdigest()
    before = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]

    user.end_all_sessions()

    after = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    assert user.session_generation == 1
    assert len(after) == 2 and not set(before) & set(after), "the fallback secrets' hashes change too"


def test_ending_the_sessions_logs_the_person_out_everywhere(member_client, users_a, tenant_a):
    manager = member_client(Role.MANAGER)
    assert manager.get(f"/{tenant_a.slug}/").status_code == 200

    users_a[Role.MANAGER].end_all_sessions()

    assert manager.get(f"/{tenant_a.slug}/").status_code == 302


# --- The engine by the environment -------------------------------------------------------------------------


@pytest.mark.once
@pytest.mark.parametrize(
    ("env", "engine"),
    [
        ({}, "django.contrib.sessions.backends.db"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "servicedesk.sessions"),
        (
            {
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "SESSION_ENGINE": "django.contrib.sessions.backends.db",
            },
            "django.contrib.sessions.backends.db",
        ),
        ({"SESSION_ENGINE": "servicedesk.sessions"}, "servicedesk.sessions"),
    ],
)
def test_the_engine_follows_the_environment(env, engine):
    from tests.test_settings import run

    result = run(["-c", "import servicedesk.settings as s; print(s.SESSION_ENGINE)"], **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == engine
