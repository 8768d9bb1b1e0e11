"""Migration operations that keep big tables writable while they change.

`AddIndexConcurrently` builds the index with CREATE INDEX CONCURRENTLY on PostgreSQL: no lock that blocks
writes to the table while a million orders are indexed. The migration must say `atomic = False`
(PostgreSQL refuses CONCURRENTLY inside a transaction). On SQLite (development, tests) it is a plain
AddIndex. Django's own django.contrib.postgres operation does the PostgreSQL half but fails on SQLite,
hence this small wrapper. tests/test_migrations.py requires it for every index added after issue 15.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently as PostgresAddIndexConcurrently
from django.contrib.postgres.operations import RemoveIndexConcurrently as PostgresRemoveIndexConcurrently
from django.contrib.postgres.operations import TrigramExtension as PostgresTrigramExtension
from django.db.migrations.operations import AddIndex, RemoveIndex


class AddIndexConcurrently(AddIndex):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            PostgresAddIndexConcurrently(self.model_name, self.index).database_forwards(
                app_label, schema_editor, from_state, to_state
            )
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            PostgresAddIndexConcurrently(self.model_name, self.index).database_backwards(
                app_label, schema_editor, from_state, to_state
            )
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(RemoveIndex):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            PostgresRemoveIndexConcurrently(self.model_name, self.name).database_forwards(
                app_label, schema_editor, from_state, to_state
            )
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            PostgresRemoveIndexConcurrently(self.model_name, self.name).database_backwards(
                app_label, schema_editor, from_state, to_state
            )
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddPostgresIndexConcurrently(AddIndexConcurrently):
    """An index only PostgreSQL has (GIN, trigram operator classes: see orders 0014): built concurrently there,
    nothing at all on SQLite, whose state still records it so the models and the migrations agree."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class TrigramExtension(PostgresTrigramExtension):
    """pg_trgm on PostgreSQL; nothing elsewhere, backwards too (Django's own asks SQLite for pg_extension when
    migrating back, which tests/test_migrations.py does)."""

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
