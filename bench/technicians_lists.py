"""Benchmark: the technicians pages on a big tenant.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch db> .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/technicians_lists.py [--orders 20000] [--open 1000] [--technicians 25]
        [--parts 2000]

Creates a throw-away tenant "bench-technicians" (deleted at the end): technicians with profiles and skills,
`orders` orders of which the newest `open` are open (in every open status, assigned, one in seven an
on-site visit with a slot) and the rest closed history,
`parts` parts with stock at three locations (a tenth under their minimum), reservations, and about two
work-log entries per worked order. Rows are bulk-inserted (no services, no events): the pages only read.

Then it requests each page through Django's test client, logged in as a manager or a technician, and prints
the median time of 15 requests (after 3 warm-ups) and the number of queries of one request: the planning
board (7 and 14 days), my jobs of the busiest technician, visits of a day, the stock list (first page and
"under the minimum"), the low-stock list, the movement journal, the parts catalogue, the hours report
(one month). Use a scratch database: the script writes and deletes rows.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from orders.models import CLOSED_STATUSES, Client, Order, OrderStatus, ServiceFormat, ServiceType  # noqa: E402
from servicedesk.accounts.models import User  # noqa: E402
from servicedesk.tenancy.models import Location, Membership, Tenant  # noqa: E402
from servicedesk.tenancy.roles import Role  # noqa: E402
from stock.models import Part, PartReservation, PartServiceType, StockLevel, StockMovement  # noqa: E402
from technicians.models import TechnicianProfile, TechnicianSkill, WorkLog  # noqa: E402

SLUG = "bench-technicians"


def cleanup() -> None:
    for tenant in Tenant.objects.filter(slug=SLUG):
        for model in (
            WorkLog,
            PartReservation,
            StockMovement,
            StockLevel,
            PartServiceType,
            Part,
            TechnicianSkill,
            TechnicianProfile,
        ):
            model.objects.filter(tenant=tenant).delete()
        from orders.models import OrderEvent

        OrderEvent.objects.filter(tenant=tenant).delete()
        Order.objects.filter(tenant=tenant).delete()
        Client.objects.filter(tenant=tenant).delete()
        ServiceType.objects.filter(tenant=tenant).delete()
        members = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
        Membership.objects.filter(tenant=tenant).delete()
        Location.objects.filter(tenant=tenant).delete()
        User.objects.filter(pk__in=members, email__endswith="@bench.test").delete()
        tenant.delete()


def seed(orders: int, technicians: int, parts: int, open_orders: int):
    rng = random.Random(7)
    now = timezone.now()
    tenant = Tenant.objects.create(
        slug=SLUG, name="Bench technicians", language="en", time_zone="Europe/Moscow"
    )
    locations = [Location.objects.create(tenant=tenant, name=f"Location {i}") for i in range(3)]
    types = [
        ServiceType.objects.create(
            tenant=tenant,
            name=f"Service {i}",
            formats=["in_shop", "on_site"],
            default_duration_minutes=60 + 30 * (i % 4),
        )
        for i in range(8)
    ]
    manager_user = User.objects.create_user("manager@bench.test", "x", full_name="Bench Manager")
    manager = Membership.objects.create(tenant=tenant, user=manager_user, role=Role.MANAGER)
    techs = []
    for i in range(technicians):
        user = User.objects.create_user(f"tech{i}@bench.test", "x", full_name=f"Tech {i:03d}")
        member = Membership.objects.create(tenant=tenant, user=user, role=Role.TECHNICIAN)
        profile = TechnicianProfile.objects.create(
            tenant=tenant, membership=member, home_workshop=locations[i % 3], does_visits=i % 3 == 0
        )
        TechnicianSkill.objects.bulk_create(
            [TechnicianSkill(tenant=tenant, profile=profile, service_type=st) for st in rng.sample(types, 3)]
        )
        techs.append(member)
    clients = Client.objects.bulk_create(
        [Client(tenant=tenant, name=f"Client {i}", phone=f"+7900{i:07d}") for i in range(max(orders // 4, 1))]
    )
    open_statuses = [s for s in OrderStatus if s not in CLOSED_STATUSES]
    rows = []
    for n in range(1, orders + 1):
        # History is closed; the newest `open_orders` orders are in every open status.
        if n > orders - open_orders:
            status = open_statuses[n % len(open_statuses)]
        else:
            status = OrderStatus.CANCELLED if n % 12 == 0 else OrderStatus.HANDED_OVER
        open_ = status not in CLOSED_STATUSES
        tech = techs[n % len(techs)] if status != OrderStatus.NEW else None
        visit = open_ and tech is not None and n % 7 == 0
        start = (
            (now + timedelta(days=n % 10, hours=n % 9)).replace(minute=0, second=0, microsecond=0)
            if visit
            else None
        )
        rows.append(
            Order(
                tenant=tenant,
                number=n,
                client=clients[n % len(clients)],
                service_type=types[n % len(types)],
                format=ServiceFormat.ON_SITE if visit else ServiceFormat.IN_SHOP,
                intake_location=locations[0],
                workshop=locations[n % 3],
                technician=tech,
                status=status,
                problem="Bench",
                promised_at=now + timedelta(days=(n % 20) - 5),
                created_at=now - timedelta(minutes=orders - n),
                visit_address="Bench st." if visit else "",
                visit_start=start,
                visit_end=start + timedelta(minutes=59) if visit else None,
            )
        )
    Order.objects.bulk_create(rows, batch_size=2000)
    part_rows = Part.objects.bulk_create(
        [
            Part(tenant=tenant, sku=f"B-{i:05d}", name=f"Bench part {i:05d}", sale_price=Decimal("100"))
            for i in range(parts)
        ]
    )
    PartServiceType.objects.bulk_create(
        [
            PartServiceType(tenant=tenant, part=p, service_type=types[i % len(types)])
            for i, p in enumerate(part_rows)
        ]
    )
    levels, moves = [], []
    for i, part in enumerate(part_rows):
        for location in locations:
            on_hand = Decimal(rng.randint(0, 20))
            levels.append(
                StockLevel(
                    tenant=tenant,
                    part=part,
                    location=location,
                    on_hand=on_hand,
                    min_level=on_hand + 1 if i % 10 == 0 else Decimal(2),
                )
            )
            moves.append(
                StockMovement(
                    tenant=tenant,
                    kind=StockMovement.Kind.RECEIPT,
                    part=part,
                    location=location,
                    on_hand_delta=on_hand,
                    reason="bench",
                )
            )
    StockLevel.objects.bulk_create(levels, batch_size=5000)
    StockMovement.objects.bulk_create(moves, batch_size=5000)
    open_orders = list(
        Order.objects.filter(tenant=tenant, technician__isnull=False)
        .exclude(status__in=CLOSED_STATUSES)
        .values_list("pk", "workshop_id")
    )
    PartReservation.objects.bulk_create(
        [
            PartReservation(
                tenant=tenant,
                order_id=pk,
                part=part_rows[i % len(part_rows)],
                location_id=workshop,
                reserved=Decimal(0),
                missing=Decimal(1),
            )
            for i, (pk, workshop) in enumerate(open_orders[::5])
        ]
    )
    worked = Order.objects.filter(tenant=tenant, technician__isnull=False).values_list("pk", "technician_id")
    logs = []
    for i, (pk, tech_id) in enumerate(worked):
        for piece in range(2):
            # Spread over a year: about 160 hours a month per technician, like a real workshop.
            start = now - timedelta(days=(i * 365) // max(len(worked), 1), hours=piece * 3 + (i % 5))
            logs.append(
                WorkLog(
                    tenant=tenant,
                    order_id=pk,
                    technician_id=tech_id,
                    started_at=start,
                    ended_at=start + timedelta(minutes=40),
                    source=WorkLog.Source.MANUAL,
                    reason="bench",
                )
            )
    WorkLog.objects.bulk_create(logs, batch_size=5000)
    return tenant, manager, techs


def measure(client: HttpClient, url: str, runs: int = 15) -> tuple[float, int]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with override_settings(DEBUG=True):
        reset_queries()
        client.get(url)
        queries = len(connection.queries)
    return statistics.median(times), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--technicians", type=int, default=25)
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--open", type=int, default=1000, help="open orders (the rest are closed history)")
    parser.add_argument("--keep", action="store_true", help="keep the tenant afterwards (to profile a page)")
    args = parser.parse_args()
    cleanup()
    started = time.perf_counter()
    tenant, manager, techs = seed(args.orders, args.technicians, args.parts, args.open)
    print(
        f"seeded {args.orders} orders ({args.open} open), {args.technicians} technicians, {args.parts} parts in "
        f"{time.perf_counter() - started:.1f} s on {connection.vendor}"
    )
    try:
        office = HttpClient()
        office.force_login(manager.user)
        busiest = max(
            techs,
            key=lambda m: Order.objects.filter(technician=m).exclude(status__in=CLOSED_STATUSES).count(),
        )
        tech = HttpClient()
        tech.force_login(busiest.user)
        today = timezone.localdate()
        pages = [
            ("planning board, 7 days", office, f"/{SLUG}/planning/"),
            ("planning board, 14 days", office, f"/{SLUG}/planning/?days=14"),
            ("my jobs (busiest technician)", tech, f"/{SLUG}/my-jobs/"),
            ("visits of a day", office, f"/{SLUG}/visits/?date={today + timedelta(days=1):%Y-%m-%d}"),
            ("stock list, first page", office, f"/{SLUG}/stock/"),
            ("stock list, under the minimum", office, f"/{SLUG}/stock/?low=on"),
            ("low stock + waiting orders", office, f"/{SLUG}/stock/low/"),
            ("movement journal", office, f"/{SLUG}/stock/movements/"),
            ("parts catalogue", office, f"/{SLUG}/parts/"),
            (
                "hours report, one month",
                office,
                f"/{SLUG}/hours/?date_from={today - timedelta(days=30):%Y-%m-%d}&date_to={today:%Y-%m-%d}",
            ),
        ]
        print(f"{'page':<34} {'median ms':>10} {'queries':>8}")
        for label, client, url in pages:
            median, queries = measure(client, url)
            print(f"{label:<34} {median:>10.1f} {queries:>8}")
    finally:
        if not args.keep:
            cleanup()


if __name__ == "__main__":
    main()
