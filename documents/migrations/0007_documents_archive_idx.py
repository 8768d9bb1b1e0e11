"""The archive's keyset pages (issue 12), built concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("documents", "0006_signer_title_en"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="document",
            index=models.Index(fields=["tenant", "-issued_at", "-id"], name="documents_archive_idx"),
        ),
    ]
