"""The business-hours part of the cross-tenant `world` (tests/conftest.py): weekly hours and the centers' own days.

A gets more calendar days than B, so A's last day's id does not exist in B.
"""

from __future__ import annotations

from datetime import date, time

from quality.models import CalendarDay, ChecklistItem, ItemKind, WarrantyClaim
from servicedesk.tenancy.models import Location, Membership, Tenant
from tests.factories import (
    AuditFactory,
    AuditFindingFactory,
    BusinessHoursFactory,
    CalendarDayFactory,
    ChecklistVersionFactory,
    ComplaintFactory,
    GoalFactory,
    OrderFactory,
    SlaPolicyFactory,
    StandardFactory,
    WarrantyClaimFactory,
)


def add_business_hours(
    tenant_b: Tenant, location_b: Location, tenant_a: Tenant, location_a: Location
) -> CalendarDay:
    """B: Monday hours and a day off; A: Monday hours with a break and two days. Returns A's last day."""
    BusinessHoursFactory(tenant=tenant_b, location=location_b, weekday=0, opens=time(9), closes=time(18))
    CalendarDayFactory(tenant=tenant_b, date=date(2030, 1, 2), note="B's day off")
    for opens, closes in [(time(9), time(13)), (time(14), time(19))]:
        BusinessHoursFactory(tenant=tenant_a, location=location_a, weekday=0, opens=opens, closes=closes)
    CalendarDayFactory(tenant=tenant_a, date=date(2030, 1, 2), note="A's day off")
    return CalendarDayFactory(
        tenant=tenant_a,
        location=location_a,
        date=date(2030, 1, 3),
        kind=CalendarDay.Kind.SHORTENED,
        hours="10:00-15:00",
        note="A's short day",
    )


def add_standards(tenant_b: Tenant, tenant_a: Tenant) -> tuple:
    """B: one standard and one goal; A: two of each. Returns A's last standard and goal."""
    from decimal import Decimal

    def make(tenant: Tenant, count: int) -> tuple:
        standards = [
            StandardFactory(
                tenant=tenant,
                name=f"Wait {n}",
                metric="reception_wait",
                value=Decimal("5"),
                share=Decimal("90"),
                period="week",
            )
            for n in range(count)
        ]
        goals = [
            # Baseline the month before last (40 over 10 orders), -15 % by two months from now.
            GoalFactory(tenant=tenant, title=f"Faster {n}", baseline_count=10)
            for n in range(count)
        ]
        return standards[-1], goals[-1]

    make(tenant_b, 1)
    return make(tenant_a, 2)


def add_sla_policies(tenant_b: Tenant, tenant_a: Tenant):
    """B: its default policies and one for high priority; A: its defaults and two more. Returns A's last."""
    from orders.models import Priority
    from quality.clocks import ensure_policies

    ensure_policies(tenant_b)
    SlaPolicyFactory(tenant=tenant_b, priority=Priority.HIGH, plan_minutes=120, ready_minutes=600)
    ensure_policies(tenant_a)
    SlaPolicyFactory(tenant=tenant_a, priority=Priority.LOW, plan_minutes=480, ready_minutes=3000)
    return SlaPolicyFactory(tenant=tenant_a, priority=Priority.HIGH, plan_minutes=120, ready_minutes=600)


def add_rollups(tenant_b: Tenant, tenant_a: Tenant) -> None:
    """The dashboard's rollups of both centers, recomputed from what the world made (its factory orders have
    no events): the dashboard and its exports then show figures to both."""
    from quality.rollups import recompute

    recompute(tenant_b)
    recompute(tenant_a)


def add_checklists(tenant_b: Tenant, tenant_a: Tenant, order_a) -> ChecklistItem:
    """A checklist on the service of the world's order of A (pinned to it), one on a service of B: B one item,
    A five (every kind). Returns A's last item, on A's order's checklist (its quality stage is open)."""
    from decimal import Decimal

    from orders.models import Order, ServiceType
    from quality import checklists
    from servicedesk.tenancy.roles import Role

    def manager(tenant):
        return Membership.objects.select_related("user", "tenant").get(tenant=tenant, role=Role.MANAGER)

    Stage, Kind = checklists.Stage, ItemKind
    b_type = ServiceType.objects.filter(tenant=tenant_b).order_by("id").first()
    ChecklistVersionFactory(
        service_type=b_type,
        items=[checklists.ItemData(Stage.QUALITY, Kind.TICK, "B's check")],
        by=manager(tenant_b),
    )
    b_order = Order.objects.filter(tenant=tenant_b, service_type=b_type).first()
    if b_order is not None:
        checklists.pin(b_order)
    version = ChecklistVersionFactory(
        service_type=order_a.service_type,
        items=[
            checklists.ItemData(Stage.INTAKE, Kind.TICK, "No cracks"),
            checklists.ItemData(
                Stage.DIAGNOSTICS,
                Kind.NUMBER,
                "Battery",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                unit="%",
            ),
            checklists.ItemData(Stage.QUALITY, Kind.TEXT, "Note", required=False),
            checklists.ItemData(Stage.QUALITY, Kind.PHOTO, "Photo after"),
            checklists.ItemData(Stage.QUALITY, Kind.TICK, "Works"),
        ],
        by=manager(tenant_a),
    )
    checklists.pin(order_a)
    return checklists.version_items(version)[-1]


def add_aftersales(tenant_b: Tenant, tenant_a: Tenant):
    """Complaints, warranty claims, audits with findings, on handed-over orders with devices: B one of each,
    A two. Returns A's last ones (complaint, claim, audit, finding, item)."""
    _aftersales(tenant_b, 1)
    return _aftersales(tenant_a, 2)


def _aftersales(tenant: Tenant, count: int):
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils import timezone

    from orders.models import OrderStatus
    from servicedesk.tenancy.roles import Role

    tech = Membership.objects.filter(tenant=tenant, role=Role.TECHNICIAN).order_by("id").first()
    manager = Membership.objects.filter(tenant=tenant, role=Role.MANAGER).order_by("id").first()
    now = timezone.now()
    made = SimpleNamespace()
    for n in range(count):
        orders = [
            OrderFactory(
                tenant=tenant,
                technician=tech,
                status=OrderStatus.HANDED_OVER,
                closed_at=now,
                warranty_until=(now + timedelta(days=90)).date(),
            )
            for _ in range(2)
        ]
        made.item = orders[0].item
        made.complaint = ComplaintFactory(
            order=orders[0],
            description=f"World complaint {n}",
            due_at=now + timedelta(days=10),
        )
        made.claim = WarrantyClaimFactory(
            original=orders[0],
            problem=f"World claim {n}",
            source=WarrantyClaim.Source.CLIENT,
        )
        made.audit = AuditFactory(order=orders[1], week=now.date(), auditor=manager, technician=tech)
        made.finding = AuditFindingFactory(
            audit=made.audit, description=f"World finding {n}", responsible=tech
        )
    return made
