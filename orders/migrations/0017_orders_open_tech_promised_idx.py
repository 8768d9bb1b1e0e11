"""The planning board's backlog (issue 12): each technician's first open jobs (undated, then by promised time), read from
an index that stops after a few rows. Built concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0016_client_search_trigrams"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["tenant", "technician", "promised_at", "id"],
                condition=models.Q(("status__in", ["handed_over", "cancelled"]), _negated=True),
                name="orders_open_tech_promised_idx",
            ),
        ),
    ]
