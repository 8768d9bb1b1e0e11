"""Forms of the technicians app (profiles, planning, the job page, the work log). Every choice list is the
tenant's own. The parts forms of the job page are the stock app's."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.forms import validate_photo
from orders.models import ServiceType
from orders.services import technician_choices
from servicedesk.fields import DateField, DateInput, DateTimeField, DateTimeInput, TimeInput
from servicedesk.tenancy.models import Location, Membership, Tenant

from .models import WEEKDAYS, TechnicianProfile


# --- Technicians -----------------------------------------------------------------------------------
class TechnicianProfileForm(forms.ModelForm):
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"),
        queryset=ServiceType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The services this person can do."),
    )
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-inline"}),
    )
    hourly_rate = forms.DecimalField(
        label=_("Labour rate per hour"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    break_minutes = forms.IntegerField(label=_("Break, minutes"), min_value=0, max_value=600)

    class Meta:
        model = TechnicianProfile
        fields = [
            "is_active",
            "home_workshop",
            "does_visits",
            "working_days",
            "day_start",
            "day_end",
            "break_minutes",
            "hourly_rate",
            "timer_with_status",
        ]
        widgets = {"day_start": TimeInput(), "day_end": TimeInput()}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["skills"].queryset = ServiceType.objects.for_tenant(tenant).filter(is_active=True)
        self.fields["home_workshop"].queryset = Location.objects.for_tenant(tenant).active().workshops()
        if self.instance.pk:
            self.initial["skills"] = [row.service_type_id for row in self.instance.skill_rows.all()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("day_start"), cleaned.get("day_end")
        if start and end and end <= start:
            self.add_error("day_end", _("The day must end after it starts."))
        return cleaned


class PlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)
    workshop = forms.ModelChoiceField(label=_("Workshop"), queryset=None, required=False)
    visit_address = forms.CharField(label=_("Visit address"), max_length=300, required=False)
    visit_start = DateTimeField(label=_("Visit from"), required=False, widget=DateTimeInput())
    visit_end = DateTimeField(
        label=_("Visit until"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Empty: the service's usual duration."),
    )
    work_start = DateTimeField(
        label=_("Work from"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("The day and time to work on it in the shop. Empty: on the promised day."),
    )
    work_end = DateTimeField(
        label=_("Work until"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Empty: the service's usual duration."),
    )
    mark_planned = forms.BooleanField(label=_("Mark the order as planned"), required=False, initial=True)
    release_parts = forms.BooleanField(
        label=_("Release reserved parts instead of moving them to the new workshop"), required=False
    )
    accept_warnings = forms.BooleanField(label=_("Assign despite the warnings above"), required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = Membership.name_and_role
        self.fields["workshop"].queryset = Location.objects.for_tenant(tenant).active().workshops()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("visit_start"), cleaned.get("visit_end")
        if end and not start:
            self.add_error("visit_start", _("Enter when the visit starts."))
        if start and end and end <= start:
            self.add_error("visit_end", _("The visit must end after it starts."))
        if start and end and end - start > timedelta(hours=24):
            self.add_error("visit_end", _("A visit slot can be at most 24 hours."))
        work_start, work_end = cleaned.get("work_start"), cleaned.get("work_end")
        if work_end and not work_start:
            self.add_error("work_start", _("Enter when the work starts."))
        if work_start and work_end and work_end <= work_start:
            self.add_error("work_end", _("The work must end after it starts."))
        if work_start and work_end and work_end - work_start > timedelta(hours=24):
            self.add_error("work_end", _("A work slot can be at most 24 hours."))
        return cleaned


class SuggestForm(forms.Form):
    """The plan page's query string: the day to suggest technicians for, and the one picked."""

    day = DateField(label=_("Suggest for"), required=False, widget=DateInput())
    technician = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class BoardForm(forms.Form):
    start = DateField(label=_("From"), required=False, widget=DateInput())
    days = forms.TypedChoiceField(label=_("Days"), choices=[(7, "7"), (14, "14")], coerce=int, required=False)


class DayForm(forms.Form):
    date = DateField(label=_("Day"), required=False, widget=DateInput())
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = Membership.name_and_role


# --- Execution -------------------------------------------------------------------------------------
class JobActionForm(forms.Form):
    action = forms.CharField(max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class TimerForm(forms.Form):
    command = forms.ChoiceField(choices=[("start", "start"), ("stop", "stop")])


class TimerSettingForm(forms.Form):
    timer_with_status = forms.BooleanField(required=False)


class JobNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,  # checked by validate_photo, with its messages
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
        ),
    )

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return validate_photo(photo) if photo else None

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("text") or "").strip() and not cleaned.get("photo") and not self.errors:
            raise forms.ValidationError(_("Write a note or choose a photo."))
        return cleaned


class WorkLogForm(forms.Form):
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None)
    started_at = DateTimeField(label=_("Started"), widget=DateTimeInput())
    ended_at = DateTimeField(label=_("Ended"), widget=DateTimeInput())
    reason = forms.CharField(
        label=_("Why by hand"),
        max_length=300,
        help_text=_("For example: the timer was forgotten; worked at the client's without a signal."),
    )

    def __init__(self, *args, tenant: Tenant, fixed_technician=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["technician"]
        field.queryset = technician_choices(tenant)
        field.label_from_instance = Membership.name_and_role
        if fixed_technician is not None:
            field.queryset = field.queryset.filter(pk=fixed_technician.pk)
            field.initial = fixed_technician.pk
            field.widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("started_at"), cleaned.get("ended_at")
        if start and end and end <= start:
            self.add_error("ended_at", _("The end must be after the start."))
        return cleaned


class LabourForm(forms.Form):
    rate = forms.ChoiceField(
        label=_("Rate"),
        choices=[("technician", _("Technician's rate")), ("service_type", _("Service's rate"))],
    )


class HoursForm(forms.Form):
    date_from = DateField(label=_("From"), required=False, widget=DateInput())
    date_to = DateField(label=_("To"), required=False, widget=DateInput())
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = Membership.name_and_role

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (last - first).days > 92:
                self.add_error("date_to", _("Choose at most three months."))
        return cleaned
