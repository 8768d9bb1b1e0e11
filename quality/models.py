"""Quality: what clients say about finished orders, the business hours every SLA clock counts in, and the
daily rollups the managers' dashboard reads (checklists and SLA targets come later)."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order, ServiceType
from servicedesk.tenancy.models import Location, Membership, TenantOwned

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


# The measures of working time a handed-over order contributes (quality.rollups.MEASURES says which statuses
# count into which); each has a `<measure>_seconds` sum on DailyRollup and a histogram in `DailyRollup.hist`.
MEASURE_FIELDS = ("e2e", "request", "planning", "execution", "handover", "repair", "wait_client", "wait_parts",
                  "pickup")


class DailyRollup(TenantOwned):
    """What happened on one day (the center's calendar) to the orders of one intake location and service type,
    credited to one technician (none: orders taken in, and orders closed without one).

    Derived data: kept current by quality.rollups' order-event listener (in the transaction of the event) and
    recomputed from the raw rows by quality.rollups.recompute (the periodic repair, `manage.py
    rebuild_rollups`). The managers' dashboard reads only these rows, never the orders behind them, except for
    the counts of open orders "now". docs/quality.md, "The managers' dashboard", says how each is computed.
    """

    day = models.DateField(_("day"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+", verbose_name=_("received at"))
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+", verbose_name=_("service"))
    technician = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                   verbose_name=_("technician"))
    taken_in = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)  # handed over
    cancelled = models.PositiveIntegerField(default=0)
    first_time = models.PositiveIntegerField(default=0)  # handed over without a failed quality check
    failed_checks = models.PositiveIntegerField(default=0)  # "check failed, back to work" of the handed-over orders
    work_seconds = models.BigIntegerField(default=0)  # work logged, by the day the entry started
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    e2e_seconds = models.BigIntegerField(default=0)
    request_seconds = models.BigIntegerField(default=0)
    planning_seconds = models.BigIntegerField(default=0)
    execution_seconds = models.BigIntegerField(default=0)
    handover_seconds = models.BigIntegerField(default=0)
    repair_seconds = models.BigIntegerField(default=0)
    wait_client_seconds = models.BigIntegerField(default=0)
    wait_parts_seconds = models.BigIntegerField(default=0)
    pickup_seconds = models.BigIntegerField(default=0)
    # Only on the row without a technician, for all the cell's handed-over orders: measure -> {bucket index
    # (quality.rollups.BUCKETS): orders}, and "repair.<technician id>" per technician. Medians and percentiles
    # come from these, summed over the days and cells asked for (a few rows a day, not one per technician).
    hist = models.JSONField(default=dict, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            *TenantOwned.Meta.constraints,
            # One row per cell. Two constraints because NULLs are distinct in a unique index (and SQLite has no
            # NULLS NOT DISTINCT): the partial ones make "no technician" a cell of its own, on both databases.
            models.UniqueConstraint(fields=["tenant", "day", "location", "service_type", "technician"],
                                    condition=Q(technician__isnull=False), name="quality_rollup_cell_uniq"),
            models.UniqueConstraint(fields=["tenant", "day", "location", "service_type"],
                                    condition=Q(technician__isnull=True), name="quality_rollup_cell_none_uniq"),
        ]
        indexes = [
            # The dashboard: a range of days of the tenant, then location / service type (the unique indexes
            # above lead with (tenant, day) too, but each covers half of the rows).
            models.Index(fields=["tenant", "day"], name="quality_rollup_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.location_id}/{self.service_type_id}/{self.technician_id or '-'}"
