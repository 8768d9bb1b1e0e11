"""The `postgres` and `redis` markers: skip locally without the service, fail in CI (see conftest)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection

from servicedesk.tenancy.access import tenant_cache_key
from servicedesk.tenancy.models import Location
from tests import conftest


class FakeItem:
    def __init__(self, *markers: str) -> None:
        self.markers = markers

    def get_closest_marker(self, name: str):
        return name if name in self.markers else None


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_missing_service_fails_in_ci(monkeypatch, settings, ci):
    monkeypatch.setenv("CI", ci)
    settings.REDIS_URL = ""
    with pytest.raises(pytest.fail.Exception, match="REDIS_URL is not set"):
        conftest.pytest_runtest_setup(FakeItem("redis"))


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_service_skips_locally(monkeypatch, settings, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    settings.REDIS_URL = ""
    with pytest.raises(pytest.skip.Exception, match="REDIS_URL is not set"):
        conftest.pytest_runtest_setup(FakeItem("redis"))


def test_unmarked_tests_never_check_services(monkeypatch, settings):
    monkeypatch.setenv("CI", "true")
    settings.REDIS_URL = ""
    conftest.pytest_runtest_setup(FakeItem())  # no exception


def test_redis_that_does_not_answer_is_a_problem():
    problem = conftest._redis_ping_problem("redis://127.0.0.1:1/0")
    assert problem is not None and "does not answer PING" in problem


def test_postgres_problem_follows_the_database_engine():
    if connection.vendor == "postgresql":
        assert conftest.postgres_problem() is None
    else:
        assert "needs PostgreSQL" in conftest.postgres_problem()


# --- The services themselves ----------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_enforces_unique_location_names_per_tenant(tenant_a, tenant_b, location_a):
    assert connection.vendor == "postgresql"
    Location.objects.create(tenant=tenant_b, name=location_a.name)  # another tenant: allowed
    with pytest.raises(IntegrityError):
        Location.objects.create(tenant=tenant_a, name=location_a.name)


@pytest.mark.redis
def test_cache_is_redis_and_keys_carry_the_tenant(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache.set(tenant_cache_key(1, "open-orders"), 5)
    cache.set(tenant_cache_key(2, "open-orders"), 7)
    assert cache.get(tenant_cache_key(1, "open-orders")) == 5
    assert cache.get(tenant_cache_key(2, "open-orders")) == 7
