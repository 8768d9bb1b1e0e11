"""The notifications part of the cross-tenant `world` (tests/conftest.py): outbox rows of A and B.

A gets more rows than B, so A's last notification id does not exist in B. Rows are written directly
(no sending): the world is built for every URL of the cross-tenant test.
"""

from __future__ import annotations

from notifications.models import Channel, Kind, Notification, State


def _notification(order, n: int) -> Notification:
    return Notification.objects.create(
        tenant=order.tenant,
        order=order,
        source_key=f"world:{n}",
        kind=Kind.READY_FOR_PICKUP,
        channel=Channel.EMAIL,
        recipient=order.client.email or f"client{n}@example.test",
        language="en",
        subject="Ready",
        body="Ready",
        state=State.FAILED,
        attempts=6,
        last_error="stand-in",
    )


def add_notifications(tenant_b, tenant_a) -> Notification:
    """One failed notification of B, two of A (on orders of their own); returns A's last (the URL kwargs' one)."""
    from tests.orders.factories import OrderFactory

    _notification(OrderFactory(tenant=tenant_b), 1)
    return [_notification(OrderFactory(tenant=tenant_a), n) for n in (2, 3)][-1]
