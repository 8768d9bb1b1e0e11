"""Reactions to order events, registered with orders.timeline.on_order_event in StockConfig.ready().

They run inside the transaction that records the event, so a failure rolls the change back with them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.models import CLOSED_STATUSES, EventKind, OrderEvent, OrderStatus

from . import services


def on_order_event(event: OrderEvent) -> None:
    if event.kind == EventKind.STATUS and event.to_status in CLOSED_STATUSES:
        reason = (
            _("Order cancelled") if event.to_status == OrderStatus.CANCELLED else _("Unused after handover")
        )
        # Lazy: the timeline keeps the msgid and shows it in the reader's language (orders/event_text.py).
        services.release_all(event.order, by_user=event.actor, reason=reason)
    elif event.kind == EventKind.ASSIGNED:
        # Reserved parts follow the order to its (new) stock location: never left behind.
        services.follow_order(event.order, by_user=event.actor)
