"""Quality: what clients say about finished orders, the business hours every SLA clock counts in, and
after-sales: complaints, warranty claims and internal audits (docs/quality.md)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import MONEY, LineItem, Order, ServiceType
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
    # "How likely are you to recommend us?", 0-10, asked when the center turns it on (AfterSalesSettings): NPS.
    recommend = models.PositiveSmallIntegerField(_("would recommend, 0-10"), null=True, blank=True,
                                                 validators=[MaxValueValidator(10)])
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_feedback_once_per_order"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="quality_feedback_rating_1_5"),
            models.CheckConstraint(condition=Q(recommend__isnull=True) | Q(recommend__lte=10),
                                   name="quality_feedback_recommend_0_10"),
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


# --- After-sales ------------------------------------------------------------------------------------


class AfterSalesSettings(TenantOwned):
    """Per center: the NPS question, the complaint deadline and the weekly audit sample."""

    class AuditGroup(models.TextChoices):
        TECHNICIAN = "technician", _("per technician")
        SERVICE_TYPE = "service_type", _("per service type")

    ask_recommendation = models.BooleanField(
        _("ask clients how likely they are to recommend us (0-10)"), default=False,
        help_text=_("An optional question on the feedback form; its answers make the NPS."))
    complaint_days = models.PositiveSmallIntegerField(
        _("complaints are answered within, working days"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Counted on the business calendar of the location that took the order in."))
    audits_enabled = models.BooleanField(_("draw orders for internal audit every week"), default=True)
    audit_sample_size = models.PositiveSmallIntegerField(
        _("orders drawn each week"), default=2, validators=[MinValueValidator(1), MaxValueValidator(20)])
    audit_group = models.CharField(_("drawn"), max_length=16, choices=AuditGroup.choices, default=AuditGroup.TECHNICIAN)
    audit_manager = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("audits are assigned to"), help_text=_("Empty: the first active manager."))

    class Meta(TenantOwned.Meta):
        verbose_name = _("after-sales settings")
        verbose_name_plural = _("after-sales settings")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="quality_aftersalessettings_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}"

    @classmethod
    def for_tenant(cls, tenant: Tenant | int) -> AfterSalesSettings:
        """The center's settings, or unsaved defaults (one query)."""
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return cls.objects.filter(tenant_id=tenant_id).first() or cls(tenant_id=tenant_id)


class Complaint(TenantOwned):
    """A client's complaint about an order: opened from a low rating or by hand, handled to a decision
    before its deadline (working days on the center's calendar), perhaps with a compensation."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        RATING = "rating", _("Low rating")
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("E-mail or letter")
        IN_PERSON = "in_person", _("In person")
        OTHER = "other", _("Other")

    class Compensation(models.TextChoices):
        NONE = "", _("None")
        DISCOUNT = "discount", _("Discount on the order")
        REWORK = "rework", _("Free rework")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("order"))
    # The rating that opened it: one complaint per feedback at most.
    feedback = models.ForeignKey(Feedback, on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints",
                                 verbose_name=_("rating"))
    source = models.CharField(_("received by"), max_length=12, choices=Source.choices, default=Source.PHONE)
    description = models.TextField(_("what the client says"), max_length=5000)
    handler = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("handled by"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"))
    due_at = models.DateTimeField(_("answer due"))
    resolution = models.TextField(_("resolution"), max_length=5000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))
    compensation = models.CharField(_("compensation"), max_length=10, choices=Compensation.choices, blank=True,
                                    default=Compensation.NONE)
    discount_amount = models.DecimalField(_("discount"), null=True, blank=True, **MONEY)
    discount_line = models.ForeignKey(LineItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rework_order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("rework order"))
    client_told_at = models.DateTimeField(_("client told"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-opened_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "feedback"], condition=Q(feedback__isnull=False),
                                    name="quality_complaint_once_per_feedback"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-opened_at", "-id"], name="quality_complaint_list_idx"),
            models.Index(fields=["tenant", "status", "due_at"], name="quality_complaint_due_idx"),
            models.Index(fields=["tenant", "order"], name="quality_complaint_order_idx"),
        ]

    def __str__(self) -> str:
        return f"C-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.IN_PROGRESS}

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def answered_in_time(self) -> bool | None:
        return None if self.closed_at is None else self.closed_at <= self.due_at


class WarrantyLink(TenantOwned):
    """The warranty card's QR code: a private link to the order's warranty page, alive for the whole
    warranty (the status link expires soon after handover). 256 random bits, like the status link."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_warrantylink_order_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}"


class WarrantyClaim(TenantOwned):
    """A device back under warranty. Accepted, it becomes a new order linked to the original
    (Order.warranty_of) whose covered work costs nothing; outside the period it is refused unless a
    manager accepts it with a reason. A claim on a claim keeps the first order's period."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for reception")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    class Source(models.TextChoices):
        ORDER = "order", _("From the order")
        DEVICE = "device", _("From the device's history")
        CLIENT = "client", _("By the client, from the warranty card")

    original = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="warranty_claims",
                                 verbose_name=_("original order"))
    # The first order of the chain (a claim on a claim points at the claim order as `original`): its
    # warranty is the one that applies.
    first_order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", verbose_name=_("first order"))
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("claim order"))
    source = models.CharField(_("opened"), max_length=8, choices=Source.choices, default=Source.ORDER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    problem = models.TextField(_("problem"), max_length=5000)
    period_until = models.DateField(_("warranty until"), null=True, blank=True)
    inside_period = models.BooleanField(_("inside the warranty period"), default=False)
    override_reason = models.CharField(_("accepted outside the period because"), max_length=1000, blank=True)
    refusal_reason = models.CharField(_("refused because"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("opened by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))

    class Meta(TenantOwned.Meta):
        verbose_name = _("warranty claim")
        verbose_name_plural = _("warranty claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            # The client's page asks once: one request at a time waits for reception per order.
            models.UniqueConstraint(fields=["tenant", "original"], condition=Q(status="requested"),
                                    name="quality_warrantyclaim_one_request"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="quality_claim_status_idx"),
            models.Index(fields=["tenant", "original"], name="quality_claim_original_idx"),
        ]

    def __str__(self) -> str:
        return f"W-{self.pk}"


AUDIT_CHECKS: dict[str, Any] = {
    "documents_complete": _("Documents complete (completion act and warranty card issued)"),
    "consent_recorded": _("The client's consent to data processing recorded"),
    "photos_present": _("Photos of the item present"),
    "timeline_complete": _("Timeline complete (taken in, every status, payments)"),
    "price_matches_estimate": _("The bill matches the approved estimate"),
}


class Audit(TenantOwned):
    """An internal audit of one closed order, drawn at random each week; never the same order twice."""

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="audits", verbose_name=_("order"))
    week = models.DateField(_("week of"), help_text=_("Monday of the week the order was drawn for."))
    auditor = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("auditor"))
    # Copied from the order when drawn, so scores by technician stay right after a reassignment.
    technician = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("technician"))
    service_type = models.ForeignKey(ServiceType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("service"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    # check -> True (yes), False (no) or None (not checked / not applicable); `suggested` is what the system
    # could tell when the order was drawn, the form's first answers.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    suggested = models.JSONField(default=dict, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    score = models.DecimalField(_("score, %"), max_digits=5, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(_("drawn"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-created_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_audit_once_per_order"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="quality_audit_list_idx"),
            models.Index(fields=["tenant", "week"], name="quality_audit_week_idx"),
            models.Index(fields=["tenant", "technician", "completed_at"], name="quality_audit_tech_idx"),
        ]

    def __str__(self) -> str:
        return f"A-{self.pk}"


class AuditFinding(TenantOwned):
    """Something an audit found wrong: how bad, what to do about it, who, by when; tracked to closed."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="findings", verbose_name=_("audit"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    description = models.TextField(_("finding"), max_length=2000)
    corrective_action = models.TextField(_("corrective action"), max_length=2000, blank=True)
    responsible = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("responsible"))
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))
    closing_note = models.CharField(_("what was done"), max_length=1000, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"], name="quality_finding_open_idx"),
            models.Index(fields=["tenant", "audit"], name="quality_finding_audit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}: {self.get_severity_display()}"

    @property
    def is_overdue(self) -> bool:
        from django.utils.timezone import localdate

        return self.status == self.Status.OPEN and self.due_date is not None and self.due_date < localdate()
