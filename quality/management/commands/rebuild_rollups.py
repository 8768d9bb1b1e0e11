"""manage.py rebuild_rollups [--tenant SLUG] [--days N]: recompute the dashboard's daily rollups from the raw rows.

Without --days every day is rebuilt (run it once after deploying the dashboard, and after changing a location's
business hours if the past should be counted in the new ones); with --days N the last N days, as the periodic
repair does. Each center is rebuilt in one transaction that holds its order events meanwhile.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from servicedesk.tenancy.models import Tenant

from ...rollups import recompute


class Command(BaseCommand):
    help = "Recompute the managers' dashboard rollups from orders, events, work log and feedback."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="only this center (its slug)")
        parser.add_argument(
            "--days", type=int, help="only the last N days (the center's calendar, today included)"
        )

    def handle(self, *args, tenant=None, days=None, **options) -> None:
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No center with the slug {tenant!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        for center in tenants:
            started = time.perf_counter()
            since = None if days is None else center.local_date() - timedelta(days=days - 1)
            done = recompute(center, since)
            if options["verbosity"]:
                self.stdout.write(
                    f"{center.slug}: {done.rows} rows from {since or 'the beginning'} "
                    f"in {time.perf_counter() - started:.1f} s"
                )
