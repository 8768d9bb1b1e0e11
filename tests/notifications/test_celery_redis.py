"""A real Celery worker consuming from the real Redis delivers notifications (CI: REDIS_URL set).

The worker runs in a thread of the test process (celery.contrib.testing.worker.start_worker), so it
shares Django's test settings (locmem mail) and reads the test database, which is why these tests
use transaction=True: the worker's own connection must see committed rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections
from kombu import pools as kombu_pools

from notifications import tasks
from notifications.models import Kind, Notification, State
from orders.models import Order, OrderStatus
from servicedesk.celery import app as celery_app

from .conftest import assign_technician, take_in, walk

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _use_broker(url: str) -> None:
    """Point the Celery app at another broker (drops the cached connection and producer pools)."""
    celery_app.conf.broker_url = url
    kombu_pools.reset()  # closes and forgets every cached connection/producer pool
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_broker(settings):
    """The real broker, no eager mode, an empty queue; restored afterwards."""
    eager, broker = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    _use_broker(settings.REDIS_URL)
    celery_app.control.purge()  # leftovers of other test runs in the test Redis database
    yield
    _use_broker(broker)
    celery_app.conf.task_always_eager = eager


def _close_thread_connections(**kwargs) -> None:
    connections.close_all()  # the worker thread's own connection: the test database must be droppable


@pytest.fixture
def run_worker(redis_broker, transactional_db):
    """run_worker() -> a context manager running a worker thread on the real Redis."""
    task_postrun.connect(_close_thread_connections, weak=False)

    def run():
        return start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        )

    yield run
    task_postrun.disconnect(_close_thread_connections)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


def test_a_real_worker_delivers_through_redis(run_worker, tenant_a, users_a, sms_outbox):
    with run_worker():
        order = take_in(tenant_a, email="anna@example.test")  # commits; on_commit queues deliver via Redis
        rows = Notification.objects.filter(order=order)
        wait_for(lambda: rows.count() == 2 and set(rows.values_list("state", flat=True)) == {State.SENT})
        order = assign_technician(order)
        walk(order, "plan", "start_diagnostics", "start_work", "finish_work", "pass_check")
        ready = Notification.objects.filter(order=order, kind=Kind.READY_FOR_PICKUP)
        wait_for(lambda: set(ready.values_list("state", flat=True)) == {State.SENT} and ready.count() == 2)
        wait_for(
            lambda: Notification.objects.filter(kind=Kind.TECHNICIAN_ASSIGNED, state=State.SENT).exists()
        )
    subjects = [m.subject for m in mail.outbox]
    assert f"Order #{order.number} received" in subjects
    assert f"Order #{order.number} is ready for pickup" in subjects
    assert len(sms_outbox) == 2
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_broker_down_at_the_change_nothing_lost_relay_delivers_after(
    run_worker, tenant_a, users_a, sms_outbox, caplog
):
    order = assign_technician(take_in(tenant_a, email="anna@example.test"))
    walk(order, "plan", "start_diagnostics", "start_work", "finish_work")
    Notification.objects.filter(state=State.PENDING).update(state=State.SENT)  # (no worker ran so far)
    mail.outbox.clear()

    _use_broker(DEAD_BROKER)  # Redis "stops"
    started = time.monotonic()
    walk(order, "pass_check")
    assert time.monotonic() - started < 10  # the request is not held by the dead broker
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY  # the change is saved
    ready = Notification.objects.filter(order=order, kind=Kind.READY_FOR_PICKUP)
    assert ready.count() == 2 and set(ready.values_list("state", flat=True)) == {State.PENDING}
    assert "the relay will send them" in caplog.text
    with pytest.raises(Exception):  # noqa: B017 - the broker really is unreachable
        tasks.relay.apply_async(retry=False)

    from django.conf import settings

    _use_broker(settings.REDIS_URL)  # Redis is back; beat's next tick queues the relay
    with run_worker():
        tasks.relay.delay()
        wait_for(lambda: set(ready.values_list("state", flat=True)) == {State.SENT})
        tasks.relay.delay()  # a second tick finds nothing to send
        time.sleep(1)
    assert [m.subject for m in mail.outbox] == [f"Order #{order.number} is ready for pickup"]
    assert len(sms_outbox) == 1


def test_each_channel_has_its_own_redis_queue(redis_broker, transactional_db, tenant_a, users_a):
    """No worker runs: the tasks wait in Redis, e-mail and SMS in separate lists (a slow SMS gateway cannot
    hold up e-mail: the e-mail worker never takes an SMS task)."""
    import redis
    from django.conf import settings

    take_in(tenant_a, email="anna@example.test")  # commits; on_commit queues one task per channel
    broker = redis.Redis.from_url(settings.REDIS_URL)
    assert (broker.llen("email"), broker.llen("sms"), broker.llen("celery")) == (1, 1, 0)
    celery_app.control.purge()
