"""Orders: clients, their items, the service catalogue, orders with their timeline, line items and payments.

Status changes go through orders.lifecycle only; totals through orders.services.recalculate_totals.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Self, TypedDict

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.tenancy.models import (
    EditedTenantSettings,
    Location,
    Membership,
    Tenant,
    TenantOwned,
    TenantQuerySet,
)

from .event_text import describe


class DecimalSpec(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: DecimalSpec = {"max_digits": 12, "decimal_places": 2}


class ServiceFormat(models.TextChoices):
    IN_SHOP = "in_shop", _("In the shop")
    ON_SITE = "on_site", _("On-site visit")
    ONLINE = "online", _("Online")
    COMBINED = "combined", _("Combined")


class ServiceType(TenantOwned):
    """One line of the tenant's catalogue: what the center offers, how, for how much."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    formats = models.JSONField(_("formats"), default=list, help_text=_("How it can be delivered."))
    needs_item = models.BooleanField(
        _("an item is brought or serviced"),
        default=True,
        help_text=_("Off for consultations and training: intake then asks for no device."),
    )
    default_duration_minutes = models.PositiveIntegerField(_("usual duration, minutes"), default=60)
    base_price = models.DecimalField(_("base price"), default=Decimal("0"), **MONEY)
    equipment = models.TextField(_("equipment needed"), blank=True)
    materials = models.TextField(_("materials needed"), blank=True)
    warranty_days = models.PositiveIntegerField(_("warranty, days"), default=365)
    target_days = models.PositiveIntegerField(
        _("promised within, days"), default=3, help_text=_("Used to propose the promised date at intake.")
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["name"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="orders_servicetype_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name

    def format_labels(self) -> list[str]:
        labels = dict(ServiceFormat.choices)
        return [str(labels.get(value, value)) for value in self.formats]


class Client(TenantOwned):
    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(
        _("phone"), max_length=20, help_text=_("Stored in international form, e.g. +79161234567.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    notes = models.TextField(_("notes (staff only)"), blank=True)
    notify_email = models.BooleanField(_("send e-mail updates"), default=True)
    notify_sms = models.BooleanField(_("send SMS updates"), default=True)
    consent_at = models.DateTimeField(_("consent to personal-data processing given"), null=True, blank=True)
    consent_version = models.CharField(_("privacy text version"), max_length=32, blank=True)
    # The language the client reads: their messages, their status page on a first visit and the papers
    # issued for them. Empty: the center's. A code of settings.LANGUAGES (forms offer only those; no
    # choices here, so adding a language needs no migration).
    language = models.CharField(_("preferred language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Set when the client's personal data was erased (orders.personal_data): the row stays, anonymised, so
    # the orders keep their financial and legal records; nothing is sent to it or edited on it any more.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "phone"], name="orders_client_tenant_phone_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="orders_client_name_idx"),
            # PostgreSQL only (migration 0014; nothing on SQLite): a trigram index, so the order list's search by
            # part of a phone number finds the clients without reading the tenant's whole client table.
            GinIndex(fields=["phone"], opclasses=["gin_trgm_ops"], name="orders_client_phone_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def preferred_language(self, tenant: Tenant) -> str:
        """The client's language if the interface has it, else the center's: what the client hears.
        Staff screens keep the staff member's own language; this is for what reaches the client."""
        return client_language(self.language, tenant.language)


def client_language(*preferences: str) -> str:
    """The first of `preferences` the interface speaks (settings.LANGUAGES), else the site's default."""
    codes = {code for code, _name in settings.LANGUAGES}
    for language in preferences:
        if language in codes:
            return language
    return settings.LANGUAGE_CODE


class Item(TenantOwned):
    """A device, machine or car the client brings or has serviced."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="items", verbose_name=_("client")
    )
    kind = models.CharField(_("kind"), max_length=60, help_text=_("Phone, laptop, washing machine, car ..."))
    brand = models.CharField(_("brand"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    serial = models.CharField(_("serial number / IMEI / VIN"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("item")
        verbose_name_plural = _("items")
        indexes = [models.Index(fields=["tenant", "serial"], name="orders_item_serial_idx")]

    def __str__(self) -> str:
        return " ".join(part for part in [self.kind, self.brand, self.model] if part)


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    PLANNED = "planned", _("Planned")
    DIAGNOSTICS = "diagnostics", _("Diagnostics")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting client approval")
    AWAITING_PARTS = "awaiting_parts", _("Awaiting parts")
    IN_PROGRESS = "in_progress", _("In progress")
    QUALITY_CHECK = "quality_check", _("Quality check")
    READY = "ready", _("Ready for pickup")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")
    ON_HOLD = "on_hold", _("On hold")


class Stage(models.TextChoices):
    REQUEST = "request", _("Request")
    PLANNING = "planning", _("Planning")
    EXECUTION = "execution", _("Execution")
    HANDOVER = "handover", _("Handover")
    CLOSED = "closed", _("Closed")


STAGE_OF_STATUS: dict[str, str] = {
    OrderStatus.NEW: Stage.REQUEST,
    OrderStatus.PLANNED: Stage.PLANNING,
    OrderStatus.DIAGNOSTICS: Stage.EXECUTION,
    OrderStatus.AWAITING_APPROVAL: Stage.EXECUTION,
    OrderStatus.AWAITING_PARTS: Stage.EXECUTION,
    OrderStatus.IN_PROGRESS: Stage.EXECUTION,
    OrderStatus.ON_HOLD: Stage.EXECUTION,
    OrderStatus.QUALITY_CHECK: Stage.HANDOVER,
    OrderStatus.READY: Stage.HANDOVER,
    OrderStatus.HANDED_OVER: Stage.CLOSED,
    OrderStatus.CANCELLED: Stage.CLOSED,
}
CLOSED_STATUS_LIST = [
    OrderStatus.HANDED_OVER,
    OrderStatus.CANCELLED,
]  # in this order: the partial index's condition
CLOSED_STATUSES = frozenset(CLOSED_STATUS_LIST)
OPEN_STATUSES = frozenset(OrderStatus) - CLOSED_STATUSES
# The SLA clock stops while the order waits on the client or on parts, or is on hold.
PAUSED_STATUSES = frozenset({OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_PARTS, OrderStatus.ON_HOLD})


def statuses_of_stage(stage: str) -> list[str]:
    return [status for status, s in STAGE_OF_STATUS.items() if s == stage]


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class EstimateState(models.TextChoices):
    NONE = "", _("Not sent")
    PENDING = "pending", _("Waiting for the client")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class SlaState(models.TextChoices):
    """The order's service-level summary, written by the quality app (orders never computes it).

    Open orders: the worst state of their running clocks; closed ones: whether every promise was kept.
    """

    NONE = "", _("No target")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class ConstantIn(In):
    """`status__constant_in=[...]`: IN with our own constant names written into the SQL instead of bound.

    SQLite uses a partial index (`status NOT IN ('handed_over', 'cancelled')`: orders_open_promised_idx,
    orders_open_tech_promised_idx) only when it sees the values when preparing the statement; bound, it read
    every order of the tenant (the order list's count of open orders: 10 ms instead of 1 at 20,000 orders,
    issue 12). Only plain names ([a-z_]) are accepted, never user input."""

    lookup_name = "constant_in"

    def process_rhs(self, compiler, connection):
        names = [str(getattr(value, "value", value)) for value in self.rhs]
        if not names or not all(name.isascii() and name.replace("_", "").isalpha() for name in names):
            raise ValueError(f"constant_in takes plain names only: {names!r}")
        return "(" + ", ".join(f"'{name}'" for name in names) + ")", []


def open_q() -> Q:
    """Open orders, for queries (written so SQLite can use the partial indexes: ConstantIn)."""
    return ~Q(status__constant_in=CLOSED_STATUS_LIST)


def open_index_q() -> Q:
    """The partial indexes' condition (the same rows as open_q; as the migrations wrote it)."""
    return ~Q(status__in=CLOSED_STATUS_LIST)


def overdue_q(now: datetime | None = None) -> Q:
    """Overdue: still open after the promised time. The one definition (lists, filters, dashboards, alerts);
    Order.is_overdue says the same of one order."""
    return open_q() & Q(promised_at__lt=now or timezone.now())


class OrderQuerySet(TenantQuerySet):
    def open(self) -> Self:
        return self.filter(open_q())

    def overdue(self, now: datetime | None = None) -> Self:
        return self.filter(overdue_q(now))


def new_public_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class Order(TenantOwned):
    number = models.PositiveIntegerField(_("number"), editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="orders", verbose_name=_("client")
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("item")
    )
    # Condition and accessories belong to this visit, not to the item.
    item_condition = models.TextField(_("condition on intake"), blank=True)
    item_accessories = models.CharField(_("accessories left with it"), max_length=300, blank=True)
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="orders", verbose_name=_("service")
    )
    format = models.CharField(
        _("format"), max_length=16, choices=ServiceFormat.choices, default=ServiceFormat.IN_SHOP
    )
    intake_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="intake_orders", verbose_name=_("received at")
    )
    workshop = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workshop_orders",
        verbose_name=_("workshop"),
    )
    technician = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_orders",
        verbose_name=_("technician"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    problem = models.TextField(_("problem in the client's words"))
    terms = models.TextField(_("agreed terms"), blank=True)
    promised_at = models.DateTimeField(_("promised by"), null=True, blank=True)
    estimate = models.DecimalField(_("estimate"), null=True, blank=True, **MONEY)
    estimate_state = models.CharField(
        _("estimate"), max_length=10, choices=EstimateState.choices, blank=True, default=""
    )
    # `estimate`/`estimate_state` mirror the order's latest Estimate version; `approved_amount` is the
    # latest amount the client approved (or a manager's override): the ceiling of the bill (orders.money).
    approved_amount = models.DecimalField(_("approved amount"), null=True, blank=True, **MONEY)
    total_amount = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)
    paid_amount = models.DecimalField(_("paid"), default=Decimal("0"), **MONEY)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    status_before_hold = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    visit_address = models.CharField(_("visit address"), max_length=300, blank=True)
    visit_start = models.DateTimeField(_("visit from"), null=True, blank=True)
    visit_end = models.DateTimeField(_("visit until"), null=True, blank=True)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    public_token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    # A warranty claim or a free rework of an earlier order (quality.warranty, quality.complaints): the
    # order it returns to. Its covered lines cost nothing and its warranty is the original's, never longer.
    warranty_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        verbose_name=_("return of order"),
        db_index=False,  # orders_return_idx (tenant, warranty_of) serves the look-ups
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("taken in by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Service level, written by the quality app's clocks (quality.clocks) in the transaction of each event
    # and by its periodic task; never by orders. Stored here so the list filters and sorts on an index.
    sla_state = models.CharField(
        _("service level"), max_length=10, choices=SlaState.choices, blank=True, default="", editable=False
    )
    sla_due_at = models.DateTimeField(_("next service-level deadline"), null=True, blank=True, editable=False)
    # When the order should be ready: the "time to ready" clock's deadline, moved by the pauses (the client's
    # status page shows it).
    expected_ready_at = models.DateTimeField(_("expected ready"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = OrderQuerySet.as_manager()

    class Meta(TenantOwned.Meta):
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "number"], name="orders_order_tenant_number_uniq"),
        ]
        indexes = [
            # The default list: newest first, keyset-paginated on (created_at, id).
            models.Index(fields=["tenant", "-created_at", "-id"], name="orders_list_idx"),
            models.Index(fields=["tenant", "status", "-created_at"], name="orders_status_idx"),
            models.Index(fields=["tenant", "-priority", "-created_at", "-id"], name="orders_priority_idx"),
            # The list sorted by promised date (NULLs last, as PostgreSQL's ascending index keeps them).
            models.Index(fields=["tenant", "promised_at", "id"], name="orders_promised_idx"),
            models.Index(fields=["tenant", "technician", "status"], name="orders_technician_idx"),
            models.Index(fields=["tenant", "client", "-created_at"], name="orders_client_idx"),
            models.Index(
                fields=["tenant", "promised_at"],
                name="orders_open_promised_idx",
                condition=open_index_q(),
            ),
            # The list of open orders (the office's default view), newest first: the page stops after 51 rows
            # and the bounded count reads the index alone, however many orders are open (issue 12).
            models.Index(
                fields=["tenant", "-created_at", "-id"],
                name="orders_open_list_idx",
                condition=open_index_q(),
            ),
            # The planning board's backlog: each technician's first few open jobs, undated first (issue 12).
            models.Index(
                fields=["tenant", "technician", "promised_at", "id"],
                name="orders_open_tech_promised_idx",
                condition=open_index_q(),
            ),
            # On-site visits: a technician's day view and the overlap check; a day's route sheet.
            models.Index(
                fields=["tenant", "technician", "visit_start"],
                name="orders_visit_tech_idx",
                condition=Q(visit_start__isnull=False),
            ),
            models.Index(
                fields=["tenant", "visit_start"],
                name="orders_visit_day_idx",
                condition=Q(visit_start__isnull=False),
            ),
            # Service level: the "At risk" / "Breached" views (by state, nearest deadline first) and the list
            # sorted by the next deadline.
            models.Index(fields=["tenant", "sla_state", "sla_due_at", "id"], name="orders_sla_state_idx"),
            models.Index(fields=["tenant", "sla_due_at", "id"], name="orders_sla_due_idx"),
            # Returns of an order (warranty claims, reworks): comeback rates and the device's history.
            models.Index(
                fields=["tenant", "warranty_of"],
                name="orders_return_idx",
                condition=Q(warranty_of__isnull=False),
            ),
            models.Index(fields=["tenant", "item", "-created_at"], name="orders_item_idx"),
            # The dashboard's short lists (issue 12): the first orders ready for pickup by promised date, the
            # first new ones by priority, read from small indexes however many are waiting.
            models.Index(
                fields=["tenant", "promised_at", "id"],
                name="orders_ready_promised_idx",
                condition=Q(status="ready"),
            ),
            models.Index(
                fields=["tenant", "-priority", "created_at", "id"],
                name="orders_new_priority_idx",
                condition=Q(status="new"),
            ),
            # The planning board's Unassigned list: the first 61 open orders without a technician by priority
            # and promised time, however many wait (issue 12's growth rule).
            models.Index(
                fields=["tenant", "-priority", "promised_at", "id"],
                name="orders_unassigned_idx",
                condition=Q(technician__isnull=True) & open_index_q(),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def stage(self) -> str:
        return STAGE_OF_STATUS[self.status]

    def get_stage_display(self) -> str:
        return str(Stage(self.stage).label)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def amount_due(self) -> Decimal:
        return max(self.total_amount - self.paid_amount, Decimal("0"))

    @property
    def has_no_bill_yet(self) -> bool:
        return self.is_open and self.total_amount == 0

    @property
    def advance_amount(self) -> Decimal:
        """Paid before anything was billed (a prepayment at intake): held against the bill to come."""
        return self.paid_amount if self.has_no_bill_yet else Decimal("0")

    @property
    def credit_amount(self) -> Decimal:
        """Paid more than the bill: the money to return to the client. While an open order has no bill
        yet, what was paid is an advance (advance_amount), not money the center owes."""
        if self.has_no_bill_yet:
            return Decimal("0")
        return max(self.paid_amount - self.total_amount, Decimal("0"))

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.promised_at is not None and self.promised_at < timezone.now()

    @property
    def needs_visit(self) -> bool:
        return self.format in {ServiceFormat.ON_SITE, ServiceFormat.COMBINED}


Order._meta.get_field("status").register_lookup(ConstantIn)


class EventKind(models.TextChoices):
    CREATED = "created", _("Order taken in")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Note")
    ESTIMATE = "estimate", _("Estimate")
    PAYMENT = "payment", _("Payment")
    LINE_ITEM = "line_item", _("Work or part")
    PHOTO = "photo", _("Photo")
    LINK = "link", _("Public link")
    EDITED = "edited", _("Details edited")
    WORK_LOG = "work_log", _("Work time")
    PARTS = "parts", _("Parts")
    DOCUMENT = "document", _("Document")
    FEEDBACK = "feedback", _("Client feedback")
    SLA = "sla", _("Service level")
    # After-sales (quality): a complaint, a warranty claim or return, an item's details corrected, an audit.
    COMPLAINT = "complaint", _("Complaint")
    WARRANTY = "warranty", _("Warranty")
    ITEM = "item", _("Item details")
    AUDIT = "audit", _("Internal audit")


class OrderEvent(TenantOwned):
    """Append-only timeline. Status events carry from/to, so stage durations and pauses can be computed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    action = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_client = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    is_public = models.BooleanField(default=False, help_text=_("Shown to the client on the public page."))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "order", "created_at"], name="orders_event_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.to_status}"

    @property
    def display_text(self) -> str:
        """What happened, in the reader's (active) language (orders/event_text.py)."""
        return describe(self.data, self.message)


class LineKind(models.TextChoices):
    WORK = "work", _("Work")
    PART = "part", _("Part or material")
    # A negative line: a compensation granted on a complaint (orders.services.add_discount).
    DISCOUNT = "discount", _("Discount")


# What work and estimates bill; a discount is only granted through add_discount.
BILLABLE_KINDS = (LineKind.WORK, LineKind.PART)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(Decimal("0.01"))


class Estimate(TenantOwned):
    """One version of the order's quote. A change makes a new version; the client approves a version.

    Either itemised (EstimateLine rows, amount = their sum) or just a total. On approval its lines (or
    its total) become the order's lines; see orders.money.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Not sent")
        PENDING = "pending", _("Waiting for the client")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Replaced by a newer version")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="estimates")
    version = models.PositiveIntegerField(_("version"))
    amount = models.DecimalField(_("amount"), **MONEY)
    comment = models.CharField(_("what it includes"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Who answered: the client on the status page (by_client, decided_by empty), the client at the
    # counter or on the phone (by_client, decided_by = the staff member who recorded it), or a manager's
    # override (override_reason set).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_client = models.BooleanField(default=False)
    override_reason = models.CharField(_("override reason"), max_length=1000, blank=True)

    class Meta(TenantOwned.Meta):
        ordering = ["version"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "order", "version"], name="orders_estimate_order_version_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.version} {self.amount}"


class EstimateLine(TenantOwned):
    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices, default=LineKind.WORK)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("price"), **MONEY)

    class Meta(TenantOwned.Meta):
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "estimate"], name="orders_estimateline_est_idx")]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return line_amount(self.quantity, self.unit_price)


class LineItem(TenantOwned):
    Kind = LineKind

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="line_items")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.WORK)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("price"), **MONEY)
    # Stored (rounded once, here) so the order's total is a plain SUM in SQL, under the order's lock.
    amount = models.DecimalField(_("amount"), default=Decimal("0"), editable=False, **MONEY)
    # The approved estimate this line came from; a newer approved version replaces these lines.
    estimate = models.ForeignKey(Estimate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    performed_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    # Covered by the warranty of the order this one returns to (Order.warranty_of): shown with its price,
    # billed at nothing.
    covered = models.BooleanField(_("under warranty, no charge"), default=False)
    # A part's own warranty (from the part catalogue when it is used from stock); empty: the service's.
    warranty_days = models.PositiveIntegerField(_("warranty, days"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "order"], name="orders_lineitem_order_idx")]

    def __str__(self) -> str:
        return self.description

    @property
    def list_amount(self) -> Decimal:
        """Quantity × price, what the line would cost without the warranty."""
        return line_amount(self.quantity, self.unit_price)

    def save(self, *args, **kwargs) -> None:
        self.amount = Decimal("0.00") if self.covered else line_amount(self.quantity, self.unit_price)
        if kwargs.get("update_fields") is not None and {"quantity", "unit_price", "covered"} & set(
            kwargs["update_fields"]
        ):
            kwargs["update_fields"] = {*kwargs["update_fields"], "amount"}
        super().save(*args, **kwargs)


class Payment(TenantOwned):
    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        TRANSFER = "transfer", _("Bank transfer")
        ONLINE = "online", _("Online")

    class Kind(models.TextChoices):
        PREPAYMENT = "prepayment", _("Prepayment")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PAYMENT)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.CASH)
    amount = models.DecimalField(_("amount"), **MONEY)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "order"], name="orders_payment_order_idx")]

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.REFUND else self.amount


def photo_path(instance: OrderPhoto, filename: str) -> str:
    # Random names: an upload's name never reveals or collides with another's. The extension is the
    # one servicedesk.images named after the format Pillow detected, never the uploader's.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"orders/{instance.tenant_id}/{secrets.token_hex(16)}.{ext}"


class OrderPhoto(TenantOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=photo_path)
    # At most 1600 px a side, JPEG: what pages show. Empty for photos stored before normalisation
    # (services.ensure_display_copy: lazily in the photo view, or manage.py normalise_photos).
    display = models.ImageField(_("display copy"), upload_to=photo_path, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "order"], name="orders_photo_order_idx")]


# --- Personal data requests (orders.personal_data, docs/integrations.md) ------------------------------


class PersonalDataRequest(TenantOwned):
    """The record of a client's personal-data request: a report of what is held on them, an erasure on
    their request, or an anonymisation by the center's retention setting. Written by
    orders.personal_data in the transaction of what it records; never changed afterwards. It names the
    client by id only: after an erasure the row must not bring the name back."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Data report")
        ERASURE = "erasure", _("Erasure on request")
        RETENTION = "retention", _("Anonymised after the retention period")

    class Status(models.TextChoices):
        DONE = "done", _("Carried out")
        REFUSED = "refused", _("Refused")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("client")
    )
    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DONE)
    reason = models.TextField(_("reason"), max_length=1000, blank=True)
    # What was done, per app: {"orders": 3, "notifications": 5, ...} rows changed; or why it was refused.
    detail = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    # Kept as text too: the record of who handled it survives the user's deletion ("" for the periodic task).
    requested_by_name = models.CharField(_("handled by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "client", "-created_at"], name="orders_datarequest_client_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_id} ({self.status})"


class PersonalDataSettings(EditedTenantSettings):
    """The center's retention rule for clients' personal data (orders.personal_data.anonymise_inactive)."""

    anonymise_after_years = models.PositiveSmallIntegerField(
        _("anonymise clients inactive for, years"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "Clients whose last order was closed this many years ago (and with no order open or under "
            "warranty) are anonymised by a nightly task. 0: never."
        ),
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("personal data settings")
        verbose_name_plural = _("personal data settings")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="orders_personaldata_settings_tenant_uniq"),
        ]
