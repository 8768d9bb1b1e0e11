from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import translation

from documents.demo import seed_demo_documents
from orders.demo import seed_demo_orders
from quality.demo import seed_demo_checklists, seed_demo_feedback, seed_demo_hours
from servicedesk.tenancy.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo_staff
from technicians.demo import seed_demo_planning


class Command(BaseCommand):
    help = "Create (or complete) the demo service center with staff, orders in every state, planning, stock and documents. Safe to run again."

    def handle(self, *args, **options) -> None:
        # The demo's history is made through the real lifecycle, so it notifies clients and staff:
        # record those messages as sent without printing dozens of them to the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                               SMS_BACKEND="servicedesk.notifications.sms.LocmemBackend"):
            staff = seed_demo_staff()
            # Timeline entries are written in the language of the staff who act; the demo center's is its own.
            with translation.override(staff.tenant.language):
                seed_demo_orders(staff)
                seed_demo_planning(staff)
                seed_demo_documents(staff)
                seed_demo_feedback(staff)
                seed_demo_hours(staff)
                seed_demo_checklists(staff)
        self.stdout.write(self.style.SUCCESS(f"Demo service center: {settings.SITE_URL}/{staff.tenant.slug}/"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for role, email, _name in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<11} {email}")
