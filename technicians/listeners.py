"""Reactions to order events, registered with orders.timeline.on_order_event in TechniciansConfig.ready().

They run inside the transaction that records the event, so a failure rolls the change back with them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_noop

from orders.event_text import say
from orders.models import CLOSED_STATUSES, EventKind, Order, OrderEvent, OrderStatus
from servicedesk.tenancy.models import Location

from . import worklog
from .models import TechnicianProfile


def on_order_event(event: OrderEvent) -> None:
    if event.kind == EventKind.STATUS:
        _status_changed(event)
    elif event.kind == EventKind.ASSIGNED:
        _assigned(event)


def _status_changed(event: OrderEvent) -> None:
    order = event.order
    if event.from_status in worklog.EXECUTION_STATUSES and event.to_status not in worklog.EXECUTION_STATUSES:
        worklog.stop_order_timers(
            order,
            by_user=event.actor,
            why=say(
                gettext_noop("Stopped automatically: the order is now “%(status)s”."),
                status=OrderStatus(event.to_status).label,
            ),
        )
    if event.to_status in CLOSED_STATUSES:
        worklog.stop_order_timers(order, by_user=event.actor)
    if event.to_status in worklog.EXECUTION_STATUSES and event.from_status not in worklog.EXECUTION_STATUSES:
        _start_timer_with_status(event)


def _start_timer_with_status(event: OrderEvent) -> None:
    """The assigned technician started diagnostics or work and asked (their profile's "timer_with_status")
    for the timer to start with it. Someone else moving the job starts nobody's timer."""
    order = event.order
    if order.technician_id is None or event.actor is None:
        return
    profile = (
        TechnicianProfile.objects.filter(
            tenant_id=order.tenant_id, membership_id=order.technician_id, timer_with_status=True
        )
        .select_related("membership__user", "membership__tenant")
        .first()
    )
    if profile is None or profile.membership.user_id != event.actor.pk:
        return
    try:
        worklog.start_timer(order, technician=profile.membership, by=profile.membership)
    except (ValidationError, PermissionDenied):
        pass  # already running here, or started at the same moment: the status change stands either way


def _assigned(event: OrderEvent) -> None:
    order = event.order
    if "technician" in event.data:
        # The previous technician's timer on this order stops: the job is no longer theirs.
        worklog.stop_order_timers(
            order,
            by_user=event.actor,
            why=say(gettext_noop("Stopped automatically: the order was reassigned.")),
            only_other_than=order.technician_id,
        )


def home_workshop(order: Order) -> Location | None:
    """The home workshop of the order's technician: where the parts for a visit without a workshop are kept."""
    profile = (
        TechnicianProfile.objects.filter(tenant_id=order.tenant_id, membership_id=order.technician_id)
        .select_related("home_workshop")
        .first()
    )
    return profile.home_workshop if profile and profile.home_workshop_id else None
