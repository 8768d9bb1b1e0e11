"""What the quality app does when something happens to an order (registered in QualityConfig.ready(); runs
inside the transaction that records the event)."""

from __future__ import annotations

from orders.models import EventKind, OrderEvent

from . import checklists, checks


def on_event(event: OrderEvent) -> None:
    if event.kind == EventKind.CREATED:
        checklists.pin(event.order)  # the order follows its service's checklist in force today
    elif event.kind == EventKind.STATUS:
        checks.record_check(event)
