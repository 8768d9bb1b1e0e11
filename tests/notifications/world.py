"""The notifications part of the cross-tenant `world` (tests/conftest.py): outbox rows of A and B.

A gets more rows than B, so A's last notification id does not exist in B. Rows are written directly
(tests.factories.NotificationFactory, no sending): the world is built for every URL of the cross-tenant test.
"""

from __future__ import annotations

from notifications.models import Notification, State
from tests.factories import NotificationFactory, OrderFactory


def _notification(order, n: int) -> Notification:
    return NotificationFactory(
        order=order,
        source_key=f"world:{n}",
        recipient=order.client.email or f"client{n}@example.test",
        subject="Ready",
        body="Ready",
        state=State.FAILED,
        attempts=6,
        last_error="stand-in",
    )


def add_notifications(tenant_b, tenant_a) -> Notification:
    """One failed notification of B, two of A (on orders of their own); returns A's last (the URL kwargs' one)."""
    _notification(OrderFactory(tenant=tenant_b), 1)
    return [_notification(OrderFactory(tenant=tenant_a), n) for n in (2, 3)][-1]
