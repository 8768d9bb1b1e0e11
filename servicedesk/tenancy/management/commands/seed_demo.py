from django.conf import settings
from django.core.management.base import BaseCommand

from servicedesk.tenancy.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo_staff


class Command(BaseCommand):
    help = "Create (or complete) the demo service center with one user per role. Safe to run again."

    def handle(self, *args, **options) -> None:
        staff = seed_demo_staff()
        try:
            from orders.demo import seed_demo_orders
        except ImportError:  # orders app without demo data yet
            seed_demo_orders = None
        if seed_demo_orders is not None:
            seed_demo_orders(staff)
        self.stdout.write(self.style.SUCCESS(f"Demo service center: {settings.SITE_URL}/{staff.tenant.slug}/"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for role, email, _name in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<11} {email}")
