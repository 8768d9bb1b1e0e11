"""Business rules of orders other than status: intake, numbering, assignment, money, notes, photos, links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Role

from .lifecycle import _NEEDS_TECHNICIAN as NEEDS_TECHNICIAN
from .lifecycle import bump_version, record_event
from .models import (
    Client,
    EventKind,
    Item,
    LineItem,
    Order,
    OrderCounter,
    OrderPhoto,
    OrderStatus,
    Payment,
    ServiceType,
    new_public_token,
)

DEFAULT_PHONE_REGION = {"ru": "RU", "en": "RU"}


def normalise_phone(raw: str, region: str = "RU") -> str:
    """+79161234567 from '8 (916) 123-45-67', '+7 916 123 45 67', '9161234567' ... or ValidationError."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": text[:40]}) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": text[:40]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def mask_phone(e164: str) -> str:
    """+7 *** ***-**-67: enough for the client to recognise, useless to anyone else."""
    return f"{e164[:2]} *** ***-**-{e164[-2:]}" if len(e164) > 4 else "***"


def mask_name(name: str) -> str:
    """'Ivan Petrov' -> 'Ivan P.': the public page never shows a full name."""
    parts = name.split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[1][0]}."


def next_order_number(tenant: Tenant) -> int:
    """The tenant's next order number, gapless: call inside the transaction that creates the order.

    The UPDATE takes the counter row's lock until commit, so concurrent intakes queue up (PostgreSQL);
    SQLite serialises writers anyway. A rolled-back intake rolls the counter back too: no gaps.
    """
    for _attempt in range(2):
        if OrderCounter.objects.filter(tenant=tenant).update(last_number=F("last_number") + 1):
            return OrderCounter.objects.get(tenant=tenant).last_number
        try:
            with transaction.atomic():
                OrderCounter.objects.create(tenant=tenant, last_number=1)
            return 1
        except IntegrityError:  # another intake created the counter first: take the UPDATE path
            continue
    raise RuntimeError("Could not allocate an order number.")


@dataclass
class IntakeData:
    client: Client | None
    client_name: str
    client_phone: str
    client_email: str
    consent: bool
    service_type: ServiceType
    format: str
    intake_location: Location
    problem: str
    item_kind: str = ""
    item_brand: str = ""
    item_model: str = ""
    item_serial: str = ""
    item_condition: str = ""
    item_accessories: str = ""
    priority: int = 1
    promised_at: datetime | None = None
    estimate: Decimal | None = None
    prepayment: Decimal = Decimal("0")
    prepayment_method: str = Payment.Method.CASH
    terms: str = ""
    visit_address: str = ""
    visit_start: datetime | None = None
    visit_end: datetime | None = None


@transaction.atomic
def take_in(tenant: Tenant, data: IntakeData, *, by: Membership) -> Order:
    """Reception's intake: client (found or new), item, order, prepayment, first event. All or nothing."""
    now = timezone.now()
    client = data.client
    if client is None:
        client = Client.objects.create(
            tenant=tenant, name=data.client_name, phone=data.client_phone, email=data.client_email,
        )
    elif data.client_email and not client.email:
        client.email = data.client_email
        client.save(update_fields=["email"])
    if data.consent and client.consent_at is None:
        client.consent_at = now
        # The privacy text is published per tenant by the documents app (lazy import: documents builds on orders).
        from documents.services import current_privacy_version

        client.consent_version = current_privacy_version(tenant)
        client.save(update_fields=["consent_at", "consent_version"])

    item = None
    if data.service_type.needs_item and data.item_kind:
        item = Item.objects.filter(tenant=tenant, client=client, serial=data.item_serial).first() if data.item_serial else None
        if item is None:
            item = Item.objects.create(
                tenant=tenant, client=client, kind=data.item_kind, brand=data.item_brand,
                model=data.item_model, serial=data.item_serial,
            )
    promised_at = data.promised_at or now + timedelta(days=data.service_type.target_days)
    order = Order.objects.create(
        tenant=tenant, number=next_order_number(tenant), client=client, item=item,
        item_condition=data.item_condition, item_accessories=data.item_accessories,
        service_type=data.service_type, format=data.format, intake_location=data.intake_location,
        workshop=data.intake_location if data.intake_location.does_work else None,
        priority=data.priority, problem=data.problem, terms=data.terms, promised_at=promised_at,
        estimate=data.estimate, visit_address=data.visit_address, visit_start=data.visit_start,
        visit_end=data.visit_end, created_by=by.user, created_at=now,
    )
    record_event(order, EventKind.CREATED, actor=by.user, is_public=True, to_status=OrderStatus.NEW,
                 message=_("Order taken in at %(location)s.") % {"location": data.intake_location.name})
    if data.prepayment and data.prepayment > 0:
        add_payment(order, amount=data.prepayment, method=data.prepayment_method, kind=Payment.Kind.PREPAYMENT, by=by)
    return order


def find_clients(tenant: Tenant, query: str, limit: int = 8):
    """Returning clients by phone digits or name, for the intake search-as-you-type."""
    query = (query or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(query) < 2:
        return Client.objects.none()
    qs = Client.objects.for_tenant(tenant)
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3 and len(digits) >= len(query.replace(" ", "").replace("+", "").replace("-", "")) - 2:
        by_phone = Q(phone__contains=digits)
        if digits.startswith("8") and len(digits) <= 11:
            # Phones are stored as +7XXXXXXXXXX: a local 8XXX... prefix, whole or still being typed, is the same number.
            by_phone |= Q(phone__startswith="+7" + digits[1:])
        return qs.filter(by_phone).order_by("name")[:limit]
    return qs.filter(name__icontains=query).order_by("name")[:limit]


# --- Planning --------------------------------------------------------------------------------------
def technician_choices(tenant: Tenant):
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True, role__in=[Role.TECHNICIAN, Role.MANAGER, Role.OWNER])
        .select_related("user")
        .order_by("user__full_name")
    )


def assign(order: Order, *, technician: Membership | None, workshop: Location | None, by: Membership,
           expected_version: int, visit_address: str | None = None, visit_start: datetime | None = None,
           visit_end: datetime | None = None) -> None:
    """Assign or reassign the technician, workshop and visit slot; an event records who changed what."""
    if technician is not None and technician.tenant_id != order.tenant_id:
        raise ValidationError(_("Unknown technician."))
    if workshop is not None and workshop.tenant_id != order.tenant_id:
        raise ValidationError(_("Unknown workshop."))
    if not order.is_open:
        raise ValidationError(_("A closed order cannot be reassigned."))
    if technician is None and order.technician_id is not None and order.status in NEEDS_TECHNICIAN:
        # Execution never goes on without a technician: the lifecycle guards rely on it.
        raise ValidationError(_("This order is being worked on: choose another technician instead of none."))
    changes: dict = {}
    data: dict = {}
    if technician != order.technician:
        changes["technician"] = technician
        data["technician"] = str(technician.user) if technician else None
    if workshop != order.workshop:
        changes["workshop"] = workshop
        data["workshop"] = workshop.name if workshop else None
    for field, value in (("visit_address", visit_address), ("visit_start", visit_start), ("visit_end", visit_end)):
        if value is not None and value != getattr(order, field):
            changes[field] = value
            data[field] = str(value)
    if order.visit_start and "visit_end" not in changes and "visit_start" in changes:
        pass
    start = changes.get("visit_start", order.visit_start)
    end = changes.get("visit_end", order.visit_end)
    if start and end and end <= start:
        raise ValidationError(_("The visit must end after it starts."))
    if not changes:
        return
    with transaction.atomic():
        bump_version(order, expected_version, **changes)
        parts = []
        if "technician" in data:
            parts.append(_("technician: %(name)s") % {"name": data["technician"] or "—"})
        if "workshop" in data:
            parts.append(_("workshop: %(name)s") % {"name": data["workshop"] or "—"})
        if any(key.startswith("visit") for key in data):
            parts.append(_("visit: %(address)s %(start)s") % {
                "address": order.visit_address, "start": timezone.localtime(order.visit_start, order.tenant.tz).strftime("%d.%m %H:%M")
                if order.visit_start else ""})  # the center's wall clock, also outside a request (Celery, demo)
        record_event(order, EventKind.ASSIGNED, actor=by.user, message="; ".join(parts), data=data)


# --- Money -----------------------------------------------------------------------------------------
def recalculate_totals(order: Order) -> None:
    """Totals are stored on the order so lists can show and filter "amount due" without joins."""
    total = sum((line.amount for line in LineItem.objects.filter(order=order)), Decimal("0"))
    payments = Payment.objects.filter(order=order)
    paid = sum((p.signed_amount for p in payments), Decimal("0"))
    Order.objects.filter(pk=order.pk).update(total_amount=total, paid_amount=paid)
    order.total_amount, order.paid_amount = total, paid


@transaction.atomic
def add_line_item(order: Order, *, kind: str, description: str, quantity: Decimal, unit_price: Decimal,
                  by: Membership, performed_by: Membership | None = None) -> LineItem:
    if not order.is_open:
        raise ValidationError(_("A closed order cannot be changed."))
    if quantity <= 0:
        raise ValidationError(_("The quantity must be more than zero."))
    if unit_price < 0:
        raise ValidationError(_("The price cannot be negative."))
    line = LineItem.objects.create(
        tenant_id=order.tenant_id, order=order, kind=kind, description=description, quantity=quantity,
        unit_price=unit_price, performed_by=performed_by,
    )
    recalculate_totals(order)
    record_event(order, EventKind.LINE_ITEM, actor=by.user,
                 message=f"{line.get_kind_display()}: {description} × {quantity:g} = {line.amount}")
    return line


@transaction.atomic
def remove_line_item(line: LineItem, *, by: Membership) -> None:
    order = line.order
    if not order.is_open:
        raise ValidationError(_("A closed order cannot be changed."))
    description = line.description
    line.delete()
    recalculate_totals(order)
    record_event(order, EventKind.LINE_ITEM, actor=by.user, message=_("Removed: %(what)s") % {"what": description})


@transaction.atomic
def add_payment(order: Order, *, amount: Decimal, method: str, kind: str = Payment.Kind.PAYMENT,
                by: Membership, note: str = "") -> Payment:
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero."))
    if kind == Payment.Kind.REFUND and amount > order.paid_amount:
        raise ValidationError(_("Cannot refund more than was paid (%(paid)s).") % {"paid": order.paid_amount})
    payment = Payment.objects.create(
        tenant_id=order.tenant_id, order=order, kind=kind, method=method, amount=amount, received_by=by.user, note=note,
    )
    recalculate_totals(order)
    record_event(order, EventKind.PAYMENT, actor=by.user, is_public=True,
                 message=f"{payment.get_kind_display()}: {amount} ({payment.get_method_display()})")
    return payment


# --- Notes, estimate, photos, link -----------------------------------------------------------------
def edit_order(order: Order, *, changes: dict, by: Membership, expected_version: int) -> None:
    """Edit the intake details; the timeline records which fields changed."""
    allowed = {"problem", "priority", "promised_at", "item_condition", "item_accessories", "terms"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    if not order.is_open:
        raise ValidationError(_("A closed order cannot be changed."))
    with transaction.atomic():
        bump_version(order, expected_version, **changes)
        labels = [str(Order._meta.get_field(name).verbose_name) for name in sorted(changes)]
        record_event(order, EventKind.EDITED, actor=by.user, message=", ".join(labels), data={"fields": sorted(changes)})


def add_note(order: Order, *, text: str, public: bool, by: Membership) -> None:
    text = text.strip()
    if not text:
        raise ValidationError(_("The note is empty."))
    record_event(order, EventKind.NOTE, actor=by.user, message=text, is_public=public)


def set_estimate(order: Order, *, amount: Decimal, by: Membership, expected_version: int, comment: str = "") -> None:
    if amount < 0:
        raise ValidationError(_("The estimate cannot be negative."))
    with transaction.atomic():
        bump_version(order, expected_version, estimate=amount)
        record_event(order, EventKind.ESTIMATE, actor=by.user, is_public=True,
                     message=(_("Estimate: %(amount)s") % {"amount": amount}) + (f". {comment}" if comment else ""),
                     data={"amount": str(amount)})


def add_photo(order: Order, *, image, caption: str, by: Membership) -> OrderPhoto:
    with transaction.atomic():
        photo = OrderPhoto.objects.create(tenant_id=order.tenant_id, order=order, image=image, caption=caption,
                                          uploaded_by=by.user)
        record_event(order, EventKind.PHOTO, actor=by.user, message=caption or _("Photo added"))
    return photo


def replace_public_link(order: Order, *, by: Membership) -> str:
    """A new token: the old link stops working at once (e.g. the client shared it by mistake)."""
    token = new_public_token()
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(public_token=token, version=F("version") + 1)
        order.refresh_from_db()
        record_event(order, EventKind.LINK, actor=by.user, message=_("Public link replaced; the old one no longer works."))
    return token


def public_link_works(order: Order) -> bool:
    return order.public_token_expires_at is None or order.public_token_expires_at > timezone.now()
