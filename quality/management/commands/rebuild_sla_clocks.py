from django.core.management.base import BaseCommand, CommandError

from quality.clocks import rebuild_clocks, tick
from servicedesk.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Recompute the service-level clocks of every order from its timeline (after deploying the SLA "
        "feature, or to repair). Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="only this center (its slug)")
        parser.add_argument(
            "--open-only", action="store_true", help="only open orders; the verdicts of reached targets stay"
        )

    def handle(self, *args, tenant: str | None = None, open_only: bool = False, **options) -> None:
        tenants = Tenant.objects.filter(is_active=True).order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No active center with the slug {tenant!r}.")
        for center in tenants:
            count = rebuild_clocks(center, only_open=open_only)
            self.stdout.write(f"{center.slug}: {count} orders")
        moved = tick()
        self.stdout.write(self.style.SUCCESS(f"Clocks moved on: {moved['moved']}, alerts: {moved['alerts']}"))
