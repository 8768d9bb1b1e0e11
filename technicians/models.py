"""Technicians (profiles, skills, working hours) and their work log. The parts store is the stock app.

Every table is tenant-owned (see servicedesk/tenancy/models.py). Work-log entries change only through
technicians.worklog.
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

ZERO = Decimal("0")


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


class TechnicianProfile(TenantOwned):
    """What a member who does the work can do, where, and when. One per membership."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="technician_profile", verbose_name=_("member")
    )
    skills = models.ManyToManyField(
        ServiceType,
        through="TechnicianSkill",
        blank=True,
        related_name="+",
        verbose_name=_("skills"),
        help_text=_("The services this person can do."),
    )
    home_workshop = models.ForeignKey(
        Location,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home workshop"),
    )
    working_days = models.JSONField(_("working days"), default=default_working_days)
    day_start = models.TimeField(_("day starts"), default=time(9, 0))
    day_end = models.TimeField(_("day ends"), default=time(18, 0))
    break_minutes = models.PositiveSmallIntegerField(_("break, minutes"), default=60)
    does_visits = models.BooleanField(_("does on-site visits"), default=False)
    hourly_rate = models.DecimalField(_("labour rate per hour"), default=ZERO, **MONEY)
    is_active = models.BooleanField(_("takes jobs"), default=True)
    # The technician's own preference (also set from my jobs): the listener starts the work-log timer when
    # they start diagnostics or work themselves (technicians/listeners.py).
    timer_with_status = models.BooleanField(
        _("start the timer with diagnostics and work"),
        default=False,
        help_text=_("“Start diagnostics” and “Start work” also start the work-log timer."),
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("technician profile")
        verbose_name_plural = _("technician profiles")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "membership"], name="technicians_profile_tenant_member_uniq"
            ),
            models.CheckConstraint(
                condition=Q(day_end__gt=F("day_start")), name="technicians_profile_day_order"
            ),
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
            models.UniqueConstraint(
                fields=["tenant", "profile", "service_type"], name="technicians_skill_uniq"
            ),
        ]


# --- Work log --------------------------------------------------------------------------------------
class WorkLog(TenantOwned):
    """A period a technician worked on an order: from a timer, or entered by hand with a reason."""

    class Source(models.TextChoices):
        TIMER = "timer", _("Timer")
        MANUAL = "manual", _("Entered by hand")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="work_logs", verbose_name=_("order")
    )
    technician = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="work_logs", verbose_name=_("technician")
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.TIMER)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    stopped_automatically = models.BooleanField(default=False)
    line_item = models.ForeignKey(
        LineItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("billed as"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log")
        ordering = ["started_at", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            # At most one running timer per technician, enforced by the database.
            models.UniqueConstraint(
                fields=["tenant", "technician"],
                condition=Q(ended_at__isnull=True),
                name="technicians_worklog_one_running",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="technicians_worklog_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "order", "started_at"], name="tech_worklog_order_idx"),
            models.Index(fields=["tenant", "technician", "started_at"], name="tech_worklog_tech_idx"),
            models.Index(fields=["tenant", "started_at"], name="tech_worklog_start_idx"),
            # A technician's entries that end after a moment or still run (my jobs' "logged today",
            # worklog.logged_total): a day's entries, however long the technician's history (issue 12).
            models.Index(fields=["tenant", "technician", "ended_at"], name="tech_worklog_tech_end_idx"),
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


# --- Planned work in the shop ----------------------------------------------------------------------
class WorkSlot(TenantOwned):
    """When an in-shop job is planned to be worked on (a visit's slot is the order's own visit_start/end).

    Written only by technicians.planning.plan(); the board and the hours left read it. Without one, a job
    counts on its promised day.
    """

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="work_slot", verbose_name=_("order")
    )
    start = models.DateTimeField(_("work from"))
    end = models.DateTimeField(_("work until"))

    class Meta(TenantOwned.Meta):
        verbose_name = _("planned work slot")
        verbose_name_plural = _("planned work slots")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="technicians_workslot_order_uniq"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="technicians_workslot_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "start"], name="tech_workslot_start_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.start:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> Decimal:
        seconds = (self.end.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds()
        return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
