from django.conf import settings
from django.core.management.base import BaseCommand

from demo.seed import seed_demo, seed_jakarta
from servicedesk.tenancy.demo import DEMO_PASSWORD, DEMO_PEOPLE, JAKARTA_PEOPLE


class Command(BaseCommand):
    help = "Create (or complete) the demo service centers (Moscow and Jakarta) with staff, orders in every state, planning, stock and documents. Safe to run again."

    def handle(self, *args, **options) -> None:
        staff = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(f"Demo service center: {settings.SITE_URL}/{staff.tenant.slug}/")
        )
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for role, email, _name in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<11} {email}")
        jakarta = seed_jakarta()
        self.stdout.write(
            self.style.SUCCESS(
                f"Jakarta demo center (Bahasa Indonesia): {settings.SITE_URL}/{jakarta.tenant.slug}/"
            )
        )
        for role, email, _name in JAKARTA_PEOPLE:
            self.stdout.write(f"  {role.label:<11} {email}")
