"""A database outage answers 503 "back in a minute" with Retry-After, logs one line per request, and passes.

The database is made unreachable in-process: the connection's ensure_connection() raises what Django
raises when PostgreSQL refuses connections (an OperationalError), for every query of the request.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import InterfaceError, OperationalError, connection

from servicedesk.tenancy.roles import Role

pytestmark = pytest.mark.django_db

TOKEN = "Qm9vbS1hLXNlY3JldC10b2tlbi1vZi00My1jaGFyc3gx"  # shaped like a public link token (43 characters)


@pytest.fixture
def database_down(monkeypatch):
    """database_down() makes every query fail as with PostgreSQL stopped; database_down.up() restores it."""

    class Switch:
        def __call__(self, error: type[Exception] = OperationalError) -> None:
            def refuse(*args, **kwargs):
                raise error('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

            monkeypatch.setattr(connection, "ensure_connection", refuse)

        def up(self) -> None:
            monkeypatch.undo()

    return Switch()


def _errors(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def assert_back_in_a_minute(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert "Back in a minute" in response.content.decode()


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_answers_503_with_one_log_line_and_recovers(
    member_client, tenant_a, database_down, caplog, error
):
    client = member_client(Role.MANAGER)
    database_down(error)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/{tenant_a.slug}/notifications/")
    assert_back_in_a_minute(response)
    errors = _errors(caplog)
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].name == "servicedesk.outage" and errors[0].exc_info is None
    assert errors[0].getMessage() == (
        f"Database unavailable: GET /{tenant_a.slug}/notifications/ answered 503 ({error.__name__}: connection to "
        'server at "127.0.0.1", port 5432 failed: Connection refused)'
    )
    assert "Content-Security-Policy" in response  # the page still goes out with the security headers

    database_down.up()  # PostgreSQL is back: the very next request works, nothing restarted
    assert client.get(f"/{tenant_a.slug}/notifications/").status_code == 200


def test_an_error_in_a_middleware_on_the_way_out_is_still_one_503(
    member_client, tenant_a, database_down, caplog, monkeypatch
):
    """The outage seen in production: the view failed, then the session middleware failed again on the way out."""
    client = member_client(Role.MANAGER)
    client.raise_request_exception = (
        False  # (the test client would re-raise what Django turned into a response)
    )

    def save_session(self, request, response):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionMiddleware, "process_response", save_session)
    database_down()
    with caplog.at_level(logging.INFO):
        response = client.get(f"/{tenant_a.slug}/orders/")
    assert_back_in_a_minute(response)
    errors = _errors(caplog)
    assert [r.name for r in errors] == ["servicedesk.outage"]
    assert all(r.exc_info is None for r in errors)


def test_anonymous_pages_and_the_language(client, database_down, caplog):
    database_down()
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/accounts/login/", {"username": "a@example.test", "password": "x"}, HTTP_ACCEPT_LANGUAGE="ru"
        )
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert '<html lang="ru">' in response.content.decode()
    assert len(_errors(caplog)) == 1


def test_the_public_token_is_not_logged(client, database_down, caplog):
    database_down()
    with caplog.at_level(logging.INFO):
        response = client.get(f"/s/{TOKEN}/")
    assert response.status_code == 503
    assert TOKEN not in caplog.text
    assert "GET /s/…/ answered 503" in caplog.text


def test_other_errors_are_still_500(member_client, tenant_a, monkeypatch):
    """Only database outages become 503: a bug stays a bug (500, with its traceback in the log)."""
    from notifications import views

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(views, "render", broken)
    client = member_client(Role.MANAGER)
    client.raise_request_exception = False
    assert client.get(f"/{tenant_a.slug}/notifications/").status_code == 500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_on_a_dead_port_answers_503_then_recovers(client, caplog):
    """The real thing: the connection points at a port where nothing listens, then back at PostgreSQL."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = 1
    try:
        with caplog.at_level(logging.INFO):
            response = client.post("/accounts/login/", {"username": "a@example.test", "password": "x"})
        assert_back_in_a_minute(response)
        errors = _errors(caplog)
        assert (
            len(errors) == 1
            and "Database unavailable: POST /accounts/login/ answered 503" in errors[0].getMessage()
        )
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert client.get("/accounts/login/").status_code == 200  # PostgreSQL "is back": no restart needed
