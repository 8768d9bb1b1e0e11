"""My jobs' "logged today" (issue 12's growth rule): a technician's work-log entries that end after the day's
start or still run, from an index on (tenant, technician, ended_at), instead of every entry the technician
ever started. Built concurrently: the table stays writable."""

from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("technicians", "0004_work_slot"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="worklog",
            index=models.Index(fields=["tenant", "technician", "ended_at"], name="tech_worklog_tech_end_idx"),
        ),
    ]
