"""The whole demo center, seeded app by app in dependency order. Safe to run again: each app's demo is
idempotent. Each app keeps its own demo.py (which imports only what the app itself may import); this
module is the only one that imports them all."""

from __future__ import annotations

from django.test.utils import override_settings
from django.utils import translation

from documents.demo import seed_demo_documents
from orders.demo import seed_demo_orders
from quality.demo import seed_demo_aftersales, seed_demo_feedback, seed_demo_hours
from servicedesk.tenancy.demo import DemoStaff, seed_demo_staff
from stock.demo import seed_demo_stock
from technicians.demo import seed_demo_planning


def seed_demo() -> DemoStaff:
    # The demo's history is made through the real lifecycle, so it notifies clients and staff:
    # record those messages as sent without printing dozens of them to the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                           SMS_BACKEND="notifications.sms.LocmemBackend"):
        staff = seed_demo_staff()
        # Timeline entries are written in the language of the staff who act; the demo center's is its own.
        with translation.override(staff.tenant.language):
            seed_demo_orders(staff)
            seed_demo_planning(staff)
            seed_demo_stock(staff)
            seed_demo_documents(staff)
            seed_demo_feedback(staff)
            seed_demo_hours(staff)
            seed_demo_aftersales(staff)
    return staff
