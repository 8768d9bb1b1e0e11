"""The order's timeline: every OrderEvent is written by `record_event` and announced to the listeners.

Apps downstream of orders (notifications, technicians, stock, quality ...) react to what happens to an
order by registering a listener in their AppConfig.ready(). Listeners are called inside the transaction
that records the event, so their own writes (outbox rows, released parts ...) commit or roll back with it.
orders/ never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from .event_text import Text
from .models import Order, OrderEvent

Listener = Callable[[OrderEvent], None]

_listeners: list[Listener] = []


def on_order_event(listener: Listener) -> Listener:
    """Register a listener (idempotent: AppConfig.ready() may run twice in tests)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def announce(event: OrderEvent) -> None:
    for listener in _listeners:
        listener(event)


def record_event(
    order: Order,
    kind: str,
    *,
    actor: Any = None,
    by_client: bool = False,
    message: str = "",
    text: Text | None = None,
    is_public: bool = False,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Append to the order's timeline and announce it. Every event goes through here.

    `text` is what the system says, as data (orders.event_text.say(...)): rendered in the reader's
    language when shown. `message` is only what a person wrote (a note, a reason, a comment), kept as is.
    """
    data = dict(data or {})
    if text is not None:
        data["text"] = text
    event = OrderEvent.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        kind=kind,
        actor=actor,
        by_client=by_client,
        message=message,
        is_public=is_public,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )
    event.order = order
    announce(event)
    return event


def record_past_event(
    order: Order,
    kind: str,
    *,
    created_at: datetime,
    actor: Any = None,
    text: Text,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Write an event that happened before the center moved in (orders.history_import), announced to no
    one: the listeners react to what happens now (a message to the client, a webhook, a service-level
    clock, stock released), and none of that is true of an order handed over last year."""
    return OrderEvent.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        kind=kind,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data={**(data or {}), "text": text},
        created_at=created_at,
    )


@contextmanager
def listeners_paused(*paused: Listener) -> Iterator[None]:
    """Run a block without these listeners (the others still run). For bulk seeding whose derived state
    (service-level clocks, rollups) is rebuilt from the timeline afterwards; never for live requests."""
    saved = list(_listeners)
    _listeners[:] = [listener for listener in saved if listener not in paused]
    try:
        yield
    finally:
        _listeners[:] = saved  # in their registration order
