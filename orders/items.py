"""Devices (items) across visits: found again at intake by serial / IMEI / VIN, their history of orders,
and corrections of their details after intake (recorded on an order's timeline).

An item belongs to a client and is recorded once: intake reuses it (orders.services.take_in with
`IntakeData.item`) instead of creating a duplicate, so every order on the device lists together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Func, Max, Q, QuerySet, Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .event_text import joined, say
from .models import EventKind, Item, Order, OrderStatus
from .permissions import check_actor
from .timeline import record_event

MIN_SERIAL_QUERY = 3
EDITABLE_FIELDS = ("kind", "brand", "model", "serial")

# Where a warranty claim on a handed-over order is opened (and with which `source`): the quality app, above
# this one, sets it in its AppConfig.ready(). Unset, the device's pages offer no claim.
warranty_claim_url: Callable[[Order], str] | None = None


def claim_url(order: Order | None) -> str | None:
    """The page that opens a warranty claim on `order` from the device's history, or None."""
    if order is None or warranty_claim_url is None or order.status != OrderStatus.HANDED_OVER:
        return None
    return warranty_claim_url(order)


def normalise_serial(text: str) -> str:
    """'35-678910 451234-5' -> '356789104512345': how people type a serial differs, the digits do not."""
    return "".join(ch for ch in (text or "").replace("\x00", "") if ch not in " -./").upper()


def _normalised_serial_column() -> Func:
    # The same normalisation in SQL, so a serial stored with dashes is found typed without them.
    column: Func = Upper("serial")
    for ch in (" ", "-", ".", "/"):
        column = Replace(column, Value(ch), Value(""))
    return column


def find_items(tenant: Tenant | int, query: str, limit: int = 8) -> QuerySet[Item]:
    """Devices whose serial / IMEI / VIN contains what was typed (spaces and dashes ignored), with their
    client, the number of orders and the last visit: the intake's search-as-you-type."""
    wanted = normalise_serial(query)
    if len(wanted) < MIN_SERIAL_QUERY:
        return Item.objects.none()
    return (
        Item.objects.for_tenant(tenant)
        .exclude(serial="")
        .annotate(serial_key=_normalised_serial_column())
        .filter(serial_key__contains=wanted)
        .select_related("client")
        .annotate(
            order_count=Count("orders"),
            last_visit=Max("orders__created_at"),
            warranty_until=Max("orders__warranty_until", filter=Q(orders__status=OrderStatus.HANDED_OVER)),
        )
        .order_by("-last_visit", "-id")[:limit]
    )


@dataclass(frozen=True)
class Visit:
    """One order on a device, for its history."""

    order: Order
    under_warranty: bool


def item_orders(item: Item) -> QuerySet[Order]:
    """Every order on the device, newest first (one query with what the history shows)."""
    return (
        Order.objects.for_tenant(item.tenant_id)
        .filter(item=item)
        .select_related("tenant", "service_type", "technician__user", "warranty_of")
        .order_by("-created_at", "-id")
    )


def latest_warranty(orders: list[Order], today: date) -> Order | None:
    """The handed-over order whose warranty runs longest and has not ended by `today`, or None."""
    covered = [
        o
        for o in orders
        if o.status == OrderStatus.HANDED_OVER and o.warranty_until and o.warranty_until >= today
    ]
    return max(covered, key=lambda o: (o.warranty_until, o.pk), default=None)


def edit_item(
    item: Item, *, changes: dict, by: Membership, order: Order | None = None
) -> dict[str, tuple[str, str]]:
    """Correct the device's details (a mistyped IMEI): reception and managers. The change is recorded on
    `order`'s timeline (default: the device's latest order) with the old and new values; returns them
    (field -> (old, new)), empty when nothing changed."""
    check_actor(by, Perm.ORDERS_CREATE, tenant_id=item.tenant_id)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    if order is not None and (order.tenant_id != item.tenant_id or order.item_id != item.pk):
        raise ValidationError(_("This order is not about this item."))
    changes = {name: (value or "").strip() for name, value in changes.items()}
    if "kind" in changes and not changes["kind"]:
        raise ValidationError(_("Describe the item (phone, laptop …)."))
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk, tenant_id=item.tenant_id)
        changed = {
            name: (getattr(locked, name), value)
            for name, value in changes.items()
            if getattr(locked, name) != value
        }
        if not changed:
            return {}
        for name, (_old, new) in changed.items():
            setattr(locked, name, new)
        locked.save(update_fields=list(changed))
        for name, (_old, new) in changed.items():
            setattr(item, name, new)
        if order is None:
            order = (
                Order.objects.for_tenant(item.tenant_id)
                .filter(item=item)
                .order_by("-created_at", "-id")
                .first()
            )
        if order is not None:
            parts = [
                say(
                    "%(field)s: %(old)s → %(new)s",
                    field=getattr(Item._meta.get_field(name), "verbose_name", name),
                    old=old or "—",
                    new=new or "—",
                )
                for name, (old, new) in changed.items()
            ]
            record_event(
                order,
                EventKind.ITEM,
                actor=by.user,
                text=say(gettext_noop("Item details corrected: %(changes)s"), changes=joined("; ", parts)),
                data={"item": item.pk, "changes": {name: [old, new] for name, (old, new) in changed.items()}},
            )
    return changed
