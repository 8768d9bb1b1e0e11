"""The PostgreSQL test database, made cheaper to use (a pytest plugin, loaded by tests/conftest.py).

Two test-only changes; the tests see the same database and production's settings are untouched:

- **Emptying the database after a transactional test** (`transactional_db`, `django_db(transaction=True)`,
  `live_server`). Django's flush empties every table with one TRUNCATE. On PostgreSQL a TRUNCATE gives each
  table, index and TOAST table a new file (about 670 of them here): 4-6 s per test on this machine. The
  tests leave a few rows, which `DELETE FROM` each table removes in under 0.1 s. The end state is the same:
  every table empty, the sequences where they were (a TRUNCATE without RESTART IDENTITY leaves them too),
  the foreign keys checked at the commit (Django makes them DEFERRABLE INITIALLY DEFERRED; the project has
  no triggers or rules that a DELETE would fire). A flush that resets the sequences or cascades into tables
  it does not list keeps Django's TRUNCATE.
- **`synchronous_commit=off`** on the test connections: a commit returns before its WAL reaches the disk
  (7 ms -> 0.3 ms a commit on this machine). Only a crash of the server could lose the last commits;
  what other connections see, locks and isolation are unchanged, so the concurrency tests stay real.
"""

from __future__ import annotations

import pytest

TEST_CONNECTION_OPTIONS = "-c synchronous_commit=off"


def _sql_flush_by_delete(original):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        # Run in one transaction by execute_sql_flush: the deferred foreign keys are checked once, at the end.
        return [
            "SET CONSTRAINTS ALL DEFERRED",
            *(
                f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
                for table in tables
            ),
        ]

    sql_flush.__wrapped__ = original  # type: ignore[attr-defined]
    return sql_flush


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return
    options = database.setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), TEST_CONNECTION_OPTIONS]))

    from django.db.backends.postgresql.operations import DatabaseOperations

    if not hasattr(DatabaseOperations.sql_flush, "__wrapped__"):
        DatabaseOperations.sql_flush = _sql_flush_by_delete(DatabaseOperations.sql_flush)  # type: ignore[method-assign]
