"""Benchmark: a center moving in from a spreadsheet of clients and their devices (api/imports.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch db> .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/imports.py [--rows 100000]

Creates a throw-away center "bench-imports" (deleted at the end) and a CSV of `rows` clients, one device
each (Russian phones typed the local way, as spreadsheets hold them), then times, as the Celery task runs
them: the upload (read and count), the dry run (every row checked, nothing saved) and the import (every
row saved in its own transaction), and the same file again (every row found, nothing changed). The issue's
target: 100,000 client rows in under two minutes on this machine. The script raises IMPORT_MAX_ROWS and
IMPORT_MAX_BYTES for its own run when `rows` needs it. Use a scratch database: it writes and deletes rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402

from api import imports, tasks  # noqa: E402
from api.models import ImportJob  # noqa: E402
from orders.models import Client  # noqa: E402
from servicedesk.accounts.models import User  # noqa: E402
from servicedesk.tenancy.models import Membership, Tenant  # noqa: E402
from servicedesk.tenancy.roles import Role  # noqa: E402

SLUG = "bench-imports"


def spreadsheet(rows: int) -> bytes:
    lines = ["Name,Phone,E-mail,Device,Brand,Model,Serial"]
    for n in range(rows):
        lines.append(
            f"Client {n},8 (9{n // 10_000_000 % 10}{n // 100_000 % 100:02d}) {n // 100 % 1000:03d}-{n % 100:02d}-00,"
            f"client{n}@example.test,phone,Brand {n % 7},Model {n % 50},SN{n:09d}"
        )
    return ("\n".join(lines) + "\n").encode()


def timed_run(job: ImportJob, *, dry_run: bool, owner: Membership) -> tuple[float, ImportJob]:
    assert imports.start(job, dry_run=dry_run, by=owner)
    started = time.perf_counter()
    done = imports.run(job.tenant_id, job.pk)
    assert done is not None
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, rows)
    data = spreadsheet(rows)
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, len(data))
    tasks.run_import.delay = lambda *args, **kwargs: None  # this script runs the task's body itself

    Tenant.objects.filter(slug=SLUG).delete()
    User.objects.filter(email=f"owner@{SLUG}.test").delete()
    tenant = Tenant.objects.create(slug=SLUG, name="Bench imports", country="RU", language="ru")
    user = User.objects.create_user(email=f"owner@{SLUG}.test", password="x" * 16, full_name="Owner")
    owner = Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    try:
        print(f"{connection.vendor}: {rows} client rows, {len(data) / 1e6:.1f} MB of CSV")
        started = time.perf_counter()
        job = imports.upload(tenant, SimpleUploadedFile("clients.csv", data), by=owner)
        print(f"  upload (read, count, store)   {time.perf_counter() - started:7.1f} s")
        seconds, job = timed_run(job, dry_run=True, owner=owner)
        print(f"  dry run                       {seconds:7.1f} s   {job.counts} errors {job.error_count}")
        seconds, job = timed_run(job, dry_run=False, owner=owner)
        print(f"  import                        {seconds:7.1f} s   {rows / seconds:,.0f} rows/s   {job.counts}")
        assert Client.objects.filter(tenant=tenant).count() == rows - job.error_count
        again = imports.upload(tenant, SimpleUploadedFile("clients.csv", data), by=owner)
        seconds, again = timed_run(again, dry_run=False, owner=owner)
        print(f"  the same file again           {seconds:7.1f} s   {again.counts}")
    finally:
        tenant.delete()
        user.delete()


if __name__ == "__main__":
    main()
