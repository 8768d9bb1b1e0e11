"""Seeding shared by the benchmarks (bench/orders.py, bench/pages.py): a fresh scratch database, production-like
settings, and service centers inserted in bulk (COPY on PostgreSQL, executemany on SQLite; no services, no
listeners), so 100,000 orders take seconds rather than the hours the ORM's per-row path would.

Two shapes of history:
- realistic (the default): orders arrive at `per_day` a day, so the history is as long as the order count needs;
  orders older than three weeks are nearly all handed over or cancelled (1.5 % left waiting for parts or on
  hold in their first year, 0.3 % after); recent ones are spread over the open statuses by age (new and
  planned today, in work during the week, ready for pickup in the second and third). The open set of a
  center stays about the same size however long its history.
- pathological (`--pathological`): the old seed, a random status regardless of age over three years, so a
  third of the orders are open and nearly all of those overdue. The growth test uses it: a page that stays
  flat on it stays flat on any real center.

Nothing here imports Django at module level: configure() must run before django.setup().
"""

from __future__ import annotations

import os
import random
import secrets
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    admin = psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_sqlite(url: str) -> None:
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(config["NAME"] + suffix).unlink(missing_ok=True)


def configure(url: str, root_urlconf: str | None = None) -> None:
    """Production-like settings: DEBUG off (so templates are cached), no Redis, static files served plainly."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # the page cache is not what is measured; the rate limit uses locmem
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "BEHIND_TLS_PROXY": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "PUBLIC_PAGE_RATE": "1000000/m",
            # Sessions read from the cache as in production (with Redis; here the process's own memory).
            "SESSION_ENGINE": "servicedesk.sessions",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
            "STATIC_ROOT": str(ROOT / "static"),
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


PLAIN_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def migrate() -> float:
    import time

    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "sqlite":
        # A scratch SQLite file: its tables straight from the models (2 s instead of the 40 s Django spends
        # replaying the migrations' model states), as pytest-django's --no-migrations does. PostgreSQL runs
        # the real migrations: their indexes, the trigram extension among them, are what is measured there.
        from django.apps import apps
        from django.conf import settings

        settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
        call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    else:
        call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")  # a scratch database: no need to wait for the disk
    return time.perf_counter() - started


def analyze() -> None:
    """Statistics for the planner; on PostgreSQL also VACUUM, which sets the visibility map: a production
    database is vacuumed by autovacuum after bulk inserts, so its index-only scans (the dashboard's and the
    board's bounded counts) read the index alone. Without it every entry costs a heap fetch, which grows with
    the table (the dashboard's counters: 3 ms vacuumed, 26 ms not, at 1,000,000 orders), and an autovacuum
    that starts during the measurement (where it is on) competes with the pages for the machine's two cores."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")


@contextmanager
def foreign_key_checks_skipped():
    """On PostgreSQL, with a superuser, the seed's session skips the triggers that check foreign keys
    (session_replication_role = replica): Django declares them DEFERRABLE INITIALLY DEFERRED, so each COPY
    queued a check per reference and the COMMIT ran them one by one (seeding 100,000 pathological orders:
    45.6 s with the checks, 24.5 s without). The seed makes its references from the ids it just read, and the
    SQLite run of the same seed (tests/test_bench.py) still checks them. Without the privilege, the checks
    run as before."""
    from django.db import DatabaseError, connection

    skipped = False
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            skipped = True
        except DatabaseError:  # not a superuser
            pass
    try:
        yield
    finally:
        if skipped:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


# --- Bulk insert ------------------------------------------------------------------------------------


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

    def time(self, value):
        return value.isoformat() if self.sqlite else value

    def json(self, value: str):
        return value  # JSON as text on both (COPY casts text to jsonb)


def insert_rows(model, columns: list[str], rows) -> None:
    """Bulk insert without the ORM's per-row work: COPY on PostgreSQL, executemany on SQLite.

    `columns` are field names; every NOT NULL column must be among them (the database has no defaults);
    the rows' values are already in the database's form (see Values)."""
    from django.db import connection

    fields = [model._meta.get_field(name) for name in columns]
    missing = [
        f.name
        for f in model._meta.concrete_fields
        if not f.null and not f.primary_key and f.name not in columns
    ]
    if missing:
        raise SystemExit(f"bench/_seed.py does not fill {model.__name__}.{missing}: add them to its insert")
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


# --- Order history ----------------------------------------------------------------------------------

# The statuses an order walked through after "new", by its status now.
PATHS = {
    "handed_over": ["planned", "in_progress", "ready", "handed_over"],
    "cancelled": ["cancelled"],
    "new": [],
    "planned": ["planned"],
    "diagnostics": ["planned", "diagnostics"],
    "awaiting_approval": ["planned", "diagnostics", "awaiting_approval"],
    "awaiting_parts": ["planned", "diagnostics", "awaiting_parts"],
    "in_progress": ["planned", "diagnostics", "in_progress"],
    "quality_check": ["planned", "in_progress", "quality_check"],
    "ready": ["planned", "in_progress", "quality_check", "ready"],
    "on_hold": ["planned", "diagnostics", "on_hold"],
}
CLOSED = {"handed_over", "cancelled"}

# The pathological shape: (status, share of orders), whatever the order's age.
PATHOLOGICAL_MIX = [
    ("handed_over", 62),
    ("cancelled", 6),
    ("new", 5),
    ("planned", 5),
    ("diagnostics", 4),
    ("awaiting_approval", 3),
    ("awaiting_parts", 3),
    ("in_progress", 5),
    ("quality_check", 2),
    ("ready", 4),
    ("on_hold", 1),
]

# The realistic shape: the open statuses of a recent order by its age in days (upper bound, weights).
OPEN_BY_AGE = [
    (1, {"new": 60, "planned": 40}),
    (3, {"new": 10, "planned": 30, "diagnostics": 40, "awaiting_approval": 20}),
    (
        7,
        {
            "diagnostics": 15,
            "awaiting_approval": 15,
            "awaiting_parts": 15,
            "in_progress": 35,
            "quality_check": 10,
            "ready": 10,
        },
    ),
    (22, {"awaiting_parts": 20, "in_progress": 20, "quality_check": 10, "ready": 40, "on_hold": 10}),
]
RECENT_DAYS = 21


def realistic_status(age_days: float, rng: random.Random) -> str:
    if age_days > RECENT_DAYS:
        stuck = (
            0.015 if age_days < 365 else 0.003
        )  # waiting for a part, or on hold; the oldest get written off
        roll = rng.random()
        if roll < stuck:
            return "awaiting_parts" if roll < stuck / 2 else "on_hold"
        return "cancelled" if roll < stuck + 0.07 else "handed_over"
    if rng.random() < 0.85 * age_days / RECENT_DAYS:  # the older, the likelier it is done
        return "cancelled" if rng.random() < 0.07 else "handed_over"
    weights = next((w for bound, w in OPEN_BY_AGE if age_days < bound), OPEN_BY_AGE[-1][1])
    return rng.choices(list(weights), list(weights.values()))[0]


def open_status_since(created: datetime, n: int, now: datetime) -> datetime:
    """When a realistic open order reached its status: 20-90 % of its age ago, the same for its last event."""
    return created + (now - created) * (0.2 + 0.7 * ((n * 37) % 100) / 100)


@dataclass
class Center:
    tenant: object
    manager: object
    reception: object
    technicians: list
    locations: list
    types: list
    order_count: int
    plans: list = field(default_factory=list)  # (number, status, created, closed) per order


def sla_state(n: int, is_open: bool) -> str:
    """Order.sla_state by the order's number (no draw from the random stream): open orders 85 % on track,
    10 % at risk, 5 % breached; closed ones 95 % met."""
    share = n * 37 % 100
    if is_open:
        return "on_track" if share < 85 else "at_risk" if share < 95 else "breached"
    return "met" if share < 95 else "missed"


def seed_center(
    slug: str,
    name: str,
    orders: int,
    rng: random.Random,
    *,
    pathological: bool = False,
    per_day: int = 40,
    extras: bool = True,
) -> Center:
    """One service center: locations, catalogue, staff (a manager, reception, 12 technicians), clients (one per
    three orders), items, orders and their timelines (a CREATED event plus one per status step), lines and
    payments on a fifth of the orders; with `extras`, what the other pages read (seed_workshop)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from orders.models import Client, Item, LineItem, Order, OrderEvent, Payment, ServiceType
    from servicedesk.accounts.models import User
    from servicedesk.tenancy.models import Counter, Location, Membership, Tenant
    from servicedesk.tenancy.roles import Role

    now = timezone.now()
    v = Values(connection.vendor)
    with foreign_key_checks_skipped(), transaction.atomic():
        tenant = Tenant.objects.create(slug=slug, name=name, language="en", time_zone="Europe/Moscow")
        locations = [Location.objects.create(tenant=tenant, name=f"{name} location {i}") for i in range(3)]
        types = ServiceType.objects.bulk_create(
            [
                ServiceType(
                    tenant=tenant,
                    name=f"Service {i}",
                    formats=["in_shop", "on_site"],
                    base_price=Decimal(1000 + 500 * i),
                    default_duration_minutes=60 + 30 * (i % 4),
                )
                for i in range(8)
            ]
        )
        staff = [
            (role, i)
            for role, count in ((Role.MANAGER, 1), (Role.RECEPTION, 1), (Role.TECHNICIAN, 12))
            for i in range(count)
        ]
        users = User.objects.bulk_create(
            [
                User(
                    email=f"{role.value}{i}@{slug}.bench.test",
                    full_name=f"{role.label} {i} of {name}",
                    password="!",
                )
                for role, i in staff
            ]
        )  # no usable password: the bench logs in with force_login
        members = Membership.objects.bulk_create(
            [
                Membership(tenant=tenant, user=user, role=role)
                for (role, _i), user in zip(staff, users, strict=True)
            ]
        )
        manager, reception = members[0], members[1]
        technicians = [m for m in members if m.role == Role.TECHNICIAN]
        t = tenant.pk

        client_count, item_count = max(orders // 3, 1), max(orders // 2, 1)
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
                (
                    t,
                    f"Client{i} Surname{i % 997}",
                    f"+7900{i:07d}",
                    f"client{i}@example.test",
                    "",
                    True,
                    True,
                    v.dt(now),
                    "2026-01",
                    v.dt(now),
                    "",  # the center's language
                )
                for i in range(client_count)
            ),
        )
        clients = list(Client.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))
        kinds = ["Phone", "Laptop", "Washing machine"]
        insert_rows(
            Item,
            ["tenant", "client", "kind", "brand", "model", "serial", "created_at"],
            (
                (
                    t,
                    clients[i % client_count],
                    kinds[i % 3],
                    "Brand",
                    f"Model {i % 50}",
                    f"SN{slug}{i:08d}",
                    v.dt(now),
                )
                for i in range(item_count)
            ),
        )
        items = list(Item.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))

        span = timedelta(days=3 * 365) if pathological else timedelta(days=orders / per_day)
        start = now - span
        step = span / max(orders, 1)
        statuses = [s for s, _w in PATHOLOGICAL_MIX]
        weights = [w for _s, w in PATHOLOGICAL_MIX]
        price, zero, one = v.dec(Decimal(1500)), v.dec(Decimal(0)), v.dec(Decimal(1))
        day_start = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
        plans = []
        order_rows = []
        for n in range(1, orders + 1):
            created = min(
                start + step * n + timedelta(seconds=rng.randint(0, 59)), now - timedelta(minutes=1)
            )
            age = (now - created).total_seconds() / 86400
            if pathological:
                status = rng.choices(statuses, weights)[0]
                closed_at = created + timedelta(days=rng.randint(1, 14)) if status in CLOSED else None
                promised = created + timedelta(days=3)
                changed = closed_at or created + timedelta(hours=len(PATHS[status]))
            else:
                status = realistic_status(age, rng)
                promised = created + timedelta(days=3 + n % 5)
                if status in CLOSED:
                    # Done within two weeks, and never in the future.
                    closed_at = min(
                        created + timedelta(days=rng.uniform(0.5, 14)), now - timedelta(minutes=5)
                    )
                    closed_at = max(closed_at, created + timedelta(minutes=len(PATHS[status]) + 1))
                    changed = closed_at
                else:
                    closed_at = None
                    changed = open_status_since(created, n, now)
            technician = technicians[n % len(technicians)].pk if status != "new" else None
            is_open = status not in CLOSED
            visit = technician is not None and n % 7 == 0
            if visit and is_open:  # the coming fortnight's visits, on the hour
                visit_start = day_start + timedelta(days=n % 14, hours=n % 8)
            elif visit:
                visit_start = created + timedelta(days=1)
            else:
                visit_start = None
            plans.append((n, status, created, closed_at))
            order_rows.append(
                (
                    t,
                    n,
                    clients[n % client_count],
                    items[n % item_count] if n % 10 else None,
                    "",
                    "",
                    types[n % len(types)].pk,
                    "on_site" if visit else "in_shop",
                    locations[n % 3].pk,
                    locations[(n + 1) % 3].pk,
                    technician,
                    rng.choices([0, 1, 2, 3], [10, 70, 15, 5])[0],
                    "Does not turn on",
                    "",
                    v.dt(promised),
                    price,
                    "",
                    price if n % 5 == 0 else zero,
                    price if n % 5 == 0 and status == "handed_over" else zero,
                    status,
                    v.dt(changed),
                    "diagnostics" if status == "on_hold" else "",
                    f"Bench st. {n}" if visit else "",
                    v.dt(visit_start),
                    v.dt(visit_start + timedelta(minutes=59) if visit_start else None),
                    secrets.token_urlsafe(32),
                    v.dt(closed_at + timedelta(days=30) if closed_at else None),
                    v.day((closed_at + timedelta(days=90)).date() if status == "handed_over" else None),
                    manager.user_id,
                    v.dt(created),
                    v.dt(closed_at),
                    1 + len(PATHS[status]),
                    # Service level as the quality app's clocks leave it: a few percent of promises broken.
                    sla_state(n, is_open),
                    v.dt(changed + timedelta(days=1) if is_open else None),
                )
            )
        insert_rows(
            Order,
            [
                "tenant",
                "number",
                "client",
                "item",
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
                "estimate",
                "estimate_state",
                "total_amount",
                "paid_amount",
                "status",
                "status_changed_at",
                "status_before_hold",
                "visit_address",
                "visit_start",
                "visit_end",
                "public_token",
                "public_token_expires_at",
                "warranty_until",
                "created_by",
                "created_at",
                "closed_at",
                "version",
                "sla_state",
                "sla_due_at",
            ],
            order_rows,
        )
        del order_rows
        Counter.objects.create(tenant=tenant, key="order", last_number=orders)
        ids = dict(Order.objects.filter(tenant=tenant).values_list("number", "id"))

        actor = manager.user_id

        def timeline():
            for n, status, created, closed_at in plans:
                path = PATHS[status]
                at, previous = created, "new"
                yield (
                    t,
                    ids[n],
                    "created",
                    "",
                    "new",
                    "",
                    actor,
                    False,
                    "Order taken in.",
                    True,
                    "{}",
                    v.dt(at),
                )
                if closed_at:
                    end = closed_at
                elif pathological:
                    end = created + timedelta(hours=len(path))
                else:
                    end = open_status_since(created, n, now)
                gap = (end - created) / max(len(path), 1)  # the last step at status_changed_at / closed_at
                for target in path:
                    at += gap
                    yield (
                        t,
                        ids[n],
                        "status",
                        previous,
                        target,
                        target,
                        actor,
                        False,
                        "",
                        True,
                        "{}",
                        v.dt(at),
                    )
                    previous = target

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
            timeline(),
        )
        fifth = [(n, status, created) for n, status, created, _closed in plans if n % 5 == 0]
        insert_rows(
            LineItem,
            [
                "tenant",
                "order",
                "kind",
                "description",
                "quantity",
                "unit_price",
                "amount",
                "covered",
                "created_at",
            ],
            (
                (t, ids[n], "work", "Repair", one, price, price, False, v.dt(created))
                for n, _s, created in fifth
            ),
        )
        insert_rows(
            Payment,
            ["tenant", "order", "kind", "method", "amount", "note", "created_at"],
            (
                (t, ids[n], "payment", "cash", price, "", v.dt(created))
                for n, status, created in fifth
                if status == "handed_over"
            ),
        )
        center = Center(
            tenant=tenant,
            manager=manager,
            reception=reception,
            technicians=technicians,
            locations=locations,
            types=types,
            order_count=orders,
            plans=plans,
        )
        if extras:
            seed_workshop(center, ids, rng)
    return center


def seed_workshop(center: Center, ids: dict[int, int], rng: random.Random) -> None:
    """What the pages beyond the order list read, in bulk: technician profiles with skills and hours, a parts
    store (levels at three locations, a tenth under the minimum, receipts and consumption in the journal),
    reservations waiting for parts, work logged on recent orders, clients' ratings of a third of the handed-
    over orders, issued documents (archive rows only: no PDF is rendered or stored), photo rows (the order
    page only links them)."""
    from datetime import time

    from django.db import connection
    from django.utils import timezone

    from documents.models import Document
    from orders.models import OrderPhoto
    from quality.models import Feedback
    from servicedesk.tenancy.models import Counter
    from stock.models import Part, PartReservation, PartServiceType, StockLevel, StockMovement
    from technicians.models import TechnicianProfile, TechnicianSkill, WorkLog

    now = timezone.now()
    v = Values(connection.vendor)
    tenant, t = center.tenant, center.tenant.pk
    locations, types = center.locations, center.types
    profiles = TechnicianProfile.objects.bulk_create(
        [
            TechnicianProfile(
                tenant=tenant,
                membership=m,
                home_workshop=locations[i % 3],
                does_visits=i % 3 == 0,
                working_days=[0, 1, 2, 3, 4] if i % 4 else [1, 2, 3, 4, 5],
                day_start=time(9 + i % 2),
                day_end=time(18 + i % 2),
                hourly_rate=Decimal(1200),
            )
            for i, m in enumerate(center.technicians)
        ]
    )
    TechnicianSkill.objects.bulk_create(
        [
            TechnicianSkill(tenant=tenant, profile=p, service_type=st)
            for i, p in enumerate(profiles)
            for st in types[i % 4 :: 3]
        ]
    )

    # Parts: a catalogue that grows slowly with the center (50 to 3,000 articles).
    part_count = min(max(center.order_count // 10, 50), 3000)
    insert_rows(
        Part,
        ["tenant", "name", "sku", "unit", "cost_price", "sale_price", "is_active", "notes", "created_at"],
        (
            (
                t,
                f"Bench part {i:05d}",
                f"B-{i:05d}",
                "pcs",
                v.dec(Decimal(60)),
                v.dec(Decimal(100)),
                True,
                "",
                v.dt(now),
            )
            for i in range(part_count)
        ),
    )
    parts = list(Part.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))
    insert_rows(
        PartServiceType,
        ["tenant", "part", "service_type"],
        ((t, p, types[i % len(types)].pk) for i, p in enumerate(parts)),
    )
    levels = [(p, loc.pk, rng.randint(0, 20), i % 10 == 0) for i, p in enumerate(parts) for loc in locations]
    insert_rows(
        StockLevel,
        ["tenant", "location", "part", "on_hand", "reserved", "min_level"],
        (
            (t, loc, p, v.dec(Decimal(on_hand)), v.dec(Decimal(0)), v.dec(Decimal(on_hand + 1 if low else 2)))
            for p, loc, on_hand, low in levels
        ),
    )
    manager_user = center.manager.user_id
    first_day = min((created for _n, _s, created, _c in center.plans), default=now)

    def movements():
        for p, loc, on_hand, _low in levels:
            yield (
                t,
                "receipt",
                p,
                loc,
                None,
                v.dec(Decimal(on_hand)),
                v.dec(Decimal(0)),
                None,
                "Opening stock",
                manager_user,
                v.dt(first_day),
            )
        for n, status, created, _closed in center.plans:
            if (
                n % 5 == 0 and status != "new"
            ):  # the part lines of a fifth of the orders were taken from stock
                yield (
                    t,
                    "consumption",
                    parts[n % len(parts)],
                    locations[(n + 1) % 3].pk,
                    None,
                    v.dec(Decimal(-1)),
                    v.dec(Decimal(0)),
                    ids[n],
                    "",
                    manager_user,
                    v.dt(created + timedelta(hours=2)),
                )

    insert_rows(
        StockMovement,
        [
            "tenant",
            "kind",
            "part",
            "location",
            "other_location",
            "on_hand_delta",
            "reserved_delta",
            "order",
            "reason",
            "by",
            "created_at",
        ],
        movements(),
    )
    insert_rows(
        PartReservation,
        ["tenant", "order", "part", "location", "reserved", "missing", "created_by", "created_at"],
        (
            (
                t,
                ids[n],
                parts[n % len(parts)],
                locations[(n + 1) % 3].pk,
                v.dec(Decimal(0)),
                v.dec(Decimal(1)),
                manager_user,
                v.dt(created + timedelta(hours=3)),
            )
            for n, status, created, _c in center.plans
            if status == "awaiting_parts"
        ),
    )

    # Work logged: an entry per worked order of the last two months, and today's for the open ones.
    technician_of = {n: center.technicians[n % len(center.technicians)].pk for n, _s, _c, _d in center.plans}
    recent = now - timedelta(days=60)

    def work():
        for n, status, created, closed_at in center.plans:
            if status in {"new", "planned", "cancelled"} or created < recent:
                continue
            started = min(created + timedelta(hours=20), now - timedelta(hours=3))
            yield (
                t,
                ids[n],
                technician_of[n],
                v.dt(started),
                v.dt(started + timedelta(minutes=40)),
                "manual",
                "bench",
                False,
                v.dt(started),
            )
            if closed_at is None and n % 3 == 0:
                started = now - timedelta(hours=2, minutes=n % 60)
                yield (
                    t,
                    ids[n],
                    technician_of[n],
                    v.dt(started),
                    v.dt(started + timedelta(minutes=20)),
                    "timer",
                    "",
                    False,
                    v.dt(started),
                )

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
        work(),
    )

    # Ratings: a third of the handed-over orders, a day after handover.
    comments = ["", "", "Fast and polite, thank you!", "Promised for Friday, ready on Monday.", "Good work."]
    insert_rows(
        Feedback,
        ["tenant", "order", "rating", "comment", "technician", "created_at"],
        (
            (
                t,
                ids[n],
                rng.choices([5, 4, 3, 2, 1], [60, 20, 8, 6, 6])[0],
                comments[n % len(comments)],
                technician_of[n],
                v.dt(min(closed_at + timedelta(days=1), now - timedelta(minutes=1))),
            )
            for n, status, _created, closed_at in center.plans
            if status == "handed_over" and n % 3 == 0
        ),
    )

    # The archive: an intake receipt for every order, a completion act for every handed-over one, numbered per
    # kind and year without gaps, as documents.services.next_number would have numbered them.
    counters: dict[tuple[str, int], int] = {}
    issuer = center.reception.user_id

    def documents():
        for n, status, created, closed_at in center.plans:
            for kind, at in (("intake_receipt", created), ("completion_act", closed_at)):
                if kind == "completion_act" and status != "handed_over":
                    continue
                key = (kind, at.year)
                counters[key] = counters.get(key, 0) + 1
                yield (
                    t,
                    ids[n],
                    kind,
                    at.year,
                    counters[key],
                    1,
                    "ru",
                    f"documents/{t}/{at.year}/{kind}/{n:08d}.pdf",
                    "0" * 64,
                    48_000,
                    1,
                    "default",
                    v.dt(at),
                    issuer,
                    "Reception 0",
                )

    insert_rows(
        Document,
        [
            "tenant",
            "order",
            "kind",
            "year",
            "number",
            "version",
            "language",
            "file",
            "sha256",
            "size",
            "pages",
            "template_source",
            "issued_at",
            "issued_by",
            "issued_by_name",
        ],
        documents(),
    )
    Counter.objects.bulk_create(
        [
            Counter(tenant=tenant, key=f"document:{kind}:{year}", last_number=last)
            for (kind, year), last in counters.items()
        ]
    )
    insert_rows(
        OrderPhoto,
        ["tenant", "order", "image", "display", "caption", "uploaded_by", "created_at"],
        (
            (
                t,
                ids[n],
                f"orders/{t}/{n:08d}.jpg",
                f"orders/{t}/{n:08d}-display.jpg",
                "On intake",
                manager_user,
                v.dt(created),
            )
            for n, _s, created, _c in center.plans
            if n % 10 == 0
        ),
    )


ENRICHED_LINE = "Line 0"  # the first line enrich_one_order adds: how enriched_order finds the order again


def enrich_one_order(center: Center, rounds: int = 13):
    """The order the order page and the public page show: the newest order in work, with `rounds` lines,
    payments and notes added through the services (3 events each: 40+ with its history), six photos and its
    documents. Returns the order, fresh from the database."""
    from orders import services
    from orders.models import LineItem, Order, OrderPhoto, Payment

    tenant, manager = center.tenant, center.manager
    candidates = (
        Order.objects.for_tenant(tenant)
        .filter(technician__isnull=False)
        .exclude(status__in=["handed_over", "cancelled", "new", "on_hold"])
    )
    order = (
        candidates.filter(status="in_progress").order_by("-id").first() or candidates.order_by("-id").first()
    )
    if order is None:
        raise SystemExit("No open order with a technician to show: seed more orders")
    order.tenant = tenant
    technician = order.technician
    for i in range(rounds):
        services.add_line_item(
            order,
            kind=LineItem.Kind.PART if i % 2 else LineItem.Kind.WORK,
            description=ENRICHED_LINE if i == 0 else f"Line {i}",
            quantity=Decimal(1),
            unit_price=Decimal(500),
            by=manager,
            performed_by=technician,
        )
        services.add_payment(order, amount=Decimal(100), method=Payment.Method.CARD, by=manager)
        services.add_note(order, text=f"Note {i}", public=bool(i % 2), by=manager)
        order.refresh_from_db()
        order.tenant = tenant
    OrderPhoto.objects.bulk_create(
        [
            OrderPhoto(
                tenant=tenant,
                order=order,
                image=f"orders/{tenant.pk}/enriched{i}.jpg",
                display=f"orders/{tenant.pk}/enriched{i}-display.jpg",
                caption=f"Photo {i}",
                uploaded_by=manager.user,
            )
            for i in range(6)
        ]
    )
    return Order.objects.select_related("client", "technician").get(pk=order.pk)


def enriched_order(tenant):
    """The order enrich_one_order dressed, found again in a kept database (bench/pages.py --growth --reuse)."""
    from orders.models import Order

    order = (
        Order.objects.for_tenant(tenant)
        .filter(line_items__description=ENRICHED_LINE)
        .select_related("client", "technician")
        .first()
    )
    if order is None:
        raise SystemExit(f"No enriched order in {tenant.slug}: seed it again")
    return order
