"""PostgreSQL specifics of the relay: SKIP LOCKED lets several workers share the outbox; the due index is used."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from notifications import outbox
from notifications.models import Notification, State

from .conftest import take_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_relay_skips_rows_another_worker_has_locked(tenant_a, users_a, monkeypatch):
    monkeypatch.setattr(
        outbox, "enqueue", lambda tenant_id, ids, channel: False
    )  # leave every row to the relay
    for n in range(3):
        take_in(tenant_a, email=f"c{n}@example.test")
    ids = sorted(Notification.objects.values_list("pk", flat=True))
    assert len(ids) == 6
    locked_ids = ids[:2]
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(Notification.objects.select_for_update().filter(pk__in=locked_ids))
                locked.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(20)
        started = time.monotonic()
        token, rows = outbox.claim()
        assert time.monotonic() - started < 5  # did not wait for the other worker's locks
        assert sorted(row.pk for row in rows) == ids[2:]
    finally:
        release.set()
        thread.join(20)
    token, rows = outbox.claim()
    assert sorted(row.pk for row in rows) == locked_ids  # free again: the next relay takes them
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENDING}


def test_the_relay_query_can_use_the_partial_due_index(tenant_a, users_a, monkeypatch):
    monkeypatch.setattr(outbox, "enqueue", lambda tenant_id, ids, channel: False)
    take_in(tenant_a)
    from django.utils import timezone

    query = (
        Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:50]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "notifications_due_idx" in plan, plan
