"""Run the outbox's periodic work once, without Celery beat (the demo, or a cron job).

python manage.py send_notifications          # scans (overdue, visits), then the relay
python manage.py send_notifications --loop   # every NOTIFICATIONS_RELAY_SECONDS until Ctrl+C
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications import events, outbox


class Command(BaseCommand):
    help = "Write due overdue alerts and visit reminders, then send every due queued notification."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Repeat every NOTIFICATIONS_RELAY_SECONDS.")

    def handle(self, *args, loop: bool = False, **options) -> None:
        while True:
            overdue = events.scan_overdue()
            visits = events.scan_visit_reminders()
            totals = outbox.relay()
            self.stdout.write(f"overdue alerts: {overdue}, visit reminders: {visits}, relay: {totals}")
            if not loop:
                return
            time.sleep(settings.NOTIFICATIONS_RELAY_SECONDS)
