from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    """The order list's "At risk" / "Breached" views and its sort by the next SLA deadline, on an index
    (built concurrently on PostgreSQL: the orders table stays writable)."""

    atomic = False

    dependencies = [
        ("orders", "0009_order_sla_summary"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "sla_state", "sla_due_at", "id"], name="orders_sla_state_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "sla_due_at", "id"], name="orders_sla_due_idx"),
        ),
    ]
