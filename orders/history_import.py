"""Past orders brought over from the system a center used before (the import of api/imports.py): each one
recorded as it ended, handed over or cancelled, with its dates, what was paid and its warranty.

Why not the lifecycle: orders.lifecycle moves a live order one step at a time, and every step is announced
(orders.timeline): the client gets a message, webhooks fire, the service-level clocks start and stop, parts
are released, handover stamps today's date and warranty. For an order handed over last spring all of that
is wrong: the client must not hear of it again, the dates are the past ones, the warranty is the one the
client was given then. So a past order is written here at once in its final state, numbered from the same
per-center counter as every order (orders.services.next_order_number: one series, never a second), and its
timeline says it was imported, with events written as history (timeline.record_past_event, announced to
no one). Once here it is an ordinary closed order: its device's history lists it and a return under its
warranty is recognised at intake (orders.items.latest_warranty, quality.warranty.coverage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .event_text import say
from .models import (
    CLOSED_STATUSES,
    Client,
    EventKind,
    Item,
    LineItem,
    Order,
    OrderStatus,
    Payment,
    ServiceType,
)
from .money import lock_order, recalculate_totals
from .permissions import check_actor
from .services import next_order_number
from .timeline import record_past_event

IMPORTED_ACTION = "imported"


@dataclass(frozen=True)
class PastOrder:
    client: Client
    service_type: ServiceType
    intake_location: Location
    status: str  # handed over or cancelled: a past order is a closed one
    created_on: date
    closed_on: date  # the day of handover (or of cancelling)
    problem: str = ""
    item: Item | None = None
    paid: Decimal = Decimal("0")
    # The warranty the client was given; None: the service's period from the day of handover, as the
    # lifecycle would have set it. Ignored for a cancelled order (nothing was done, nothing is covered).
    warranty_until: date | None = None
    reference: str = ""  # the order's number in the previous system, shown on the timeline


def check_past_order(tenant: Tenant, past: PastOrder, *, today: date | None = None) -> None:
    """The rules of a past order, ValidationError with the reason (the import's dry run asks this too)."""
    for owned in (past.client, past.service_type, past.intake_location, past.item):
        if owned is not None and owned.pk is not None and owned.tenant_id != tenant.pk:
            raise ValidationError(_("Unknown client, item, service or location."))
    if past.item is not None and past.item.pk is not None and past.item.client_id != past.client.pk:
        raise ValidationError(_("This device is recorded for another client."))
    if past.status not in CLOSED_STATUSES:
        raise ValidationError(
            _(
                "Only finished orders are imported (handed over or cancelled); take open ones in as new orders."
            )
        )
    today = today or tenant.local_date()
    if past.created_on > today or past.closed_on > today:
        raise ValidationError(_("A past order cannot have a date in the future."))
    if past.closed_on < past.created_on:
        raise ValidationError(_("The order is closed before it was taken in."))
    if past.paid < 0:
        raise ValidationError(_("The amount paid cannot be negative."))
    if past.warranty_until is not None and past.warranty_until < past.closed_on:
        raise ValidationError(_("The warranty ends before the order was handed over."))


def _moment(tenant: Tenant, day: date) -> datetime:
    # Midday on the center's clock: the day stays the same day in every view, whatever the offset.
    return datetime.combine(day, time(12, 0), tzinfo=tenant.tz)


@transaction.atomic
def import_past_order(tenant: Tenant, past: PastOrder, *, by: Membership) -> Order:
    """Record a finished order of the past as it ended; see the module's docstring for why it bypasses the
    lifecycle. The client and item must be saved already (the import finds or creates them first)."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=tenant.pk)
    check_past_order(tenant, past)
    created_at = _moment(tenant, past.created_on)
    closed_at = _moment(tenant, past.closed_on)
    handed_over = past.status == OrderStatus.HANDED_OVER
    warranty_until = None
    if handed_over:
        warranty_until = past.warranty_until or past.closed_on + timedelta(
            days=past.service_type.warranty_days
        )
    order = Order.objects.create(
        tenant=tenant,
        number=next_order_number(tenant),
        client=past.client,
        item=past.item,
        service_type=past.service_type,
        format=(past.service_type.formats or ["in_shop"])[0],
        intake_location=past.intake_location,
        problem=past.problem or past.service_type.name,
        status=past.status,
        status_changed_at=closed_at,
        created_at=created_at,
        closed_at=closed_at,
        created_by=by.user,
        warranty_until=warranty_until,
        # Expired already if the order closed long ago, as the lifecycle would have let it expire.
        public_token_expires_at=closed_at + timedelta(days=settings.PUBLIC_LINK_DAYS_AFTER_CLOSE),
    )
    if past.paid > 0:
        # What was paid is what the order cost: one line of the service, settled, so nothing is due.
        lock_order(order)
        LineItem.objects.create(
            tenant=tenant,
            order=order,
            kind=LineItem.Kind.WORK,
            description=past.service_type.name[:200],
            quantity=Decimal("1"),
            unit_price=past.paid,
            created_at=closed_at,
        )
        Payment.objects.create(
            tenant=tenant,
            order=order,
            kind=Payment.Kind.PAYMENT,
            amount=past.paid,
            received_by=by.user,
            note=_("Imported"),
            created_at=closed_at,
        )
        recalculate_totals(order)
    reference = past.reference[:100]
    record_past_event(
        order,
        EventKind.CREATED,
        created_at=created_at,
        actor=by.user,
        action=IMPORTED_ACTION,
        to_status=OrderStatus.NEW,
        text=say(
            gettext_noop("Imported from the previous system (order %(reference)s)."), reference=reference
        )
        if reference
        else say(gettext_noop("Imported from the previous system.")),
        data={"imported": reference},
    )
    record_past_event(
        order,
        EventKind.STATUS,
        created_at=closed_at,
        actor=by.user,
        action=IMPORTED_ACTION,
        from_status=OrderStatus.NEW,
        to_status=past.status,
        text=say(gettext_noop("%(status)s (imported)."), status=OrderStatus(past.status).label),
    )
    return order
