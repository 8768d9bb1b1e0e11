from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from orders.forms import MoneyFieldSpec
from orders.models import Priority, ServiceType
from orders.services import technician_choices
from servicedesk.fields import DateField, DateFilter, DateInput
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Role

from .calendar import Day, format_hours, parse_hours
from .metrics import METRIC_CHOICES
from .models import (
    AUDIT_CHECKS,
    MAX_COMMENT_LENGTH,
    AfterSalesSettings,
    AuditFinding,
    CalendarDay,
    Comparison,
    Complaint,
    Feedback,
    PeriodKind,
    SlaPolicy,
    Weekday,
)
from .policies import PolicyData
from .standards import standard_problem

# 1..5 in the page too, so the arrow keys go the way the stars do.
RATINGS = [(n, str(n)) for n in range(1, 6)]
RECOMMEND_CHOICES = [(n, str(n)) for n in range(0, 11)]
# The stars for the eye and the words for a screen reader ("★★★ (3 of 5)"), translated when shown.
RATING_FILTER_CHOICES = [
    (str(n), format_lazy(_("{stars} ({rating} of 5)"), stars="★" * n, rating=n)) for n in range(5, 0, -1)
]


class FeedbackForm(forms.Form):
    """The client's form on the public page: stars (radio buttons 1..5) and an optional comment."""

    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, ask_recommendation: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if ask_recommendation:
            # Optional: the 0-10 scale of the Net Promoter Score, 0 = not at all likely.
            self.fields["recommend"] = forms.TypedChoiceField(
                label=_("How likely are you to recommend us to a friend? (0 = not at all, 10 = very likely)"),
                choices=RECOMMEND_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )


def _day_start(day) -> datetime:
    """Midnight of that day in the current (the tenant's) time zone: a range on the indexed column."""
    return timezone.make_aware(datetime.combine(day, time.min))


class FeedbackFilter(django_filters.FilterSet):
    rating = django_filters.ChoiceFilter(label=_("Rating"), choices=RATING_FILTER_CHOICES)
    low = django_filters.BooleanFilter(label=_("Only 1-3"), method="filter_low", widget=forms.CheckboxInput)
    technician = django_filters.ModelChoiceFilter(
        label=_("Technician"), queryset=lambda r: technician_choices(r.tenant)
    )
    since = DateFilter(label=_("From"), method="filter_since", widget=DateInput())
    until = DateFilter(label=_("To"), method="filter_until", widget=DateInput())

    class Meta:
        model = Feedback
        fields: list[str] = []

    def filter_low(self, queryset, name, value):
        return queryset.filter(rating__lte=3) if value else queryset

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))


HOURS_HELP = _("e.g. 09:00-13:00, 14:00-19:00 (a break between the intervals); empty: closed.")


class WeekForm(forms.Form):
    """A location's week: one line of opening intervals per weekday, as people write them."""

    def __init__(self, *args, week: tuple[Day, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for weekday in Weekday:
            self.fields[f"day_{weekday.value}"] = forms.CharField(
                label=weekday.label,
                required=False,
                max_length=100,
                initial=format_hours(week[weekday.value]),
                help_text=HOURS_HELP if weekday == Weekday.MONDAY else "",
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        self.week: list[Day] = []
        for weekday in Weekday:
            name = f"day_{weekday.value}"
            try:
                self.week.append(parse_hours(cleaned.get(name) or ""))
            except ValueError as problem:
                self.add_error(name, str(problem))
                self.week.append(())
        if not self.errors and not any(self.week):
            raise forms.ValidationError(
                _("Give the location some opening hours, or go back to the standard week.")
            )
        return cleaned


class CalendarDayForm(forms.ModelForm):
    """One of the center's own days: a day off, a shortened day or an extra working day."""

    date = DateField(label=_("Date"), widget=DateInput())

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "hours", "location", "note"]

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.tenant = tenant
        self.fields["location"].queryset = Location.objects.for_tenant(tenant).active()
        self.fields["location"].empty_label = _("Every location")

    def clean_hours(self) -> str:
        try:
            return format_hours(parse_hours(self.cleaned_data["hours"]))
        except ValueError as problem:
            raise forms.ValidationError(str(problem)) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, hours = cleaned.get("kind"), cleaned.get("hours")
        if kind == CalendarDay.Kind.CLOSED and hours:
            self.add_error("hours", _("A day off has no hours; choose a shortened or an extra working day."))
        elif kind and kind != CalendarDay.Kind.CLOSED and "hours" in cleaned and not hours:
            self.add_error("hours", _("Give the hours of this day, e.g. 10:00-15:00."))
        day = cleaned.get("date")
        if day and "location" in cleaned:
            same = CalendarDay.objects.for_tenant(self.instance.tenant).filter(
                date=day, location=cleaned["location"]
            )
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("date", _("This date already has an entry; delete it first."))
        return cleaned


# --- Standards and goals ---------------------------------------------------------------------------


def _scope_fields(form: forms.Form, tenant: Tenant) -> None:
    form.fields["location"].queryset = (
        Location.objects.for_tenant(tenant).filter(is_active=True).order_by("name")
    )
    form.fields["location"].empty_label = _("Every location")
    form.fields["service_type"].queryset = ServiceType.objects.for_tenant(tenant).order_by("name")
    form.fields["service_type"].empty_label = _("Every service")
    form.fields["responsible"].queryset = (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )
    form.fields["responsible"].empty_label = _("Nobody named")


class StandardForm(forms.Form):
    """A standard in the words of the articles' table: what, the target, how it is controlled, who answers."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Reception wait")}),
    )
    metric = forms.ChoiceField(label=_("Measured by"), choices=METRIC_CHOICES)
    comparison = forms.ChoiceField(label=_("Target"), choices=Comparison.choices, initial=Comparison.AT_MOST)
    value = forms.DecimalField(
        label=_("Value"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=_("In the metric's unit: minutes, working hours, %, days or stars."),
    )
    share = forms.DecimalField(
        label=_("For this share of clients or orders, %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        required=False,
        help_text=_("E.g. 90. Empty: the period's average must meet the target."),
    )
    period = forms.ChoiceField(label=_("Judged per"), choices=PeriodKind.choices, initial=PeriodKind.MONTH)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False)
    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.none(), required=False
    )
    control_method = forms.CharField(
        label=_("Control method"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How it is checked, e.g. system data, client surveys, mystery shopper."),
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible"), queryset=Membership.objects.none(), required=False
    )
    is_active = forms.BooleanField(label=_("In force"), required=False, initial=True)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        _scope_fields(self, tenant)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not self.errors:
            problem = standard_problem(self.tenant, cleaned)
            if problem:
                raise forms.ValidationError(problem)
        return cleaned


class GoalForm(forms.Form):
    """A SMART goal: a metric, the baseline period the system measures, the change wanted, the deadline."""

    title = forms.CharField(
        label=_("Goal"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. Repair time down by fifteen per cent in three months")}
        ),
    )
    metric = forms.ChoiceField(label=_("Metric"), choices=METRIC_CHOICES)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False)
    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.none(), required=False
    )
    baseline_start = DateField(label=_("Baseline from"), widget=DateInput())
    baseline_end = DateField(
        label=_("Baseline to"),
        widget=DateInput(),
        help_text=_("The system measures the metric over these days: the starting point."),
    )
    change_percent = forms.DecimalField(
        label=_("Change, %"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("-99"),
        max_value=Decimal("1000"),
        help_text=_("E.g. -15 for fifteen per cent less."),
    )
    starts_on = DateField(label=_("From"), widget=DateInput())
    deadline = DateField(label=_("Deadline"), widget=DateInput())
    period = forms.ChoiceField(
        label=_("Tracked per"), choices=PeriodKind.choices[:2], initial=PeriodKind.WEEK
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible"), queryset=Membership.objects.none(), required=False
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _scope_fields(self, tenant)


# --- Service-level policies ------------------------------------------------------------------------
def _hours_field(label, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("10000"),
        max_digits=7,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
    )


def hours_of(minutes: int | None) -> Decimal | None:
    """Minutes as the hours the form shows (90 -> 1.5)."""
    if minutes is None:
        return None
    return (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()


def minutes_of(hours: Decimal | None) -> int | None:
    return None if hours is None else int((hours * 60).to_integral_value(ROUND_HALF_UP))


class SlaPolicyForm(forms.Form):
    """A policy's scope (service and priority, each may be "every") and its four targets, in working hours."""

    service_type = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceType.objects.none(),
        required=False,
        empty_label=_("Every service"),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Every priority")), *Priority.choices],
    )
    plan_hours = _hours_field(
        _("Time to plan, working hours"),
        _("From intake until a technician is assigned. Empty: not measured."),
    )
    ready_hours = _hours_field(
        _("Time to ready, working hours"),
        _("From intake until ready for pickup, less the time waiting on the client, on parts or on hold."),
    )
    arrival_grace_minutes = forms.IntegerField(
        label=_("On-site arrival, minutes after the slot"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        help_text=_("The technician starts the job by the end of the booked slot plus this many minutes."),
    )
    handover_hours = _hours_field(
        _("Time to hand over, working hours"),
        _("From ready until the client collects: the client's side, for information."),
    )

    def __init__(self, *args, tenant: Tenant, policy: SlaPolicy | None = None, **kwargs) -> None:
        if policy is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "service_type": policy.service_type_id,
                "priority": policy.priority,
                "plan_hours": hours_of(policy.plan_minutes),
                "ready_hours": hours_of(policy.ready_minutes),
                "arrival_grace_minutes": policy.arrival_grace_minutes,
                "handover_hours": hours_of(policy.handover_minutes),
            }
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = ServiceType.objects.for_tenant(tenant).order_by(
            "-is_active", "name"
        )
        if policy is not None and policy.is_general:
            # The general policy's scope is every service and priority, always.
            for name in ("service_type", "priority"):
                self.fields[name].disabled = True

    def policy_data(self) -> PolicyData:
        data = self.cleaned_data
        return PolicyData(
            service_type=data["service_type"],
            priority=data["priority"],
            plan_minutes=minutes_of(data["plan_hours"]),
            ready_minutes=minutes_of(data["ready_hours"]),
            arrival_grace_minutes=data["arrival_grace_minutes"],
            handover_minutes=minutes_of(data["handover_hours"]),
        )


class DashboardForm(forms.Form):
    """The managers' dashboard's filters (GET). Choices are the tenant's own, given as lists already read."""

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        initial="30",
        choices=[("7", _("7 days")), ("30", _("30 days")), ("90", _("90 days")), ("custom", _("Dates"))],
    )
    start = DateField(label=_("From"), required=False, widget=DateInput())
    end = DateField(label=_("To"), required=False, widget=DateInput())
    location = forms.TypedChoiceField(label=_("Received at"), required=False, coerce=int, empty_value=None)
    service_type = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    ready_days = forms.IntegerField(
        label=_("Not collected after, days"), required=False, min_value=1, max_value=365
    )

    def __init__(self, data=None, *, locations, service_types, today, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.today = today
        self.locations = {location.pk: location for location in locations}
        self.service_types = {st.pk: st for st in service_types}
        self.fields["location"].choices = [
            ("", _("All locations")),
            *((place.pk, place.name) for place in locations),
        ]
        self.fields["service_type"].choices = [
            ("", _("All services")),
            *((st.pk, st.name) for st in service_types),
        ]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if name in {"period", "location", "service_type"}
                else "form-control form-control-sm"
            )

    def clean(self):
        from .dashboard import MAX_RANGE_DAYS, PERIODS

        data = super().clean()
        start, end = data.get("start"), data.get("end")
        period = data.get("period") or ""
        if period not in PERIODS and (start or end or period == "custom"):
            if not (start and end):
                raise ValidationError(_("Give both dates of the range."))
            if start > end:
                raise ValidationError(_("The range must start before it ends."))
            if end > self.today:
                raise ValidationError(_("The range cannot end after today."))
            if (end - start).days + 1 > MAX_RANGE_DAYS:
                raise ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_RANGE_DAYS})
            data["period"] = "custom"
        return data

    def scope(self, tenant: Tenant):
        """The valid filters as a dashboard Scope (call after is_valid())."""
        from .dashboard import DEFAULT_PERIOD, DEFAULT_READY_DAYS, PERIODS, Scope

        data = self.cleaned_data
        period = data.get("period") or DEFAULT_PERIOD
        if period == "custom":
            first, last = data["start"], data["end"]
        else:
            first, last = self.today - timedelta(days=PERIODS[period] - 1), self.today
        return Scope(
            tenant=tenant,
            first=first,
            last=last,
            period=period,
            location=self.locations.get(data.get("location")),
            service_type=self.service_types.get(data.get("service_type")),
            ready_days=data.get("ready_days") or DEFAULT_READY_DAYS,
        )


# --- After-sales ------------------------------------------------------------------------------------

MONEY_FIELD: MoneyFieldSpec = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}


def managers(tenant: Tenant):
    """Who may handle complaints and audits: the center's active managers and owners."""
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True, role__in=[Role.MANAGER, Role.OWNER])
        .select_related("user")
        .order_by("user__full_name")
    )


def staff(tenant: Tenant):
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )


class ComplaintForm(forms.Form):
    """A complaint recorded by hand: the client called, wrote or came in."""

    source = forms.ChoiceField(
        label=_("Received by"),
        initial=Complaint.Source.PHONE,
        choices=[(v, label) for v, label in Complaint.Source.choices if v != Complaint.Source.RATING],
    )
    description = forms.CharField(
        label=_("What the client says"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    handler = forms.ModelChoiceField(
        label=_("Handled by"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Not yet assigned"),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = managers(tenant)


class HandleComplaintForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    handler = forms.ModelChoiceField(
        label=_("Handled by"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Not yet assigned"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Complaint.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was decided and why; needed to resolve or reject."),
    )
    tell_client = forms.BooleanField(
        label=_("Tell the client the resolution (e-mail and SMS)"), required=False
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = managers(tenant)


class CompensationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Compensation"),
        widget=forms.RadioSelect,
        initial=Complaint.Compensation.DISCOUNT,
        choices=[(v, label) for v, label in Complaint.Compensation.choices if v],
    )
    amount = forms.DecimalField(label=_("Discount"), required=False, **MONEY_FIELD)
    problem = forms.CharField(
        label=_("What to redo"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("kind") == Complaint.Compensation.DISCOUNT
            and cleaned.get("amount") is None
            and "amount" not in self.errors
        ):
            self.add_error("amount", _("Enter the discount."))
        return cleaned


class ComplaintFilter(django_filters.FilterSet):
    STATES = [
        ("open", _("Open and in progress")),
        ("overdue", _("Overdue")),
        ("resolved", _("Resolved")),
        ("rejected", _("Rejected")),
        ("all", _("All")),
    ]

    state = django_filters.ChoiceFilter(
        label=_("Show"), choices=STATES, method="filter_state", empty_label=None
    )
    handler = django_filters.ModelChoiceFilter(label=_("Handled by"), queryset=lambda r: managers(r.tenant))

    class Meta:
        model = Complaint
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=[Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS])
        if value == "overdue":
            return queryset.filter(
                status__in=[Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS], due_at__lt=timezone.now()
            )
        if value in {Complaint.Status.RESOLVED, Complaint.Status.REJECTED}:
            return queryset.filter(status=value)
        return queryset


class ClaimForm(forms.Form):
    source = forms.ChoiceField(
        choices=[("order", "order"), ("device", "device")], widget=forms.HiddenInput, initial="order"
    )
    problem = forms.CharField(
        label=_("The problem the client reports"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = forms.CharField(
        label=_("Accept outside the warranty period because"),
        max_length=1000,
        required=False,
        help_text=_(
            "Managers only: the claim is then accepted although the period has ended, and the reason recorded."
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class PublicClaimForm(forms.Form):
    problem = forms.CharField(
        label=_("What is wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


ANSWER_CHOICES = [("yes", _("Yes")), ("no", _("No")), ("", _("Not checked"))]


class AuditForm(forms.Form):
    """The audit's checklist: yes, no or not checked per check, pre-filled with the system's answers."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, answers: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        answers = answers or {}
        for key, label in AUDIT_CHECKS.items():
            value = answers.get(key)
            self.fields[key] = forms.ChoiceField(
                label=label,
                choices=ANSWER_CHOICES,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial="" if value is None else ("yes" if value else "no"),
            )
        self.order_fields([*AUDIT_CHECKS, "notes", "version"])

    def answers(self) -> dict[str, bool | None]:
        return {key: {"yes": True, "no": False}.get(self.cleaned_data.get(key) or "") for key in AUDIT_CHECKS}


class FindingForm(forms.ModelForm):
    due_date = DateField(label=_("Due"), required=False, widget=DateInput())

    class Meta:
        model = AuditFinding
        fields = ["severity", "description", "corrective_action", "responsible", "due_date"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "corrective_action": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff(tenant)


class CloseFindingForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=1000)


class AfterSalesSettingsForm(forms.ModelForm):
    class Meta:
        model = AfterSalesSettings
        fields = [
            "ask_recommendation",
            "complaint_days",
            "audits_enabled",
            "audit_sample_size",
            "audit_group",
            "audit_manager",
        ]

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.tenant = tenant
        self.fields["audit_manager"].queryset = managers(tenant)
