from django.conf import settings
from django.core.management.base import BaseCommand

from servicedesk.tenancy.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo_staff


class Command(BaseCommand):
    help = "Create (or complete) the demo service center with one user per role. Safe to run again."

    def handle(self, *args, **options) -> None:
        staff = seed_demo_staff()
        from orders.demo import seed_demo_orders

        seed_demo_orders(staff)
        try:  # TODO(lead): plain import once technicians.demo lands
            from technicians.demo import seed_demo_planning
        except ImportError:
            seed_demo_planning = None
        if seed_demo_planning:
            seed_demo_planning(staff)
        from documents.demo import seed_demo_documents

        seed_demo_documents(staff)
        self.stdout.write(self.style.SUCCESS(f"Demo service center: {settings.SITE_URL}/{staff.tenant.slug}/"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for role, email, _name in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<11} {email}")
