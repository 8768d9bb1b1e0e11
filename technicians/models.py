"""Technicians (profiles, skills, working hours), their work log, and the parts store.

Every table is tenant-owned (see servicedesk/tenancy/models.py). Stock numbers change only through
technicians.stock, which updates them with conditional UPDATEs and writes a StockMovement for each change;
work-log entries only through technicians.worklog.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import MONEY, LineItem, Order, ServiceType
from servicedesk.tenancy.models import Location, Membership, TenantOwned

QTY = {"max_digits": 12, "decimal_places": 3}
ZERO = Decimal("0")


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


WEEKDAYS = [
    (0, _("Mon")), (1, _("Tue")), (2, _("Wed")), (3, _("Thu")), (4, _("Fri")), (5, _("Sat")), (6, _("Sun")),
]


class TechnicianProfile(TenantOwned):
    """What a member who does the work can do, where, and when. One per membership."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="technician_profile", verbose_name=_("member")
    )
    skills = models.ManyToManyField(
        ServiceType, through="TechnicianSkill", blank=True, related_name="+", verbose_name=_("skills"),
        help_text=_("The services this person can do."),
    )
    home_workshop = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("home workshop")
    )
    working_days = models.JSONField(_("working days"), default=default_working_days)
    day_start = models.TimeField(_("day starts"), default=time(9, 0))
    day_end = models.TimeField(_("day ends"), default=time(18, 0))
    break_minutes = models.PositiveSmallIntegerField(_("break, minutes"), default=60)
    does_visits = models.BooleanField(_("does on-site visits"), default=False)
    hourly_rate = models.DecimalField(_("labour rate per hour"), default=ZERO, **MONEY)
    is_active = models.BooleanField(_("takes jobs"), default=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("technician profile")
        verbose_name_plural = _("technician profiles")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "membership"], name="technicians_profile_tenant_member_uniq"),
            models.CheckConstraint(condition=Q(day_end__gt=F("day_start")), name="technicians_profile_day_order"),
        ]

    def __str__(self) -> str:
        return str(self.membership.user)

    def works_on(self, day: date) -> bool:
        return day.weekday() in (self.working_days or [])

    def capacity_hours(self, day: date) -> Decimal:
        """Hours available for jobs on that day: the working day minus the break; 0 on a day off."""
        if not self.works_on(day):
            return ZERO
        start = datetime.combine(day, self.day_start)
        end = datetime.combine(day, self.day_end)
        minutes = max((end - start).total_seconds() / 60 - self.break_minutes, 0)
        return (Decimal(minutes) / 60).quantize(Decimal("0.01"))

    def working_window(self, day: date, tz) -> tuple[datetime, datetime]:
        """The working day as aware datetimes in the tenant's zone."""
        return (
            timezone.make_aware(datetime.combine(day, self.day_start), tz),
            timezone.make_aware(datetime.combine(day, self.day_end), tz),
        )

    def working_days_display(self) -> str:
        labels = dict(WEEKDAYS)
        return ", ".join(str(labels[d]) for d in sorted(self.working_days or []) if d in labels)


class TechnicianSkill(TenantOwned):
    profile = models.ForeignKey(TechnicianProfile, on_delete=models.CASCADE, related_name="skill_rows")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")

    class Meta(TenantOwned.Meta):
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "profile", "service_type"], name="technicians_skill_uniq"),
        ]


# --- Work log --------------------------------------------------------------------------------------
class WorkLog(TenantOwned):
    """A period a technician worked on an order: from a timer, or entered by hand with a reason."""

    class Source(models.TextChoices):
        TIMER = "timer", _("Timer")
        MANUAL = "manual", _("Entered by hand")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="work_logs", verbose_name=_("order"))
    technician = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="work_logs", verbose_name=_("technician")
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.TIMER)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    stopped_automatically = models.BooleanField(default=False)
    line_item = models.ForeignKey(
        LineItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("billed as")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log")
        ordering = ["started_at", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            # At most one running timer per technician, enforced by the database.
            models.UniqueConstraint(
                fields=["tenant", "technician"], condition=Q(ended_at__isnull=True), name="technicians_worklog_one_running"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")), name="technicians_worklog_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "order", "started_at"], name="tech_worklog_order_idx"),
            models.Index(fields=["tenant", "technician", "started_at"], name="tech_worklog_tech_idx"),
            models.Index(fields=["tenant", "started_at"], name="tech_worklog_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.technician_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None

    def duration(self, now: datetime | None = None) -> timedelta:
        # In UTC: two datetimes of one zone subtract by wall clock in Python, wrong across a DST change.
        end = (self.ended_at or now or timezone.now()).astimezone(UTC)
        return max(end - self.started_at.astimezone(UTC), timedelta(0))


# --- Parts and stock -------------------------------------------------------------------------------
class Part(TenantOwned):
    class Unit(models.TextChoices):
        PIECE = "pcs", _("pcs")
        METRE = "m", _("m")
        LITRE = "l", _("l")
        KILOGRAM = "kg", _("kg")
        SET = "set", _("set")

    name = models.CharField(_("name"), max_length=150)
    sku = models.CharField(_("SKU"), max_length=64, help_text=_("The article number printed on the shelf."))
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices, default=Unit.PIECE)
    cost_price = models.DecimalField(_("cost price"), default=ZERO, **MONEY)
    sale_price = models.DecimalField(_("sale price"), default=ZERO, **MONEY)
    service_types = models.ManyToManyField(
        ServiceType, through="PartServiceType", blank=True, related_name="+", verbose_name=_("used for"),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["name", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "sku"], name="technicians_part_tenant_sku_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="tech_part_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def whole_units(self) -> bool:
        return self.unit in {self.Unit.PIECE, self.Unit.SET}


class PartServiceType(TenantOwned):
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="service_type_rows")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")

    class Meta(TenantOwned.Meta):
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "part", "service_type"], name="technicians_partservicetype_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "service_type"], name="tech_partst_st_idx")]


class StockLevel(TenantOwned):
    """How much of a part a location holds. free = on_hand - reserved; the database refuses negatives."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location"))
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="levels", verbose_name=_("part"))
    on_hand = models.DecimalField(_("on hand"), default=ZERO, **QTY)
    reserved = models.DecimalField(_("reserved"), default=ZERO, **QTY)
    min_level = models.DecimalField(_("minimum"), default=ZERO, **QTY)

    class Meta(TenantOwned.Meta):
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "location", "part"], name="technicians_stocklevel_uniq"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="technicians_stocklevel_reserved_gte_0"),
            models.CheckConstraint(condition=Q(on_hand__gte=F("reserved")), name="technicians_stocklevel_free_gte_0"),
            models.CheckConstraint(condition=Q(min_level__gte=0), name="technicians_stocklevel_min_gte_0"),
        ]
        indexes = [models.Index(fields=["tenant", "part"], name="tech_stocklevel_part_idx")]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id}: {self.on_hand}/{self.reserved}"

    @property
    def free(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.free < self.min_level

    @property
    def shortfall(self) -> Decimal:
        """How much to order to bring the free quantity back to the minimum."""
        return max(self.min_level - self.free, ZERO)


class PartReservation(TenantOwned):
    """Parts set aside for an order at a location; `missing` is what was wanted but not in stock yet."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="part_reservations", verbose_name=_("order"))
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("part"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location"))
    reserved = models.DecimalField(_("reserved"), default=ZERO, **QTY)
    missing = models.DecimalField(_("still missing"), default=ZERO, **QTY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("part reservation")
        verbose_name_plural = _("part reservations")
        ordering = ["created_at", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order", "part", "location"], name="technicians_reservation_uniq"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="technicians_reservation_reserved_gte_0"),
            models.CheckConstraint(condition=Q(missing__gte=0), name="technicians_reservation_missing_gte_0"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "part", "location", "created_at"], name="tech_reservation_wait_idx",
                condition=Q(missing__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_id} for {self.order_id}: {self.reserved} (+{self.missing} missing)"


class StockMovement(TenantOwned):
    """The journal: every change of on_hand or reserved, with who, why and for which order."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt from a supplier")
        RESERVATION = "reservation", _("Reservation")
        CONSUMPTION = "consumption", _("Used on an order")
        RELEASE = "release", _("Reservation released")
        TRANSFER = "transfer", _("Transfer between locations")
        CORRECTION = "correction", _("Correction after a count")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements", verbose_name=_("part"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location"))
    other_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from / to")
    )
    on_hand_delta = models.DecimalField(_("on hand change"), default=ZERO, **QTY)
    reserved_delta = models.DecimalField(_("reserved change"), default=ZERO, **QTY)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                           verbose_name=_("by"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="tech_movement_list_idx"),
            models.Index(fields=["tenant", "part", "-created_at"], name="tech_movement_part_idx"),
            models.Index(fields=["tenant", "order"], name="tech_movement_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.part_id}@{self.location_id} {self.on_hand_delta}/{self.reserved_delta}"
