"""Business rules of orders other than status: intake, numbering, assignment, money, notes, photos, links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from servicedesk.counters import next_number
from servicedesk.images import NormalisedImage, normalise_photo
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.privacy import consent_is_current, current_privacy_version
from servicedesk.tenancy.roles import Perm, Role, has_perm

from . import money, visits
from .event_text import joined, say
from .lifecycle import _NEEDS_TECHNICIAN as NEEDS_TECHNICIAN
from .lifecycle import bump_version
from .models import (
    BILLABLE_KINDS,
    Client,
    Estimate,
    EventKind,
    Item,
    LineItem,
    LineKind,
    Order,
    OrderPhoto,
    OrderStatus,
    Payment,
    ServiceType,
    line_amount,
    new_public_token,
)
from .permissions import check_actor
from .timeline import record_event


def normalise_phone(raw: str, region: str) -> str:
    """+79161234567 from '8 (916) 123-45-67', '+7 916 123 45 67', '9161234567' ... or ValidationError.

    `region`: where a number without +country code is read, the center's country (Tenant.phone_region):
    "0812 3456 7890" is +6281234567890 for an Indonesian center. Numbers with + are read as they say."""
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
    """+7 916 123-45-67, +62 812-3456-7890: the international form, the same for every center, as a
    client's number may be foreign and staff call it from anywhere."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def _national_prefix(region: str) -> tuple[str, int]:
    """("8", 7) for Russia, ("0", 62) for Indonesia: what a number dialled inside the country starts with
    instead of +<country code>; ("", 0) where there is none or the region is unknown."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return "", 0
    return metadata.national_prefix or "", metadata.country_code or 0


def mask_phone(e164: str) -> str:
    """+7 *** ***-**-67, +62 *** ***-**-90: enough for the client to recognise, useless to anyone else."""
    if len(e164) <= 4:
        return "***"
    try:
        prefix = f"+{phonenumbers.parse(e164, None).country_code}"
    except phonenumbers.NumberParseException:
        prefix = e164[:2]
    return f"{prefix} *** ***-**-{e164[-2:]}"


def sees_client_phone(membership: Membership, order: Order) -> bool:
    """The one rule for the client's phone on staff pages: whoever may view clients (reception, managers,
    owners) sees it in full; a technician sees it in full only on an on-site job assigned to them (they
    call on the way); to other technicians it is masked. Every page that shows the phone asks this."""
    if has_perm(membership.role, Perm.CLIENTS_VIEW):
        return True
    return order.technician_id == membership.pk and order.needs_visit


def client_phone_for(membership: Membership, order: Order) -> str:
    """The client's phone as this member may see it (sees_client_phone): formatted in full, or masked."""
    phone = order.client.phone
    if not phone or order.client.erased_at is not None:  # erased: a placeholder, not a number
        return ""
    return format_phone(phone) if sees_client_phone(membership, order) else mask_phone(phone)


def mask_name(name: str) -> str:
    """'Ivan Petrov' -> 'Ivan P.': the public page never shows a full name."""
    parts = name.split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[1][0]}."


ORDER_SERIES = "order"


def next_order_number(tenant: Tenant) -> int:
    """The tenant's next order number, gapless: call inside the transaction that creates the order."""
    return next_number(tenant, ORDER_SERIES)


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
    # A device found again (orders.items.find_items): reused, never recorded twice. It must be the client's.
    item: Item | None = None
    # A return of an earlier order (a warranty claim, a rework): linked to it, see Order.warranty_of.
    warranty_of: Order | None = None
    # The language a new client reads (Client.language; empty: the center's). A returning client keeps theirs.
    client_language: str = ""


@transaction.atomic
def take_in(tenant: Tenant, data: IntakeData, *, by: Membership) -> Order:
    """Reception's intake: client (found or new), item, order, prepayment, first event. All or nothing."""
    check_actor(by, Perm.ORDERS_CREATE, tenant_id=tenant.pk)
    for linked in (data.item, data.warranty_of):
        if linked is not None and linked.tenant_id != tenant.pk:
            raise ValidationError(_("Unknown item or order."))
    if data.item is not None and data.client is not None and data.item.client_id != data.client.pk:
        raise ValidationError(_("This device is recorded for another client."))
    now = timezone.now()
    visits.check_slot(data.visit_start, data.visit_end, now=now, tz=tenant.tz)
    client = data.client
    if client is not None and client.erased_at is not None:
        raise ValidationError(_("This client's personal data was erased: take the order in as a new client."))
    if client is None:
        client = Client.objects.create(
            tenant=tenant,
            name=data.client_name,
            phone=data.client_phone,
            email=data.client_email,
            language=data.client_language,
        )
    elif data.client_email and not client.email:
        client.email = data.client_email
        client.save(update_fields=["email"])
    version = current_privacy_version(tenant)
    if data.consent and not consent_is_current(client, version):
        # A new client, or one who agreed to an older text: the consent to the text in force is recorded.
        client.consent_at = now
        client.consent_version = version
        client.save(update_fields=["consent_at", "consent_version"])

    item = data.item
    if item is None and data.service_type.needs_item and data.item_kind:
        item = (
            Item.objects.filter(tenant=tenant, client=client, serial=data.item_serial).first()
            if data.item_serial
            else None
        )
        if item is None:
            item = Item.objects.create(
                tenant=tenant,
                client=client,
                kind=data.item_kind,
                brand=data.item_brand,
                model=data.item_model,
                serial=data.item_serial,
            )
    promised_at = data.promised_at or now + timedelta(days=data.service_type.target_days)
    order = Order.objects.create(
        tenant=tenant,
        number=next_order_number(tenant),
        client=client,
        item=item,
        item_condition=data.item_condition,
        item_accessories=data.item_accessories,
        service_type=data.service_type,
        format=data.format,
        intake_location=data.intake_location,
        workshop=data.intake_location if data.intake_location.does_work else None,
        priority=data.priority,
        problem=data.problem,
        terms=data.terms,
        promised_at=promised_at,
        visit_address=data.visit_address,
        visit_start=data.visit_start,
        visit_end=data.visit_end,
        created_by=by.user,
        created_at=now,
        warranty_of=data.warranty_of,
    )
    if data.estimate is not None:
        # The client signs the intake receipt, which quotes this estimate: it is approved at the counter
        # and caps the bill; it becomes no line, since nothing has been done yet (docs/architecture.md).
        money.new_estimate(
            order,
            amount=data.estimate,
            lines=None,
            comment="",
            state=Estimate.State.APPROVED,
            by=by,
            decided_at=now,
            decided_by=by.user,
            by_client=True,
        )
    said = say(gettext_noop("Order taken in at %(location)s."), location=data.intake_location.name)
    if data.warranty_of is not None:
        said = joined(
            " ", [said, say(gettext_noop("A return of order #%(number)s."), number=data.warranty_of.number)]
        )
    record_event(
        order,
        EventKind.CREATED,
        actor=by.user,
        is_public=True,
        to_status=OrderStatus.NEW,
        text=said,
        data={"warranty_of": data.warranty_of.number} if data.warranty_of is not None else None,
    )
    if data.prepayment and data.prepayment > 0:
        add_payment(
            order, amount=data.prepayment, method=data.prepayment_method, kind=Payment.Kind.PREPAYMENT, by=by
        )
    return order


def take_in_return(
    original: Order, *, by: Membership, problem: str, intake_location: Location | None = None
) -> Order:
    """A return of `original` (a warranty claim, a free rework after a complaint): a new order for the same
    client, device and service, linked to it by Order.warranty_of, taken in by the intake's own rules and
    numbering. Its lines are covered (no charge) unless marked otherwise; its warranty is the original's."""
    original = Order.objects.select_related("client", "item", "service_type", "intake_location").get(
        pk=original.pk, tenant_id=original.tenant_id
    )
    service_type = original.service_type
    location = intake_location or original.intake_location
    data = IntakeData(
        client=original.client,
        client_name=original.client.name,
        client_phone=original.client.phone,
        client_email="",
        consent=False,
        service_type=service_type,
        format=original.format,
        intake_location=location,
        problem=problem[:5000],
        item=original.item,
        warranty_of=original,
        item_condition="",
        visit_address=original.visit_address,
    )
    return take_in(original.tenant, data, by=by)


def find_clients(tenant: Tenant, query: str, limit: int = 8) -> QuerySet[Client]:
    """Returning clients by phone digits or name, for the intake search-as-you-type."""
    query = (query or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(query) < 2:
        return Client.objects.none()
    qs = Client.objects.for_tenant(tenant).filter(erased_at__isnull=True)  # erased: nobody to find
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3 and len(digits) >= len(query.replace(" ", "").replace("+", "").replace("-", "")) - 2:
        by_phone = Q(phone__contains=digits)
        prefix, code = _national_prefix(tenant.phone_region)
        if prefix and digits.startswith(prefix) and len(digits) <= 11 + len(prefix):
            # Phones are stored as +<country code>...: a local prefix (8 in Russia, 0 in Indonesia), whole
            # or still being typed, is the same number.
            by_phone |= Q(phone__startswith=f"+{code}{digits[len(prefix) :]}")
        return qs.filter(by_phone).order_by("name")[:limit]
    return qs.filter(name__icontains=query).order_by("name")[:limit]


# --- Planning --------------------------------------------------------------------------------------
def technician_choices(tenant: Tenant) -> QuerySet[Membership]:
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True, role__in=[Role.TECHNICIAN, Role.MANAGER, Role.OWNER])
        .select_related("user")
        .order_by("user__full_name")
    )


def assign(
    order: Order,
    *,
    technician: Membership | None,
    workshop: Location | None,
    by: Membership,
    expected_version: int,
    visit_address: str | None = None,
    visit_start: datetime | None = None,
    visit_end: datetime | None = None,
) -> None:
    """Assign or reassign the technician, workshop and visit slot; an event records who changed what."""
    check_actor(by, Perm.ORDERS_PLAN, order)
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
    for field, value in (
        ("visit_address", visit_address),
        ("visit_start", visit_start),
        ("visit_end", visit_end),
    ):
        if value is not None and value != getattr(order, field):
            changes[field] = value
            data[field] = str(value)
    if order.visit_start and "visit_end" not in changes and "visit_start" in changes:
        pass
    start = changes.get("visit_start", order.visit_start)
    end = changes.get("visit_end", order.visit_end)
    # A new or moved slot may not start in the past; the slot already booked may stay as it is.
    visits.check_slot(start, end, booked_start=order.visit_start, tz=order.tenant.tz)
    if not changes:
        return
    with transaction.atomic():
        bump_version(order, expected_version, **changes)
        parts = []
        if "technician" in data:
            parts.append(say(gettext_noop("technician: %(name)s"), name=data["technician"] or "—"))
        if "workshop" in data:
            parts.append(say(gettext_noop("workshop: %(name)s"), name=data["workshop"] or "—"))
        if any(key.startswith("visit") for key in data):
            # The moment is shown on the reader's clock, in their language's format.
            parts.append(
                say(
                    gettext_noop("visit: %(address)s %(start)s"),
                    address=order.visit_address,
                    start=order.visit_start or "",
                )
            )
        record_event(order, EventKind.ASSIGNED, actor=by.user, text=joined("; ", parts), data=data)


# --- Money (rules in orders.money) ----------------------------------------------------------------
recalculate_totals = money.recalculate_totals


def check_open(order: Order) -> None:
    """The one refusal of changes to a closed (handed-over or cancelled) order."""
    if not order.is_open:
        raise ValidationError(_("A closed order cannot be changed."))


@transaction.atomic
def add_line_item(
    order: Order,
    *,
    kind: str,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    by: Membership,
    performed_by: Membership | None = None,
    covered: bool | None = None,
    warranty_days: int | None = None,
) -> LineItem:
    """A work or a part on the bill. On a return under warranty (Order.warranty_of) a line is covered
    (billed at nothing) unless `covered=False` says the client pays for it (then the bill's ceiling asks
    the client's approval, orders.money). `warranty_days`: a part's own warranty (empty: the service's)."""
    check_actor(by, Perm.ORDERS_WORK, order)
    if kind not in BILLABLE_KINDS:
        raise ValidationError(_("Unknown kind of line."))
    if quantity <= 0:
        raise ValidationError(_("The quantity must be more than zero."))
    if unit_price < 0:
        raise ValidationError(_("The price cannot be negative."))
    money.lock_order(order)
    check_open(order)
    if covered is None:
        covered = order.warranty_of_id is not None
    elif covered and order.warranty_of_id is None:
        raise ValidationError(_("Only a return under warranty has work at no charge."))
    line = LineItem.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        kind=kind,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        performed_by=performed_by,
        covered=covered,
        warranty_days=warranty_days,
    )
    recalculate_totals(order)
    said = say(
        gettext_noop("%(kind)s: %(description)s × %(quantity)s = %(amount)s"),
        kind=LineKind(line.kind).label,
        description=description,
        quantity=f"{quantity:g}",
        amount=line.amount,
    )
    if covered:
        said = joined(" ", [said, say(gettext_noop("(under warranty, no charge)"))])
    record_event(order, EventKind.LINE_ITEM, actor=by.user, text=said)
    return line


@transaction.atomic
def add_discount(
    order: Order, *, amount: Decimal, description: str, by: Membership, data: dict | None = None
) -> LineItem:
    """A compensation: a negative line on the bill, also on a closed order (a complaint comes after the
    handover). What was paid above the new total shows as credit to return (Order.credit_amount); the
    refund is recorded as a payment. The caller checks who may grant it (quality.complaints)."""
    check_actor(by, Perm.ORDERS_VIEW, order)
    if amount <= 0:
        raise ValidationError(_("The discount must be more than zero."))
    money.lock_order(order)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError(_("A cancelled order has no bill to discount."))
    if amount > order.total_amount:
        raise ValidationError(
            _("The discount (%(amount)s) is more than the bill (%(total)s).")
            % {"amount": amount, "total": order.total_amount}
        )
    line = LineItem.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        kind=LineItem.Kind.DISCOUNT,
        description=description[:200],
        quantity=Decimal("1"),
        unit_price=-amount,
    )
    recalculate_totals(order)
    record_event(
        order,
        EventKind.LINE_ITEM,
        actor=by.user,
        text=say(
            gettext_noop("%(kind)s: %(description)s = %(amount)s"),
            kind=LineKind(line.kind).label,
            description=description,
            amount=line.amount,
        ),
        data={"discount": str(amount), **(data or {})},
    )
    return line


@transaction.atomic
def remove_line_item(line: LineItem, *, by: Membership) -> None:
    check_actor(by, (Perm.ORDERS_WORK, Perm.ORDERS_HANDOVER), line.order)
    order = line.order
    check_actor(by, Perm.ORDERS_WORK, order)
    money.lock_order(order)
    check_open(order)
    description = line.description
    if not LineItem.objects.filter(pk=line.pk, tenant_id=order.tenant_id, order_id=order.pk).delete()[0]:
        return  # removed meanwhile (a double click): nothing left to do
    recalculate_totals(order)
    record_event(
        order,
        EventKind.LINE_ITEM,
        actor=by.user,
        text=say(gettext_noop("Removed: %(what)s"), what=description),
    )


@transaction.atomic
def add_payment(
    order: Order,
    *,
    amount: Decimal,
    method: str,
    kind: str = Payment.Kind.PAYMENT,
    by: Membership,
    note: str = "",
) -> Payment:
    check_actor(by, Perm.ORDERS_HANDOVER, order)
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero."))
    money.lock_order(order)  # the refund check below reads the paid amount under the lock
    if kind == Payment.Kind.REFUND and amount > order.paid_amount:
        raise ValidationError(_("Cannot refund more than was paid (%(paid)s).") % {"paid": order.paid_amount})
    payment = Payment.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        kind=kind,
        method=method,
        amount=amount,
        received_by=by.user,
        note=note,
    )
    recalculate_totals(order)
    record_event(
        order,
        EventKind.PAYMENT,
        actor=by.user,
        is_public=True,
        text=say(
            gettext_noop("%(kind)s: %(amount)s (%(method)s)"),
            kind=Payment.Kind(payment.kind).label,
            amount=amount,
            method=Payment.Method(payment.method).label,
        ),
    )
    return payment


# --- Notes, estimate, photos, link -----------------------------------------------------------------
def edit_order(order: Order, *, changes: dict, by: Membership, expected_version: int) -> None:
    """Edit the intake details; the timeline records which fields changed."""
    check_actor(by, Perm.ORDERS_CREATE, order)
    allowed = {"problem", "priority", "promised_at", "item_condition", "item_accessories", "terms"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    check_open(order)
    with transaction.atomic():
        bump_version(order, expected_version, **changes)
        labels = [Order._meta.get_field(name).verbose_name for name in sorted(changes)]
        record_event(
            order,
            EventKind.EDITED,
            actor=by.user,
            text=joined(", ", labels),
            data={"fields": sorted(changes)},
        )


def add_note(order: Order, *, text: str, public: bool, by: Membership) -> None:
    """An internal note: any member who sees the order. A public one speaks to the client: the office or the
    assigned technician only (docs/architecture.md, Who may do what)."""
    if public:
        check_actor(by, (Perm.ORDERS_WORK, Perm.ORDERS_PLAN), order)
    else:
        check_actor(by, Perm.ORDERS_VIEW, tenant_id=order.tenant_id)
    text = text.strip()
    if not text:
        raise ValidationError(_("The note is empty."))
    record_event(order, EventKind.NOTE, actor=by.user, message=text, is_public=public)


@dataclass
class EstimateLineData:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal


def set_estimate(
    order: Order,
    *,
    amount: Decimal | None = None,
    lines: list[EstimateLineData] | None = None,
    by: Membership,
    expected_version: int,
    comment: str = "",
) -> Estimate:
    """A new estimate version: itemised (`lines`, the amount is their sum) or just a total (`amount`).

    While the order waits for the client the new version waits in its place: the client's answer to
    the older one is refused (orders.money.decide_estimate). Approval is asked with request_approval.
    """
    check_actor(by, Perm.ORDERS_WORK, order)
    if lines:
        for line in lines:
            if line.quantity <= 0:
                raise ValidationError(_("The quantity must be more than zero."))
            if line.unit_price < 0:
                raise ValidationError(_("The price cannot be negative."))
            if not line.description.strip():
                raise ValidationError(_("Each line needs a description."))
            if line.kind not in BILLABLE_KINDS:
                raise ValidationError(_("Unknown kind of line."))
        total = sum((line_amount(line.quantity, line.unit_price) for line in lines), Decimal("0"))
        if amount is not None and amount != total:
            raise ValidationError(
                _("The total (%(amount)s) differs from the sum of the lines (%(total)s).")
                % {"amount": amount, "total": total}
            )
        amount = total
    if amount is None:
        raise ValidationError(_("Enter the estimate's total or its lines."))
    if amount < 0:
        raise ValidationError(_("The estimate cannot be negative."))
    check_open(order)
    with transaction.atomic():
        bump_version(order, expected_version)  # takes the order's row lock; refuses a stale page
        state = (
            Estimate.State.PENDING if order.status == OrderStatus.AWAITING_APPROVAL else Estimate.State.DRAFT
        )
        estimate = money.new_estimate(
            order,
            amount=amount,
            comment=comment,
            state=state,
            by=by,
            lines=[
                {
                    "kind": line.kind,
                    "description": line.description.strip()[:200],
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in lines or []
            ],
        )
        record_event(
            order,
            EventKind.ESTIMATE,
            actor=by.user,
            is_public=True,
            text=say(gettext_noop("Estimate: %(amount)s"), amount=amount),
            message=comment,
            data={"amount": str(amount), "estimate_version": estimate.version},
        )
    return estimate


def add_photo(order: Order, *, image: NormalisedImage | File, caption: str, by: Membership) -> OrderPhoto:
    """Store a photo of the order. An upload not yet checked goes through servicedesk.images first
    (ImageRefused, a ValidationError, if it is not a photo): stored without metadata, named by its format."""
    check_actor(by, Perm.ORDERS_VIEW, tenant_id=order.tenant_id)  # staff-only, like an internal note
    if not isinstance(image, NormalisedImage):
        image = normalise_photo(image)
    with transaction.atomic():
        photo = OrderPhoto(tenant_id=order.tenant_id, order=order, caption=caption, uploaded_by=by.user)
        photo.image.save(image.file.name, image.file, save=False)
        if image.display is not None:
            photo.display.save(image.display.name, image.display, save=False)
        try:
            photo.save()
            record_event(
                order, EventKind.PHOTO, actor=by.user, text=say(gettext_noop("Photo added")), message=caption
            )
        except Exception:  # the row is rolled back: drop its files
            photo.image.storage.delete(photo.image.name)
            if photo.display:
                photo.display.storage.delete(photo.display.name)
            raise
    return photo


def ensure_display_copy(photo: OrderPhoto) -> bool:
    """Bring a photo stored before normalisation existed up to date: the original re-encoded without
    metadata under its real format's extension, plus the display copy. The photo view calls this
    lazily; `manage.py normalise_photos` does all. False if the stored file is not a readable photo
    (it is then served as a download)."""
    if photo.display:
        return True
    try:
        with photo.image.open("rb") as handle:
            normalised = normalise_photo(File(handle, name=photo.image.name))
    except (OSError, ValidationError):
        return False
    old_name = photo.image.name
    storage = photo.image.storage
    photo.image.save(normalised.file.name, normalised.file, save=False)
    photo.display.save(normalised.display.name, normalised.display, save=False)
    updated = OrderPhoto.objects.filter(pk=photo.pk, tenant_id=photo.tenant_id, display="").update(
        image=photo.image.name, display=photo.display.name
    )
    if updated:
        storage.delete(old_name)
    else:  # another request did it first: keep theirs
        storage.delete(photo.image.name)
        storage.delete(photo.display.name)
        photo.refresh_from_db(fields=["image", "display"])
    return True


def replace_public_link(order: Order, *, by: Membership) -> str:
    """A new token: the old link stops working at once (e.g. the client shared it by mistake)."""
    check_actor(by, Perm.ORDERS_CREATE, order)
    token = new_public_token()
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(public_token=token, version=F("version") + 1)
        order.refresh_from_db()
        record_event(
            order,
            EventKind.LINK,
            actor=by.user,
            text=say(gettext_noop("Public link replaced; the old one no longer works.")),
        )
    return token


def public_link_works(order: Order) -> bool:
    return link_works_until(order.public_token_expires_at)


def link_works_until(expires_at: datetime | None) -> bool:
    """A public link without an expiry, or whose expiry is still to come, opens its page."""
    return expires_at is None or expires_at > timezone.now()
