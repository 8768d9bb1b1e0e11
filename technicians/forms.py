"""Forms of the technicians app. Every choice list is the tenant's own; quantities are validated here
(positive, at most three decimals) and again by technicians.stock (whole units, limits)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.forms import DateTimeInput, validate_photo
from orders.models import ServiceType
from orders.services import technician_choices
from servicedesk.fields import DateField, DateFilter, DateTimeField
from servicedesk.tenancy.models import Location, Tenant

from .models import WEEKDAYS, Part, StockLevel, StockMovement, TechnicianProfile


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


def quantity_field(label=None, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or _("Quantity"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"), max_value=Decimal("100000"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}), **kwargs,
    )


def _member_label(member) -> str:
    return f"{member.user.full_name or member.user.email} ({member.get_role_display()})"


def _locations(tenant: Tenant):
    return Location.objects.for_tenant(tenant).filter(is_active=True)


def _parts(tenant: Tenant):
    return Part.objects.for_tenant(tenant).filter(is_active=True).order_by("name", "id")


# --- Technicians -----------------------------------------------------------------------------------
class TechnicianProfileForm(forms.ModelForm):
    skills = forms.ModelMultipleChoiceField(label=_("Skills"), queryset=ServiceType.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("The services this person can do."))
    working_days = forms.TypedMultipleChoiceField(label=_("Working days"), choices=WEEKDAYS, coerce=int, required=False,
                                                  widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-inline"}))
    hourly_rate = forms.DecimalField(label=_("Labour rate per hour"), max_digits=12, decimal_places=2,
                                     min_value=Decimal("0"))
    break_minutes = forms.IntegerField(label=_("Break, minutes"), min_value=0, max_value=600)

    class Meta:
        model = TechnicianProfile
        fields = ["is_active", "home_workshop", "does_visits", "working_days", "day_start", "day_end", "break_minutes",
                  "hourly_rate"]
        widgets = {"day_start": TimeInput(), "day_end": TimeInput()}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["skills"].queryset = ServiceType.objects.for_tenant(tenant).filter(is_active=True)
        self.fields["home_workshop"].queryset = _locations(tenant).filter(
            kind__in=[Location.Kind.WORKSHOP, Location.Kind.BOTH])
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
    visit_end = DateTimeField(label=_("Visit until"), required=False, widget=DateTimeInput(),
                                    help_text=_("Empty: the service's usual duration."))
    mark_planned = forms.BooleanField(label=_("Mark the order as planned"), required=False, initial=True)
    release_parts = forms.BooleanField(
        label=_("Release reserved parts instead of moving them to the new workshop"), required=False)
    accept_warnings = forms.BooleanField(label=_("Assign despite the warnings above"), required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = _member_label
        self.fields["workshop"].queryset = _locations(tenant).filter(kind__in=[Location.Kind.WORKSHOP, Location.Kind.BOTH])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("visit_start"), cleaned.get("visit_end")
        if end and not start:
            self.add_error("visit_start", _("Enter when the visit starts."))
        if start and end and end <= start:
            self.add_error("visit_end", _("The visit must end after it starts."))
        if start and end and end - start > timedelta(hours=24):
            self.add_error("visit_end", _("A visit slot can be at most 24 hours."))
        return cleaned


class BoardForm(forms.Form):
    start = DateField(label=_("From"), required=False, widget=DateInput())
    days = forms.TypedChoiceField(label=_("Days"), choices=[(7, "7"), (14, "14")], coerce=int, required=False)


class DayForm(forms.Form):
    date = DateField(label=_("Day"), required=False, widget=DateInput())
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = _member_label


# --- Execution -------------------------------------------------------------------------------------
class JobActionForm(forms.Form):
    action = forms.CharField(max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class TimerForm(forms.Form):
    command = forms.ChoiceField(choices=[("start", "start"), ("stop", "stop")])


class JobNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False)
    photo = forms.FileField(label=_("Photo"), required=False,  # checked by validate_photo, with its messages
                             widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp",
                                                                    "capture": "environment"}))

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
    reason = forms.CharField(label=_("Why by hand"), max_length=300,
                             help_text=_("For example: the timer was forgotten; worked at the client's without a signal."))

    def __init__(self, *args, tenant: Tenant, fixed_technician=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["technician"]
        field.queryset = technician_choices(tenant)
        field.label_from_instance = _member_label
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
    rate = forms.ChoiceField(label=_("Rate"), choices=[("technician", _("Technician's rate")),
                                                       ("service_type", _("Service's rate"))])


class PartChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, part: Part) -> str:
        return f"{part.name} · {part.sku}"


class UsePartForm(forms.Form):
    """A part chosen from a short list (reserved, or used for the service) or typed in by its SKU."""

    part = PartChoiceField(label=_("Part"), queryset=None, required=False)
    sku = forms.CharField(label=_("or SKU"), max_length=64, required=False)
    quantity = quantity_field(initial=1)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["part"].queryset = _parts(tenant)

    def clean(self):
        cleaned = super().clean()
        sku = (cleaned.get("sku") or "").strip()
        if not cleaned.get("part") and "part" not in self.errors:
            if not sku:
                raise forms.ValidationError(_("Choose a part or enter its SKU."))
            part = _parts(self.tenant).filter(sku__iexact=sku).first()
            if part is None:
                self.add_error("sku", _("No part with SKU “%(sku)s”.") % {"sku": sku[:64]})
            cleaned["part"] = part
        return cleaned


class ReserveForm(UsePartForm):
    wait_for_rest = forms.BooleanField(label=_("Reserve what is free and wait for the rest"), required=False)


class ReleaseForm(forms.Form):
    quantity = quantity_field(required=False, help_text=_("Empty: all of it."))


# --- Stock management ------------------------------------------------------------------------------
class PartForm(forms.ModelForm):
    service_types = forms.ModelMultipleChoiceField(label=_("Used for"), queryset=ServiceType.objects.none(),
                                                   required=False, widget=forms.CheckboxSelectMultiple)
    cost_price = forms.DecimalField(label=_("Cost price"), max_digits=12, decimal_places=2, min_value=Decimal("0"))
    sale_price = forms.DecimalField(label=_("Sale price"), max_digits=12, decimal_places=2, min_value=Decimal("0"))

    class Meta:
        model = Part
        fields = ["name", "sku", "unit", "cost_price", "sale_price", "is_active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["service_types"].queryset = ServiceType.objects.for_tenant(tenant)
        if self.instance.pk:
            self.initial["service_types"] = [row.service_type_id for row in self.instance.service_type_rows.all()]

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        if not sku:
            raise forms.ValidationError(_("Enter the SKU."))
        clash = Part.objects.for_tenant(self.tenant).filter(sku__iexact=sku)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another part already has this SKU."))
        return sku


class ReceiveForm(forms.Form):
    part = PartChoiceField(label=_("Part"), queryset=None)
    location = forms.ModelChoiceField(label=_("Location"), queryset=None)
    quantity = quantity_field()
    reason = forms.CharField(label=_("Supplier, invoice"), max_length=300, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = _parts(tenant)
        self.fields["location"].queryset = _locations(tenant)


class TransferForm(forms.Form):
    part = PartChoiceField(label=_("Part"), queryset=None)
    source = forms.ModelChoiceField(label=pgettext_lazy("stock transfer", "From"), queryset=None)
    target = forms.ModelChoiceField(label=pgettext_lazy("stock transfer", "To"), queryset=None)
    quantity = quantity_field()
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = _parts(tenant)
        self.fields["source"].queryset = _locations(tenant)
        self.fields["target"].queryset = _locations(tenant)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("target"):
            self.add_error("target", _("Choose two different locations."))
        return cleaned


class CorrectForm(forms.Form):
    part = PartChoiceField(label=_("Part"), queryset=None)
    location = forms.ModelChoiceField(label=_("Location"), queryset=None)
    counted = forms.DecimalField(label=_("Counted on hand"), max_digits=12, decimal_places=3, min_value=Decimal("0"),
                                 max_value=Decimal("100000"), widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = _parts(tenant)
        self.fields["location"].queryset = _locations(tenant)


class MinLevelForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=None,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    min_level = forms.DecimalField(label=_("Minimum"), max_digits=12, decimal_places=3, min_value=Decimal("0"),
                                   max_value=Decimal("100000"),
                                   widget=forms.NumberInput(attrs={"step": "any", "class": "form-control"}))

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations(tenant)


class HoursForm(forms.Form):
    date_from = DateField(label=_("From"), required=False, widget=DateInput())
    date_to = DateField(label=_("To"), required=False, widget=DateInput())
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = _member_label

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (last - first).days > 92:
                self.add_error("date_to", _("Choose at most three months."))
        return cleaned


# --- List filters (restricted to the tenant before they run) --------------------------------------
class StockFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("Name or SKU")}))
    location = django_filters.ModelChoiceFilter(label=_("Location"), queryset=lambda r: _locations(r.tenant))
    low = django_filters.BooleanFilter(label=_("Under the minimum only"), method="filter_low", widget=forms.CheckboxInput)

    class Meta:
        model = StockLevel
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(part__name__icontains=value) | Q(part__sku__icontains=value)) if value else queryset

    def filter_low(self, queryset, name, value):
        from django.db.models import F

        return queryset.filter(min_level__gt=0, on_hand__lt=F("reserved") + F("min_level")) if value else queryset


class PartFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("Name or SKU")}))
    service_type = django_filters.ModelChoiceFilter(label=_("Used for"), method="filter_service_type",
                                                    queryset=lambda r: ServiceType.objects.for_tenant(r.tenant))
    inactive = django_filters.BooleanFilter(label=_("Show parts no longer used"), method="filter_inactive",
                                            widget=forms.CheckboxInput)

    class Meta:
        model = Part
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(name__icontains=value) | Q(sku__icontains=value)) if value else queryset

    def filter_service_type(self, queryset, name, value):
        return queryset.filter(service_type_rows__service_type=value) if value else queryset

    def filter_inactive(self, queryset, name, value):
        return queryset

    @property
    def qs(self):
        qs = super().qs
        if not (self.form.is_valid() and self.form.cleaned_data.get("inactive")):
            qs = qs.filter(is_active=True)
        return qs


class MovementFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=StockMovement.Kind.choices)
    q = django_filters.CharFilter(label=_("Part"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("Name or SKU")}))
    part = django_filters.NumberFilter(field_name="part_id", widget=forms.HiddenInput, min_value=1,
                                       max_value=2**62, decimal_places=0)
    location = django_filters.ModelChoiceFilter(label=_("Location"), queryset=lambda r: _locations(r.tenant))
    order = django_filters.NumberFilter(label=_("Order number"), field_name="order__number", min_value=1,
                                        max_value=2_147_483_647, decimal_places=0)
    since = DateFilter(label=_("From"), method="filter_since", widget=DateInput())

    class Meta:
        model = StockMovement
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(part__name__icontains=value) | Q(part__sku__icontains=value)) if value else queryset

    def filter_since(self, queryset, name, value):
        from datetime import datetime

        start = timezone.make_aware(datetime.combine(value, datetime.min.time()))
        return queryset.filter(created_at__gte=start)
