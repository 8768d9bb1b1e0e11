"""Demo catalogue, clients and orders in every state, made through the real services and lifecycle
(so their timelines look like real ones). Idempotent: a tenant that has orders is left alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import services
from .lifecycle import transition
from .models import (
    CLOSED_STATUSES,
    Client,
    EventKind,
    LineItem,
    Order,
    OrderEvent,
    Payment,
    ServiceFormat,
    ServiceType,
)

CATALOGUE = [
    # name, formats, needs_item, minutes, price, warranty days, target days
    ("Phone screen replacement", [ServiceFormat.IN_SHOP], True, 90, "4500", 180, 2),
    ("Laptop diagnostics and repair", [ServiceFormat.IN_SHOP], True, 180, "2500", 365, 5),
    ("Washing machine repair", [ServiceFormat.ON_SITE, ServiceFormat.IN_SHOP], True, 120, "3000", 365, 3),
    ("Data recovery", [ServiceFormat.IN_SHOP, ServiceFormat.ONLINE], True, 240, "6000", 30, 7),
    ("Smart-home consultation", [ServiceFormat.ONLINE, ServiceFormat.ON_SITE], False, 60, "2000", 0, 2),
    ("Car diagnostics", [ServiceFormat.IN_SHOP, ServiceFormat.COMBINED], True, 120, "3500", 90, 2),
]

CLIENTS = [
    ("Ivan Petrov", "+79161234501", "ivan@example.com"),
    ("Maria Sokolova", "+79161234502", "maria@example.com"),
    ("Alexey Smirnov", "+79161234503", ""),
    ("Elena Kuznetsova", "+79161234504", "elena@example.com"),
    ("Dmitry Volkov", "+79161234505", ""),
    ("Anna Morozova", "+79161234506", "anna@example.com"),
    ("Sergey Lebedev", "+79161234507", ""),
    ("Olga Novikova", "+79161234508", "olga@example.com"),
]

ITEMS = [
    ("Phone", "Apple", "iPhone 13", "356789104512345", "Cracked screen, scratches on the back", "Case"),
    ("Laptop", "Lenovo", "ThinkPad T14", "PF3XK2LA", "Worn keyboard", "Charger"),
    ("Washing machine", "Bosch", "WAN28280", "FD9807123", "", ""),
    ("Phone", "Samsung", "Galaxy S22", "354987112233445", "Dent on the corner", ""),
    ("Laptop", "Apple", "MacBook Air M1", "C02FK1ZXQ6L4", "Spilled coffee", "Charger, sleeve"),
    ("Car", "Lada", "Vesta", "XTAGFK330L1234567", "Check-engine light on", "Keys"),
]

# How long ago each open demo order was taken in (hours), by its status: the first, second (and third)
# order of that status. The further along, the older, as in a real queue: a "ready" order took one to
# three working days to get there, so the repair-time figures of the last days read like the history's.
OPEN_AGES_HOURS = {
    "new": (1, 0.5, 1.5),
    "planned": (5, 20, 3),
    "diagnostics": (26, 6, 4),
    "awaiting_approval": (30, 45, 20),
    "awaiting_parts": (150, 52),
    "in_progress": (28, 3),
    "quality_check": (30, 52),
    "ready": (45, 110),
    "on_hold": (200, 8),
}
PROBLEMS = [
    "Does not turn on",
    "Screen flickers",
    "Makes a loud noise",
    "Needs setup advice",
    "Battery drains fast",
    "Will not charge",
]


@dataclass(frozen=True)
class DemoData:
    """What a demo center's catalogue, clients and orders are made of, in its own language and money."""

    catalogue: list
    clients: list
    items: list
    problems: list
    visit_address: str  # formatted with n (a house number) and m (a flat or an RT)
    prepayment: Decimal
    spare_part: tuple[str, Decimal]  # the part a quoted estimate adds
    reasons: dict[str, str]  # why an order is cancelled or put on hold (and why work is entered by hand)


MOSCOW = DemoData(
    catalogue=CATALOGUE,
    clients=CLIENTS,
    items=ITEMS,
    problems=PROBLEMS,
    visit_address="Moscow, Lenina st. {n}, apt. {m}",
    prepayment=Decimal("1000"),
    spare_part=("Spare part", Decimal("900")),
    reasons={
        "cancel": "Client changed their mind",
        "hold": "Waiting for the client to call back",
        "return_to_work": "The fault came back in the final test",
        "work_log": "Entered after the repair",
    },
)

# The Jakarta demo center (servicedesk.tenancy.demo.seed_jakarta_staff): Indonesian names, +62 numbers, rupiah.
JAKARTA = DemoData(
    catalogue=[
        ("Ganti layar ponsel", [ServiceFormat.IN_SHOP], True, 90, "850000", 180, 2),
        ("Diagnosis dan perbaikan laptop", [ServiceFormat.IN_SHOP], True, 180, "450000", 365, 5),
        ("Servis mesin cuci", [ServiceFormat.ON_SITE, ServiceFormat.IN_SHOP], True, 120, "350000", 365, 3),
        ("Pemulihan data", [ServiceFormat.IN_SHOP, ServiceFormat.ONLINE], True, 240, "1200000", 30, 7),
        ("Konsultasi rumah pintar", [ServiceFormat.ONLINE, ServiceFormat.ON_SITE], False, 60, "250000", 0, 2),
        ("Servis AC", [ServiceFormat.ON_SITE, ServiceFormat.COMBINED], True, 120, "300000", 90, 2),
    ],
    clients=[
        ("Budi Hartono", "+6281234567801", "budi@example.com"),
        ("Siti Nurhaliza", "+6281234567802", "siti@example.com"),
        ("Agus Setiawan", "+6281234567803", ""),
        ("Dewi Anggraini", "+6281234567804", "dewi@example.com"),
        ("Rizky Ramadhan", "+6281234567805", ""),
        ("Putri Wulandari", "+6281234567806", "putri@example.com"),
        ("Eko Prasetyo", "+6281234567807", ""),
        ("Ratna Sari", "+6281234567808", "ratna@example.com"),
    ],
    items=[
        (
            "Ponsel",
            "Samsung",
            "Galaxy A54",
            "352345678901234",
            "Layar retak, lecet di bagian belakang",
            "Casing",
        ),
        ("Laptop", "ASUS", "VivoBook 14", "N1NRKD012345", "Keyboard aus", "Charger"),
        ("Mesin cuci", "Sharp", "ES-T85CL", "SH8507123", "", ""),
        ("Ponsel", "Xiaomi", "Redmi Note 12", "869876543210987", "Penyok di sudut", ""),
        ("Laptop", "Lenovo", "IdeaPad Slim 3", "PF4ABC12", "Terkena tumpahan kopi", "Charger, tas"),
        ("AC", "Daikin", "FTV25", "DK25123456", "Tidak dingin", "Remote"),
    ],
    problems=[
        "Tidak mau menyala",
        "Layar berkedip",
        "Bunyi keras saat dipakai",
        "Butuh saran pemasangan",
        "Baterai cepat habis",
        "Tidak bisa dicas",
    ],
    visit_address="Jl. Kemang Raya No. {n}, RT {m:03d}/RW 005, Jakarta Selatan",
    prepayment=Decimal("100000"),
    spare_part=("Suku cadang", Decimal("150000")),
    reasons={
        "cancel": "Pelanggan berubah pikiran",
        "hold": "Menunggu pelanggan menelepon kembali",
        "return_to_work": "Kerusakan muncul lagi saat tes akhir",
        "work_log": "Dicatat setelah perbaikan",
    },
)


def demo_data_for(tenant) -> DemoData:
    return JAKARTA if tenant.slug == "demo-jakarta" else MOSCOW


# The path each demo order walks; the last status is where it stays.
PATHS = {
    "new": [],
    "planned": ["plan"],
    "diagnostics": ["plan", "start_diagnostics"],
    "awaiting_approval": ["plan", "start_diagnostics", "request_approval"],
    "awaiting_parts": ["plan", "start_diagnostics", "wait_for_parts"],
    "in_progress": ["plan", "start_diagnostics", "start_work"],
    "quality_check": ["plan", "start_work", "finish_work"],
    "ready": ["plan", "start_diagnostics", "start_work", "finish_work", "pass_check"],
    "handed_over": ["plan", "start_work", "finish_work", "pass_check", "hand_over"],
    "cancelled": ["cancel"],
    "on_hold": ["plan", "start_diagnostics", "hold"],
}
# Some demo orders show the estimate flow instead: an itemised quote after diagnostics, approved by the
# client, becomes the bill (walk_to quotes the work and a part before asking).
QUOTED_PATHS = {
    "ready": ["plan", "start_diagnostics", "request_approval", "approve", "finish_work", "pass_check"],
    "handed_over": [
        "plan",
        "start_diagnostics",
        "request_approval",
        "approve",
        "finish_work",
        "pass_check",
        "hand_over",
    ],
}


def seed_catalogue(tenant) -> list[ServiceType]:
    types = []
    for name, formats, needs_item, minutes, price, warranty, target in demo_data_for(tenant).catalogue:
        service_type, _ = ServiceType.objects.get_or_create(
            tenant=tenant,
            name=name,
            defaults={
                "formats": list(formats),
                "needs_item": needs_item,
                "default_duration_minutes": minutes,
                "base_price": Decimal(price),
                "warranty_days": warranty,
                "target_days": target,
            },
        )
        types.append(service_type)
    return types


@transaction.atomic
def seed_demo_orders(staff) -> None:
    tenant = staff.tenant
    data = demo_data_for(tenant)
    types = seed_catalogue(tenant)
    if Order.objects.for_tenant(tenant).exists():
        return
    members = {m.role: m for m in Membership.objects.for_tenant(tenant).select_related("user")}
    reception, manager, technician = members[Role.RECEPTION], members[Role.MANAGER], members[Role.TECHNICIAN]
    now = timezone.now()
    statuses = list(PATHS)
    for index in range(26):
        status = statuses[index % len(statuses)]
        name, phone, email = data.clients[index % len(data.clients)]
        client = Client.objects.for_tenant(tenant).filter(phone=phone).first()
        service_type = types[index % len(types)]
        kind, brand, model, serial, condition, accessories = data.items[index % len(data.items)]
        fmt = service_type.formats[index % len(service_type.formats)]
        visit = fmt in {ServiceFormat.ON_SITE, ServiceFormat.COMBINED}
        visit_start = (now + timedelta(days=1 + index % 4)).replace(
            hour=10 + index % 6, minute=0, second=0, microsecond=0
        )
        order = services.take_in(
            tenant,
            services.IntakeData(
                client=client,
                client_name=name,
                client_phone=phone,
                client_email=email,
                consent=True,
                service_type=service_type,
                format=fmt,
                intake_location=staff.head_office,
                problem=data.problems[index % len(data.problems)],
                item_kind=kind if service_type.needs_item else "",
                item_brand=brand,
                item_model=model,
                item_serial=f"{serial}{index}" if serial else "",
                item_condition=condition,
                item_accessories=accessories,
                priority=[1, 1, 2, 0, 3][index % 5],
                promised_at=now + timedelta(days=(index % 7) - 2, hours=index),
                estimate=service_type.base_price,
                prepayment=data.prepayment if index % 3 == 0 else Decimal("0"),
                visit_address=data.visit_address.format(n=index + 3, m=index * 7 % 90 + 1) if visit else "",
                visit_start=visit_start if visit else None,
                visit_end=visit_start + timedelta(hours=2) if visit else None,
            ),
            by=reception,
        )
        # Closed orders spread over the last weeks, so lists and reports have history; open ones were taken in
        # during the last working days, as in a real shop's queue (most on track, a few late: their service
        # level clocks say which).
        if status in CLOSED_STATUSES:
            created = now - timedelta(days=26 - index, hours=index % 5)
        else:
            ages = OPEN_AGES_HOURS[status]
            created = now - timedelta(hours=ages[index // len(statuses) % len(ages)])
        Order.objects.filter(pk=order.pk).update(created_at=created)
        order.refresh_from_db()
        quoted = index >= len(statuses) and status in QUOTED_PATHS  # the second order of these statuses
        walk_to(
            order,
            status,
            manager=manager,
            technician=technician,
            reception=reception,
            workshop=staff.workshop,
            path=QUOTED_PATHS[status] if quoted else None,
        )
        _spread_timeline(order, created, now)


def walk_to(
    order: Order,
    status: str,
    *,
    manager: Membership,
    technician: Membership,
    reception: Membership,
    workshop,
    path: list[str] | None = None,
) -> Order:
    """Move a new order to `status` through the real lifecycle, doing what each step needs first.

    Bills follow what the client approved: the intake estimate (the service's base price) is billed as one
    line; on a quoted path the approved quote's lines are the bill."""
    service_type = order.service_type
    data = demo_data_for(order.tenant)
    quoted = path is not None and "approve" in path
    for action in path or PATHS[status]:
        if action == "plan":
            services.assign(
                order, technician=technician, workshop=workshop, by=manager, expected_version=order.version
            )
            order.refresh_from_db()
        if action == "request_approval" and quoted:
            services.set_estimate(
                order,
                by=technician,
                expected_version=order.version,
                lines=[
                    services.EstimateLineData(
                        LineItem.Kind.WORK, service_type.name, Decimal("1"), service_type.base_price
                    ),
                    services.EstimateLineData(
                        LineItem.Kind.PART, data.spare_part[0], Decimal("1"), data.spare_part[1]
                    ),
                ],
            )
        if action == "finish_work" and not order.line_items.exists():
            services.add_line_item(
                order,
                kind=LineItem.Kind.WORK,
                description=service_type.name,
                quantity=Decimal("1"),
                unit_price=service_type.base_price,
                by=technician,
                performed_by=technician,
            )
        if action == "hand_over" and order.amount_due:
            services.add_payment(order, amount=order.amount_due, method=Payment.Method.CARD, by=reception)
        actor = {
            "plan": manager,
            "hold": manager,
            "cancel": reception,
            "hand_over": reception,
            "approve": reception,
        }.get(action, technician)  # reception records the client's yes on the phone
        transition(
            order,
            action,
            by=actor,
            expected_version=order.version,
            reason=data.reasons.get(action, ""),
        )
        order.refresh_from_db()
    return order


def date_back(order: Order, start: datetime, end: datetime) -> None:
    """An order a demo took in and walked in a second: taken in at `start`, its events spread up to `end`
    (an order made and handed over in the same second would read as a repair that took no time)."""
    Order.objects.filter(pk=order.pk).update(created_at=start)
    _spread_timeline(order, start, end)
    order.refresh_from_db()


def _spread_timeline(order: Order, start, end) -> None:
    """Demo orders are made in a second; spread their events over their real-looking life instead."""
    events = list(order.events.order_by("id"))
    step = (end - start) / (len(events) + 1)
    for index, event in enumerate(events):
        event.created_at = start + step * index
    OrderEvent.objects.bulk_update(events, ["created_at"])
    Payment.objects.filter(order=order).update(created_at=start)
    Order.objects.filter(pk=order.pk).update(
        status_changed_at=events[-1].created_at,
        closed_at=events[-1].created_at if not order.is_open else None,
    )


# --- Six months of history ----------------------------------------------------------------------------
# What a manager's dashboard needs to say something: a few orders a working day for half a year, made through
# the same services and lifecycle as the orders above (so the timelines are real ones), then dated back.
HISTORY_DAYS = 182
HISTORY_RECENT_DAYS = 4  # the last days are the open orders' (above): history stops before them
# Failed quality check ("check failed, back to work") before the check passes.
REWORK_PATH = [
    "plan",
    "start_diagnostics",
    "start_work",
    "finish_work",
    "return_to_work",
    "finish_work",
    "pass_check",
    "hand_over",
]
# The problem written on a warranty return, in the center's language.
RETURN_PROBLEM = {"demo-jakarta": "Kembali: kerusakan yang sama muncul lagi"}
RETURN_PROBLEM_DEFAULT = "Came back: the same fault again"
# The demo's working day for dating the history (the head office's hours: quality.demo.seed_demo_hours).
OPENS, CLOSES = 10, 19


@dataclass(frozen=True)
class HistoryPlan:
    """How busy a demo center's history is: orders per working day (a weighted choice), and the shares of
    cancelled, reworked (a failed check), late (several times the usual time) and returned orders."""

    per_day: tuple[int, ...] = (1, 2, 2, 3)
    cancelled: float = 0.04
    rework: float = 0.08
    late: float = 0.04
    returns: float = 0.03


MOSCOW_HISTORY = HistoryPlan()
JAKARTA_HISTORY = HistoryPlan(per_day=(0, 1, 1, 1))  # a smaller center, and a cheaper seeding


def history_plan_for(tenant) -> HistoryPlan:
    return JAKARTA_HISTORY if tenant.slug == "demo-jakarta" else MOSCOW_HISTORY


def at_work(start, minutes: float):
    """`start` moved on by `minutes` of the demo's working time (Monday-Saturday, OPENS-CLOSES local), so
    dated-back events happen while the center is open."""
    moment = start
    left = timedelta(minutes=minutes)
    while True:
        opens = moment.replace(hour=OPENS, minute=0, second=0, microsecond=0)
        closes = moment.replace(hour=CLOSES, minute=0, second=0, microsecond=0)
        if moment.weekday() == 6 or moment >= closes:
            moment = opens + timedelta(days=1)
            continue
        moment = max(moment, opens)
        if moment + left <= closes:
            return moment + left
        left -= closes - moment
        moment = opens + timedelta(days=1)


def history_exists(tenant) -> bool:
    return (
        Order.objects.for_tenant(tenant).filter(created_at__lt=timezone.now() - timedelta(days=60)).exists()
    )


def _history_format(service_type: ServiceType) -> str:
    return next(f for f in service_type.formats if f not in {ServiceFormat.ON_SITE, ServiceFormat.COMBINED})


@transaction.atomic
def seed_demo_history(staff) -> int:
    """Six months of closed orders (most handed over, a few cancelled, some reworked after a failed check,
    a few late, a few brought back under warranty), each walked through the lifecycle and then dated back to
    its day. Returns how many orders it made; none when the center has history already."""
    import random

    tenant = staff.tenant
    if history_exists(tenant):
        return 0
    data = demo_data_for(tenant)
    plan = history_plan_for(tenant)
    # Services that can be done without a visit (the history's visits would need slots in the past).
    types = [
        t for t in seed_catalogue(tenant) if set(t.formats) - {ServiceFormat.ON_SITE, ServiceFormat.COMBINED}
    ]
    members = {m.role: m for m in Membership.objects.for_tenant(tenant).select_related("user")}
    reception, manager = members[Role.RECEPTION], members[Role.MANAGER]
    # Every technician of the center takes jobs (the demo's first one most); the newest one fails the quality
    # check three times as often: the technician who needs help on the dashboard.
    technicians = list(
        Membership.objects.for_tenant(tenant).filter(role=Role.TECHNICIAN, is_active=True).order_by("pk")
    )
    weights = [2] + [1] * (len(technicians) - 1)
    rng = random.Random(f"history:{tenant.slug}")  # the same history on every fresh database
    tz = tenant.tz
    today = timezone.localdate(timezone=tz)
    made: list[tuple[Order, datetime]] = []  # handed-over orders and their handover time
    count = 0
    for back in range(HISTORY_DAYS, HISTORY_RECENT_DAYS, -1):
        day = today - timedelta(days=back)
        if day.weekday() == 6:
            continue
        # The last three weeks run faster (the goal "repair time down 15 %" is working).
        speed = 0.8 if back <= 21 else 1.0
        for _ in range(rng.choice(plan.per_day)):
            service_type = rng.choice(types)
            technician = rng.choices(technicians, weights)[0]
            rework = plan.rework * (3 if len(technicians) > 1 and technician == technicians[-1] else 1)
            created = timezone.make_aware(
                datetime.combine(day, time(OPENS))
                + timedelta(minutes=rng.randrange(0, (CLOSES - OPENS) * 60 - 30)),
                tz,
            )
            name, phone, email = rng.choice(data.clients)
            kind, brand, model, serial, condition, accessories = rng.choice(data.items)
            count += 1
            order = services.take_in(
                tenant,
                services.IntakeData(
                    client=Client.objects.for_tenant(tenant).filter(phone=phone).first(),
                    client_name=name,
                    client_phone=phone,
                    client_email=email,
                    consent=True,
                    service_type=service_type,
                    format=_history_format(service_type),
                    intake_location=staff.head_office,
                    problem=rng.choice(data.problems),
                    item_kind=kind if service_type.needs_item else "",
                    item_brand=brand,
                    item_model=model,
                    item_serial=f"{serial}H{count}" if serial else "",
                    item_condition=condition,
                    item_accessories=accessories,
                    priority=rng.choice([1, 1, 1, 1, 2, 0]),
                    estimate=service_type.base_price,
                ),
                by=reception,
            )
            roll = rng.random()
            if roll < plan.cancelled:
                status, path = "cancelled", None
            elif roll < plan.cancelled + rework:
                status, path = "handed_over", REWORK_PATH
            elif roll < plan.cancelled + rework + 0.1:
                status, path = "handed_over", QUOTED_PATHS["handed_over"]
            else:
                status, path = "handed_over", None
            order = walk_to(
                order,
                status,
                manager=manager,
                technician=technician,
                reception=reception,
                workshop=staff.workshop,
                path=path,
            )
            # Working minutes: planned within two hours; ready after the service's usual time (a screen in a
            # few hours, a laptop in a day or two), several times that for the late ones; then the client
            # comes within a day or two.
            usual = min(service_type.target_days * 4 * 60, 1400) * speed
            ready = usual * rng.uniform(0.3, 1.0) * (rng.uniform(3, 5) if rng.random() < plan.late else 1)
            if status == "cancelled":
                ready = rng.uniform(20, 240)
            pickup = 0 if status == "cancelled" else rng.uniform(30, 2 * (CLOSES - OPENS) * 60)
            end = _date_back(order, created.astimezone(tz), rng.uniform(5, 120), ready, pickup)
            if status == "handed_over":
                made.append((order, end))
    for original, handed in made:
        if rng.random() >= plan.returns or handed > timezone.now() - timedelta(days=40):
            continue
        returned = services.take_in_return(
            original, by=reception, problem=RETURN_PROBLEM.get(tenant.slug, RETURN_PROBLEM_DEFAULT)
        )
        returned = walk_to(
            returned,
            "handed_over",
            manager=manager,
            technician=technicians[0],
            reception=reception,
            workshop=staff.workshop,
        )
        created = at_work(handed.astimezone(tz), rng.uniform(3, 20) * (CLOSES - OPENS) * 60)
        _date_back(returned, created, rng.uniform(5, 60), rng.uniform(4, 8) * 60, rng.uniform(30, 600))
        count += 1
    return count


def _date_back(order: Order, start: datetime, planned: float, ready: float, pickup: float) -> datetime:
    """As _spread_timeline, in working time: the order taken in at `start` (local), its events up to the first
    status change within `planned` minutes, the rest evenly until `ready`, the last one `pickup` minutes
    later (never later than the recent days, which are the open orders'). Returns the last event's time."""
    events = list(order.events.order_by("id"))
    first_status = next((i for i, e in enumerate(events) if e.kind == EventKind.STATUS), 0)
    limit = timezone.now() - timedelta(days=HISTORY_RECENT_DAYS - 1)
    offsets = []
    for index in range(len(events)):
        if index <= first_status:
            offsets.append(planned * index / max(first_status, 1))
        elif index < len(events) - 1:
            rest = (len(events) - 1) - first_status
            offsets.append(planned + (ready - planned) * (index - first_status) / max(rest, 1))
        else:
            offsets.append(max(ready, planned) + pickup)
    for event, offset in zip(events, offsets, strict=True):
        event.created_at = min(at_work(start, offset), limit)
    OrderEvent.objects.bulk_update(events, ["created_at"])
    Payment.objects.filter(order=order).update(created_at=events[-1].created_at)
    warranty_until = order.warranty_until  # set at the real handover: moved with it
    if warranty_until is not None and order.closed_at is not None:
        warranty_until -= timezone.localdate(order.closed_at) - timezone.localdate(events[-1].created_at)
    Order.objects.filter(pk=order.pk).update(
        created_at=start,
        warranty_until=warranty_until,
        status_changed_at=events[-1].created_at,
        closed_at=events[-1].created_at if not order.is_open else None,
    )
    return events[-1].created_at


# A client who asked for their data to be erased (issue 13): taken in, served and handed over two months
# ago, then given the data report and erased on request, through the real services. The client page, the
# order and its documents show what an erasure leaves.
ERASED_CLIENT = {
    "demo-jakarta": (
        "Rina Wijaya",
        "+6281234567899",
        "rina@example.com",
        "Permintaan tertulis di meja, 3 Maret",
    ),
}
ERASED_CLIENT_DEFAULT = (
    "Pavel Orlov",
    "+79161234599",
    "pavel@example.com",
    "Письменное заявление на стойке, 3 марта",
)


def seed_demo_erasure_client(staff) -> None:
    """The client who will ask for erasure, served and handed over three weeks ago. Made with the open demo
    orders (before the apps' guards, checklists and independent checks, are set up), so that the later
    steps give their order what any order has (documents, a rating ...) and the erasure has it all to mask.
    Idempotent: done once the client, or their erasure, exists."""
    from .models import PersonalDataRequest

    tenant = staff.tenant
    name, phone, email, _reason = ERASED_CLIENT.get(tenant.slug, ERASED_CLIENT_DEFAULT)
    if (
        Client.objects.for_tenant(tenant).filter(phone=phone).exists()
        or PersonalDataRequest.objects.for_tenant(tenant).exists()
    ):
        return
    data = demo_data_for(tenant)
    types = [t for t in seed_catalogue(tenant) if t.needs_item and ServiceFormat.IN_SHOP in t.formats]
    members = {m.role: m for m in Membership.objects.for_tenant(tenant).select_related("user")}
    reception, manager, technician = members[Role.RECEPTION], members[Role.MANAGER], members[Role.TECHNICIAN]
    kind, brand, model, serial, condition, accessories = data.items[0]
    order = services.take_in(
        tenant,
        services.IntakeData(
            client=None,
            client_name=name,
            client_phone=phone,
            client_email=email,
            consent=True,
            service_type=types[0],
            format=ServiceFormat.IN_SHOP,
            intake_location=staff.head_office,
            problem=data.problems[0],
            item_kind=kind,
            item_brand=brand,
            item_model=model,
            item_serial=f"{serial}99",
            item_condition=condition,
            item_accessories=accessories,
            estimate=types[0].base_price,
        ),
        by=reception,
    )
    # Three weeks ago: within the open demo orders' last four weeks (the history's months start further
    # back, and history_exists() looks there).
    start = timezone.now() - timedelta(days=21)
    Order.objects.filter(pk=order.pk).update(created_at=start)
    order.refresh_from_db()
    walk_to(
        order,
        "handed_over",
        manager=manager,
        technician=technician,
        reception=reception,
        workshop=staff.workshop,
    )
    _spread_timeline(order, start, start + timedelta(days=3))


def seed_demo_erasure(staff) -> None:
    """The client of seed_demo_erasure_client asks for their data and then for its erasure: the manager
    gives the report and erases it. Idempotent: a center with a personal-data request is left alone."""
    from . import personal_data
    from .models import PersonalDataRequest

    tenant = staff.tenant
    if PersonalDataRequest.objects.for_tenant(tenant).exists():
        return
    _name, phone, _email, reason = ERASED_CLIENT.get(tenant.slug, ERASED_CLIENT_DEFAULT)
    client = Client.objects.for_tenant(tenant).filter(phone=phone).select_related("tenant").first()
    if client is None:
        return
    manager = Membership.objects.for_tenant(tenant).filter(role=Role.MANAGER).select_related("user").first()
    if manager is None:
        return
    personal_data.data_report(client, by=manager)
    personal_data.erase_client(client, by=manager, reason=reason)
