"""Indexes of after-sales on the orders table (issue 10), built concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0011_aftersales"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(condition=models.Q(("warranty_of__isnull", False)), fields=["tenant", "warranty_of"],
                               name="orders_return_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "item", "-created_at"], name="orders_item_idx"),
        ),
    ]
