"""Benchmark: the order pages on a tenant with 100,000 orders, among several tenants.

    .venv/bin/python bench/orders.py [--orders 100000] [--tenants 5] [--requests 20]
                                     [--database-url sqlite:////tmp/servicedesk_bench.sqlite3]
                                     [--database-url postgres://postgres@127.0.0.1:5432/servicedesk_bench]
                                     [--explain] [--keep] [--pathological] [--per-day 40]

It creates a FRESH database (the SQLite file is deleted, the PostgreSQL database dropped and created again:
never point it at a database you care about), migrates it, and seeds `tenants` service centers: the
measured one ("bench") gets `orders` orders, the others a twentieth as many each. Every tenant gets locations,
a catalogue, staff (a manager, reception, 12 technicians), clients (one per three orders), items, orders
and their timelines: a CREATED event plus one event per status step (about 4.3 events per order: most
orders are handed over), with line items and payments on a fifth of the orders. The history is realistic
(bench/_seed.py: `per_day` orders a day; older than three weeks nearly all closed, recent ones spread over
the open statuses by age); --pathological gives the old shape, a random status regardless of age over three
years (a third open, nearly all overdue). Rows are inserted in bulk (COPY on PostgreSQL, executemany on SQLite; no services, no
listeners); then the planner's statistics are refreshed (ANALYZE), as autovacuum would do in production.

Then, logged in as the measured tenant's manager through Django's test client (so the time is the server's
time: URL routing, middleware, the view, its queries, the template; no network), it requests each page
`requests` times after 3 warm-ups and prints the median and 90th percentile wall time, the median CPU
time of the process (comparable across runs on a busy machine; it includes SQLite's work but not
PostgreSQL's), and the number of queries of one request:

    order list, first page       the default view (open orders), all orders newest first, by priority, by date
    filtered page                status=<the order page's status> & technician=<its technician>
    deep pages                   the cursor 1,000 rows deep (followed page by page) and near the end (built)
    search                       by client phone digits, by order number
    order page                   an order with 40+ events, a dozen lines and payments
    public page                  /s/<token>/ of that order

Settings are production-like (DEBUG off, templates cached; static files served plainly). With --explain it
prints the database's plan of the list and search queries (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY
PLAN on SQLite). The SQLite file is deleted at the end unless --keep; the PostgreSQL database is left for
inspection (the next run drops it). Figures and notes: docs/performance.md, section Orders.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's apps, and bench/ as a package (before bench/orders.py itself)

from bench._measure import explain, list_query_of, measure, next_cursor_url  # noqa: E402
from bench._seed import analyze, configure, enrich_one_order, fresh_database, migrate, seed_center  # noqa: E402

DEFAULT_DATABASE = "sqlite:////tmp/servicedesk_bench.sqlite3"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the measured tenant")
    parser.add_argument("--tenants", type=int, default=5, help="service centers in the database")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="a SCRATCH database: it is deleted and created again"
    )
    parser.add_argument("--explain", action="store_true", help="print the plans of the list queries")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (SQLite file)")
    parser.add_argument(
        "--pathological",
        action="store_true",
        help="the old shape: a random status regardless of age (a third open, nearly all overdue)",
    )
    parser.add_argument(
        "--per-day", type=int, default=40, help="orders a day (realistic shape): the history's length"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    fresh_database(args.database_url)
    configure(args.database_url)

    import django

    django.setup()

    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import override_settings

    from bench._seed import PLAIN_STORAGES
    from orders.models import Order, OrderEvent
    from servicedesk.pagination import _encode

    migrated = migrate()
    rng = random.Random(2026)
    started = time.perf_counter()
    center = seed_center(
        "bench",
        "Bench Repairs",
        args.orders,
        rng,
        pathological=args.pathological,
        per_day=args.per_day,
        extras=False,
    )
    tenant, manager = center.tenant, center.manager
    for i in range(2, args.tenants + 1):
        seed_center(
            f"bench-{i}",
            f"Other center {i}",
            max(args.orders // 20, 1),
            rng,
            pathological=args.pathological,
            per_day=args.per_day,
            extras=False,
        )
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    analyze()
    analysed = time.perf_counter() - started
    order = enrich_one_order(center)
    busy_technician = order.technician

    total_orders = Order.objects.count()
    total_events = OrderEvent.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(
        f"migrated in {migrated:.1f} s; seeded {args.tenants} tenants, {total_orders:,} orders "
        f"({args.orders:,} in the measured one), {total_events:,} events in {seeded:.1f} s; ANALYZE {analysed:.1f} s",
        flush=True,
    )

    with override_settings(STORAGES=PLAIN_STORAGES):
        office = HttpClient()
        office.force_login(manager.user)
        base = f"/{tenant.slug}/orders/"
        deep = base + "?" + urlencode({"view": "", "sort": "-created"})
        for _ in range(20):  # 20 pages of 50: the cursor 1,000 rows deep
            deep = next_cursor_url(office, deep)
        near_end = (
            Order.objects.for_tenant(tenant)
            .order_by("-created_at", "-id")
            .values_list("created_at", "id")[max(args.orders - 100, 0)]
        )
        end_url = base + "?" + urlencode({"view": "", "sort": "-created", "cursor": _encode(list(near_end))})
        client_phone = order.client.phone[-7:]
        pages = [
            ("list: default view (open orders)", base),
            ("list: all orders, newest first", base + "?view=&sort=-created"),
            ("list: all orders, by priority", base + "?view=&sort=-priority"),
            ("list: all orders, by promised date", base + "?view=&sort=promised"),
            (
                "list: status + technician filter",
                base
                + "?"
                + urlencode({"view": "", "status": order.status, "technician": busy_technician.pk}),
            ),
            ("list: deep page (1,000 rows in)", deep),
            (f"list: deep page ({max(args.orders - 100, 0):,} rows in)", end_url),
            ("list: search by phone digits", base + "?" + urlencode({"view": "", "q": client_phone})),
            ("list: search by order number", base + "?" + urlencode({"view": "", "q": order.number})),
            ("order page", f"{base}{order.number}/"),
            ("public status page", f"/s/{order.public_token}/"),
        ]
        print(f"\n{'page':<40} {'median ms':>10} {'p90 ms':>8} {'CPU ms':>8} {'queries':>8}", flush=True)
        for label, url in pages:
            timing = measure(office if not url.startswith("/s/") else HttpClient(), url, args.requests)
            print(
                f"{label:<40} {timing.wall_ms:>10.1f} {timing.p90_ms:>8.1f} {timing.cpu_ms:>8.1f} "
                f"{timing.queries:>8}",
                flush=True,
            )

        if args.explain:
            for label, url in pages[:9]:
                print(f"\n--- plan: {label}\n{explain(list_query_of(office, url))}")

    connection.close()
    if not args.keep and connection.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(connection.settings_dict["NAME"] + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
