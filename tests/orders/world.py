"""The orders part of the cross-tenant `world` (tests/conftest.py): clients, catalogue entries, line items
and photos of A and B. A gets more of each than B; A's line item and photo belong to the world's order of
A (the one the `order_number` filler points at), since their URLs are nested under it."""

from __future__ import annotations

from types import SimpleNamespace

from orders.models import Order
from tests.factories import (
    ClientFactory,
    LineItemFactory,
    OrderFactory,
    OrderPhotoFactory,
    ServiceTypeFactory,
)


def _fill(tenant, order: Order, count: int) -> SimpleNamespace:
    clients = [ClientFactory(tenant=tenant) for _ in range(count)]
    service_types = [ServiceTypeFactory(tenant=tenant) for _ in range(count)]
    lines = [LineItemFactory(order=order) for _ in range(count)]
    photos = [OrderPhotoFactory(order=order, caption="World photo") for _ in range(count)]
    return SimpleNamespace(
        client=clients[-1], service_type=service_types[-1], line=lines[-1], photo=photos[-1]
    )


def add_orders(tenant_b, tenant_a, *, order_a: Order) -> SimpleNamespace:
    """B: one of each; A: two of each, on `order_a`. Returns A's last ones."""
    order_b = Order.objects.filter(tenant=tenant_b).order_by("id").first() or OrderFactory(tenant=tenant_b)
    _fill(tenant_b, order_b, 1)
    return _fill(tenant_a, order_a, 2)
