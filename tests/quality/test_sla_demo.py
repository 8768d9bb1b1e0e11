"""The demo's service levels: policies, and clocks computed from the demo orders' (spread-out) timelines."""

from __future__ import annotations

import pytest

from notifications.models import Kind, Notification
from orders.demo import seed_demo_orders
from orders.models import OPEN_STATUSES, Order, SlaState
from quality.demo import seed_demo_hours, seed_demo_sla
from quality.models import SlaClock, SlaPause, SlaPolicy
from servicedesk.tenancy.demo import seed_demo_staff

pytestmark = pytest.mark.django_db


def test_every_demo_order_has_its_clocks_and_some_promises_are_broken():
    staff = seed_demo_staff()
    seed_demo_orders(staff)
    seed_demo_hours(staff)
    seed_demo_sla(staff)
    tenant = staff.tenant
    orders = Order.objects.for_tenant(tenant)
    assert SlaPolicy.objects.filter(tenant=tenant).count() == 4
    measured = orders.exclude(status="cancelled")
    # Every order that was not cancelled has its "time to ready" clock, counted from its real intake; a
    # cancelled one keeps only the promises it had broken before.
    assert (
        SlaClock.objects.filter(tenant=tenant, target="ready", order__in=measured).count() == measured.count()
    )
    cancelled = SlaClock.objects.filter(tenant=tenant, order__status="cancelled")
    assert set(cancelled.values_list("state", flat=True)) <= {"missed"}
    for clock in SlaClock.objects.filter(tenant=tenant, target="ready").select_related("order"):
        assert clock.started_at == clock.order.events.get(kind="created").created_at
    assert orders.filter(sla_state=SlaState.BREACHED).exists()
    # A real shop's queue: most open orders were taken in during the last working days and are on track.
    open_orders = orders.filter(status__in=OPEN_STATUSES)
    breached = open_orders.filter(sla_state=SlaState.BREACHED).count()
    on_track = open_orders.filter(sla_state=SlaState.ON_TRACK).count()
    print("demo queue:", open_orders.count(), "open,", on_track, "on track,", breached, "breached")
    # (at most a third breached: by the evening a day's working hours have passed for every open order; 7 of
    # 22 at 19:35, 2-4 in the morning)
    assert breached <= open_orders.count() // 3 and on_track >= open_orders.count() // 2
    assert orders.filter(sla_state__in=[SlaState.MET, SlaState.MISSED]).exists()
    assert SlaPause.objects.filter(tenant=tenant).exists()
    assert Notification.objects.filter(tenant=tenant, kind=Kind.SLA_BREACHED).exists()

    before = list(SlaClock.objects.filter(tenant=tenant).order_by("pk").values("pk", "state", "due_at"))
    alerts = Notification.objects.filter(
        tenant=tenant, kind__in=[Kind.SLA_AT_RISK, Kind.SLA_BREACHED]
    ).count()
    seed_demo_sla(staff)  # again: nothing new
    assert SlaPolicy.objects.filter(tenant=tenant).count() == 4
    assert (
        Notification.objects.filter(tenant=tenant, kind__in=[Kind.SLA_AT_RISK, Kind.SLA_BREACHED]).count()
        == alerts
    )
    assert [row["pk"] for row in SlaClock.objects.filter(tenant=tenant).order_by("pk").values("pk")] == [
        row["pk"] for row in before
    ]
