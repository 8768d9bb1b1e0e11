"""Benchmark: a center moving in from a spreadsheet of clients and their devices (api/imports.py).

    .venv/bin/python bench/imports.py [--rows 100000]
        [--database-url sqlite:////tmp/servicedesk_bench_imports.sqlite3]
        [--database-url postgres://postgres@127.0.0.1:5432/<scratch database>]

Makes the scratch database afresh (bench/_seed.py), a center and a CSV of `rows` clients, one device
each (Russian phones typed the local way, as spreadsheets hold them), then times, as the Celery task runs
them: the upload (read and count), the dry run (every row checked, nothing saved) and the import (rows
checked and saved by chunks, api/imports.CHUNK_ROWS), and the same file again (every row found, nothing
changed); the last line gives the import's rows per second and the process's peak memory. The issue's
target: 100,000 client rows in under two minutes on this machine. The script raises IMPORT_MAX_ROWS and
IMPORT_MAX_BYTES for its own run when `rows` needs it. The database is deleted and made again: a SCRATCH one.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._seed import configure, drop_sqlite, fresh_database, migrate  # noqa: E402

DEFAULT_DATABASE = "sqlite:////tmp/servicedesk_bench_imports.sqlite3"
SLUG = "bench-imports"


def spreadsheet(rows: int) -> bytes:
    lines = ["Name,Phone,E-mail,Device,Brand,Model,Serial"]
    for n in range(rows):
        lines.append(
            f"Client {n},8 (9{n // 100_000 % 100:02d}) {n // 100 % 1000:03d}-{n % 100:02d}-00,"
            f"client{n}@example.test,phone,Brand {n % 7},Model {n % 50},SN{n:09d}"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="a SCRATCH database: made afresh")
    args = parser.parse_args()
    fresh_database(args.database_url)
    configure(args.database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from api import imports, tasks
    from orders.models import Client, Item
    from servicedesk.accounts.models import User
    from servicedesk.tenancy.models import Membership, Tenant
    from servicedesk.tenancy.roles import Role

    migrate()
    rows = args.rows
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, rows)
    data = spreadsheet(rows)
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, len(data))
    tasks.run_import.delay = lambda *args, **kwargs: None  # this script runs the task's body itself

    def timed_run(job, *, dry_run: bool, owner: Membership):
        assert imports.start(job, dry_run=dry_run, by=owner)
        started = time.perf_counter()
        done = imports.run(job.tenant_id, job.pk)
        assert done is not None
        return time.perf_counter() - started, done

    tenant = Tenant.objects.create(slug=SLUG, name="Bench imports", country="RU", language="ru")
    user = User.objects.create_user(email=f"owner@{SLUG}.test", password="x" * 16, full_name="Owner")
    owner = Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    print(f"{connection.vendor}: {rows} client rows, {len(data) / 1e6:.1f} MB of CSV")
    started = time.perf_counter()
    job = imports.upload(tenant, SimpleUploadedFile("clients.csv", data), by=owner)
    print(f"  upload (read, count, store)   {time.perf_counter() - started:7.1f} s")
    seconds, job = timed_run(job, dry_run=True, owner=owner)
    print(f"  dry run                       {seconds:7.1f} s   {rows / seconds:7,.0f} rows/s   {job.counts}")
    seconds, job = timed_run(job, dry_run=False, owner=owner)
    imported = rows / seconds
    print(f"  import                        {seconds:7.1f} s   {imported:7,.0f} rows/s   {job.counts}")
    assert job.error_count == 0 and Client.objects.filter(tenant=tenant).count() == rows
    assert Item.objects.filter(tenant=tenant).count() == rows
    again = imports.upload(tenant, SimpleUploadedFile("clients.csv", data), by=owner)
    seconds, again = timed_run(again, dry_run=False, owner=owner)
    print(
        f"  the same file again           {seconds:7.1f} s   {rows / seconds:7,.0f} rows/s   {again.counts}"
    )
    assert again.counts["unchanged_clients"] == rows and again.counts["created_items"] == 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {rows:,} client rows imported at {imported:,.0f} rows/s ({rows / imported:.0f} s); peak memory {peak:.0f} MB"
    )
    connection.close()
    if args.database_url.startswith("sqlite"):
        drop_sqlite(args.database_url)


if __name__ == "__main__":
    main()
