"""The parts store: receive, reserve, consume, release, transfer, correct. The only code that changes stock.

Every change is one conditional UPDATE on the StockLevel row,

    UPDATE ... SET on_hand = on_hand + d1, reserved = reserved + d2
    WHERE id = ... AND on_hand - reserved >= d2 - d1 AND reserved >= -d2 AND on_hand >= -d1

so the free quantity can never go below zero, whatever runs at the same time: on PostgreSQL the second of
two concurrent UPDATEs waits for the first, re-reads the row and re-checks the WHERE; SQLite serialises
writers. Zero rows updated means "not enough", and the caller is told the shortfall. Each change writes a
StockMovement with the same deltas, so the journal always adds up to the levels (tested with hypothesis).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Round
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.catalogues import set_service_links
from orders.event_text import joined, say
from orders.models import EventKind, LineItem, Order, ServiceType
from orders.permissions import check_actor
from orders.services import add_line_item
from orders.timeline import record_event
from servicedesk.accounts.models import User
from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Location, Membership, Tenant, TenantOwned
from servicedesk.tenancy.roles import Perm, StrOrPromise

from .models import ZERO, Part, PartReservation, PartServiceType, StockLevel, StockMovement

MAX_QUANTITY = Decimal("100000")
Quantity = Decimal | int | float | str  # as typed in a form or passed by code; clean_quantity checks it
Actor = Membership | User | None  # a member; or the system acting for a user (listeners), or for nobody


def _part_record(part: Part) -> dict:
    """What the audit log keeps of a part: its fields (the prices among them) and what it is used for."""
    names = (
        PartServiceType.objects.for_tenant(part.tenant_id)
        .filter(part=part)
        .order_by("service_type__name")
        .values_list("service_type__name", flat=True)
    )
    return {**snapshot(part), "service_types": list(names)}


@transaction.atomic
def save_part(part: Part, service_types: list[ServiceType], *, by: Membership) -> Part:
    """Add a part (no pk yet) or store one as changed in `part` (the form filled it), with the services it
    is used for; the audit log gets the changed fields (cost and sale price among them) before and after."""
    created = part.pk is None
    before = (
        None
        if created
        else _part_record(Part.objects.select_for_update().get(pk=part.pk, tenant_id=part.tenant_id))
    )
    part.save()
    set_service_links(PartServiceType, "part", part, service_types)
    after = _part_record(part)
    if before is None:
        record(by, Action.PART_CREATED, part.name, {"after": after})
    elif (changed := changes(before, after))["after"]:
        record(by, Action.PART_CHANGED, part.name, changed)
    return part


class StockShortage(ValidationError):
    """Not enough free stock. str() and .messages say how much is free and how much is short."""

    def __init__(self, part: Part, location: Location | None, wanted: Decimal, free: Decimal) -> None:
        self.part, self.location, self.wanted = part, location, wanted
        self.free = max(free, ZERO)
        self.shortfall = wanted - self.free
        super().__init__(
            _(
                "Not enough %(part)s at %(location)s: %(wanted)s %(unit)s wanted, %(free)s free, %(short)s short."
            )
            % {
                "part": part.name,
                "location": location.name if location else "—",
                "wanted": fmt(wanted),
                "free": fmt(self.free),
                "short": fmt(self.shortfall),
                "unit": part.get_unit_display(),
            }
        )


def fmt(quantity: Decimal) -> str:
    """3.000 -> '3', 1.500 -> '1.5'."""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def clean_quantity(part: Part, quantity: Quantity) -> Decimal:
    """A positive quantity in the part's unit (whole numbers for pieces and sets), or ValidationError."""
    try:
        value = Decimal(str(quantity))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("Enter a number.")) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError(_("The quantity must be more than zero."))
    if value > MAX_QUANTITY:
        raise ValidationError(_("The quantity is too large."))
    if value != value.quantize(Decimal("0.001")):
        raise ValidationError(_("Use at most three decimal places."))
    if part.whole_units and value != value.to_integral_value():
        raise ValidationError(
            _("%(part)s is counted in whole %(unit)s.") % {"part": part.name, "unit": part.get_unit_display()}
        )
    return value


# --- The primitive ---------------------------------------------------------------------------------
# Quantities have three decimals, so any real shortfall is at least 0.001. SQLite keeps decimals as
# floating point: comparing with half of that tolerance, and rounding every result to three places,
# keeps 0.1 + 0.2 from being refused there. PostgreSQL's numeric is exact either way.
_TOLERANCE = Decimal("0.0005")


def _plus(field: str, delta: Decimal) -> Round:
    return Round(F(field) + delta, 3)


def _change(level_id: int, on_hand_delta: Decimal, reserved_delta: Decimal) -> bool:
    """Apply the deltas only if the result keeps 0 <= reserved <= on_hand. True when applied."""
    need_free = reserved_delta - on_hand_delta
    qs = StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") + (need_free - _TOLERANCE))
    if reserved_delta < 0:
        qs = qs.filter(reserved__gte=-reserved_delta - _TOLERANCE)
    if on_hand_delta < 0:
        qs = qs.filter(on_hand__gte=-on_hand_delta - _TOLERANCE)
    return qs.update(on_hand=_plus("on_hand", on_hand_delta), reserved=_plus("reserved", reserved_delta)) == 1


def _level(tenant_id: int, part: Part, location: Location) -> StockLevel:
    """The level row, created at zero if the location never held the part."""
    level = StockLevel.objects.filter(tenant_id=tenant_id, part=part, location=location).first()
    if level is not None:
        return level
    try:
        with transaction.atomic():
            return StockLevel.objects.create(tenant_id=tenant_id, part=part, location=location)
    except IntegrityError:  # created meanwhile by someone else
        return StockLevel.objects.get(tenant_id=tenant_id, part=part, location=location)


def _free(level_id: int) -> Decimal:
    row = StockLevel.objects.filter(pk=level_id).values("on_hand", "reserved").first()
    return row["on_hand"] - row["reserved"] if row else ZERO


def _journal(
    kind: str,
    level: StockLevel,
    *,
    on_hand: Decimal = ZERO,
    reserved: Decimal = ZERO,
    by: Actor = None,
    order: Order | None = None,
    reason: str = "",
    other: Location | None = None,
) -> StockMovement:
    return StockMovement.objects.create(
        tenant_id=level.tenant_id,
        kind=kind,
        part_id=level.part_id,
        location_id=level.location_id,
        other_location=other,
        on_hand_delta=on_hand,
        reserved_delta=reserved,
        order=order,
        reason=reason[:300],
        by=getattr(by, "user", by),
    )


def _check_same_tenant(tenant_id: int, *objects: TenantOwned | None) -> None:
    for obj in objects:
        if obj is not None and obj.tenant_id != tenant_id:
            raise ValidationError(_("Unknown %(what)s.") % {"what": obj._meta.verbose_name})


# --- Where an order's parts live -------------------------------------------------------------------
def _no_home_workshop(order: Order) -> Location | None:
    return None


# Where the order's technician keeps parts for visits without a workshop. The technicians app, downstream of
# this one, sets it in its AppConfig.ready() (stock may not import technicians: technicians uses the store).
home_workshop_of: Callable[[Order], Location | None] = _no_home_workshop


def stock_location(order: Order) -> Location:
    """The order's workshop; for visits without one, the technician's home workshop; else the intake point."""
    if order.workshop is not None:
        return order.workshop
    if order.technician_id:
        home = home_workshop_of(order)
        if home is not None:
            return home
    return order.intake_location


# --- Receipts, transfers, corrections --------------------------------------------------------------
@dataclass
class ReceiptResult:
    level: StockLevel
    filled: list[tuple[Order, Decimal]]  # waiting orders that got their parts reserved from this receipt


@transaction.atomic
def receive(
    tenant: Tenant,
    *,
    part: Part,
    location: Location,
    quantity: Quantity,
    by: Membership,
    reason: str = "",
    fill_waiting: bool = True,
) -> ReceiptResult:
    """Parts arrive from a supplier. Orders waiting for the part here get them reserved, oldest first."""
    _check_same_tenant(tenant.pk, part, location)
    quantity = clean_quantity(part, quantity)
    level = _level(tenant.pk, part, location)
    _change(level.pk, quantity, ZERO)
    _journal(StockMovement.Kind.RECEIPT, level, on_hand=quantity, by=by, reason=reason or _("Receipt"))
    filled = _fill_waiting(level, by) if fill_waiting else []
    level.refresh_from_db()
    return ReceiptResult(level=level, filled=filled)


def _fill_waiting(level: StockLevel, by: Membership) -> list[tuple[Order, Decimal]]:
    filled = []
    waiting = (
        PartReservation.objects.filter(
            tenant_id=level.tenant_id, part_id=level.part_id, location_id=level.location_id, missing__gt=0
        )
        .select_related("order", "part")
        .order_by("created_at", "id")
    )
    for reservation in waiting:
        free = _free(level.pk)
        take = min(free, reservation.missing)
        if take <= 0:
            break
        if not _change(level.pk, ZERO, take):
            break
        PartReservation.objects.filter(pk=reservation.pk).update(
            reserved=_plus("reserved", take), missing=_plus("missing", -take)
        )
        _journal(
            StockMovement.Kind.RESERVATION,
            level,
            reserved=take,
            by=by,
            order=reservation.order,
            reason=_("Reserved from a receipt for a waiting order"),
        )
        record_event(
            reservation.order,
            EventKind.PARTS,
            actor=getattr(by, "user", None),
            text=say(
                gettext_noop("Parts arrived and were reserved: %(part)s × %(qty)s"),
                part=reservation.part.name,
                qty=fmt(take),
            ),
        )
        filled.append((reservation.order, take))
    return filled


@transaction.atomic
def transfer(
    tenant: Tenant,
    *,
    part: Part,
    source: Location,
    target: Location,
    quantity: Quantity,
    by: Membership,
    reason: str = "",
) -> None:
    """Move free stock between locations. Reserved units stay (they move with their order)."""
    _check_same_tenant(tenant.pk, part, source, target)
    if source == target:
        raise ValidationError(_("Choose two different locations."))
    quantity = clean_quantity(part, quantity)
    source_level = _level(tenant.pk, part, source)
    if not _change(source_level.pk, -quantity, ZERO):
        raise StockShortage(part, source, quantity, _free(source_level.pk))
    target_level = _level(tenant.pk, part, target)
    _change(target_level.pk, quantity, ZERO)
    reason = reason or _("Transfer")
    _journal(StockMovement.Kind.TRANSFER, source_level, on_hand=-quantity, by=by, reason=reason, other=target)
    _journal(StockMovement.Kind.TRANSFER, target_level, on_hand=quantity, by=by, reason=reason, other=source)


@transaction.atomic
def correct(
    tenant: Tenant, *, part: Part, location: Location, counted: Quantity, by: Membership, reason: str
) -> Decimal:
    """Set on-hand to what a count found. Returns the change. Reserved units cannot be counted away."""
    _check_same_tenant(tenant.pk, part, location)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the stock is corrected."))
    try:
        counted = Decimal(str(counted))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("Enter a number.")) from None
    if not counted.is_finite() or counted < 0:
        raise ValidationError(_("The counted quantity cannot be negative."))
    if counted > 0:
        counted = clean_quantity(part, counted)
    level = _level(tenant.pk, part, location)
    level.refresh_from_db()
    if counted < level.reserved:
        raise ValidationError(
            _("%(reserved)s %(unit)s are reserved for orders here; release them before counting below that.")
            % {"reserved": fmt(level.reserved), "unit": part.get_unit_display()}
        )
    delta = counted - level.on_hand
    if delta == 0:
        return ZERO
    # Conditional on the value we read: a concurrent change makes the count stale, so say so.
    changed = StockLevel.objects.filter(pk=level.pk, on_hand=level.on_hand, reserved__lte=counted).update(
        on_hand=counted
    )
    if not changed:
        raise ValidationError(_("The stock changed while you were counting. Check it and try again."))
    _journal(StockMovement.Kind.CORRECTION, level, on_hand=delta, by=by, reason=reason)
    return delta


def set_min_level(
    tenant: Tenant, *, part: Part, location: Location, min_level: Quantity, by: Membership | None = None
) -> StockLevel:
    """The minimum the location should hold of the part (the reorder list). A member's change (`by`) is
    checked against their role and goes to the audit log with the minimum before and after; without `by`
    it is part of a change recorded as a whole (an import, the demo's seeding)."""
    if by is not None:
        check_actor(by, Perm.STOCK_MANAGE, tenant_id=tenant.pk)
    _check_same_tenant(tenant.pk, part, location)
    try:
        value = Decimal(str(min_level))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("Enter a number.")) from None
    if not value.is_finite() or value < 0 or value > MAX_QUANTITY:
        raise ValidationError(_("The minimum cannot be negative."))
    with transaction.atomic():
        level = _level(tenant.pk, part, location)
        before = snapshot(StockLevel.objects.select_for_update().get(pk=level.pk), ["min_level"])
        StockLevel.objects.filter(pk=level.pk).update(min_level=value)
        level.min_level = value
        changed = changes(before, snapshot(level, ["min_level"]))
        if by is not None and changed["after"]:
            record(by, Action.STOCK_MIN_CHANGED, part.name, {"location": location.name, **changed})
    return level


# --- Orders: reserve, consume, release -------------------------------------------------------------
def _check_order(order: Order) -> None:
    if not order.is_open:
        raise ValidationError(_("Order #%(number)s is closed.") % {"number": order.number})


def _reservation_for_update(order: Order, part: Part, location: Location) -> PartReservation:
    reservation = (
        PartReservation.objects.select_for_update()
        .filter(tenant_id=order.tenant_id, order=order, part=part, location=location)
        .first()
    )
    if reservation is None:
        try:
            with transaction.atomic():
                reservation = PartReservation.objects.create(
                    tenant_id=order.tenant_id, order=order, part=part, location=location
                )
        except IntegrityError:
            reservation = PartReservation.objects.select_for_update().get(
                tenant_id=order.tenant_id, order=order, part=part, location=location
            )
    return reservation


@dataclass
class ReserveResult:
    reserved: Decimal
    missing: Decimal


# Reserving and releasing parts for an order: the office when it plans, or the technician assigned to it.
RESERVE_PERMS = (Perm.ORDERS_PLAN, Perm.ORDERS_WORK)


@transaction.atomic
def reserve(
    order: Order, *, part: Part, quantity: Quantity, by: Membership, wait_for_rest: bool = False
) -> ReserveResult:
    """Set parts aside for the order at its stock location.

    Beyond what is free: refused with the shortfall (StockShortage), or with wait_for_rest the free part is
    reserved and the rest recorded as missing; a later receipt reserves it, oldest order first.
    """
    check_actor(by, RESERVE_PERMS, order)
    _check_same_tenant(order.tenant_id, part)
    _check_order(order)
    quantity = clean_quantity(part, quantity)
    location = stock_location(order)
    level = _level(order.tenant_id, part, location)
    take = quantity
    if not _change(level.pk, ZERO, quantity):
        if not wait_for_rest:
            raise StockShortage(part, location, quantity, _free(level.pk))
        take = ZERO
        for _attempt in range(5):  # others may take stock meanwhile: reserve what is free now
            free = min(_free(level.pk), quantity)
            if free <= 0:
                break
            if part.whole_units:
                free = free.to_integral_value(rounding="ROUND_FLOOR")
                if free <= 0:
                    break
            if _change(level.pk, ZERO, free):
                take = free
                break
    missing = quantity - take
    reservation = _reservation_for_update(order, part, location)
    PartReservation.objects.filter(pk=reservation.pk).update(
        reserved=_plus("reserved", take), missing=_plus("missing", missing)
    )
    if take:
        _journal(
            StockMovement.Kind.RESERVATION,
            level,
            reserved=take,
            by=by,
            order=order,
            reason=_("Reserved for the order"),
        )
    said = say(gettext_noop("Reserved %(part)s × %(qty)s"), part=part.name, qty=fmt(take))
    if missing:
        said = joined(
            "; ", [said, say(gettext_noop("%(qty)s still missing: waiting for a delivery"), qty=fmt(missing))]
        )
    record_event(
        order,
        EventKind.PARTS,
        actor=by.user,
        text=said,
        data={"part": part.pk, "reserved": str(take), "missing": str(missing)},
    )
    return ReserveResult(reserved=take, missing=missing)


@transaction.atomic
def consume(order: Order, *, part: Part, quantity: Quantity, by: Membership) -> LineItem:
    """Use parts on the order: the order's reservation first, then free stock. Adds the order's line item."""
    check_actor(by, Perm.ORDERS_WORK, order)
    _check_same_tenant(order.tenant_id, part)
    _check_order(order)
    quantity = clean_quantity(part, quantity)
    reservation = (
        PartReservation.objects.select_for_update()
        .filter(tenant_id=order.tenant_id, order=order, part=part, reserved__gt=0)
        .select_related("location")
        .order_by("created_at")
        .first()
    )
    location = reservation.location if reservation else stock_location(order)
    level = _level(order.tenant_id, part, location)
    from_reservation = min(quantity, reservation.reserved) if reservation else ZERO
    if not _change(level.pk, -quantity, -from_reservation):
        raise StockShortage(part, location, quantity - from_reservation, _free(level.pk))
    if from_reservation and reservation is not None:
        updated = PartReservation.objects.filter(
            pk=reservation.pk, reserved__gte=from_reservation - _TOLERANCE
        ).update(reserved=_plus("reserved", -from_reservation))
        if not updated:  # cannot happen under the row lock; refuse rather than corrupt
            raise ValidationError(_("The reservation changed meanwhile. Try again."))
    _journal(
        StockMovement.Kind.CONSUMPTION,
        level,
        on_hand=-quantity,
        reserved=-from_reservation,
        by=by,
        order=order,
        reason=_("Used on the order"),
    )
    _tidy(order)
    return add_line_item(
        order,
        kind=LineItem.Kind.PART,
        description=f"{part.name} ({part.sku})"[:200],
        quantity=quantity,
        unit_price=part.sale_price,
        by=by,
        performed_by=by,
        warranty_days=part.warranty_days,
    )


def release(
    reservation: PartReservation, *, by: Membership, quantity: Quantity | None = None, reason: str = ""
) -> Decimal:
    """A member gives reserved parts back to free stock (all of them by default, and forget what was missing)."""
    check_actor(by, RESERVE_PERMS, reservation.order)
    return _release(reservation, by=by, quantity=quantity, reason=reason)


@transaction.atomic
def _release(
    reservation: PartReservation,
    *,
    by: Actor,
    quantity: Quantity | None = None,
    reason: str = "",
    record: bool = True,
) -> Decimal:
    """Release without an actor check: also called by the system (cancel, handover, a moved order; by a User or None)."""
    reservation = (
        PartReservation.objects.select_for_update()
        .select_related("part", "location", "order")
        .get(pk=reservation.pk)
    )
    amount = reservation.reserved if quantity is None else clean_quantity(reservation.part, quantity)
    if amount > reservation.reserved:
        raise ValidationError(_("Only %(qty)s are reserved.") % {"qty": fmt(reservation.reserved)})
    level = _level(reservation.tenant_id, reservation.part, reservation.location)
    if amount:
        if not _change(level.pk, ZERO, -amount):
            raise ValidationError(_("The stock changed meanwhile. Try again."))
        _journal(
            StockMovement.Kind.RELEASE,
            level,
            reserved=-amount,
            by=by,
            order=reservation.order,
            reason=reason or _("Reservation released"),
        )
    updates: dict[str, object] = {"reserved": _plus("reserved", -amount)}
    if quantity is None:
        updates["missing"] = ZERO
    PartReservation.objects.filter(pk=reservation.pk).update(**updates)
    _tidy(reservation.order)
    if record:
        record_event(
            reservation.order,
            EventKind.PARTS,
            actor=getattr(by, "user", None),
            text=say(
                gettext_noop("Released %(part)s × %(qty)s"), part=reservation.part.name, qty=fmt(amount)
            ),
            message=f"({reason})" if reason else "",  # what the person releasing them wrote
        )
    return amount


def release_all(
    order: Order, *, by_user: User | None = None, reason: StrOrPromise
) -> list[tuple[Part, Decimal]]:
    """Release every reservation of the order (cancel, handover). Called from the order-event listener."""
    released = []
    for reservation in PartReservation.objects.filter(tenant_id=order.tenant_id, order=order).select_related(
        "part"
    ):
        amount = _release(reservation, by=by_user, reason=str(reason), record=False)
        released.append((reservation.part, amount))
    done = [f"{part.name} × {fmt(qty)}" for part, qty in released if qty]
    if done:
        # The reason is a lazy translation (stock.listeners): kept as its msgid, read in the reader's language.
        record_event(
            order,
            EventKind.PARTS,
            actor=by_user,
            text=say("%(reason)s: %(parts)s", reason=reason, parts=joined(", ", done)),
        )
    return released


def follow_order(
    order: Order, *, by_user: User | None = None, release_instead: bool = False
) -> list[tuple[Part, Decimal]]:
    """After a workshop change: move the order's reservations to its new stock location (or release them).

    Moving reserved units always succeeds: they are on hand by construction. What was missing moves too.
    """
    target = stock_location(order)
    moved = []
    for reservation in (
        PartReservation.objects.select_for_update()
        .filter(tenant_id=order.tenant_id, order=order)
        .exclude(location=target)
        .select_related("part", "location")
    ):
        if release_instead:
            amount = _release(
                reservation,
                by=by_user,
                reason=_("Order moved to %(loc)s") % {"loc": target.name},
                record=False,
            )
            moved.append((reservation.part, amount))
            continue
        amount = reservation.reserved
        if amount:
            source_level = _level(order.tenant_id, reservation.part, reservation.location)
            target_level = _level(order.tenant_id, reservation.part, target)
            if not _change(source_level.pk, -amount, -amount):
                raise ValidationError(_("The stock changed meanwhile. Try again."))
            _change(target_level.pk, amount, amount)
            reason = _("Moved with order #%(number)s") % {"number": order.number}
            _journal(
                StockMovement.Kind.TRANSFER,
                source_level,
                on_hand=-amount,
                reserved=-amount,
                by=by_user,
                order=order,
                reason=reason,
                other=target,
            )
            _journal(
                StockMovement.Kind.TRANSFER,
                target_level,
                on_hand=amount,
                reserved=amount,
                by=by_user,
                order=order,
                reason=reason,
                other=reservation.location,
            )
        existing = PartReservation.objects.filter(
            tenant_id=order.tenant_id, order=order, part=reservation.part, location=target
        ).first()
        if existing:
            PartReservation.objects.filter(pk=existing.pk).update(
                reserved=_plus("reserved", amount), missing=_plus("missing", reservation.missing)
            )
            reservation.delete()
        else:
            PartReservation.objects.filter(pk=reservation.pk).update(location=target)
        moved.append((reservation.part, amount))
    if moved:
        verb = (
            say(gettext_noop("Reserved parts released"))
            if release_instead
            else say(gettext_noop("Reserved parts moved to %(loc)s"), loc=target.name)
        )
        record_event(
            order,
            EventKind.PARTS,
            actor=by_user,
            text=say(
                "%(verb)s: %(parts)s",
                verb=verb,
                parts=joined(", ", [f"{part.name} × {fmt(qty)}" for part, qty in moved]),
            ),
        )
    return moved


def _tidy(order: Order) -> None:
    PartReservation.objects.filter(tenant_id=order.tenant_id, order=order, reserved=0, missing=0).delete()


# --- Lists -----------------------------------------------------------------------------------------
def low_stock(tenant: Tenant) -> QuerySet[StockLevel]:
    """Levels whose free quantity is under the minimum, with the part and location."""
    return (
        StockLevel.objects.for_tenant(tenant)
        .filter(min_level__gt=0, on_hand__lt=F("reserved") + F("min_level"))
        .select_related("part", "location")
        .order_by("location__name", "part__name", "id")
    )


def waiting_reservations(tenant: Tenant) -> QuerySet[PartReservation]:
    """Reservations still missing parts: the orders waiting for each part."""
    return (
        PartReservation.objects.for_tenant(tenant)
        .filter(missing__gt=0)
        .select_related("order", "part", "location")
    )
