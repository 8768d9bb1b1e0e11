"""Gapless, unique numbers under concurrency, on PostgreSQL (threads, each with its own connection)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from documents import services
from documents.models import Document, Kind
from servicedesk.tenancy.models import Counter
from servicedesk.tenancy.roles import Role

from .conftest import make_order, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(count: int, work) -> list:
    results: list = []
    errors: list = []
    barrier = threading.Barrier(count)

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work(i))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


def test_counter_numbers_are_unique_and_gapless_under_concurrency(tenant_a, tenant_b):
    def take(i: int) -> tuple[int, str, int]:
        tenant = tenant_a if i % 3 else tenant_b
        kind = Kind.COMPLETION_ACT if i % 2 else Kind.INTAKE_RECEIPT
        out = []
        for _ in range(5):
            with transaction.atomic():
                number = services.next_number(tenant, kind, 2026)
                time.sleep(0.005)  # hold the lock a little: the others must queue, not collide
            out.append((tenant.pk, kind, number))
        return out

    taken = [item for batch in run_threads(12, take) for item in batch]
    by_series: dict = {}
    for tenant_id, kind, number in taken:
        by_series.setdefault((tenant_id, kind), []).append(number)
    for series, numbers in by_series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), series
    assert sum(c.last_number for c in Counter.objects.filter(key__startswith="document:")) == len(taken)


def test_a_rolled_back_number_is_given_again(tenant_a):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.next_number(tenant_a, Kind.WARRANTY_CARD, 2026)
            raise RuntimeError("issue failed")
    with transaction.atomic():
        assert services.next_number(tenant_a, Kind.WARRANTY_CARD, 2026) == 1


def test_concurrent_issues_get_consecutive_numbers(tenant_a, users_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reception = member(tenant_a, Role.RECEPTION)
    orders = [make_order(tenant_a) for _ in range(4)]
    # Two clicks on the same order at once: one number, two versions.
    orders.append(orders[0])

    def issue(i: int) -> int:
        return services.issue(orders[i], Kind.INTAKE_RECEIPT, "en", by=reception).pk

    run_threads(len(orders), issue)
    documents = list(Document.objects.filter(tenant=tenant_a).order_by("number", "version"))
    assert sorted({d.number for d in documents}) == [1, 2, 3, 4]
    first_order = [d for d in documents if d.order_id == orders[0].pk]
    assert [d.version for d in first_order] == [1, 2] and len({d.number for d in first_order}) == 1
    assert all(services.verify(d) for d in documents)
