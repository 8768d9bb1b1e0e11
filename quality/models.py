"""Quality: what clients say about finished orders, the business hours every SLA clock counts in, the
service-level policies and the clocks that measure each order against them, standards and goals, and the
daily rollups the managers' dashboard reads, the service types' checklists with each order's answers, and
the quality checks, and after-sales: complaints, warranty claims and internal audits (docs/quality.md)."""

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
from django.utils.translation import pgettext_lazy

from orders.models import (
    MONEY,
    DecimalSpec,
    LineItem,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    Priority,
    ServiceType,
)
from servicedesk.tenancy.models import EditedTenantSettings, Location, Membership, TenantOwned, TenantSettings

from .calendar import parse_hours
from .sla import ClockState, Target

MAX_COMMENT_LENGTH = 2000


class Feedback(TenantOwned):
    """The client's rating of a handed-over order, left once through the public link.

    The technician and service type are copied from the order when the feedback arrives, so reports
    by technician stay right after a later reassignment.
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="feedback_set", verbose_name=_("order")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=MAX_COMMENT_LENGTH, blank=True)
    technician = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    # "How likely are you to recommend us?", 0-10, asked when the center turns it on (AfterSalesSettings): NPS.
    recommend = models.PositiveSmallIntegerField(
        _("would recommend, 0-10"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_feedback_once_per_order"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="quality_feedback_rating_1_5"
            ),
            models.CheckConstraint(
                condition=Q(recommend__isnull=True) | Q(recommend__lte=10),
                name="quality_feedback_recommend_0_10",
            ),
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

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="business_hours", verbose_name=_("location")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta(TenantOwned.Meta):
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["weekday", "opens"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "location", "weekday", "opens"], name="quality_businesshours_one_start_uniq"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="quality_businesshours_weekday"
            ),
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")) | Q(closes=time(0)),
                name="quality_businesshours_opens_before_closes",
            ),
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

    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
        help_text=_("Empty: every location."),
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CLOSED)
    hours = models.CharField(
        _("hours"),
        max_length=100,
        blank=True,
        validators=[validate_hours],
        help_text=_("For a shortened or extra working day, e.g. 10:00-13:00, 14:00-17:00."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "date"],
                condition=Q(location__isnull=True),
                name="quality_calendarday_center_date_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "location", "date"],
                condition=Q(location__isnull=False),
                name="quality_calendarday_location_date_uniq",
            ),
            # A day off has no hours; a shortened or extra working day has some.
            models.CheckConstraint(
                condition=Q(kind="closed", hours="") | (~Q(kind="closed") & ~Q(hours="")),
                name="quality_calendarday_hours_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.hours}".strip()


# --- Standards and goals (quality.metrics computes the figures; quality.standards judges them) ---------


class PeriodKind(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class Comparison(models.TextChoices):
    AT_MOST = "lte", _("at most")
    AT_LEAST = "gte", _("at least")


class Standard(TenantOwned):
    """A measurable service standard: a metric of the registry (quality.metrics.METRICS), a target, the period
    it is judged over, how it is controlled and who answers for it.

    "Reception wait at most 5 min for 90 % of clients, per week": metric reception_wait, comparison lte,
    value 5, share 90, period week. Without a share the metric's value itself is compared ("fixed the
    first time at least 95 %", "client rating at least 4.5"). Optionally for one location or service type.
    """

    name = models.CharField(_("name"), max_length=120)
    metric = models.CharField(_("metric"), max_length=32)
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
        help_text=_("Empty: every location."),
    )
    service_type = models.ForeignKey(
        "orders.ServiceType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
        help_text=_("Empty: every service."),
    )
    comparison = models.CharField(
        _("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.AT_MOST
    )
    value = models.DecimalField(_("target value"), max_digits=10, decimal_places=2)
    share = models.DecimalField(
        _("for this share, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "E.g. 90: the target must hold for ninety per cent of the clients or "
            "orders. Empty: the period's average must meet it."
        ),
    )
    period = models.CharField(
        _("judged per"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    control_method = models.TextField(
        _("control method"),
        max_length=1000,
        blank=True,
        help_text=_("How it is checked, e.g. system data, client surveys, mystery shopper."),
    )
    responsible = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible"),
    )
    is_active = models.BooleanField(_("in force"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("service standard")
        verbose_name_plural = _("service standards")
        ordering = ["name"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="quality_standard_tenant_name_uniq"),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=0, share__lte=100),
                name="quality_standard_share_0_100",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "metric", "is_active"], name="quality_standard_metric_idx")]

    def __str__(self) -> str:
        return self.name


class Goal(TenantOwned):
    """A SMART goal on a metric: from the baseline the system measured over a past period, change it by
    `change_percent` (-15: down 15 %) by the deadline; tracked per week or month from `starts_on`."""

    title = models.CharField(_("goal"), max_length=200)
    metric = models.CharField(_("metric"), max_length=32)
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
        help_text=_("Empty: every location."),
    )
    service_type = models.ForeignKey(
        "orders.ServiceType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
        help_text=_("Empty: every service."),
    )
    baseline_start = models.DateField(_("baseline from"))
    baseline_end = models.DateField(_("baseline to"))
    baseline_value = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2, editable=False)
    baseline_count = models.PositiveIntegerField(_("measured over"), default=0, editable=False)
    change_percent = models.DecimalField(
        _("change, %"), max_digits=6, decimal_places=2, help_text=_("E.g. -15 for fifteen per cent less.")
    )
    target_value = models.DecimalField(_("target"), max_digits=12, decimal_places=2, editable=False)
    starts_on = models.DateField(_("from"))
    deadline = models.DateField(_("deadline"))
    period = models.CharField(
        _("tracked per"), max_length=8, choices=PeriodKind.choices[:2], default=PeriodKind.WEEK
    )
    responsible = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["deadline", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(baseline_start__lte=F("baseline_end")), name="quality_goal_baseline_order"
            ),
            models.CheckConstraint(
                condition=Q(starts_on__lt=F("deadline")), name="quality_goal_starts_before_deadline"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "deadline"], name="quality_goal_deadline_idx")]

    def __str__(self) -> str:
        return self.title


# --- Service levels --------------------------------------------------------------------------------
class SlaPolicy(TenantOwned):
    """The center's service-level targets for a service type (or all) and a priority (or all).

    The most specific policy applies to an order: its service and priority, then its service at any
    priority, then any service at its priority, then the center's general policy (no service, no priority),
    which always exists and cannot be deleted. An empty target is not measured for the orders it covers.
    Budgets are working time of the order's intake location, in minutes (arrival: wall-clock minutes after
    the booked slot ends).
    """

    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
        help_text=_("Empty: every service."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True, help_text=_("Empty: every priority.")
    )
    plan_minutes = models.PositiveIntegerField(_("time to plan, minutes"), null=True, blank=True)
    ready_minutes = models.PositiveIntegerField(_("time to ready, minutes"), null=True, blank=True)
    arrival_grace_minutes = models.PositiveIntegerField(
        _("on-site arrival, minutes after the slot"), null=True, blank=True
    )
    handover_minutes = models.PositiveIntegerField(_("time to hand over, minutes"), null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        constraints = [
            *TenantOwned.Meta.constraints,
            # One policy per scope (NULL means "every", so each combination needs its own constraint).
            models.UniqueConstraint(
                fields=["tenant", "service_type", "priority"],
                name="quality_slapolicy_both_uniq",
                condition=Q(service_type__isnull=False, priority__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["tenant", "service_type"],
                name="quality_slapolicy_service_uniq",
                condition=Q(service_type__isnull=False, priority__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["tenant", "priority"],
                name="quality_slapolicy_priority_uniq",
                condition=Q(service_type__isnull=True, priority__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                name="quality_slapolicy_general_uniq",
                condition=Q(service_type__isnull=True, priority__isnull=True),
            ),
            models.CheckConstraint(
                condition=Q(plan_minutes__isnull=True) | Q(plan_minutes__gt=0),
                name="quality_slapolicy_plan_positive",
            ),
            models.CheckConstraint(
                condition=Q(ready_minutes__isnull=True) | Q(ready_minutes__gt=0),
                name="quality_slapolicy_ready_positive",
            ),
            models.CheckConstraint(
                condition=Q(handover_minutes__isnull=True) | Q(handover_minutes__gt=0),
                name="quality_slapolicy_handover_positive",
            ),
        ]

    def __str__(self) -> str:
        service = self.service_type.name if self.service_type else _("Every service")
        priority = self.get_priority_display() if self.priority is not None else _("every priority")
        return f"{service}, {priority}"

    @property
    def is_general(self) -> bool:
        return self.service_type_id is None and self.priority is None


class SlaClock(TenantOwned):
    """One order's clock for one target, as last computed (quality.clocks; rules in quality.sla).

    `used_seconds` is the working time used as of `computed_at` (the periodic task continues from there);
    `due_at` the instant the budget runs out (projected from `computed_at` while paused); `stopped_at` when
    the target was reached (or the order cancelled after a miss). `next_check_at`: when the periodic task
    should look again (the 75 % mark, the due, an alert owed, or a paused clock's projection); None once
    nothing can change without an event. `alerted`: the last alert stage written (never twice).
    """

    class Alerted(models.TextChoices):
        NONE = "", _("None")
        AT_RISK = "at_risk", _("At risk")
        BREACHED = "breached", _("Breached")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="sla_clocks", verbose_name=_("order")
    )
    target = models.CharField(_("target"), max_length=10, choices=Target.choices)
    policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clocks",
        verbose_name=_("policy"),
    )
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices)
    budget_seconds = models.PositiveIntegerField(_("budget, seconds"))
    used_seconds = models.PositiveIntegerField(_("used, seconds"), default=0)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    alerted = models.CharField(max_length=10, choices=Alerted.choices, blank=True, default="", editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("service-level clock")
        verbose_name_plural = _("service-level clocks")
        ordering = ["order", "started_at", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "order", "target"], name="quality_slaclock_order_target_uniq"
            ),
            models.CheckConstraint(
                condition=Q(target__in=Target.values), name="quality_slaclock_target_known"
            ),
        ]
        indexes = [
            # Compliance per target and period (the managers' dashboard).
            models.Index(fields=["tenant", "target", "started_at"], name="quality_slaclock_target_idx"),
            # The periodic task (all tenants at once, so it cannot lead with the tenant): running clocks due
            # for a look, soonest first.
            models.Index(
                fields=["next_check_at"],
                name="quality_slaclock_check_idx",
                condition=Q(stopped_at__isnull=True, next_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.target} {self.state}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


PAUSE_REASONS = [
    (status.value, status.label)
    for status in (OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_PARTS, OrderStatus.ON_HOLD)
]


class SlaPause(TenantOwned):
    """A time the order waited (on the client's approval, on parts, on hold): its clocks did not run.

    Rebuilt from the timeline with the clocks; `working_seconds` is the working time it held the clocks
    (as of the clocks' computation while it lasts).
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="sla_pauses", verbose_name=_("order")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=PAUSE_REASONS)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    working_seconds = models.PositiveIntegerField(_("working time, seconds"), default=0)

    class Meta(TenantOwned.Meta):
        verbose_name = _("service-level pause")
        verbose_name_plural = _("service-level pauses")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "order", "started_at"], name="quality_slapause_order_idx"),
            models.Index(fields=["tenant", "reason", "started_at"], name="quality_slapause_reason_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.reason} {self.started_at:%Y-%m-%d %H:%M}"


# The measures of working time a handed-over order contributes (quality.rollups.MEASURES says which statuses
# count into which); each has a `<measure>_seconds` sum on DailyRollup and a histogram in `DailyRollup.hist`.
MEASURE_FIELDS = (
    "e2e",
    "request",
    "planning",
    "execution",
    "handover",
    "repair",
    "wait_client",
    "wait_parts",
    "pickup",
)


class DailyRollup(TenantOwned):
    """What happened on one day (the center's calendar) to the orders of one intake location and service type,
    credited to one technician (none: orders taken in, and orders closed without one).

    Derived data: kept current by quality.rollups' order-event listener (in the transaction of the event) and
    recomputed from the raw rows by quality.rollups.recompute (the periodic repair, `manage.py
    rebuild_rollups`). The managers' dashboard reads only these rows, never the orders behind them, except for
    the counts of open orders "now". docs/quality.md, "The managers' dashboard", says how each is computed.
    """

    day = models.DateField(_("day"))
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="+", verbose_name=_("received at")
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, related_name="+", verbose_name=_("service")
    )
    technician = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    taken_in = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)  # handed over
    cancelled = models.PositiveIntegerField(default=0)
    first_time = models.PositiveIntegerField(default=0)  # handed over without a failed quality check
    failed_checks = models.PositiveIntegerField(
        default=0
    )  # "check failed, back to work" of the handed-over orders
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
            models.UniqueConstraint(
                fields=["tenant", "day", "location", "service_type", "technician"],
                condition=Q(technician__isnull=False),
                name="quality_rollup_cell_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "day", "location", "service_type"],
                condition=Q(technician__isnull=True),
                name="quality_rollup_cell_none_uniq",
            ),
        ]
        indexes = [
            # The dashboard: a range of days of the tenant, then location / service type (the unique indexes
            # above lead with (tenant, day) too, but each covers half of the rows).
            models.Index(fields=["tenant", "day"], name="quality_rollup_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.location_id}/{self.service_type_id}/{self.technician_id or '-'}"


# --- Checklists and the quality check ----------------------------------------------------------------


class QualitySettings(EditedTenantSettings):
    """The center's quality rules (one row per center; without one the defaults apply)."""

    independent_check = models.BooleanField(
        _("the quality check is done by someone other than the technician who did the work"),
        default=False,
        help_text=_(
            "Then a manager or the owner passes the check; the technician assigned to the order, and whoever "
            "finished the work, cannot."
        ),
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="quality_settings_one_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}: independent check {'on' if self.independent_check else 'off'}"


class ChecklistStage(models.TextChoices):
    """When an item is filled in, and which move of the order it must be done before (quality.checklists.gate_stage)."""

    INTAKE = "intake", _("Intake: condition of the item")
    DIAGNOSTICS = "diagnostics", _("Diagnostics")
    QUALITY = "quality", _("Before the quality check")
    HANDOVER = "handover", _("Handover: checked with the client")


STAGE_ORDER = [
    ChecklistStage.INTAKE,
    ChecklistStage.DIAGNOSTICS,
    ChecklistStage.QUALITY,
    ChecklistStage.HANDOVER,
]


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

    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["service_type", "-number"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "service_type", "number"], name="quality_checklist_version_uniq"
            ),
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
            models.UniqueConstraint(
                fields=["tenant", "version", "position"], name="quality_checklist_item_position_uniq"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="quality_checklist_item_range",
            ),
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
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    checker = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    technician = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
            models.Index(
                fields=["tenant", "created_at"], name="quality_check_period_idx", condition=Q(passed=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {'passed' if self.passed else 'failed'}"

    @property
    def is_rework(self) -> bool:
        return not self.passed


# --- After-sales ------------------------------------------------------------------------------------


class AfterSalesSettings(TenantSettings):
    """Per center: the NPS question, the complaint deadline and the weekly audit sample."""

    class AuditGroup(models.TextChoices):
        TECHNICIAN = "technician", _("per technician")
        SERVICE_TYPE = "service_type", _("per service type")

    ask_recommendation = models.BooleanField(
        _("ask clients how likely they are to recommend us (0-10)"),
        default=False,
        help_text=_("An optional question on the feedback form; its answers make the NPS."),
    )
    complaint_days = models.PositiveSmallIntegerField(
        _("complaints are answered within, working days"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Counted on the business calendar of the location that took the order in."),
    )
    audits_enabled = models.BooleanField(_("draw orders for internal audit every week"), default=True)
    audit_sample_size = models.PositiveSmallIntegerField(
        _("orders drawn each week"), default=2, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    audit_group = models.CharField(
        _("drawn"), max_length=16, choices=AuditGroup.choices, default=AuditGroup.TECHNICIAN
    )
    audit_manager = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("audits are assigned to"),
        help_text=_("Empty: the first active manager."),
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("after-sales settings")
        verbose_name_plural = _("after-sales settings")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="quality_aftersalessettings_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}"


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

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("order")
    )
    # The rating that opened it: one complaint per feedback at most.
    feedback = models.ForeignKey(
        Feedback,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("rating"),
    )
    source = models.CharField(_("received by"), max_length=12, choices=Source.choices, default=Source.PHONE)
    description = models.TextField(_("what the client says"), max_length=5000)
    handler = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    due_at = models.DateTimeField(_("answer due"))
    resolution = models.TextField(_("resolution"), max_length=5000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    compensation = models.CharField(
        _("compensation"), max_length=10, choices=Compensation.choices, blank=True, default=Compensation.NONE
    )
    discount_amount = models.DecimalField(_("discount"), null=True, blank=True, **MONEY)
    discount_line = models.ForeignKey(
        LineItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rework_order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rework order"),
    )
    client_told_at = models.DateTimeField(_("client told"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-opened_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "feedback"],
                condition=Q(feedback__isnull=False),
                name="quality_complaint_once_per_feedback",
            ),
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

    original = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="warranty_claims", verbose_name=_("original order")
    )
    # The first order of the chain (a claim on a claim points at the claim order as `original`): its
    # warranty is the one that applies.
    first_order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="+", verbose_name=_("first order")
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claim order"),
    )
    source = models.CharField(_("opened"), max_length=8, choices=Source.choices, default=Source.ORDER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    problem = models.TextField(_("problem"), max_length=5000)
    period_until = models.DateField(_("warranty until"), null=True, blank=True)
    inside_period = models.BooleanField(_("inside the warranty period"), default=False)
    override_reason = models.CharField(_("accepted outside the period because"), max_length=1000, blank=True)
    refusal_reason = models.CharField(_("refused because"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("warranty claim")
        verbose_name_plural = _("warranty claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            # The client's page asks once: one request at a time waits for reception per order.
            models.UniqueConstraint(
                fields=["tenant", "original"],
                condition=Q(status="requested"),
                name="quality_warrantyclaim_one_request",
            ),
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
    auditor = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auditor"),
    )
    # Copied from the order when drawn, so scores by technician stay right after a reassignment.
    technician = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
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

    audit = models.ForeignKey(
        Audit, on_delete=models.CASCADE, related_name="findings", verbose_name=_("audit")
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    description = models.TextField(_("finding"), max_length=2000)
    corrective_action = models.TextField(_("corrective action"), max_length=2000, blank=True)
    responsible = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible"),
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
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
