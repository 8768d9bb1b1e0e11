"""/healthz says the process lives; /readyz names each dependency's state."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from servicedesk import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forget_migration_check():
    health._migrations_applied = False
    yield
    health._migrations_applied = False


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_readyz_ready(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database": "ok", "redis": "not configured", "migrations": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reads_the_migration_graph_once(client, settings):
    settings.REDIS_URL = ""
    client.get("/readyz")
    with mock.patch.object(health, "MigrationExecutor") as executor:
        assert client.get("/readyz").status_code == 200
    executor.assert_not_called()


def test_readyz_database_down(client, settings, caplog):
    settings.REDIS_URL = ""
    with mock.patch.object(health, "connections") as connections:
        connections.__getitem__.return_value.cursor.side_effect = OperationalError("connection refused")
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "error: OperationalError",
        "redis": "not configured",
        "migrations": "unknown",
    }
    assert "readyz: not ready" in caplog.text


def test_readyz_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "error: ConnectionError"


def test_readyz_unapplied_migration(client, settings):
    settings.REDIS_URL = ""
    with mock.patch.object(health.MigrationExecutor, "migration_plan", return_value=[("m", False)] * 2):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "error: 2 not applied"


def test_readyz_refuses_post(client):
    assert client.post("/readyz").status_code == 405
