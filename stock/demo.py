"""Demo parts store: the catalogue with stock at both demo locations (a few items under their minimum),
and, once demo orders exist, reservations (some waiting for a delivery) and a part used on an order under
way. Idempotent: each part runs once."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from orders.models import Order, OrderStatus, ServiceType
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import services as stock
from .models import Part, PartReservation, PartServiceType, StockLevel

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


# Parts with a warranty of their own (the rest carry the warranty of the service they are used in).
PART_WARRANTY_DAYS = {"BAT-IP13": 90, "SSD-512": 730, "PUMP-WM": 180}


def _types(tenant, fragments: list[str]) -> list[ServiceType]:
    return [
        st
        for st in ServiceType.objects.for_tenant(tenant)
        if any(f.lower() in st.name.lower() for f in fragments)
    ]


def seed_parts(staff, manager: Membership) -> None:
    tenant = staff.tenant
    if Part.objects.for_tenant(tenant).exists():
        return
    for sku, name, unit, cost, price, fragments, office, workshop in PARTS:
        part = Part.objects.create(
            tenant=tenant,
            sku=sku,
            name=name,
            unit=unit,
            cost_price=Decimal(cost),
            sale_price=Decimal(price),
            warranty_days=PART_WARRANTY_DAYS.get(sku),
        )
        PartServiceType.objects.bulk_create(
            [PartServiceType(tenant=tenant, part=part, service_type=st) for st in _types(tenant, fragments)]
        )
        for location, (on_hand, minimum) in ((staff.head_office, office), (staff.workshop, workshop)):
            if on_hand:
                stock.receive(
                    tenant,
                    part=part,
                    location=location,
                    quantity=on_hand,
                    by=manager,
                    reason="Opening stock",
                    fill_waiting=False,
                )
            if minimum:
                stock.set_min_level(tenant, part=part, location=location, min_level=minimum)


def seed_order_stock(staff, manager: Membership) -> None:
    tenant = staff.tenant
    if PartReservation.objects.for_tenant(tenant).exists() or not Order.objects.for_tenant(tenant).exists():
        return
    by_type = {}
    for row in PartServiceType.objects.for_tenant(tenant).select_related("part"):
        by_type.setdefault(row.service_type_id, []).append(row.part)
    open_orders = (
        Order.objects.for_tenant(tenant)
        .open()
        .select_related("service_type", "workshop", "intake_location")
        .order_by("number")
    )
    for order in open_orders:
        order.tenant = tenant
        candidates = by_type.get(order.service_type_id, [])
        if not candidates:
            continue
        part = candidates[order.number % len(candidates)]
        if order.status == OrderStatus.AWAITING_PARTS:
            # More than there is: the rest waits for a delivery, and shows on the low-stock page.
            level = StockLevel.objects.filter(
                tenant=tenant, part=part, location=stock.stock_location(order)
            ).first()
            wanted = (level.free if level else 0) + (2 if part.whole_units else Decimal("3.5"))
            stock.reserve(order, part=part, quantity=wanted, by=manager, wait_for_rest=True)
        elif order.status in {OrderStatus.PLANNED, OrderStatus.DIAGNOSTICS, OrderStatus.AWAITING_APPROVAL}:
            try:
                stock.reserve(order, part=part, quantity=1, by=manager)
            except stock.StockShortage:
                stock.reserve(order, part=part, quantity=1, by=manager, wait_for_rest=True)
    # A used part on an order under way.
    order = (
        Order.objects.for_tenant(tenant)
        .filter(status=OrderStatus.IN_PROGRESS)
        .select_related("technician")
        .order_by("number")
        .first()
    )
    if order and order.technician and by_type.get(order.service_type_id):
        order.tenant = tenant
        try:
            stock.consume(order, part=by_type[order.service_type_id][0], quantity=1, by=order.technician)
        except Exception:  # noqa: BLE001 - out of stock in the demo: skip
            pass


@transaction.atomic
def seed_demo_stock(staff) -> None:
    """Called by seed_demo after the demo orders and planning. Safe to run again."""
    manager = Membership.objects.get(tenant=staff.tenant, role=Role.MANAGER, user=staff.users[Role.MANAGER])
    seed_parts(staff, manager)
    seed_order_stock(staff, manager)
