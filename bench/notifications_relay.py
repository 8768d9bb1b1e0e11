"""Benchmark: the notifications outbox under a backlog.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch db> .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/notifications_relay.py [--pending 20000] [--history 200000] [--batch 50]

Creates a throw-away tenant "bench-notifications" (deleted at the end) with `history` sent rows and
`pending` due rows, then measures
  - the relay's pick query (due pending rows, oldest first, LIMIT batch, FOR UPDATE SKIP LOCKED on
    PostgreSQL): median time per batch;
  - the claim (pick + conditional UPDATE + re-read) per batch;
  - the whole relay (claim, render nothing, "send" through the in-memory mail and SMS backends, mark
    sent): rows per second. Each row is marked sent in its own durable commit as soon as it went out
    (that keeps the at-least-once window to one message), so one process is bounded by commit latency
    (fsync); more workers scale it. Real sending is bounded by the mail server / SMS gateway instead.
Use a scratch database: the script writes and deletes rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import time as time_
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from notifications import outbox  # noqa: E402
from notifications.models import Channel, Kind, Notification, NotificationSettings, State  # noqa: E402
from orders.models import Client, Order, ServiceType  # noqa: E402
from servicedesk.tenancy.models import Location, Tenant  # noqa: E402

SLUG = "bench-notifications"


def cleanup() -> None:
    for tenant in Tenant.objects.filter(slug=SLUG):
        Notification.objects.filter(tenant=tenant).delete()
        NotificationSettings.objects.filter(tenant=tenant).delete()
        Order.objects.filter(tenant=tenant).delete()
        Client.objects.filter(tenant=tenant).delete()
        ServiceType.objects.filter(tenant=tenant).delete()
        Location.objects.filter(tenant=tenant).delete()
        tenant.delete()


def setup(pending: int, history: int) -> Tenant:
    cleanup()
    tenant = Tenant.objects.create(slug=SLUG, name="Bench", language="en")
    NotificationSettings.objects.create(
        tenant=tenant, quiet_from=time_(0), quiet_to=time_(0)
    )  # no quiet hours
    location = Location.objects.create(tenant=tenant, name="Bench office")
    service = ServiceType.objects.create(tenant=tenant, name="Bench service")
    client = Client.objects.create(
        tenant=tenant, name="Bench Client", phone="+79990000000", email="b@example.test"
    )
    order = Order.objects.create(
        tenant=tenant,
        number=1,
        client=client,
        service_type=service,
        intake_location=location,
        problem="bench",
    )
    now = timezone.now()

    def rows(count: int, state: str, prefix: str):
        for n in range(count):
            channel = Channel.EMAIL if n % 2 else Channel.SMS
            yield Notification(
                tenant=tenant,
                order=order,
                source_key=f"{prefix}:{n}",
                kind=Kind.READY_FOR_PICKUP,
                channel=channel,
                recipient="b@example.test" if channel == Channel.EMAIL else "+79990000000",
                language="en",
                subject="Ready",
                body="Your order is ready.",
                state=state,
                attempts=1 if state == State.SENT else 0,
                next_attempt_at=now - timedelta(seconds=n % 600),
                sent_at=now if state == State.SENT else None,
            )

    for state, count, prefix in ((State.SENT, history, "h"), (State.PENDING, pending, "p")):
        batch = []
        for row in rows(count, state, prefix):
            batch.append(row)
            if len(batch) == 5000:
                Notification.objects.bulk_create(batch)
                batch = []
        Notification.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_notification")
    return tenant


def pick_ms(batch: int, repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with transaction.atomic():
            list(
                Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch]
            )
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def explain(batch: int) -> str:
    if connection.vendor != "postgresql":
        return "(EXPLAIN shown on PostgreSQL only)"
    query = (
        Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql + " FOR UPDATE SKIP LOCKED", params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=20000)
    parser.add_argument("--history", type=int, default=200000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    print(
        f"database: {connection.vendor}; {args.history} sent rows, {args.pending} pending, batch {args.batch}"
    )
    started = time.perf_counter()
    tenant = setup(args.pending, args.history)
    print(f"setup: {time.perf_counter() - started:.1f} s")
    try:
        print(f"pick (SELECT ... SKIP LOCKED LIMIT {args.batch}): median {pick_ms(args.batch):.2f} ms")
        with transaction.atomic():
            print(explain(args.batch))
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_BACKEND="notifications.sms.LocmemBackend",
            NOTIFICATIONS_BATCH_SIZE=args.batch,
        ):
            claims = []
            for _ in range(20):
                t0 = time.perf_counter()
                token, rows = outbox.claim()
                claims.append((time.perf_counter() - t0) * 1000)
                outbox.send_claimed(token, rows)
            print(
                f"claim (pick + UPDATE + read {args.batch} rows): median {statistics.median(claims):.2f} ms"
            )
            t0 = time.perf_counter()
            total = 0
            while True:
                sent = outbox.relay(max_batches=100).get("sent", 0)
                total += sent
                if not sent:
                    break
            elapsed = time.perf_counter() - t0
            total += 20 * args.batch
            print(
                f"relay: {total} rows sent through in-memory backends in {elapsed:.1f} s "
                f"({(total - 20 * args.batch) / elapsed:.0f} rows/s, one process)"
            )
        left = Notification.objects.filter(tenant=tenant, state=State.PENDING).count()
        print(f"left pending: {left}")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
