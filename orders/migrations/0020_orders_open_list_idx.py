"""The list of open orders, newest first (issue 12): the office's default view reads its 51 rows and its bounded
count from an index of open orders only, however long the history. Built concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0019_dashboard_list_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["tenant", "-created_at", "-id"],
                condition=models.Q(("status__in", ["handed_over", "cancelled"]), _negated=True),
                name="orders_open_list_idx",
            ),
        ),
    ]
