"""Service-level clocks in the database (quality/clocks.py): one order walked through its life on a pinned
clock, with the expected figures counted by hand, then the alerts, cancellation, arrival, rebuilding and
the order list's views.

The center is in Berlin (country DE) and its location works Monday to Friday 9:00-13:00 and 14:00-19:00
(9 h a day). The general policy: planned within 1 h, ready within 9 h, arrival by the slot's end + 15 min,
handed over within 18 h. 2026-03-23 is a Monday.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from notifications.models import Kind, Notification
from orders import services
from orders.lifecycle import transition
from orders.models import EventKind, Order, OrderEvent, Priority, ServiceFormat, SlaState
from quality import clocks, hours
from quality.calendar import parse_hours
from quality.models import SlaClock, SlaPause, SlaPolicy
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import IntakeOrderFactory, ServiceTypeFactory, SlaPolicyFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


class Center:
    """Tenant A set up as described above, with its people and a way to take orders in and move them."""

    def __init__(self, tenant, location, users, clock):
        tenant.time_zone, tenant.country = "Europe/Berlin", "DE"
        tenant.save(update_fields=["time_zone", "country"])
        self.tenant, self.location, self.clock = tenant, location, clock
        hours.set_week(location, [parse_hours("09:00-13:00, 14:00-19:00")] * 5 + [(), ()])
        clocks.ensure_policies(tenant)
        SlaPolicy.objects.filter(tenant=tenant, service_type=None, priority=None).update(
            plan_minutes=60, ready_minutes=9 * 60, arrival_grace_minutes=15, handover_minutes=18 * 60
        )
        member = {role: Membership.objects.get(tenant=tenant, user=users[role]) for role in Role}
        self.reception, self.manager, self.tech = (
            member[Role.RECEPTION],
            member[Role.MANAGER],
            member[Role.TECHNICIAN],
        )
        self.service = ServiceTypeFactory(tenant=tenant)

    def at(self, *args) -> datetime:
        return self.clock.set(berlin(*args))

    def take_in(self, **fields) -> Order:
        return IntakeOrderFactory(
            tenant=self.tenant,
            by=self.reception,
            without_item=True,
            client_name="Petra Kunde",
            client_phone=f"+4915112345{Order.objects.count():03d}",
            service_type=self.service,
            intake_location=self.location,
            problem="Broken screen",
            **fields,
        )

    def assign(self, order: Order, **visit) -> Order:
        services.assign(
            order,
            technician=self.tech,
            workshop=self.location,
            by=self.manager,
            expected_version=order.version,
            **visit,
        )
        order.refresh_from_db()
        return order

    def move(self, order: Order, action: str, by=None, **kwargs) -> Order:
        transition(order, action, by=by or self.tech, expected_version=order.version, **kwargs)
        order.refresh_from_db()
        return order


@pytest.fixture
def center(tenant_a, location_a, users_a, clock):
    return Center(tenant_a, location_a, users_a, clock)


def clock_of(order: Order, target: str) -> SlaClock:
    return SlaClock.objects.get(tenant=order.tenant, order=order, target=target)


def sla_alerts(order: Order) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(order=order, kind__in=[Kind.SLA_AT_RISK, Kind.SLA_BREACHED]).values_list(
            "source_key", "recipient"
        )
    )


# --- One order's life ----------------------------------------------------------------------------------
def walk_to_parts(center: Center) -> Order:
    """Taken in Monday 10:00, assigned 10:50, planned 11:00, diagnosed from 11:30, waits for parts from
    12:00 until Tuesday 11:00."""
    center.at(2026, 3, 23, 10, 0)
    order = center.take_in()
    center.at(2026, 3, 23, 10, 50)
    order = center.assign(order)
    center.at(2026, 3, 23, 11, 0)
    order = center.move(order, "plan", by=center.manager)
    center.at(2026, 3, 23, 11, 30)
    order = center.move(order, "start_diagnostics")
    center.at(2026, 3, 23, 12, 0)
    return center.move(order, "wait_for_parts")


def test_intake_starts_the_plan_and_ready_clocks(center):
    center.at(2026, 3, 23, 10, 0)
    order = center.take_in()
    plan, ready = clock_of(order, "plan"), clock_of(order, "ready")
    assert (plan.state, plan.started_at, plan.due_at, plan.budget_seconds) == (
        "on_track",
        berlin(2026, 3, 23, 10, 0),
        berlin(2026, 3, 23, 11, 0),
        3600,
    )
    assert (ready.due_at, ready.budget_seconds) == (berlin(2026, 3, 24, 10, 0), 9 * 3600)
    assert not SlaClock.objects.filter(order=order, target__in=["arrival", "handover"]).exists()
    order.refresh_from_db()
    assert (order.sla_state, order.sla_due_at, order.expected_ready_at) == (
        SlaState.ON_TRACK,
        berlin(2026, 3, 23, 11, 0),
        berlin(2026, 3, 24, 10, 0),
    )


def test_assigning_a_technician_meets_the_plan_target(center):
    order = walk_to_parts(center)
    plan = clock_of(order, "plan")
    assert (plan.state, plan.stopped_at, plan.used_seconds) == ("met", berlin(2026, 3, 23, 10, 50), 50 * 60)


def test_waiting_for_parts_pauses_the_ready_clock_and_moves_its_deadline(center):
    order = walk_to_parts(center)
    ready = clock_of(order, "ready")
    assert (ready.paused_since, ready.used_seconds) == (berlin(2026, 3, 23, 12, 0), 2 * 3600)
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    ready = clock_of(order, "ready")
    # 2 h used before the pause; the pause held 8 working hours; the 7 h left end Tuesday 19:00.
    assert (ready.state, ready.paused_since, ready.used_seconds, ready.due_at) == (
        "on_track",
        None,
        2 * 3600,
        berlin(2026, 3, 24, 19, 0),
    )
    (pause,) = SlaPause.objects.filter(order=order)
    assert (pause.reason, pause.started_at, pause.ended_at, pause.working_seconds) == (
        "awaiting_parts",
        berlin(2026, 3, 23, 12, 0),
        berlin(2026, 3, 24, 11, 0),
        8 * 3600,
    )
    order.refresh_from_db()
    assert order.expected_ready_at == berlin(2026, 3, 24, 19, 0)


def test_the_periodic_task_moves_the_clock_on_and_alerts_once_per_stage(center, users_a):
    order = walk_to_parts(center)
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    center.at(2026, 3, 24, 16, 44)
    clocks.tick()
    assert clock_of(order, "ready").state == "on_track" and sla_alerts(order) == []
    center.at(2026, 3, 24, 16, 45)  # 6 h 45 min used: three quarters of 9 h
    assert clocks.tick()["alerts"] == 1
    ready = clock_of(order, "ready")
    assert (ready.state, ready.used_seconds, ready.alerted) == ("at_risk", int(6.75 * 3600), "at_risk")
    assert sla_alerts(order) == [(f"sla:{order.pk}:ready:at_risk", users_a[Role.MANAGER].email)]
    event = OrderEvent.objects.get(order=order, kind=EventKind.SLA)
    assert (event.data["stage"], event.data["target"], event.is_public) == ("at_risk", "ready", False)
    order.refresh_from_db()
    assert order.sla_state == SlaState.AT_RISK

    center.at(2026, 3, 24, 17, 0)
    assert clocks.tick()["alerts"] == 0  # nothing new
    center.at(2026, 3, 24, 19, 30)
    assert clocks.tick()["alerts"] == 1
    assert clock_of(order, "ready").state == "breached"
    assert sla_alerts(order) == [
        (f"sla:{order.pk}:ready:at_risk", users_a[Role.MANAGER].email),
        (f"sla:{order.pk}:ready:breached", users_a[Role.MANAGER].email),
    ]
    order.refresh_from_db()
    assert (order.sla_state, order.sla_due_at, order.expected_ready_at) == (
        SlaState.BREACHED,
        berlin(2026, 3, 24, 19, 0),
        None,
    )

    # More ticks, a recomputation by an event, even a clock that loses its alert mark: never twice.
    center.at(2026, 3, 25, 9, 30)
    clocks.tick()
    services.edit_order(
        order, changes={"priority": Priority.HIGH}, by=center.manager, expected_version=order.version
    )
    clocks.tick()
    SlaClock.objects.filter(order=order).update(alerted="", next_check_at=center.clock.now())
    clocks.tick()
    assert len(sla_alerts(order)) == 2
    assert (
        Notification.objects.filter(order=order, kind__in=[Kind.SLA_AT_RISK, Kind.SLA_BREACHED]).count() == 2
    )


def test_the_alert_names_the_target_and_deadline_in_the_centers_language(center):
    order = walk_to_parts(center)
    center.tenant.language = "en"
    center.tenant.save(update_fields=["language"])
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    center.at(2026, 3, 24, 19, 30)
    clocks.tick()
    mail = Notification.objects.get(order=order, kind=Kind.SLA_BREACHED)
    assert mail.subject == f"Breached: order #{order.number}, Time to ready"
    assert "it was due" in mail.body and "19:00" in mail.body


def test_ready_late_is_missed_and_starts_the_handover_clock(center):
    order = walk_to_parts(center)
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    center.at(2026, 3, 25, 10, 0)
    order = center.move(order, "finish_work")
    order = center.move(order, "pass_check")
    ready = clock_of(order, "ready")
    # Monday 10-12, Tuesday 11-13 and 14-19, Wednesday 9-10: 10 h of a 9 h budget.
    assert (ready.state, ready.used_seconds, ready.due_at, ready.stopped_at) == (
        "missed",
        10 * 3600,
        berlin(2026, 3, 24, 19, 0),
        berlin(2026, 3, 25, 10, 0),
    )
    handover = clock_of(order, "handover")
    # 18 h from Wednesday 10:00: 10-13, 14-19, Thursday 9-13, 14-19, Friday 9-10.
    assert (handover.state, handover.started_at, handover.due_at) == (
        "on_track",
        berlin(2026, 3, 25, 10, 0),
        berlin(2026, 3, 27, 10, 0),
    )
    order.refresh_from_db()
    # The handover clock is the client's side: the order's summary is the verdict of the others.
    assert (order.sla_state, order.sla_due_at, order.expected_ready_at) == (SlaState.MISSED, None, None)


def test_an_informational_clock_never_alerts(center):
    order = walk_to_parts(center)
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    center.at(2026, 3, 24, 18, 0)
    order = center.move(order, "finish_work")
    order = center.move(order, "pass_check")
    center.at(2026, 3, 31, 12, 0)  # a week later, never collected
    clocks.tick()
    assert clock_of(order, "handover").state == "breached"
    assert clock_of(order, "ready").state == "met"
    assert sla_alerts(order) == []


def test_a_priority_change_follows_the_more_specific_policy(center):
    SlaPolicy.objects.filter(tenant=center.tenant, priority=Priority.URGENT).update(
        plan_minutes=15, ready_minutes=120
    )
    center.at(2026, 3, 23, 10, 0)
    order = center.take_in()
    center.at(2026, 3, 23, 10, 5)
    services.edit_order(
        order, changes={"priority": Priority.URGENT}, by=center.reception, expected_version=order.version
    )
    plan = clock_of(order, "plan")
    assert (plan.budget_seconds, plan.due_at) == (15 * 60, berlin(2026, 3, 23, 10, 15))
    assert clock_of(order, "ready").due_at == berlin(2026, 3, 23, 12, 0)


def test_a_cancelled_order_keeps_only_the_promises_it_had_broken(center):
    center.at(2026, 3, 23, 10, 0)
    order = center.take_in()
    center.at(2026, 3, 23, 11, 30)  # the plan clock's hour is over
    order = center.move(order, "cancel", by=center.reception, reason="Changed their mind")
    assert list(SlaClock.objects.filter(order=order).values_list("target", "state")) == [("plan", "missed")]
    order.refresh_from_db()
    assert order.sla_state == SlaState.MISSED

    center.at(2026, 3, 23, 12, 0)
    early = center.take_in()
    early = center.move(early, "cancel", by=center.reception, reason="Wrong shop")
    assert not SlaClock.objects.filter(order=early).exists()
    early.refresh_from_db()
    assert (early.sla_state, early.sla_due_at) == (SlaState.NONE, None)


@pytest.mark.parametrize(("started", "state"), [((12, 10), "met"), ((12, 20), "missed")])
def test_on_site_arrival_is_due_at_the_slots_end_plus_the_grace(center, started, state):
    center.at(2026, 3, 23, 9, 0)
    order = center.take_in()
    Order.objects.filter(pk=order.pk).update(format=ServiceFormat.ON_SITE)
    order.refresh_from_db()
    order = center.assign(
        order,
        visit_address="Hauptstr. 1",
        visit_start=berlin(2026, 3, 24, 10, 0),
        visit_end=berlin(2026, 3, 24, 12, 0),
    )
    arrival = clock_of(order, "arrival")
    assert (arrival.state, arrival.started_at, arrival.due_at) == (
        "on_track",
        berlin(2026, 3, 24, 10, 0),
        berlin(2026, 3, 24, 12, 15),
    )
    order = center.move(order, "plan", by=center.manager)
    center.at(2026, 3, 24, *started)
    order = center.move(order, "start_diagnostics")
    assert clock_of(order, "arrival").state == state


def test_rebuilding_from_the_timeline_gives_the_same_clocks(center):
    order = walk_to_parts(center)
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    center.at(2026, 3, 24, 17, 0)
    clocks.tick()
    fields = [
        "target",
        "state",
        "started_at",
        "due_at",
        "stopped_at",
        "used_seconds",
        "budget_seconds",
        "alerted",
    ]
    before = list(SlaClock.objects.filter(order=order).order_by("target").values(*fields))
    SlaClock.objects.filter(order=order).update(state="on_track", used_seconds=0, due_at=berlin(2030, 1, 1))
    assert clocks.rebuild_clocks(center.tenant) == 1
    assert list(SlaClock.objects.filter(order=order).order_by("target").values(*fields)) == before


def test_a_changed_policy_moves_the_open_orders_but_not_the_reached_targets(
    center, member_client, django_capture_on_commit_callbacks
):
    order = walk_to_parts(center)
    general = SlaPolicy.objects.get(tenant=center.tenant, service_type=None, priority=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client(Role.MANAGER).post(
            reverse("quality:sla_policy_edit", args=[center.tenant.slug, general.pk]),
            {
                "plan_hours": "0.25",
                "ready_hours": "18",
                "arrival_grace_minutes": "15",
                "handover_hours": "18",
            },
        )
    assert response.status_code == 302
    ready = clock_of(order, "ready")
    assert ready.budget_seconds == 18 * 3600
    plan = clock_of(order, "plan")
    assert (plan.budget_seconds, plan.state) == (3600, "met")  # judged by the policy in force when reached


def test_a_new_center_gets_the_default_policies_once(tenant_b):
    assert not SlaPolicy.objects.filter(tenant=tenant_b).exists()
    policies = clocks.policies_of(tenant_b)
    assert sorted((p.priority, p.plan_minutes, p.ready_minutes) for p in policies if p.priority) == [
        (3, 60, 540)
    ]
    general = next(p for p in policies if p.is_general)
    assert (
        general.plan_minutes,
        general.ready_minutes,
        general.arrival_grace_minutes,
        general.handover_minutes,
    ) == (240, 1620, 15, 2700)
    clocks.policies_of(tenant_b)
    assert SlaPolicy.objects.filter(tenant=tenant_b).count() == 2


def test_the_most_specific_policy_applies(tenant_a):
    clocks.ensure_policies(tenant_a)
    screens, other = ServiceTypeFactory(tenant=tenant_a), ServiceTypeFactory(tenant=tenant_a)
    SlaPolicyFactory(tenant=tenant_a, service_type=screens, plan_minutes=30)
    SlaPolicyFactory(tenant=tenant_a, service_type=screens, priority=Priority.URGENT, plan_minutes=10)
    policies = clocks.policies_of(tenant_a)

    def plan(service, priority):
        return clocks.choose_policy(policies, service.pk, priority).plan_minutes

    assert plan(screens, Priority.URGENT) == 10
    assert plan(screens, Priority.NORMAL) == 30
    assert plan(other, Priority.URGENT) == 60
    assert plan(other, Priority.LOW) == 240


def test_a_bug_in_the_clocks_does_not_stop_an_intake(center, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(clocks, "recompute_order", broken)
    center.at(2026, 3, 23, 10, 0)
    order = center.take_in()
    assert order.pk and not SlaClock.objects.filter(order=order).exists()
    assert "Could not recompute the SLA clocks" in caplog.text


def test_an_event_meanwhile_wins_over_the_periodic_task(center, monkeypatch):
    center.at(2026, 3, 23, 10, 0)
    order = center.take_in()
    center.at(2026, 3, 23, 10, 45)  # the plan clock's 75 % mark: the task looks at it
    read = clocks.continue_clock

    def assignment_meanwhile(clock, calendar, now):
        reading = read(clock, calendar, now)  # "at risk", as the task read it ...
        center.assign(order)  # ... while reception assigns the technician and the plan target is met
        return reading

    monkeypatch.setattr(clocks, "continue_clock", assignment_meanwhile)
    assert clocks.tick()["moved"] == 0
    plan = clock_of(order, "plan")
    assert (plan.state, plan.alerted) == ("met", "")
    assert sla_alerts(order) == []


# --- Pages ---------------------------------------------------------------------------------------------
def test_the_order_page_shows_each_clock_and_the_pauses(center, member_client):
    order = walk_to_parts(center)
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    center.at(2026, 3, 24, 16, 0)
    page = text_of(
        member_client(Role.MANAGER).get(reverse("orders:detail", args=[center.tenant.slug, order.number]))
    )
    assert 'data-testid="sla-panel"' in page
    assert "6 h of 9 h" in page  # Monday 10-12, Tuesday 11-13, 14-16: live, though computed at 11:00
    # Dates in the page language's one date-time format (servicedesk/formats/en): "24 Mar 2026, 19:00".
    assert "3 h" in page and 'data-testid="sla-due">24 Mar 2026, 19:00' in page
    assert "Awaiting parts: 23 Mar 2026, 12:00 – 24 Mar 2026, 11:00" in page and "8 h" in page


def test_the_client_sees_the_expected_ready_date_moved_by_the_pause(center, client):
    order = walk_to_parts(center)

    def expected_ready() -> str:
        page = text_of(client.get(reverse("orders:public_status", args=[order.public_token])))
        found = re.search(r'data-testid="expected-ready">(.*?)</dd>', page, re.S)
        return re.sub(r"<[^>]+>", " ", found.group(1)) if found else ""

    # Paused Monday 12:00 with 7 h left: projected from now (Monday 12:00): 12-13, 14-19, Tuesday 9-10.
    assert expected_ready().startswith("24 Mar 2026, 10:00")
    assert "while we wait for parts" in expected_ready()
    # Tuesday 9:00, six working hours later (12-13, 14-19), still waiting: the 7 h now end Tuesday 17:00 (9-13,
    # 14-17). The stored date moves on the periodic task's next look.
    center.at(2026, 3, 24, 9, 0)
    assert expected_ready().startswith("24 Mar 2026, 10:00")
    clocks.tick()
    assert expected_ready().startswith("24 Mar 2026, 17:00")
    center.at(2026, 3, 24, 11, 0)
    order = center.move(order, "parts_arrived")
    assert expected_ready().strip() == "24 Mar 2026, 19:00"


def test_the_order_list_has_an_sla_column_and_the_at_risk_and_breached_views(center, member_client):
    center.at(2026, 3, 23, 10, 0)
    calm, risky, late = center.take_in(), center.take_in(), center.take_in()
    Order.objects.filter(pk=risky.pk).update(sla_state=SlaState.AT_RISK)
    Order.objects.filter(pk=late.pk).update(sla_state=SlaState.BREACHED)
    manager = member_client(Role.MANAGER)
    url = reverse("orders:list", args=[center.tenant.slug])

    def numbers(query):
        page = manager.get(url + query)
        assert page.status_code == 200
        return sorted(o.number for o in page.context["orders"])

    assert numbers("?view=at_risk") == [risky.number]
    assert numbers("?view=breached") == [late.number]
    assert numbers("?view=&sla=on_track") == [calm.number]
    assert numbers("?view=&sort=sla") == sorted([calm.number, risky.number, late.number])
    page = text_of(manager.get(url + "?view=open"))
    assert 'data-sla="at_risk"' in page and 'data-sla="breached"' in page and 'data-sla="on_track"' in page
