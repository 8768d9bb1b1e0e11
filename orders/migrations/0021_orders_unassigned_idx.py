"""The planning board's Unassigned list (issue 12's growth rule): the first open orders without a technician, by
priority and promised time, from a partial index that stops after 61 rows however many wait (the list sorted
25,000 of them at 1,000,000 orders in the pathological shape: 300-440 ms). Built concurrently: the table stays
writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0020_orders_open_list_idx"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["tenant", "-priority", "promised_at", "id"],
                condition=models.Q(
                    ("technician__isnull", True),
                    models.Q(("status__in", ["handed_over", "cancelled"]), _negated=True),
                ),
                name="orders_unassigned_idx",
            ),
        ),
    ]
