"""Quality: what clients say about finished orders, the business hours every SLA clock counts in, the
service types' checklists with each order's answers, and the quality checks (SLA targets come later)."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import DecimalSpec, Order, OrderEvent, OrderPhoto, ServiceType
from servicedesk.tenancy.models import Location, Membership, Tenant, TenantOwned

from .calendar import parse_hours

MAX_COMMENT_LENGTH = 2000


class Feedback(TenantOwned):
    """The client's rating of a handed-over order, left once through the public link.

    The technician and service type are copied from the order when the feedback arrives, so reports
    by technician stay right after a later reassignment.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="feedback_set", verbose_name=_("order"))
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=MAX_COMMENT_LENGTH, blank=True)
    technician = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("technician"))
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_feedback_once_per_order"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="quality_feedback_rating_1_5"),
        ]
        indexes = [
            # The list: newest first (keyset on created_at, id), all or one rating, or one technician's.
            models.Index(fields=["tenant", "-created_at", "-id"], name="quality_feedback_list_idx"),
            models.Index(fields=["tenant", "rating", "-created_at"], name="quality_feedback_rating_idx"),
            models.Index(fields=["tenant", "technician", "-created_at"], name="quality_feedback_tech_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.order.number}: {self.rating}/5"

    @property
    def stars(self) -> str:
        return "★" * self.rating + "☆" * (5 - self.rating)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(TenantOwned):
    """One opening interval of a location on a weekday; several a day make breaks (09-13, 14-19).

    A location without any row works the center's standard week (quality.calendar.DEFAULT_WEEK). A closing
    time of 00:00 means midnight at the end of the day (24:00).
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="business_hours",
                                 verbose_name=_("location"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta(TenantOwned.Meta):
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["weekday", "opens"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "location", "weekday", "opens"],
                                    name="quality_businesshours_one_start_uniq"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="quality_businesshours_weekday"),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")) | Q(closes=time(0)),
                                   name="quality_businesshours_opens_before_closes"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{'24:00' if self.closes == time(0) else format(self.closes, '%H:%M')}"


def validate_hours(value: str) -> None:
    try:
        parse_hours(value)
    except ValueError as problem:
        raise ValidationError(str(problem)) from None


class CalendarDay(TenantOwned):
    """The center's own exception to its week: a day off, a shortened day or an extra working day.

    It beats the public holidays (a center may work on one) and, for its location, a center-wide day.
    """

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Day off")
        SHORTENED = "shortened", _("Shortened day")
        WORKING = "working", _("Extra working day")

    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("location"), help_text=_("Empty: every location."))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CLOSED)
    hours = models.CharField(_("hours"), max_length=100, blank=True, validators=[validate_hours],
                             help_text=_("For a shortened or extra working day, e.g. 10:00-13:00, 14:00-17:00."))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "date"], condition=Q(location__isnull=True),
                                    name="quality_calendarday_center_date_uniq"),
            models.UniqueConstraint(fields=["tenant", "location", "date"], condition=Q(location__isnull=False),
                                    name="quality_calendarday_location_date_uniq"),
            # A day off has no hours; a shortened or extra working day has some.
            models.CheckConstraint(condition=Q(kind="closed", hours="") | (~Q(kind="closed") & ~Q(hours="")),
                                   name="quality_calendarday_hours_match_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.hours}".strip()


# --- Checklists and the quality check ----------------------------------------------------------------


class QualitySettings(TenantOwned):
    """The center's quality rules (one row per center; without one the defaults apply)."""

    independent_check = models.BooleanField(
        _("the quality check is done by someone other than the technician who did the work"), default=False,
        help_text=_("Then a manager or the owner passes the check; the technician assigned to the order, and whoever "
                    "finished the work, cannot."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta(TenantOwned.Meta):
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="quality_settings_one_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}: independent check {'on' if self.independent_check else 'off'}"

    @classmethod
    def for_tenant(cls, tenant: Tenant | int) -> QualitySettings:
        """The center's settings, or unsaved defaults (one query)."""
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return cls.objects.filter(tenant_id=tenant_id).first() or cls(tenant_id=tenant_id)


class ChecklistStage(models.TextChoices):
    """When an item is filled in, and which move of the order it must be done before (quality.checklists.gate_stage)."""

    INTAKE = "intake", _("Intake: condition of the item")
    DIAGNOSTICS = "diagnostics", _("Diagnostics")
    QUALITY = "quality", _("Before the quality check")
    HANDOVER = "handover", _("Handover: checked with the client")


STAGE_ORDER = [ChecklistStage.INTAKE, ChecklistStage.DIAGNOSTICS, ChecklistStage.QUALITY, ChecklistStage.HANDOVER]


class ItemKind(models.TextChoices):
    TICK = "tick", _("Tick")
    NUMBER = "number", pgettext_lazy("checklist answer", "Number")
    TEXT = "text", _("Short text")
    PHOTO = "photo", _("Photo")


NUMBER: DecimalSpec = {"max_digits": 12, "decimal_places": 3}
MAX_ANSWER_TEXT = 200


class ChecklistVersion(TenantOwned):
    """One version of a service type's checklist. Editing a checklist makes a new version; an order keeps the
    version its service had when it was taken in (OrderChecklist). The newest version is the one in force."""

    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("service"))
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["service_type", "-number"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "service_type", "number"], name="quality_checklist_version_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type_id} v{self.number}"


class ChecklistItem(TenantOwned):
    """One line of a checklist version: what to check, how it is answered, at which stage, required or not."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    stage = models.CharField(_("stage"), max_length=12, choices=ChecklistStage.choices)
    kind = models.CharField(_("answer"), max_length=8, choices=ItemKind.choices, default=ItemKind.TICK)
    label = models.CharField(_("what to check"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    min_value = models.DecimalField(_("at least"), null=True, blank=True, **NUMBER)
    max_value = models.DecimalField(_("at most"), null=True, blank=True, **NUMBER)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("E.g. %, V, mm."))

    class Meta(TenantOwned.Meta):
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["position", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "version", "position"], name="quality_checklist_item_position_uniq"),
            models.CheckConstraint(condition=Q(min_value__isnull=True) | Q(max_value__isnull=True)
                                   | Q(min_value__lte=F("max_value")), name="quality_checklist_item_range"),
        ]

    def __str__(self) -> str:
        return self.label


class OrderChecklist(TenantOwned):
    """The checklist version an order follows: its service's version in force when it was taken in."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_order_checklist_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.version_id}"


class ChecklistAnswer(TenantOwned):
    """The answer to one item on one order. `revision` grows with each change: a save that read an older
    one is refused (two people on one item never silently overwrite each other)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    done = models.BooleanField(_("done"), default=False)
    number = models.DecimalField(_("number"), null=True, blank=True, **NUMBER)
    text = models.CharField(_("text"), max_length=MAX_ANSWER_TEXT, blank=True)
    photo = models.ForeignKey(OrderPhoto, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revision = models.PositiveIntegerField(default=1)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order", "item"], name="quality_answer_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.item_id}"

    @property
    def is_answered(self) -> bool:
        kind = self.item.kind
        if kind == ItemKind.TICK:
            return self.done
        if kind == ItemKind.NUMBER:
            return self.number is not None
        if kind == ItemKind.TEXT:
            return bool(self.text.strip())
        return self.photo_id is not None


class QualityCheck(TenantOwned):
    """One quality check of an order: passed (ready for pickup) or failed (back to work: rework).

    Written by a listener on the status event, with who checked and whose work it was, so rework can be
    counted per technician, service type and period (quality.checks.rework_summary)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(OrderEvent, on_delete=models.CASCADE, related_name="+")
    passed = models.BooleanField(_("passed"))
    checker = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("checked by"))
    technician = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("technician"))
    service_type = models.ForeignKey(ServiceType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    independent = models.BooleanField(_("by someone else"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("checked"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")
        ordering = ["created_at", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "event"], name="quality_check_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["tenant", "order", "created_at"], name="quality_check_order_idx"),
            # Rework per technician / service type over a period.
            models.Index(fields=["tenant", "technician", "created_at"], name="quality_check_tech_idx"),
            models.Index(fields=["tenant", "service_type", "created_at"], name="quality_check_type_idx"),
            models.Index(fields=["tenant", "created_at"], name="quality_check_period_idx",
                         condition=Q(passed=False)),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {'passed' if self.passed else 'failed'}"

    @property
    def is_rework(self) -> bool:
        return not self.passed
