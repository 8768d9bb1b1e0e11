"""Answers at the same moment (PostgreSQL, real threads): one save wins and the others are told; a stage
is never passed on an answer being cleared at that moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from orders.lifecycle import TransitionRefused, transition
from orders.models import Order, OrderStatus
from quality import checklists
from quality.checklists import Answer
from quality.models import ChecklistAnswer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


def run_together(*jobs) -> list[BaseException | None]:
    start = threading.Barrier(len(jobs))
    results: list[BaseException | None] = [None] * len(jobs)

    def run(index, job):
        try:
            start.wait(timeout=30)
            job()
        except BaseException as error:  # noqa: BLE001 (collected for the test to look at)
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_one_of_many_first_answers_wins(shop):
    order = shop.take_in()
    item = shop.item(order, "Battery capacity")

    def answer(value):
        return lambda: checklists.answer_item(
            Order.objects.get(pk=order.pk), item, Answer(number=str(value)), by=shop.tech, expected_revision=0
        )

    results = run_together(*[answer(50 + n) for n in range(THREADS)])
    refused = [r for r in results if r is not None]
    assert len(refused) == THREADS - 1 and all(isinstance(r, checklists.AnswerChanged) for r in refused)
    saved = ChecklistAnswer.objects.get(order=order, item=item)
    assert saved.revision == 1


def test_a_stage_is_never_passed_on_an_answer_being_cleared(shop):
    for _round in range(5):
        order = shop.take_in()
        shop.answer(order, "No cracks on the body", done=True)
        item = shop.item(order, "No cracks on the body")

        def clear(order=order, item=item):
            fresh = Order.objects.get(pk=order.pk)
            checklists.answer_item(fresh, item, Answer(done=False), by=shop.reception, expected_revision=1)

        def plan(order=order):
            fresh = Order.objects.get(pk=order.pk)
            transition(fresh, "plan", by=shop.manager, expected_version=fresh.version)

        results = run_together(clear, plan)
        order.refresh_from_db()
        done = ChecklistAnswer.objects.get(order=order, item=item).done
        if order.status == OrderStatus.PLANNED:
            assert done is True, "planned on an intake answer that was cleared"
            assert results[0] is not None  # the clear came after the stage was passed: refused
        else:
            assert done is False and isinstance(results[1], TransitionRefused)
