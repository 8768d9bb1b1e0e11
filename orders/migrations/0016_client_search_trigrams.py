"""A trigram index on clients' phone (issue 12): the order list's search looks the clients up first.

PostgreSQL only: the pg_trgm extension (trusted since PostgreSQL 13, so the database's owner may create it)
and a GIN index built concurrently. On SQLite both operations do nothing.
"""

import django.contrib.postgres.indexes
from django.db import migrations

from servicedesk.migration_ops import AddPostgresIndexConcurrently, TrigramExtension


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0015_client_language"),
    ]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; nothing on other databases
        AddPostgresIndexConcurrently(
            model_name="client",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["phone"], name="orders_client_phone_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
