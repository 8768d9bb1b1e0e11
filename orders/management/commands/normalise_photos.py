"""Normalise order photos stored before uploads were normalised (servicedesk/images.py): re-encode each
original without its metadata (GPS of clients' homes) under its real format's extension and make its
display copy. Safe to run again: photos that have a display copy are skipped.

    python manage.py normalise_photos
"""

from django.core.management.base import BaseCommand

from orders.models import OrderPhoto
from orders.services import ensure_display_copy


class Command(BaseCommand):
    help = "Re-encode order photos stored before normalisation (metadata stripped) and make their display copies."

    def handle(self, *args, **options) -> None:
        done = unreadable = 0
        last_id = 0
        while True:  # in id order, a batch at a time: memory stays flat on big installations
            batch = list(OrderPhoto.objects.filter(display="", pk__gt=last_id).order_by("pk")[:200])
            if not batch:
                break
            for photo in batch:
                if ensure_display_copy(photo):
                    done += 1
                else:
                    unreadable += 1
            last_id = batch[-1].pk
        self.stdout.write(f"normalised: {done}, not readable as photos (left as they are): {unreadable}")
