"""The whole demo center, seeded app by app in dependency order. Safe to run again: each app's demo is
idempotent. Each app keeps its own demo.py (which imports only what the app itself may import); this
module is the only one that imports them all."""

from __future__ import annotations

from collections.abc import Callable

from django.test.utils import override_settings
from django.utils import translation

from demo.audit import seed_demo_audit
from documents.demo import seed_demo_documents
from notifications.events import on_order_event as notify
from orders.demo import seed_demo_erasure, seed_demo_erasure_client, seed_demo_history, seed_demo_orders
from orders.timeline import listeners_paused
from quality.clocks import on_order_event as clocks_listener
from quality.demo import (
    date_demo_checks,
    seed_demo_aftersales,
    seed_demo_checklists,
    seed_demo_feedback,
    seed_demo_hours,
    seed_demo_rollups,
    seed_demo_sla,
    seed_demo_standards,
)
from quality.rollups import on_order_event as keep_rollups_current
from reception.demo import seed_demo_queue
from servicedesk.tenancy.demo import DemoStaff, seed_demo_staff, seed_jakarta_staff
from stock.demo import seed_demo_stock
from technicians.demo import seed_demo_planning, seed_history_work_logs
from technicians.listeners import on_order_event as stop_timers


def seed_demo() -> DemoStaff:
    """The Moscow demo center ("demo"), in Russian."""
    return _seed_center(seed_demo_staff)


def seed_jakarta() -> DemoStaff:
    """The second demo center, in Jakarta ("demo-jakarta"; `manage.py seed_demo` makes both): Bahasa
    Indonesia, Asia/Jakarta, +62 clients, prices in rupiah, the same apps' history as the Moscow one."""
    return _seed_center(seed_jakarta_staff)


def _seed_center(seed_staff: Callable[[], DemoStaff]) -> DemoStaff:
    # The demo's history is made through the real lifecycle, so it notifies clients and staff:
    # record those messages as sent without printing dozens of them to the console.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        SMS_BACKEND="notifications.sms.LocmemBackend",
    ):
        staff = seed_staff()
        # Timeline entries are written in the language of the staff who act; the demo center's is its own.
        with translation.override(staff.tenant.language):
            seed_demo_orders(staff)
            seed_demo_erasure_client(staff)  # erased at the end, once every app has something on them
            seed_demo_planning(staff)
            # Half a year of closed orders through the real lifecycle, dated back (after the planning demo: its
            # technicians take jobs too). Without the listeners whose state is rebuilt from the timeline at the
            # end (service-level clocks: seed_demo_sla; rollups: seed_demo_rollups), without the clients'
            # messages (those were sent at the time, not today) and without the technicians' timer stops (the
            # history has no running timers).
            with listeners_paused(clocks_listener, keep_rollups_current, notify, stop_timers):
                seed_demo_history(staff)
                seed_history_work_logs(staff)
            seed_demo_stock(staff)
            seed_demo_documents(staff)
            seed_demo_feedback(staff)
            seed_demo_hours(staff)
            seed_demo_queue(staff)  # after the hours and the orders: the standards measure both
            seed_demo_standards(staff)
            # After-sales before checklists: its returns walk orders of services that get checklists, which
            # would hold them at every stage (the checklists' demo answers its own orders).
            seed_demo_aftersales(staff)
            seed_demo_checklists(staff)
            date_demo_checks(staff)  # the history's quality checks on the days they were made
            seed_demo_sla(staff)  # after the hours and the orders: the clocks count in them
            seed_demo_rollups(staff)  # from the history as dated by the steps above
            # Last: every app's data on the client exists, so the erasure shows what it masks in each.
            seed_demo_erasure(staff)
            # The audit log: changes through the audited services, dated back over the half year.
            seed_demo_audit(staff)
    return staff
