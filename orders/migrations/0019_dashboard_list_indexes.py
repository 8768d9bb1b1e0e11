"""The dashboard's short lists (issue 12): the first orders ready for pickup by promised date and the first new
ones by priority, from partial indexes that stop after eight rows however many orders wait. Built
concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0018_client_erasure_and_personal_data_requests"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["tenant", "promised_at", "id"],
                condition=models.Q(("status", "ready")),
                name="orders_ready_promised_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["tenant", "-priority", "created_at", "id"],
                condition=models.Q(("status", "new")),
                name="orders_new_priority_idx",
            ),
        ),
    ]
