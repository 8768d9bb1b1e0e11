"""Helpers of the after-sales tests: members by role, and orders handed over through the real lifecycle
(so warranty_until, closed_at and the timeline are what production makes)."""

from __future__ import annotations

from decimal import Decimal

from orders.lifecycle import transition
from orders.models import Order, OrderStatus
from orders.services import recalculate_totals
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ClientFactory,
    ItemFactory,
    LineItemFactory,
    OrderFactory,
    PaymentFactory,
    ServiceTypeFactory,
)


def member(tenant, role: Role) -> Membership:
    return (
        Membership.objects.select_related("user", "tenant")
        .filter(tenant=tenant, role=role)
        .order_by("id")
        .first()
    )


def ready_order(
    tenant,
    *,
    service=None,
    technician=None,
    client=None,
    item=None,
    lines: tuple = (("work", "Screen replacement", "1500", None),),
    **fields,
) -> Order:
    """An order of `tenant` ready for pickup, its lines (kind, description, price, part warranty days)
    paid in full."""
    service = service or ServiceTypeFactory(tenant=tenant, warranty_days=90)
    client = client or ClientFactory(tenant=tenant)
    item = item or ItemFactory(tenant=tenant, client=client)
    order = OrderFactory(
        tenant=tenant,
        service_type=service,
        client=client,
        item=item,
        status=OrderStatus.READY,
        technician=technician or member(tenant, Role.TECHNICIAN),
        estimate=Decimal("100000"),
        approved_amount=Decimal("100000"),
        **fields,
    )
    for kind, description, price, warranty_days in lines:
        LineItemFactory(
            tenant=tenant,
            order=order,
            kind=kind,
            description=description,
            quantity=Decimal("1"),
            unit_price=Decimal(price),
            warranty_days=warranty_days,
        )
    recalculate_totals(order)
    if order.total_amount:
        PaymentFactory(tenant=tenant, order=order, amount=order.total_amount)
        recalculate_totals(order)
    order.refresh_from_db()
    return order


def hand_over(order: Order) -> Order:
    """Hand the order over now (the clock's now) as reception: the lifecycle sets the warranty."""
    order.refresh_from_db()
    transition(order, "hand_over", by=member(order.tenant, Role.RECEPTION), expected_version=order.version)
    order.refresh_from_db()
    return order


def handed_over(tenant, **kwargs) -> Order:
    return hand_over(ready_order(tenant, **kwargs))
