"""Reactions to order events, registered with orders.lifecycle.on_order_event in TechniciansConfig.ready().

They run inside the transaction that records the event, so a failure rolls the change back with them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from orders.models import CLOSED_STATUSES, EventKind, OrderEvent, OrderStatus

from . import stock, worklog


def on_order_event(event: OrderEvent) -> None:
    if event.kind == EventKind.STATUS:
        _status_changed(event)
    elif event.kind == EventKind.ASSIGNED:
        _assigned(event)


def _status_changed(event: OrderEvent) -> None:
    order = event.order
    if event.from_status in worklog.EXECUTION_STATUSES and event.to_status not in worklog.EXECUTION_STATUSES:
        worklog.stop_order_timers(order, by_user=event.actor, why=_("Stopped automatically: the order is now “%(status)s”.") % {
            "status": OrderStatus(event.to_status).label})
    if event.to_status in CLOSED_STATUSES:
        worklog.stop_order_timers(order, by_user=event.actor)
        reason = _("Order cancelled") if event.to_status == OrderStatus.CANCELLED else _("Unused after handover")
        stock.release_all(order, by_user=event.actor, reason=reason)


def _assigned(event: OrderEvent) -> None:
    order = event.order
    if "technician" in event.data:
        # The previous technician's timer on this order stops: the job is no longer theirs.
        worklog.stop_order_timers(order, by_user=event.actor, why=_("Stopped automatically: the order was reassigned."),
                                  only_other_than=order.technician_id)
    # Reserved parts follow the order to its (new) stock location: never left behind.
    stock.follow_order(order, by_user=event.actor)
