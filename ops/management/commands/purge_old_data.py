from django.core.management.base import BaseCommand

from ops.retention import purge_old_data


class Command(BaseCommand):
    help = "Delete old outbox rows, log-in logs and expired sessions (see docs/deploy.md, Retention)."

    def handle(self, *args, **options) -> None:
        counts = purge_old_data()
        self.stdout.write(", ".join(f"{name}: {count} deleted" for name, count in counts.items()))
