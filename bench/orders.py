"""Benchmark: the order pages on a tenant with 100,000 orders, among several tenants.

    .venv/bin/python bench/orders.py [--orders 100000] [--tenants 5] [--requests 20]
                                     [--database-url sqlite:////tmp/servicedesk_bench.sqlite3]
                                     [--database-url postgres://postgres@127.0.0.1:5432/servicedesk_bench]
                                     [--explain] [--keep]

It creates a FRESH database (the SQLite file is deleted, the PostgreSQL database dropped and created again:
never point it at a database you care about), migrates it, and seeds `tenants` service centers: the
measured one ("bench") gets `orders` orders, the others a twentieth as many each. Every tenant gets locations,
a catalogue, staff (a manager, reception, 12 technicians), clients (one per three orders), items, orders
spread over every status and three years, and their timelines: a CREATED event plus one event per status
step (about 4.3 events per order: most orders are handed over), with line items and payments on a fifth
of the orders. Rows are inserted in bulk (COPY on PostgreSQL, executemany on SQLite; no services, no
listeners); then the planner's statistics are refreshed (ANALYZE), as autovacuum would do in production.

Then, logged in as the measured tenant's manager through Django's test client (so the time is the server's
time: URL routing, middleware, the view, its queries, the template; no network), it requests each page
`requests` times after 3 warm-ups and prints the median and 90th percentile wall time, the median CPU
time of the process (comparable across runs on a busy machine; it includes SQLite's work but not
PostgreSQL's), and the number of queries of one request:

    order list, first page       the default view (open orders), all orders newest first, by priority, by date
    filtered page                status=in_progress & technician=<one of 12>
    deep pages                   the cursor 1,000 rows deep (followed page by page) and near the end (built)
    search                       by client phone digits, by order number
    order page                   an order with a dozen events, lines and payments
    public page                  /s/<token>/ of that order

Settings are production-like (DEBUG off, templates cached; static files served plainly). With --explain it
prints the database's plan of the list and search queries (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY
PLAN on SQLite). The SQLite file is deleted at the end unless --keep; the PostgreSQL database is left for
inspection (the next run drops it). Figures and notes: docs/performance.md, section Orders.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "sqlite:////tmp/servicedesk_bench.sqlite3"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the measured tenant")
    parser.add_argument("--tenants", type=int, default=5, help="service centers in the database")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE,
                        help="a SCRATCH database: it is deleted and created again")
    parser.add_argument("--explain", action="store_true", help="print the plans of the list queries")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (SQLite file)")
    return parser.parse_args()


def fresh_database(url: str) -> None:
    """Delete and create the scratch database, before Django connects to it."""
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(config["NAME"] + suffix).unlink(missing_ok=True)
        return
    import psycopg

    name = config["NAME"]
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    admin = psycopg.connect(host=config["HOST"] or None, port=config["PORT"] or None, user=config["USER"] or None,
                            password=config["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def configure(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # the page cache is not what is measured; the rate limit uses locmem
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings", "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "BEHIND_TLS_PROXY": "0",
        "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "PUBLIC_PAGE_RATE": "1000000/m",
        "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600", "STATIC_ROOT": str(ROOT / "static"),
    })
    sys.path.insert(0, str(ROOT))


# --- Seeding ----------------------------------------------------------------------------------------

# (status, share of orders, the statuses it walked through after "new")
STATUS_MIX = [
    ("handed_over", 62, ["planned", "in_progress", "ready", "handed_over"]),
    ("cancelled", 6, ["cancelled"]),
    ("new", 5, []),
    ("planned", 5, ["planned"]),
    ("diagnostics", 4, ["planned", "diagnostics"]),
    ("awaiting_approval", 3, ["planned", "diagnostics", "awaiting_approval"]),
    ("awaiting_parts", 3, ["planned", "diagnostics", "awaiting_parts"]),
    ("in_progress", 5, ["planned", "diagnostics", "in_progress"]),
    ("quality_check", 2, ["planned", "in_progress", "quality_check"]),
    ("ready", 4, ["planned", "in_progress", "quality_check", "ready"]),
    ("on_hold", 1, ["planned", "diagnostics", "on_hold"]),
]


class Values:
    """Python values as the database's bulk path takes them, converted once (not per row by the ORM).

    SQLite gets what Django's backend stores: UTC datetimes as text, decimals as text; PostgreSQL's COPY
    takes datetimes and decimals as they are."""

    def __init__(self, vendor: str) -> None:
        self.sqlite = vendor == "sqlite"

    def dt(self, value):
        if value is None or not self.sqlite:
            return value
        return str(value.astimezone(UTC).replace(tzinfo=None))

    def dec(self, value):
        return str(value) if self.sqlite else value

    def day(self, value):
        return value.isoformat() if value is not None else None


def insert_rows(model, columns: list[str], rows) -> None:
    """Bulk insert without the ORM's per-row work: COPY on PostgreSQL, executemany on SQLite.

    `columns` are field names; every NOT NULL column must be among them (the database has no defaults);
    the rows' values are already in the database's form (see Values)."""
    from django.db import connection

    fields = [model._meta.get_field(name) for name in columns]
    missing = [f.name for f in model._meta.concrete_fields
               if not f.null and not f.primary_key and f.name not in columns]
    if missing:
        raise SystemExit(f"bench/orders.py does not fill {model.__name__}.{missing}: add them to its insert")
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" * len(fields))
        connection.connection.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", rows)


def seed_tenant(slug: str, name: str, orders: int, rng: random.Random):
    from django.db import connection, transaction
    from django.utils import timezone

    from orders.models import (
        Client,
        Item,
        LineItem,
        Order,
        OrderCounter,
        OrderEvent,
        Payment,
        ServiceType,
    )
    from servicedesk.accounts.models import User
    from servicedesk.tenancy.models import Location, Membership, Tenant
    from servicedesk.tenancy.roles import Role

    now = timezone.now()
    v = Values(connection.vendor)
    with transaction.atomic():
        tenant = Tenant.objects.create(slug=slug, name=name, language="en", time_zone="Europe/Moscow")
        locations = [Location.objects.create(tenant=tenant, name=f"{name} location {i}") for i in range(3)]
        types = ServiceType.objects.bulk_create([
            ServiceType(tenant=tenant, name=f"Service {i}", formats=["in_shop", "on_site"], base_price=Decimal(1000 + 500 * i))
            for i in range(8)])
        staff = [(role, i) for role, count in ((Role.MANAGER, 1), (Role.RECEPTION, 1), (Role.TECHNICIAN, 12))
                 for i in range(count)]
        users = User.objects.bulk_create([
            User(email=f"{role.value}{i}@{slug}.bench.test", full_name=f"{role.label} {i} of {name}", password="!")
            for role, i in staff])  # no usable password: the bench logs in with force_login
        members = Membership.objects.bulk_create([
            Membership(tenant=tenant, user=user, role=role) for (role, _i), user in zip(staff, users, strict=True)])
        manager = members[0]
        technicians = [m for m in members if m.role == Role.TECHNICIAN]
        t = tenant.pk

        client_count, item_count = max(orders // 3, 1), max(orders // 2, 1)
        insert_rows(Client, ["tenant", "name", "phone", "email", "notes", "notify_email", "notify_sms", "consent_at",
                             "consent_version", "created_at"],
                    ((t, f"Client{i} Surname{i % 997}", f"+7900{i:07d}", f"client{i}@example.test", "", True, True,
                      v.dt(now), "2026-01", v.dt(now)) for i in range(client_count)))
        clients = list(Client.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))
        kinds = ["Phone", "Laptop", "Washing machine"]
        insert_rows(Item, ["tenant", "client", "kind", "brand", "model", "serial", "created_at"],
                    ((t, clients[i % client_count], kinds[i % 3], "Brand", f"Model {i % 50}", f"SN{slug}{i:08d}",
                      v.dt(now)) for i in range(item_count)))
        items = list(Item.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))

        weights = [share for _status, share, _path in STATUS_MIX]
        start = now - timedelta(days=3 * 365)
        step = (now - start) / max(orders, 1)
        price, zero, one = v.dec(Decimal(1500)), v.dec(Decimal(0)), v.dec(Decimal(1))
        plans = []  # (number, status, path, created_at)
        order_rows = []
        for n in range(1, orders + 1):
            status, _share, path = rng.choices(STATUS_MIX, weights)[0]
            created = start + step * n + timedelta(seconds=rng.randint(0, 59))
            closed_at = created + timedelta(days=rng.randint(1, 14)) if status in {"handed_over", "cancelled"} else None
            plans.append((n, status, path, created))
            order_rows.append((
                t, n, clients[n % client_count], items[n % item_count] if n % 10 else None, "", "",
                types[n % len(types)].pk, "in_shop", locations[n % 3].pk, locations[(n + 1) % 3].pk,
                technicians[n % len(technicians)].pk if status != "new" else None,
                rng.choices([0, 1, 2, 3], [10, 70, 15, 5])[0], "Does not turn on", "",
                v.dt(created + timedelta(days=3)), price, "",
                price if n % 5 == 0 else zero, price if n % 5 == 0 and status == "handed_over" else zero,
                status, v.dt(closed_at or created + timedelta(hours=len(path))),
                "diagnostics" if status == "on_hold" else "", "", secrets.token_urlsafe(32),
                v.dt(closed_at + timedelta(days=30) if closed_at else None),
                v.day((closed_at + timedelta(days=90)).date() if status == "handed_over" else None),
                manager.user_id, v.dt(created), v.dt(closed_at), 1 + len(path),
            ))
        insert_rows(Order, ["tenant", "number", "client", "item", "item_condition", "item_accessories", "service_type",
                            "format", "intake_location", "workshop", "technician", "priority", "problem", "terms",
                            "promised_at", "estimate", "estimate_state", "total_amount", "paid_amount", "status",
                            "status_changed_at", "status_before_hold", "visit_address", "public_token",
                            "public_token_expires_at", "warranty_until", "created_by", "created_at", "closed_at",
                            "version"], order_rows)
        OrderCounter.objects.create(tenant=tenant, last_number=orders)
        ids = dict(Order.objects.filter(tenant=tenant).values_list("number", "id"))

        actor = manager.user_id

        def timeline():
            for n, _status, path, created in plans:
                at, previous = created, "new"
                yield (t, ids[n], "created", "", "new", "", actor, False, "Order taken in.", True, "{}", v.dt(at))
                for target in path:
                    at += timedelta(hours=1 + n % 30)
                    yield (t, ids[n], "status", previous, target, target, actor, False, "", True, "{}", v.dt(at))
                    previous = target

        insert_rows(OrderEvent, ["tenant", "order", "kind", "from_status", "to_status", "action", "actor", "by_client",
                                 "message", "is_public", "data", "created_at"], timeline())
        fifth = [(n, status, created) for n, status, _path, created in plans if n % 5 == 0]
        insert_rows(LineItem, ["tenant", "order", "kind", "description", "quantity", "unit_price", "amount", "created_at"],
                    ((t, ids[n], "work", "Repair", one, price, price, v.dt(created)) for n, _s, created in fifth))
        insert_rows(Payment, ["tenant", "order", "kind", "method", "amount", "note", "created_at"],
                    ((t, ids[n], "payment", "cash", price, "", v.dt(created)) for n, status, created in fifth
                     if status == "handed_over"))
    return tenant, manager, technicians


def enrich_one_order(tenant, manager, technician):
    """The order the order page and the public page show: a dozen events, lines and payments."""
    from orders import services
    from orders.models import LineItem, Order, Payment

    order = Order.objects.for_tenant(tenant).filter(status="in_progress", technician=technician).order_by("-id").first()
    order.tenant = tenant
    for i in range(4):
        services.add_line_item(order, kind=LineItem.Kind.PART if i % 2 else LineItem.Kind.WORK,
                               description=f"Line {i}", quantity=Decimal(1), unit_price=Decimal(500), by=manager,
                               performed_by=technician)
        services.add_payment(order, amount=Decimal(100), method=Payment.Method.CARD, by=manager)
        services.add_note(order, text=f"Note {i}", public=bool(i % 2), by=manager)
    return Order.objects.get(pk=order.pk)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Measuring --------------------------------------------------------------------------------------


def measure(client, url: str, requests: int) -> tuple[float, float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return statistics.median(times), p90, statistics.median(cpu), len(captured)


def list_query_of(client, url: str) -> str:
    """The SQL of the list's page query (the one with LIMIT page size + 1) as the view runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for query in captured.captured_queries:
        if 'FROM "orders_order"' in query["sql"] and "LIMIT 51" in query["sql"]:
            return query["sql"]
    raise LookupError(f"no page query found for {url}")


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join("  " + " ".join(str(part) for part in row[-1:]) for row in cursor.fetchall())


def next_cursor_url(client, url: str) -> str:
    import re

    response = client.get(url)
    found = re.search(r'href="\?([^"]+)" data-testid="next-page"', response.content.decode())
    if not found:
        raise LookupError(f"no next page on {url}")
    return url.split("?")[0] + "?" + found.group(1).replace("&amp;", "&")


def main() -> None:
    args = parse_args()
    fresh_database(args.database_url)
    configure(args.database_url)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import override_settings

    from orders.models import Order, OrderEvent
    from servicedesk.pagination import _encode

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started

    rng = random.Random(2026)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")  # a scratch database: no need to wait for the disk
    started = time.perf_counter()
    tenant, manager, technicians = seed_tenant("bench", "Bench Repairs", args.orders, rng)
    for i in range(2, args.tenants + 1):
        seed_tenant(f"bench-{i}", f"Other center {i}", max(args.orders // 20, 1), rng)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    analyze()
    analysed = time.perf_counter() - started
    busy_technician = technicians[3]
    order = enrich_one_order(tenant, manager, busy_technician)

    total_orders = Order.objects.count()
    total_events = OrderEvent.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"migrated in {migrated:.1f} s; seeded {args.tenants} tenants, {total_orders:,} orders "
          f"({args.orders:,} in the measured one), {total_events:,} events in {seeded:.1f} s; ANALYZE {analysed:.1f} s",
          flush=True)

    with override_settings(STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }):
        office = HttpClient()
        office.force_login(manager.user)
        base = f"/{tenant.slug}/orders/"
        deep = base + "?" + urlencode({"view": "", "sort": "-created"})
        for _ in range(20):  # 20 pages of 50: the cursor 1,000 rows deep
            deep = next_cursor_url(office, deep)
        near_end = (Order.objects.for_tenant(tenant).order_by("-created_at", "-id")
                    .values_list("created_at", "id")[max(args.orders - 100, 0)])
        end_url = base + "?" + urlencode({"view": "", "sort": "-created", "cursor": _encode(list(near_end))})
        client_phone = order.client.phone[-7:]
        pages = [
            ("list: default view (open orders)", base),
            ("list: all orders, newest first", base + "?view=&sort=-created"),
            ("list: all orders, by priority", base + "?view=&sort=-priority"),
            ("list: all orders, by promised date", base + "?view=&sort=promised"),
            ("list: status + technician filter", base + "?" + urlencode(
                {"view": "", "status": "in_progress", "technician": busy_technician.pk})),
            ("list: deep page (1,000 rows in)", deep),
            (f"list: deep page ({max(args.orders - 100, 0):,} rows in)", end_url),
            ("list: search by phone digits", base + "?" + urlencode({"view": "", "q": client_phone})),
            ("list: search by order number", base + "?" + urlencode({"view": "", "q": order.number})),
            ("order page", f"{base}{order.number}/"),
            ("public status page", f"/s/{order.public_token}/"),
        ]
        print(f"\n{'page':<40} {'median ms':>10} {'p90 ms':>8} {'CPU ms':>8} {'queries':>8}", flush=True)
        for label, url in pages:
            median, p90, cpu, queries = measure(office if not url.startswith("/s/") else HttpClient(), url,
                                                args.requests)
            print(f"{label:<40} {median:>10.1f} {p90:>8.1f} {cpu:>8.1f} {queries:>8}", flush=True)

        if args.explain:
            for label, url in pages[:9]:
                print(f"\n--- plan: {label}\n{explain(list_query_of(office, url))}")

    connection.close()
    if not args.keep and connection.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(connection.settings_dict["NAME"] + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
