"""Benchmark: every main page against a bare view, in one process, on a center with `--orders` orders.

    .venv/bin/python bench/pages.py [--orders 20000] [--tenants 5] [--requests 30] [--json PATH]
                                    [--database-url sqlite:////tmp/servicedesk_bench_pages.sqlite3]
                                    [--database-url postgres://postgres@127.0.0.1:5432/<scratch database>]
                                    [--pathological] [--per-day 40] [--cold] [--keep]
    .venv/bin/python bench/pages.py --growth --database-url postgres://... [--growth-orders 10000,1000000]
                                    [--realistic] [--reuse] [--pages dashboard,planning_board]

It creates a FRESH database (the SQLite file is deleted, the PostgreSQL database dropped and created again:
never point it at a database you care about), migrates it and seeds, in bulk (bench/_seed.py), `tenants`
service centers: the measured one gets `orders` orders, the others a twentieth as many; each with its
technicians (profiles, skills, hours), visits, a parts store (levels, movements, reservations), work logged,
clients' ratings, issued documents (archive rows, no PDFs) and photo rows. The history is realistic (older
than three weeks nearly all closed); --pathological gives a random status regardless of age. One order in
work gets 40+ events, lines, payments and photos: the order page and the public page show it.

Then, with production settings (DEBUG off, cached templates), it requests each page through Django's test
client, logged in with the role that uses it, `requests` times after warm-ups, and measures the median CPU
time of the process (time.process_time(): includes SQLite's work, not PostgreSQL's), the median wall time
and the query count of one request. In the same run it measures a bare view (a short HttpResponse behind the
project's full middleware stack, anonymous; bench/bare_urls.py), before and after the pages, and prints for
each page ratio = bare median CPU / page median CPU, against its target (issue 12, "Fast pages"). With
--json PATH it writes {"bare_cpu_ms", "orders", "cold", "pages": {name: {"cpu_ms", "wall_ms", "queries",
"ratio"}}}. --cold measures pages rendered cold: PAGE_CACHE_ENABLED = False in the settings the requests run
under (the full-page cache for staff pages off; the fragment caches stay on and the warm-ups fill them).

--growth (PostgreSQL) seeds each size of --growth-orders into its own scratch database (the given one, then
<name>_2 ...; pathological shape unless --realistic), measures each page at every size in turn, and prints
its median wall time at each size and the ratio last/first (target: at most 1.3), with CPU and queries. It
implies --cold: growth is what the views and their queries do with the history, not what a cache hides.
The databases are kept: --reuse measures them again without seeding (after migrating them: a new index is
built on the million orders as a deploy would build it), --pages only the named pages (a page that moved).
Figures and notes: docs/performance.md, section "Pages against a bare view".
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's apps, and bench/ as a package

from bench._measure import Timing, measure  # noqa: E402
from bench._seed import (  # noqa: E402
    PLAIN_STORAGES,
    analyze,
    configure,
    drop_sqlite,
    enrich_one_order,
    enriched_order,
    fresh_database,
    migrate,
    seed_center,
)

DEFAULT_DATABASE = "sqlite:////tmp/servicedesk_bench_pages.sqlite3"
BARE_URL = "/__bare__"

# The lowest acceptable ratio (bare CPU / page CPU) per page: issue 12.
TARGETS = {
    "order_list": 0.08,
    "order_list_filtered": 0.08,
    "order_list_deep": 0.08,
    "order_search_phone": 0.08,
    "order_detail": 0.06,
    "public_status": 0.30,
    "dashboard": 0.05,
    "planning_board": 0.05,
    "my_jobs": 0.05,
    "client_detail": 0.05,
    "stock_list": 0.05,
    "feedback_list": 0.05,
    "document_archive": 0.05,
}
GROWTH_LIMIT = 1.3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000, help="orders of the measured center")
    parser.add_argument("--tenants", type=int, default=5, help="service centers in the database")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (after warm-ups)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="a SCRATCH database: it is deleted and created again"
    )
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.add_argument(
        "--pathological",
        action="store_true",
        help="a random status regardless of age (a third open, nearly all overdue)",
    )
    parser.add_argument("--realistic", action="store_true", help="with --growth: the realistic shape instead")
    parser.add_argument(
        "--per-day", type=int, default=40, help="orders a day (realistic shape): the history's length"
    )
    parser.add_argument(
        "--growth", action="store_true", help="compare wall times at the sizes of --growth-orders"
    )
    parser.add_argument(
        "--growth-orders", default="10000,1000000", help="sizes for --growth, comma-separated"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="pages rendered cold: the full-page cache for staff pages off (PAGE_CACHE_ENABLED = False); "
        "--growth implies it",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --growth: measure the databases a previous --growth run left (same sizes), migrated, not "
        "seeded again",
    )
    parser.add_argument("--pages", help="with --growth: only these pages (comma-separated names)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file afterwards")
    args = parser.parse_args(argv)
    if (args.reuse or args.pages) and not args.growth:
        parser.error("--reuse and --pages go with --growth")
    if args.growth:
        args.cold = True  # growth is measured on pages rendered cold, never on the full-page cache
    return args


@dataclass
class Page:
    name: str
    role: str  # who requests it: manager, reception, technician, anonymous
    url: str


def build(args: argparse.Namespace, orders: int, pathological: bool):
    """Seed the scratch database; return the measured center, its pages and the seeding figures."""
    rng = random.Random(2026)
    started = time.perf_counter()
    center = seed_center(
        "bench", "Bench Repairs", orders, rng, pathological=pathological, per_day=args.per_day
    )
    for i in range(2, args.tenants + 1):
        seed_center(
            f"bench-{i}",
            f"Other center {i}",
            max(orders // 20, 1),
            rng,
            pathological=pathological,
            per_day=args.per_day,
        )
    seeded = time.perf_counter() - started
    analyze()
    order = enrich_one_order(center)
    pages, users, rows_in = pages_of(center.tenant, order, orders)
    return center, order, pages, users, seeded, rows_in


def pages_of(tenant, order, orders: int) -> tuple[list[Page], dict, int]:
    """The measured pages of the center, who requests each, and how deep the deep page is."""
    from orders.models import Order
    from servicedesk.pagination import _encode
    from servicedesk.tenancy.models import Membership
    from servicedesk.tenancy.roles import Role

    slug = tenant.slug
    base = f"/{slug}/orders/"
    rows_in = max(orders - 100, 0)
    near_end = (
        Order.objects.for_tenant(tenant)
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[rows_in]
    )
    pages = [
        Page("order_list", "manager", base),
        Page(
            "order_list_filtered",
            "manager",
            base + "?" + urlencode({"view": "", "status": order.status, "technician": order.technician_id}),
        ),
        Page(
            "order_list_deep",
            "manager",
            base + "?" + urlencode({"view": "", "sort": "-created", "cursor": _encode(list(near_end))}),
        ),
        Page(
            "order_search_phone",
            "reception",
            base + "?" + urlencode({"view": "", "q": order.client.phone[-7:]}),
        ),
        Page("order_detail", "manager", f"{base}{order.number}/"),
        Page("public_status", "anonymous", f"/s/{order.public_token}/"),
        Page("dashboard", "manager", f"/{slug}/"),
        Page("planning_board", "manager", f"/{slug}/planning/"),
        Page("my_jobs", "technician", f"/{slug}/my-jobs/"),
        Page("client_detail", "reception", f"/{slug}/clients/{order.client_id}/"),
        Page("stock_list", "manager", f"/{slug}/stock/"),
        Page("feedback_list", "manager", f"/{slug}/quality/feedback/"),
        Page("document_archive", "manager", f"/{slug}/documents/"),
    ]
    first_of = {
        role: Membership.objects.filter(tenant=tenant, role=role)
        .select_related("user")
        .order_by("id")
        .first()
        for role in (Role.MANAGER, Role.RECEPTION)
    }
    users = {
        "manager": first_of[Role.MANAGER].user,
        "reception": first_of[Role.RECEPTION].user,
        "technician": order.technician.user,
        "anonymous": None,
    }
    return pages, users, rows_in


def reused(name: str) -> tuple[list[Page], dict, int]:
    """--reuse: the pages of a database a previous --growth run seeded (the center "bench", its shown order)."""
    from orders.models import Order
    from servicedesk.tenancy.models import Tenant

    tenant = Tenant.objects.filter(slug="bench").first()
    if tenant is None:
        raise SystemExit(f"--reuse: {name} has no bench center; run --growth without --reuse first")
    orders = Order.objects.for_tenant(tenant).count()
    pages, users, _rows_in = pages_of(tenant, enriched_order(tenant), orders)
    return pages, users, orders


def bench_settings(args: argparse.Namespace) -> dict:
    """The settings the measured requests run under: plain static files, the bare view's URLs and, with --cold
    (which --growth implies), the full-page cache for staff pages off, so each page is rendered by its view
    and its queries are what is timed. PAGE_CACHE_ENABLED is only read where the page cache exists; until then
    the override is simply an unused setting. The fragment caches (rows, cards, the menu) stay on: the
    warm-ups fill them as a day's traffic would."""
    overrides: dict = {"STORAGES": PLAIN_STORAGES, "ROOT_URLCONF": "bench.bare_urls"}
    if args.cold:
        overrides["PAGE_CACHE_ENABLED"] = False
    return overrides


def clients_for(users: dict):
    from django.test import Client as HttpClient

    clients = {}
    for role, user in users.items():
        clients[role] = HttpClient()
        if user is not None:
            clients[role].force_login(user)
    return clients


def measure_pages(
    pages: list[Page], clients: dict, requests: int, warmup: int, progress: bool = True
) -> tuple[float, dict[str, Timing]]:
    """Each page, and the bare view before and after them (its CPU figure: the mean of the two medians)."""
    anonymous = clients["anonymous"]
    bare_before = measure(anonymous, BARE_URL, requests, warmup)
    results: dict[str, Timing] = {}
    for page in pages:
        results[page.name] = measure(clients[page.role], page.url, requests, warmup)
        if progress:
            print(f"  measured {page.name}: {results[page.name].cpu_ms:.1f} ms CPU", flush=True)
    bare_after = measure(anonymous, BARE_URL, requests, warmup)
    bare_cpu = statistics.median([bare_before.cpu_ms, bare_after.cpu_ms])
    return bare_cpu, results


def use_database(name: str) -> None:
    """Point the default connection at another scratch database of the same server (--growth), and forget
    what the process cached about the previous one. Outside the timed requests (the warm-ups reconnect)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches
    from django.db import connection

    if connection.settings_dict["NAME"] == name:
        return
    connection.close()
    connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    for cache in caches.all():
        cache.clear()


def run_once(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    from orders.models import Order

    migrated = migrate()
    center, order, pages, users, seeded, rows_in = build(args, args.orders, args.pathological)
    open_orders = Order.objects.for_tenant(center.tenant).open().count()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; migrated in {migrated:.1f} s; "
        f"seeded {args.tenants} centers, {Order.objects.count():,} orders ({args.orders:,} in the measured one, "
        f"{open_orders:,} open; {'pathological' if args.pathological else 'realistic'} shape) in {seeded:.1f} s",
        flush=True,
    )
    print(
        f"order page: #{order.number} ({order.events.count()} events); deep page {rows_in:,} rows in"
        + ("; pages rendered cold (PAGE_CACHE_ENABLED = False)" if args.cold else ""),
        flush=True,
    )
    with override_settings(**bench_settings(args)):
        clients = clients_for(users)
        bare_cpu, results = measure_pages(pages, clients, args.requests, args.warmup)
    print(f"\nbare view: median CPU {bare_cpu:.2f} ms ({args.requests} requests, before and after the pages)")
    print(
        f"{'page':<22} {'as':<11} {'CPU ms':>8} {'wall ms':>8} {'p90 ms':>8} {'queries':>8} {'ratio':>7} "
        f"{'target':>7}"
    )
    figures = {}
    for page in pages:
        timing = results[page.name]
        ratio = bare_cpu / timing.cpu_ms if timing.cpu_ms else float("inf")
        target = TARGETS[page.name]
        verdict = "" if ratio >= target else f"  MISS (x{target / ratio:.1f} too slow)"
        print(
            f"{page.name:<22} {page.role:<11} {timing.cpu_ms:>8.1f} {timing.wall_ms:>8.1f} {timing.p90_ms:>8.1f} "
            f"{timing.queries:>8} {ratio:>7.3f} {target:>7.2f}{verdict}",
            flush=True,
        )
        figures[page.name] = {
            "cpu_ms": round(timing.cpu_ms, 3),
            "wall_ms": round(timing.wall_ms, 3),
            "queries": timing.queries,
            "ratio": round(ratio, 4),
        }
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "bare_cpu_ms": round(bare_cpu, 4),
                    "orders": args.orders,
                    "cold": args.cold,
                    "pages": figures,
                },
                indent=2,
            )
            + "\n"
        )
    connection.close()
    if not args.keep:
        drop_sqlite(args.database_url)


def run_growth(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--growth measures PostgreSQL: give a scratch --database-url postgres://...")
    sizes = [int(size) for size in args.growth_orders.split(",")]
    pathological = not args.realistic
    # One scratch database per size (the given one, then <name>_2, <name>_3 ...), all kept until the end, so
    # each page is measured at every size in turn: a change in the machine's load (other sessions share it)
    # then falls on every size alike instead of on whichever size happened to run during it.
    base_name = connection.settings_dict["NAME"]
    databases = {
        size: base_name if index == 0 else f"{base_name}_{index + 1}" for index, size in enumerate(sizes)
    }
    built: dict[int, tuple[list[Page], dict]] = {}
    for index, size in enumerate(sizes):
        if index:
            if not args.reuse:
                fresh_database(args.database_url.rsplit("/", 1)[0] + "/" + databases[size])
            use_database(databases[size])
        migrated = migrate()  # with --reuse: only the migrations added since (indexes built concurrently)
        if args.reuse:
            pages, users, found = reused(databases[size])
            if found != size:
                raise SystemExit(
                    f"--reuse: {databases[size]} has {found:,} orders in the bench center, not {size:,}"
                )
            print(f"{size:,} orders in {databases[size]} (reused): migrated in {migrated:.1f} s", flush=True)
        else:
            _center, _order, pages, users, seeded, _rows_in = build(args, size, pathological)
            print(
                f"{size:,} orders ({'pathological' if pathological else 'realistic'} shape) in "
                f"{databases[size]}: migrated in {migrated:.1f} s, seeded in {seeded:.1f} s",
                flush=True,
            )
        built[size] = (pages, clients_for(users))
    print("pages rendered cold: PAGE_CACHE_ENABLED = False (the full-page cache off)", flush=True)
    names = [page.name for page in built[sizes[0]][0]]
    if args.pages:
        wanted = args.pages.split(",")
        if unknown := set(wanted) - set(names):
            raise SystemExit(f"--pages: no page named {', '.join(sorted(unknown))}")
        names = [name for name in names if name in wanted]
    walls: dict[int, dict[str, Timing]] = {size: {} for size in sizes}
    with override_settings(**bench_settings(args)):
        for name in names:
            for size in sizes:
                use_database(databases[size])
                pages, clients = built[size]
                page = next(page for page in pages if page.name == name)
                walls[size][name] = measure(clients[page.role], page.url, args.requests, args.warmup)
            print(
                f"  measured {name}: "
                + ", ".join(f"{walls[size][name].wall_ms:.1f} ms at {size:,}" for size in sizes),
                flush=True,
            )
    first, last = sizes[0], sizes[-1]
    # Wall time is the target (it includes PostgreSQL's work); the process's CPU time and the query count are
    # printed beside it: on a loaded machine, wall time growing with flat CPU points at the database.
    print(
        f"\n{'page':<22} "
        + " ".join(f"{f'wall ms {size:,}':>18}" for size in sizes)
        + f" {'ratio':>7}  "
        + " ".join(f"{f'CPU ms {size:,}':>17}" for size in sizes)
        + "  queries"
    )
    figures = {}
    for name in names:
        ratio = walls[last][name].wall_ms / walls[first][name].wall_ms
        verdict = "" if ratio <= GROWTH_LIMIT else f"  MISS (limit {GROWTH_LIMIT})"
        print(
            f"{name:<22} "
            + " ".join(f"{walls[size][name].wall_ms:>18.1f}" for size in sizes)
            + f" {ratio:>7.2f}  "
            + " ".join(f"{walls[size][name].cpu_ms:>17.1f}" for size in sizes)
            + "  "
            + "/".join(str(walls[size][name].queries) for size in sizes)
            + verdict,
            flush=True,
        )
        figures[name] = {
            "wall_ms": {str(size): round(walls[size][name].wall_ms, 3) for size in sizes},
            "cpu_ms": {str(size): round(walls[size][name].cpu_ms, 3) for size in sizes},
            "queries": {str(size): walls[size][name].queries for size in sizes},
            "ratio": round(ratio, 3),
        }
    if args.json:
        Path(args.json).write_text(
            json.dumps({"sizes": sizes, "cold": args.cold, "pages": figures}, indent=2) + "\n"
        )
    connection.close()


def main() -> None:
    args = parse_args()
    if not args.reuse:
        fresh_database(args.database_url)
    configure(args.database_url)

    import django

    django.setup()
    if args.growth:
        run_growth(args)
    else:
        run_once(args)


if __name__ == "__main__":
    main()
