"""The feedback list's index (issue 12), built concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("quality", "0007_aftersales"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="feedback",
            index=models.Index(fields=["tenant", "-created_at", "-id"], name="quality_feedback_list_idx"),
        ),
    ]
