"""The parts store: the part catalogue, stock levels per location, reservations for orders, and the journal.

Every table is tenant-owned. Stock numbers change only through stock.services, which updates them with
conditional UPDATEs and writes a StockMovement for each change.

These models moved here from technicians/ (migration technicians 0002 / stock 0001, state only): they keep
their tables (technicians_*) and constraint names, so no data moved and existing databases need no rewrite.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import MONEY, DecimalSpec, Order, ServiceType
from servicedesk.tenancy.models import Location, TenantOwned

QTY: DecimalSpec = {"max_digits": 12, "decimal_places": 3}
ZERO = Decimal("0")


def _legacy_tenant_id_uniq() -> models.UniqueConstraint:
    # TenantOwned's constraint name carries the app label; these tables were created under "technicians".
    return models.UniqueConstraint(fields=["tenant", "id"], name="technicians_%(class)s_tenant_id_uniq")


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
        ServiceType,
        through="PartServiceType",
        blank=True,
        related_name="+",
        verbose_name=_("used for"),
    )
    # The part's own warranty, printed on the warranty card; empty: the service's (quality.warranty).
    warranty_days = models.PositiveIntegerField(
        _("warranty, days"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text=_("Empty: the warranty of the service it is used in."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        db_table = "technicians_part"
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["name", "id"]
        constraints = [
            _legacy_tenant_id_uniq(),
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
        db_table = "technicians_partservicetype"
        constraints = [
            _legacy_tenant_id_uniq(),
            models.UniqueConstraint(
                fields=["tenant", "part", "service_type"], name="technicians_partservicetype_uniq"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "service_type"], name="tech_partst_st_idx")]


class StockLevel(TenantOwned):
    """How much of a part a location holds. free = on_hand - reserved; the database refuses negatives."""

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="levels", verbose_name=_("part"))
    on_hand = models.DecimalField(_("on hand"), default=ZERO, **QTY)
    reserved = models.DecimalField(_("reserved"), default=ZERO, **QTY)
    min_level = models.DecimalField(_("minimum"), default=ZERO, **QTY)

    class Meta(TenantOwned.Meta):
        db_table = "technicians_stocklevel"
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            _legacy_tenant_id_uniq(),
            models.UniqueConstraint(
                fields=["tenant", "location", "part"], name="technicians_stocklevel_uniq"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="technicians_stocklevel_reserved_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=F("reserved")), name="technicians_stocklevel_free_gte_0"
            ),
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

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="part_reservations", verbose_name=_("order")
    )
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("part")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    reserved = models.DecimalField(_("reserved"), default=ZERO, **QTY)
    missing = models.DecimalField(_("still missing"), default=ZERO, **QTY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        db_table = "technicians_partreservation"
        verbose_name = _("part reservation")
        verbose_name_plural = _("part reservations")
        ordering = ["created_at", "id"]
        constraints = [
            _legacy_tenant_id_uniq(),
            models.UniqueConstraint(
                fields=["tenant", "order", "part", "location"], name="technicians_reservation_uniq"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="technicians_reservation_reserved_gte_0"
            ),
            models.CheckConstraint(condition=Q(missing__gte=0), name="technicians_reservation_missing_gte_0"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "part", "location", "created_at"],
                name="tech_reservation_wait_idx",
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
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    other_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from / to"),
    )
    on_hand_delta = models.DecimalField(_("on hand change"), default=ZERO, **QTY)
    reserved_delta = models.DecimalField(_("reserved change"), default=ZERO, **QTY)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        db_table = "technicians_stockmovement"
        constraints = [_legacy_tenant_id_uniq()]
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
