"""Benchmark: the managers' dashboard on a center with a long history, against a bare view, in one process.

    .venv/bin/python bench/quality.py [--orders 1000000] [--years 5] [--requests 30] [--json PATH]
                                      [--database-url sqlite:////tmp/servicedesk_bench_quality.sqlite3]
                                      [--database-url postgres://postgres@127.0.0.1:5432/<scratch database>]
                                      [--rebuild] [--keep] [--measure-only]

It creates a FRESH database (the SQLite file is deleted, the PostgreSQL database dropped and created again:
never point it at a database you care about), migrates it, and seeds in bulk (COPY on PostgreSQL,
executemany on SQLite; never the services, whose per-row path would take hours) one center with `--orders`
orders over `--years` years, and a second center with a fiftieth as many (bench/_seed.py) so the queries
must scope.

The measured center: 3 locations with their own business hours (the demo's: a reception open Monday to
Saturday 10-20, a workshop on weekdays with lunch, one on the standard week), 8 services, a manager,
reception and 24 technicians (profiles with a home workshop), a client per three orders. Orders arrive
evenly through the locations' working time (so at night and on holidays none), and walk a realistic path
in working time drawn from log-normal stages (median: request 30 min, planning 2 h, diagnostics 1 h for 40 %,
waiting on the client 6 h for 30 %, parts 16 h for 15 %, on hold 20 h for 2 %, work 4 h, check 30 min with
6 % failed and sent back, pickup 8 h); 7 % are cancelled; 4 % take four times as long in work and parts (the
breaches). An order whose path ends after now is open in the status it has now; besides, 0.3 % of the last
year's orders are stuck waiting for parts. Each status step is a timeline event; each handed-over order has
one work-log entry during its work and a third of them a rating a day after handover. The daily rollups are
computed while seeding by quality.rollups' own functions (the same as the listener and the recomputation
use) and inserted in bulk; the run checks them against quality.rollups.compute for the last 30 days.
If the SLA clocks exist (Order.sla_state), open orders get a state: breached past the promised date, at
risk with 75 % of it used, on track otherwise.

Then, with production settings (DEBUG off, cached templates), it requests through Django's test client, as
the center's manager, after warm-ups: the dashboard (30 days, everything), a filtered one (90 days, one
location, one service), a custom year, the dashboard "cold" (the cache of past days' histograms emptied
before each request: the first view of a scope in a day) and a CSV export; a bare view (an HttpResponse behind the full middleware stack)
before and after. It prints the median wall time (the target: under 150 ms on PostgreSQL at 1,000,000
orders), the 90th percentile, the median CPU time of the process (includes SQLite's work, not PostgreSQL's)
and the queries of one request. --rebuild also times `manage.py rebuild_rollups` of the whole center.
Figures: docs/performance.md, "The managers' dashboard".
"""

from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._measure import measure  # noqa: E402
from bench._seed import (  # noqa: E402
    PLAIN_STORAGES,
    Values,
    analyze,
    configure,
    drop_sqlite,
    fresh_database,
    insert_rows,
    migrate,
    seed_center,
)

DEFAULT_DATABASE = "sqlite:////tmp/servicedesk_bench_quality.sqlite3"
BARE_URL = "/__bare__"
TARGET_MS = 150
TECHNICIANS = 24
H = 3600 * 1_000_000  # an hour in microseconds (the WorkClock's unit)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the measured center")
    parser.add_argument("--years", type=float, default=5, help="the length of its history")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (after warm-ups)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="a SCRATCH database: deleted and created again"
    )
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.add_argument(
        "--rebuild", action="store_true", help="also time rebuilding all the center's rollups"
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file afterwards")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="measure the database a previous run left (no seeding; SQLite needs --keep then)",
    )
    return parser.parse_args()


def lognormal(rng: random.Random, median_hours: float, sigma: float = 0.8) -> int:
    """A working-time duration in microseconds, at least a minute."""
    return max(int(rng.lognormvariate(math.log(median_hours), sigma) * H), 60_000_000)


def path_of(rng: random.Random, slow: bool) -> list[tuple[str, int]]:
    """The statuses an order walks through after "new", each with the working time spent in the one before."""
    if rng.random() < 0.07:  # cancelled: at the counter, or once planned
        if rng.random() < 0.5:
            return [("cancelled", lognormal(rng, 3))]
        return [("planned", lognormal(rng, 0.5)), ("cancelled", lognormal(rng, 8))]
    factor = 4 if slow else 1
    steps = [("planned", lognormal(rng, 0.5))]
    before = lognormal(rng, 2)  # time in "planned"
    if rng.random() < 0.4:
        steps.append(("diagnostics", before))
        before = lognormal(rng, 1)
        if rng.random() < 0.3 / 0.4:
            steps.append(("awaiting_approval", before))
            before = lognormal(rng, 6)
    elif rng.random() < 0.1:
        steps.append(("diagnostics", before))
        before = lognormal(rng, 1)
    steps.append(("in_progress", before))
    before = lognormal(rng, 4) * factor
    if rng.random() < 0.15:
        steps.append(("awaiting_parts", before // 2))
        steps.append(("in_progress", lognormal(rng, 16) * factor))
        before = lognormal(rng, 2)
    if rng.random() < 0.02:
        steps.append(("on_hold", before // 2))
        steps.append(("in_progress", lognormal(rng, 20)))
        before = lognormal(rng, 1)
    steps.append(("quality_check", before))
    if rng.random() < 0.06:
        steps.append(("in_progress", lognormal(rng, 0.5)))
        steps.append(("quality_check", lognormal(rng, 2)))
    steps.append(("ready", lognormal(rng, 0.5)))
    steps.append(("handed_over", lognormal(rng, 8)))
    return steps


def seed_history(orders: int, years: float, rng: random.Random):
    """The measured center; returns (tenant, manager, locations, service types, figures)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from orders.models import Client, Order, OrderEvent, ServiceType
    from quality import hours, rollups
    from quality.calendar import parse_hours
    from quality.models import DailyRollup, Feedback
    from servicedesk.accounts.models import User
    from servicedesk.tenancy.models import Counter, Location, Membership, Tenant
    from servicedesk.tenancy.roles import Role
    from technicians.models import TechnicianProfile, WorkLog

    started = time.perf_counter()
    now = timezone.now()
    v = Values(connection.vendor)
    has_sla = any(f.name == "sla_state" for f in Order._meta.get_fields())
    counts = defaultdict(int)
    with transaction.atomic():
        tenant = Tenant.objects.create(
            slug="bench", name="Bench Repairs", language="en", time_zone="Europe/Moscow"
        )
        tz = tenant.tz
        locations = [
            Location.objects.create(tenant=tenant, name=name)
            for name in ("Reception Tverskaya", "Workshop Lesnaya", "Service point Arbat")
        ]
        hours.set_week(locations[0], [parse_hours("10:00-20:00")] * 6 + [()])
        hours.set_week(locations[1], [parse_hours("09:00-13:00, 14:00-18:00")] * 5 + [(), ()])
        types = ServiceType.objects.bulk_create(
            [
                ServiceType(
                    tenant=tenant,
                    name=f"Service {i}",
                    formats=["in_shop"],
                    base_price=Decimal(1000 + 500 * i),
                    target_days=2 + i % 4,
                )
                for i in range(8)
            ]
        )
        staff = [(Role.MANAGER, 0), (Role.RECEPTION, 0), *((Role.TECHNICIAN, i) for i in range(TECHNICIANS))]
        users = User.objects.bulk_create(
            [
                User(email=f"{role.value}{i}@bench.test", full_name=f"{role.label} {i:02d}", password="!")
                for role, i in staff
            ]
        )
        members = Membership.objects.bulk_create(
            [
                Membership(tenant=tenant, user=user, role=role)
                for (role, _i), user in zip(staff, users, strict=True)
            ]
        )
        manager, technicians = members[0], [m.pk for m in members[2:]]
        TechnicianProfile.objects.bulk_create(
            [
                TechnicianProfile(
                    tenant=tenant,
                    membership=m,
                    home_workshop=locations[i % 3],
                    working_days=[0, 1, 2, 3, 4] if i % 4 else [1, 2, 3, 4, 5],
                )
                for i, m in enumerate(members[2:])
            ]
        )
        t = tenant.pk
        client_count = max(orders // 3, 1)
        insert_rows(
            Client,
            [
                "tenant",
                "name",
                "phone",
                "email",
                "notes",
                "notify_email",
                "notify_sms",
                "consent_at",
                "consent_version",
                "created_at",
                "language",
            ],
            (
                (t, f"Client{i}", f"+7900{i:07d}", "", "", True, True, v.dt(now), "2026-01", v.dt(now), "")
                for i in range(client_count)
            ),
        )
        clients = list(Client.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))

        first_day = (now - timedelta(days=365 * years)).astimezone(tz).date()
        calendars = rollups.calendars_for(tenant)
        clocks = {
            loc.pk: rollups.WorkClock(
                calendars[loc.pk],
                first_day - timedelta(days=2),
                now.astimezone(tz).date() + timedelta(days=400),
            )
            for loc in locations
        }
        history_start = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
        origin = {pk: clock.worked_until(history_start) for pk, clock in clocks.items()}
        span = {
            pk: clock.worked_until(now - timedelta(minutes=30)) - origin[pk] for pk, clock in clocks.items()
        }
        a_year_ago = now - timedelta(days=365)

        cells: dict = defaultdict(rollups.Tally)
        late: dict = defaultdict(rollups.Tally)  # cells of days already written (an order closed very late)
        flushed_until = None

        def cell(key) -> rollups.Tally:
            return late[key] if flushed_until is not None and key[0] < flushed_until else cells[key]

        order_columns = [
            "tenant",
            "number",
            "client",
            "item_condition",
            "item_accessories",
            "service_type",
            "format",
            "intake_location",
            "workshop",
            "technician",
            "priority",
            "problem",
            "terms",
            "promised_at",
            "estimate_state",
            "total_amount",
            "paid_amount",
            "status",
            "status_changed_at",
            "status_before_hold",
            "visit_address",
            "public_token",
            "public_token_expires_at",
            "warranty_until",
            "created_by",
            "created_at",
            "closed_at",
            "version",
        ]
        if has_sla:
            order_columns += ["sla_state", "sla_due_at"]
        zero = v.dec(Decimal(0))
        number = 0
        chunk = 20_000

        def flush(before_day) -> None:
            keep = {}
            rows = []
            for key, tally in cells.items():
                if before_day is not None and key[0] >= before_day:
                    keep[key] = tally
                    continue
                day, location_id, service_type_id, technician_id = key
                rows.append(
                    (
                        t,
                        v.day(day),
                        location_id,
                        service_type_id,
                        technician_id,
                        *(tally.counts.get(name, 0) for name in rollups.COUNTERS),
                        json.dumps(
                            {m: {str(i): c for i, c in sorted(h.items())} for m, h in tally.hist.items()}
                        ),
                    )
                )
            insert_rows(
                DailyRollup,
                ["tenant", "day", "location", "service_type", "technician", *rollups.COUNTERS, "hist"],
                rows,
            )
            counts["rollups"] += len(rows)
            cells.clear()
            cells.update(keep)

        while number < orders:
            batch = []
            for _ in range(min(chunk, orders - number)):
                number += 1
                location = locations[number % 3].pk
                clock = clocks[location]
                created = clock.after(
                    history_start, span[location] * number // (orders + 1) + rng.randint(0, 59_000_000)
                )
                created = min(created, now - timedelta(minutes=20))
                service_type = types[number % len(types)]
                slow = rng.random() < 0.04
                steps, at, status = [], created, "new"
                for target, spent in path_of(rng, slow):
                    next_at = clock.after(at, spent)
                    if next_at is None or next_at >= now:
                        break
                    steps.append((next_at, status, target))
                    at, status = next_at, target
                if status not in ("handed_over", "cancelled") and created < a_year_ago and rng.random() < 0.9:
                    # An old order still open: most of them were finished after all (its path is redrawn short).
                    steps, at, status = [], created, "new"
                    for target, spent in [
                        ("planned", H),
                        ("in_progress", 2 * H),
                        ("quality_check", 4 * H),
                        ("ready", H // 2),
                        ("handed_over", 8 * H),
                    ]:
                        at = clock.after(at, spent)
                        steps.append((at, status, target))
                        status = target
                elif status == "handed_over" and a_year_ago < created and rng.random() < 0.003:
                    steps = [s for s in steps if s[2] in ("planned", "in_progress")][:2]
                    steps.append((steps[-1][0] + timedelta(hours=1), "in_progress", "awaiting_parts"))
                    at, status = steps[-1][0], "awaiting_parts"
                # One of the technicians whose home workshop is the order's location.
                technician = (
                    technicians[(number % 3) + 3 * rng.randrange(TECHNICIANS // 3)]
                    if status != "new" and (status != "cancelled" or len(steps) > 1)
                    else None
                )
                closed = at if status in ("handed_over", "cancelled") else None
                promised = created + timedelta(days=service_type.target_days)
                batch.append(
                    (
                        number,
                        location,
                        service_type.pk,
                        technician,
                        created,
                        steps,
                        status,
                        at,
                        closed,
                        promised,
                        slow,
                    )
                )
            # Orders
            rows = []
            for (
                n,
                location,
                type_pk,
                technician,
                created,
                _steps,
                status,
                at,
                closed,
                promised,
                _slow,
            ) in batch:
                row = [
                    t,
                    n,
                    clients[n % client_count],
                    "",
                    "",
                    type_pk,
                    "in_shop",
                    location,
                    location,
                    technician,
                    1,
                    "Does not work",
                    "",
                    v.dt(promised),
                    "",
                    zero,
                    zero,
                    status,
                    v.dt(at),
                    "in_progress" if status == "on_hold" else "",
                    "",
                    secrets.token_urlsafe(32),
                    v.dt(closed + timedelta(days=30) if closed else None),
                    v.day((closed + timedelta(days=365)).date() if status == "handed_over" else None),
                    manager.user_id,
                    v.dt(created),
                    v.dt(closed),
                    1 + len(_steps),
                ]
                if has_sla:
                    if closed:
                        state = "met" if promised >= closed else "missed"
                    else:
                        used = (now - created) / (promised - created)
                        state = "breached" if used >= 1 else "at_risk" if used >= 0.75 else "on_track"
                    row += [state, v.dt(promised)]
                rows.append(row)
            insert_rows(Order, order_columns, rows)
            ids = dict(
                Order.objects.filter(
                    tenant=tenant, number__gt=batch[0][0] - 1, number__lte=batch[-1][0]
                ).values_list("number", "id")
            )

            def events(batch=batch, ids=ids):
                for n, _loc, _type, _tech, created, steps, _status, _at, _closed, _promised, _slow in batch:
                    yield (
                        t,
                        ids[n],
                        "created",
                        "",
                        "new",
                        "",
                        manager.user_id,
                        False,
                        "Order taken in.",
                        True,
                        "{}",
                        v.dt(created),
                    )
                    for at, source, target in steps:
                        yield (
                            t,
                            ids[n],
                            "status",
                            source,
                            target,
                            target,
                            manager.user_id,
                            False,
                            "",
                            True,
                            "{}",
                            v.dt(at),
                        )

            insert_rows(
                OrderEvent,
                [
                    "tenant",
                    "order",
                    "kind",
                    "from_status",
                    "to_status",
                    "action",
                    "actor",
                    "by_client",
                    "message",
                    "is_public",
                    "data",
                    "created_at",
                ],
                events(),
            )
            work, ratings = [], []
            for (
                n,
                location,
                type_pk,
                technician,
                created,
                steps,
                status,
                _at,
                closed,
                _promised,
                slow,
            ) in batch:
                tz_day = created.astimezone(tz).date()
                cell((tz_day, location, type_pk, None)).bump("taken_in")
                counts["events"] += 1 + len(steps)
                if closed is None:
                    counts["open"] += 1
                    continue
                order = rollups.ClosedOrder(created, closed, status, location, type_pk, technician)
                for key, tally in rollups.closing_contribution(order, steps, clocks[location], tz):
                    cell(key).add(tally)
                counts["slow" if slow and status == "handed_over" else status] += 1
                if status != "handed_over":
                    continue
                work_start = next((s[0] for s in steps if s[2] == "in_progress"), None)
                work_end = next((s[0] for s in steps if s[1] == "in_progress"), None)
                if work_start and work_end and work_end > work_start:
                    end = min(work_end, work_start + timedelta(minutes=20 + n % 150))
                    work.append(
                        (t, ids[n], technician, v.dt(work_start), v.dt(end), "timer", "", False, v.dt(end))
                    )
                    seconds = int((end - work_start).total_seconds())
                    cell((work_start.astimezone(tz).date(), location, type_pk, technician)).bump(
                        "work_seconds", seconds
                    )
                if n % 3 == 0:
                    rated = min(closed + timedelta(days=1), now - timedelta(minutes=1))
                    rating = rng.choices([5, 4, 3, 2, 1], [60, 20, 8, 6, 6])[0]
                    ratings.append((t, ids[n], rating, "", technician, v.dt(rated)))
                    rated_cell = cell((rated.astimezone(tz).date(), location, type_pk, technician))
                    rated_cell.bump("rating_sum", rating)
                    rated_cell.bump("rating_count")
            insert_rows(
                WorkLog,
                [
                    "tenant",
                    "order",
                    "technician",
                    "started_at",
                    "ended_at",
                    "source",
                    "reason",
                    "stopped_automatically",
                    "created_at",
                ],
                work,
            )
            insert_rows(
                Feedback, ["tenant", "order", "rating", "comment", "technician", "created_at"], ratings
            )
            counts["work_logs"] += len(work)
            counts["ratings"] += len(ratings)
            # Cells 60 days before the last order's day are nearly complete: written now; what an order closed
            # later still adds to them goes to `late`, added to the written rows at the end.
            last_day = batch[-1][4].astimezone(tz).date()
            if flushed_until is None or (last_day - flushed_until).days > 90:
                flush(last_day - timedelta(days=60))
                flushed_until = last_day - timedelta(days=60)
            print(f"  seeded {number:,} orders ({time.perf_counter() - started:.0f} s)", flush=True)
        flush(None)
        print(
            f"  {counts['rollups']:,} rollup rows written; adding {len(late):,} late cells "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        rollups.add_to_cells(t, late)
        counts["late_cells"] = len(late)
        Counter.objects.create(tenant=tenant, key="order", last_number=orders)
    counts["seconds"] = time.perf_counter() - started
    return tenant, manager, locations, types, dict(counts)


def rollup_rows(tenant) -> dict:
    from quality import rollups
    from quality.models import DailyRollup

    return {
        (row.day, row.location_id, row.service_type_id, row.technician_id): (
            {name: getattr(row, name) for name in rollups.COUNTERS if getattr(row, name)},
            {m: {int(i): c for i, c in h.items() if c} for m, h in row.hist.items()},
        )
        for row in DailyRollup.objects.filter(tenant=tenant).iterator(chunk_size=5000)
    }


def measure_cold(client, url: str, requests: int):
    """As bench._measure.measure, with the cache emptied before each request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench._measure import Timing

    times, cpu = [], []
    for _ in range(requests):
        cache.clear()
        client.session.load()  # the session back in the cache (servicedesk/sessions.py): only the page is cold
        started, started_cpu = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        cpu.append((time.process_time() - started_cpu) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    cache.clear()
    client.session.load()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    times.sort()
    return Timing(
        statistics.median(times),
        times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))],
        statistics.median(cpu),
        len(captured),
    )


def check_rollups(tenant, days: int = 30) -> int:
    """The seeded rollups of the last `days` days equal quality.rollups.compute from the raw rows."""
    from quality import rollups
    from quality.models import DailyRollup

    since = tenant.local_date() - timedelta(days=days - 1)
    expected = {}
    for key, tally in rollups.compute(tenant, since).items():
        counts = {name: value for name, value in tally.counts.items() if value}
        expected[key] = (counts, {m: {i: c for i, c in h.items() if c} for m, h in tally.hist.items()})
    found = {}
    for row in DailyRollup.objects.filter(tenant=tenant, day__gte=since):
        counts = {name: getattr(row, name) for name in rollups.COUNTERS if getattr(row, name)}
        found[(row.day, row.location_id, row.service_type_id, row.technician_id)] = (
            counts,
            {m: {int(i): c for i, c in h.items()} for m, h in row.hist.items()},
        )
    if found != expected:
        differing = [key for key in set(found) | set(expected) if found.get(key) != expected.get(key)][:3]
        raise SystemExit(
            f"Seeded rollups differ from a recomputation, e.g. {[(k, found.get(k), expected.get(k)) for k in differing]}"
        )
    return len(found)


def main() -> None:
    args = parse_args()
    if not args.measure_only:
        fresh_database(args.database_url)
    configure(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import override_settings

    from orders.models import Order, ServiceType
    from quality import rollups
    from quality.models import DailyRollup
    from servicedesk.tenancy.models import Location, Membership, Tenant

    figures: dict = {"seconds": 0}
    if args.measure_only:  # a database an earlier run kept (--keep, or any PostgreSQL one)
        tenant = Tenant.objects.get(slug="bench")
        manager = Membership.objects.select_related("user").get(tenant=tenant, role="manager")
        locations = list(Location.objects.filter(tenant=tenant).order_by("pk"))
        types = list(ServiceType.objects.filter(tenant=tenant).order_by("pk"))
        args.orders = Order.objects.filter(tenant=tenant).count()
        print(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}: {args.orders:,} orders, "
            f"{DailyRollup.objects.filter(tenant=tenant).count():,} rollup rows",
            flush=True,
        )
    else:
        migrated = migrate()
        rng = random.Random(2026)
        tenant, manager, locations, types, figures = seed_history(args.orders, args.years, rng)
        other = seed_center("bench-other", "Other center", max(args.orders // 50, 10), rng, extras=False)
        rollups.recompute(other.tenant)
        analyze()
        checked = check_rollups(tenant)
        print(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}; migrated in {migrated:.1f} s"
        )
        print(
            f"seeded {args.orders:,} orders over {args.years:g} years in {figures['seconds']:.0f} s: "
            f"{figures.get('handed_over', 0) + figures.get('slow', 0):,} handed over ({figures.get('slow', 0):,} "
            f"slow), {figures.get('cancelled', 0):,} cancelled, {figures.get('open', 0):,} open; "
            f"{figures['events']:,} events, {figures['work_logs']:,} work-log entries, "
            f"{figures['ratings']:,} ratings, {DailyRollup.objects.filter(tenant=tenant).count():,} rollup rows "
            f"(the last 30 days' {checked:,} equal a recomputation); another center with "
            f"{Order.objects.filter(tenant=other.tenant).count():,} orders",
            flush=True,
        )

    slug = tenant.slug
    base = f"/{slug}/quality/dashboard/"
    today = tenant.local_date()
    pages = {
        "dashboard": base,
        "dashboard_filtered": base
        + "?"
        + urlencode({"period": "90", "location": locations[1].pk, "service_type": types[3].pk}),
        "dashboard_year": base
        + "?"
        + urlencode(
            {"period": "custom", "start": (today - timedelta(days=365)).isoformat(), "end": today.isoformat()}
        ),
        "export_technicians": f"/{slug}/quality/dashboard/export/?table=technicians",
    }
    with override_settings(STORAGES=PLAIN_STORAGES, ROOT_URLCONF="bench.bare_urls"):
        anonymous, client = HttpClient(), HttpClient()
        client.force_login(manager.user)
        bare_before = measure(anonymous, BARE_URL, args.requests, args.warmup)
        results = {name: measure(client, url, args.requests, args.warmup) for name, url in pages.items()}
        bare_after = measure(anonymous, BARE_URL, args.requests, args.warmup)
        # Cold: the cache of past days' histograms emptied before each request (the first view of a scope in a
        # day, or after a recomputation changed a past day).
        results["dashboard_cold"] = measure_cold(client, pages["dashboard"], args.requests)
    bare = statistics.median([bare_before.wall_ms, bare_after.wall_ms])
    bare_cpu = statistics.median([bare_before.cpu_ms, bare_after.cpu_ms])
    print(
        f"\nbare view: median wall {bare:.2f} ms, CPU {bare_cpu:.2f} ms ({args.requests} requests, before and after)"
    )
    print(f"{'page':<20} {'wall ms':>8} {'p90 ms':>8} {'CPU ms':>8} {'queries':>8}  target")
    report = {
        "orders": args.orders,
        "years": args.years,
        "vendor": connection.vendor,
        "bare_wall_ms": round(bare, 3),
        "bare_cpu_ms": round(bare_cpu, 3),
        "seed_seconds": round(figures["seconds"], 1),
        "pages": {},
    }
    for name, timing in results.items():
        verdict = (
            ""
            if name.startswith("export")
            else ("ok" if timing.wall_ms < TARGET_MS else f"MISS (> {TARGET_MS} ms)")
        )
        print(
            f"{name:<20} {timing.wall_ms:>8.1f} {timing.p90_ms:>8.1f} {timing.cpu_ms:>8.1f} {timing.queries:>8}  {verdict}",
            flush=True,
        )
        report["pages"][name] = {
            "wall_ms": round(timing.wall_ms, 3),
            "p90_ms": round(timing.p90_ms, 3),
            "cpu_ms": round(timing.cpu_ms, 3),
            "queries": timing.queries,
        }
    started = time.perf_counter()
    rollups.repair(3)
    report["repair_3_days_s"] = round(time.perf_counter() - started, 2)
    print(f"\nthe periodic repair (last 3 days, both centers): {report['repair_3_days_s']:.1f} s")
    if args.rebuild:
        seeded = rollup_rows(tenant)
        started = time.perf_counter()
        call_command("rebuild_rollups", tenant=slug, verbosity=0)
        report["rebuild_s"] = round(time.perf_counter() - started, 1)
        rebuilt = rollup_rows(tenant)
        same = "equal to" if rebuilt == seeded else "DIFFERENT FROM"
        print(
            f"rebuild_rollups of the whole center: {report['rebuild_s']:.0f} s; {len(rebuilt):,} rows, {same} the seeded ones"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    connection.close()
    if not args.keep and not args.measure_only:
        drop_sqlite(args.database_url)


if __name__ == "__main__":
    main()
