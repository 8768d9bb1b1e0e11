"""Demo planning: technicians with skills and hours, a parts store (a few items under their minimum), and,
once demo orders exist, visits spread over the visiting technicians, reservations (some waiting for a
delivery), and work logged on the orders under way or done. Idempotent: each part runs once."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from orders.models import CLOSED_STATUSES, Order, OrderStatus, ServiceFormat, ServiceType
from servicedesk.accounts.models import User
from servicedesk.tenancy.demo import DEMO_PASSWORD
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import planning, stock
from .models import (
    Part,
    PartReservation,
    PartServiceType,
    StockLevel,
    TechnicianProfile,
    TechnicianSkill,
    WorkLog,
)

EXTRA_TECHNICIANS = [
    ("ivan.visits@demo.servicedesk.test", "Ivan Visitov"),
    ("sofia.bench@demo.servicedesk.test", "Sofia Benchova"),
]

# sku, name, unit, cost, price, service-type name fragments, (head office on hand, min), (workshop on hand, min)
PARTS = [
    ("SCR-IP13", "iPhone 13 screen", "pcs", "5200", "8900", ["Phone"], (2, 2), (3, 2)),
    ("BAT-IP13", "iPhone 13 battery", "pcs", "1400", "3200", ["Phone"], (1, 3), (4, 2)),
    ("SCR-S22", "Galaxy S22 screen", "pcs", "6100", "9900", ["Phone"], (0, 1), (1, 1)),
    ("KBD-T14", "ThinkPad T14 keyboard", "pcs", "2900", "5400", ["Laptop"], (0, 0), (2, 1)),
    ("SSD-512", "SSD 512 GB NVMe", "pcs", "3100", "5200", ["Laptop", "Data recovery"], (1, 1), (5, 2)),
    ("PASTE-TH", "Thermal paste", "pcs", "150", "400", ["Laptop"], (5, 2), (10, 4)),
    ("PUMP-WM", "Washing machine drain pump", "pcs", "1800", "3600", ["Washing machine"], (0, 0), (1, 2)),
    ("BELT-WM", "Washing machine drive belt", "pcs", "450", "1100", ["Washing machine"], (0, 0), (6, 2)),
    ("HOSE-WM", "Inlet hose", "m", "120", "300", ["Washing machine"], (0, 0), (Decimal("12.5"), 5)),
    ("OIL-5W30", "Engine oil 5W-30", "l", "650", "1100", ["Car"], (0, 0), (18, 10)),
    ("FLT-OIL", "Oil filter", "pcs", "380", "900", ["Car"], (0, 0), (4, 5)),
    ("CBL-USBC", "USB-C charging port", "pcs", "250", "1500", ["Phone"], (6, 3), (8, 3)),
]


def _member(tenant, email: str, name: str) -> Membership:
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
    member, _ = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.TECHNICIAN})
    return member


def _types(tenant, fragments: list[str]) -> list[ServiceType]:
    return [st for st in ServiceType.objects.for_tenant(tenant) if any(f.lower() in st.name.lower() for f in fragments)]


def seed_profiles(staff) -> dict[str, Membership]:
    tenant = staff.tenant
    members = {m.role: m for m in Membership.objects.for_tenant(tenant).select_related("user")}
    tech = members[Role.TECHNICIAN]
    ivan = _member(tenant, *EXTRA_TECHNICIANS[0])
    sofia = _member(tenant, *EXTRA_TECHNICIANS[1])
    manager = members[Role.MANAGER]
    setups = [
        (tech, staff.workshop, False, [0, 1, 2, 3, 4], time(9), time(18), "1200", ["Phone", "Laptop", "Data"]),
        (ivan, staff.workshop, True, [0, 1, 2, 3, 4, 5], time(8), time(17), "1400", ["Washing", "Smart-home", "Car"]),
        (sofia, staff.head_office, False, [1, 2, 3, 4, 5], time(10), time(19), "1100", ["Phone", "Laptop"]),
        (manager, staff.head_office, True, [0, 1, 2, 3, 4], time(10), time(14), "1800", ["Smart-home", "Car"]),
    ]
    for member, home, visits, days, start, end, rate, skills in setups:
        profile, created = TechnicianProfile.objects.get_or_create(
            tenant=tenant, membership=member,
            defaults={"home_workshop": home, "does_visits": visits, "working_days": days, "day_start": start,
                      "day_end": end, "hourly_rate": Decimal(rate), "break_minutes": 60 if end.hour - start.hour > 6 else 0},
        )
        if created:
            TechnicianSkill.objects.bulk_create([TechnicianSkill(tenant=tenant, profile=profile, service_type=st)
                                                 for st in _types(tenant, skills)])
    return {"tech": tech, "ivan": ivan, "sofia": sofia, "manager": manager}


def seed_parts(staff, manager: Membership) -> None:
    tenant = staff.tenant
    if Part.objects.for_tenant(tenant).exists():
        return
    for sku, name, unit, cost, price, fragments, office, workshop in PARTS:
        part = Part.objects.create(tenant=tenant, sku=sku, name=name, unit=unit, cost_price=Decimal(cost),
                                   sale_price=Decimal(price))
        PartServiceType.objects.bulk_create([PartServiceType(tenant=tenant, part=part, service_type=st)
                                             for st in _types(tenant, fragments)])
        for location, (on_hand, minimum) in ((staff.head_office, office), (staff.workshop, workshop)):
            if on_hand:
                stock.receive(tenant, part=part, location=location, quantity=on_hand, by=manager,
                              reason="Opening stock", fill_waiting=False)
            if minimum:
                stock.set_min_level(tenant, part=part, location=location, min_level=minimum)


def _spread_visits(staff, people: dict[str, Membership]) -> None:
    """On-site orders go to the visiting technicians, in slots that never overlap."""
    tenant = staff.tenant
    visitors = [people["ivan"], people["manager"]]
    now = timezone.localtime(timezone.now(), planning.tenant_tz(tenant))
    orders = list(Order.objects.for_tenant(tenant).filter(format__in=[ServiceFormat.ON_SITE, ServiceFormat.COMBINED])
                  .exclude(status__in=CLOSED_STATUSES).select_related("service_type", "technician").order_by("number"))
    for index, order in enumerate(orders):
        order.tenant = tenant
        who = visitors[index % len(visitors)]
        day = (now + timedelta(days=index // 2)).date()
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        hour = 10 if who == people["manager"] else 9 + 2 * (index % 4)
        start = timezone.make_aware(timezone.datetime.combine(day, time(hour)), planning.tenant_tz(tenant))
        if planning.visit_conflicts(order, who, start, start + timedelta(hours=2)):
            start += timedelta(days=1)
        try:
            planning.plan(order, technician=who, workshop=order.workshop, by=people["manager"],
                          expected_version=order.version,
                          visit_address=order.visit_address or f"Moscow, Mira ave. {10 + index}",
                          visit_start=start, visit_end_at=start + timedelta(hours=2), accept_warnings=True)
        except Exception:  # noqa: BLE001 - a demo slot that does not fit is simply skipped
            continue


def _rebalance(staff, people: dict[str, Membership]) -> None:
    """Give Sofia some of the in-shop phone and laptop jobs, so the board shows more than one person busy."""
    tenant = staff.tenant
    jobs = (Order.objects.for_tenant(tenant).filter(technician=people["tech"], format=ServiceFormat.IN_SHOP)
            .exclude(status__in=CLOSED_STATUSES).select_related("service_type", "workshop").order_by("number"))
    for index, order in enumerate(jobs):
        if index % 3 != 1:
            continue
        order.tenant = tenant
        planning.plan(order, technician=people["sofia"], workshop=staff.head_office, by=people["manager"],
                      expected_version=order.version, accept_warnings=True)


def seed_order_stock(staff, people: dict[str, Membership]) -> None:
    tenant = staff.tenant
    if PartReservation.objects.for_tenant(tenant).exists() or not Order.objects.for_tenant(tenant).exists():
        return
    manager = people["manager"]
    by_type = {}
    for row in PartServiceType.objects.for_tenant(tenant).select_related("part"):
        by_type.setdefault(row.service_type_id, []).append(row.part)
    open_orders = (Order.objects.for_tenant(tenant).exclude(status__in=CLOSED_STATUSES)
                   .select_related("service_type", "workshop", "intake_location").order_by("number"))
    for order in open_orders:
        order.tenant = tenant
        candidates = by_type.get(order.service_type_id, [])
        if not candidates:
            continue
        part = candidates[order.number % len(candidates)]
        if order.status == OrderStatus.AWAITING_PARTS:
            # More than there is: the rest waits for a delivery, and shows on the low-stock page.
            level = StockLevel.objects.filter(tenant=tenant, part=part, location=stock.stock_location(order)).first()
            wanted = (level.free if level else 0) + (2 if part.whole_units else Decimal("3.5"))
            stock.reserve(order, part=part, quantity=wanted, by=manager, wait_for_rest=True)
        elif order.status in {OrderStatus.PLANNED, OrderStatus.DIAGNOSTICS, OrderStatus.AWAITING_APPROVAL}:
            try:
                stock.reserve(order, part=part, quantity=1, by=manager)
            except stock.StockShortage:
                stock.reserve(order, part=part, quantity=1, by=manager, wait_for_rest=True)
    # A used part on an order under way.
    order = (Order.objects.for_tenant(tenant).filter(status=OrderStatus.IN_PROGRESS).select_related("technician")
             .order_by("number").first())
    if order and order.technician and by_type.get(order.service_type_id):
        order.tenant = tenant
        try:
            stock.consume(order, part=by_type[order.service_type_id][0], quantity=1, by=order.technician)
        except Exception:  # noqa: BLE001 - out of stock in the demo: skip
            pass


def seed_work_logs(staff) -> None:
    tenant = staff.tenant
    if WorkLog.objects.for_tenant(tenant).exists():
        return
    tz = planning.tenant_tz(tenant)
    today = timezone.localtime(timezone.now(), tz).date()
    entries = []
    worked = (Order.objects.for_tenant(tenant).filter(technician__isnull=False)
              .exclude(status__in=[OrderStatus.NEW, OrderStatus.PLANNED, OrderStatus.CANCELLED])
              .select_related("technician").order_by("number"))
    for index, order in enumerate(worked):
        for piece in range(1 + index % 3):
            day = today - timedelta(days=1 + (index + piece) % 6)
            start = timezone.make_aware(timezone.datetime.combine(day, time(9 + (index % 4) * 2, 15 * piece)), tz)
            entries.append(WorkLog(
                tenant=tenant, order=order, technician=order.technician, started_at=start,
                ended_at=start + timedelta(minutes=35 + 20 * ((index + piece) % 4)),
                source=WorkLog.Source.TIMER if piece else WorkLog.Source.MANUAL,
                reason="" if piece else "Logged after the visit", created_by=order.technician.user,
            ))
    # Avoid overlaps per technician: keep the first entry of any clash.
    kept, busy = [], {}
    for entry in sorted(entries, key=lambda e: (e.technician_id, e.started_at)):
        last_end = busy.get(entry.technician_id)
        if last_end and entry.started_at < last_end:
            continue
        kept.append(entry)
        busy[entry.technician_id] = entry.ended_at
    WorkLog.objects.bulk_create(kept)


@transaction.atomic
def seed_demo_planning(staff) -> None:
    """Called by seed_demo after the demo orders. Safe to run again."""
    from orders.demo import seed_catalogue

    seed_catalogue(staff.tenant)  # skills and parts refer to the catalogue (idempotent)
    people = seed_profiles(staff)
    seed_parts(staff, people["manager"])
    if not Order.objects.for_tenant(staff.tenant).exists():
        return
    if not WorkLog.objects.for_tenant(staff.tenant).exists():  # first run over the orders
        _spread_visits(staff, people)
        _rebalance(staff, people)
    seed_order_stock(staff, people)
    seed_work_logs(staff)
