"""Forms of the parts store. Every choice list is the tenant's own; quantities are validated here
(positive, at most three decimals) and again by stock.services (whole units, limits)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import ServiceType
from servicedesk.fields import DateFilter, DateInput
from servicedesk.tenancy.models import Location, Tenant

from .models import Part, StockLevel, StockMovement


def quantity_field(label=None, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or _("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("100000"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


def _parts(tenant: Tenant):
    return Part.objects.for_tenant(tenant).filter(is_active=True).order_by("name", "id")


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
    service_types = forms.ModelMultipleChoiceField(
        label=_("Used for"),
        queryset=ServiceType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cost_price = forms.DecimalField(
        label=_("Cost price"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    sale_price = forms.DecimalField(
        label=_("Sale price"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )

    class Meta:
        model = Part
        fields = ["name", "sku", "unit", "cost_price", "sale_price", "warranty_days", "is_active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["service_types"].queryset = ServiceType.objects.for_tenant(tenant)
        if self.instance.pk:
            self.initial["service_types"] = [
                row.service_type_id for row in self.instance.service_type_rows.all()
            ]

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
        self.fields["location"].queryset = Location.objects.for_tenant(tenant).active()


class TransferForm(forms.Form):
    part = PartChoiceField(label=_("Part"), queryset=None)
    source = forms.ModelChoiceField(label=pgettext_lazy("stock transfer", "From"), queryset=None)
    target = forms.ModelChoiceField(label=pgettext_lazy("stock transfer", "To"), queryset=None)
    quantity = quantity_field()
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = _parts(tenant)
        self.fields["source"].queryset = Location.objects.for_tenant(tenant).active()
        self.fields["target"].queryset = Location.objects.for_tenant(tenant).active()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("target"):
            self.add_error("target", _("Choose two different locations."))
        return cleaned


class CorrectForm(forms.Form):
    part = PartChoiceField(label=_("Part"), queryset=None)
    location = forms.ModelChoiceField(label=_("Location"), queryset=None)
    counted = forms.DecimalField(
        label=_("Counted on hand"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = _parts(tenant)
        self.fields["location"].queryset = Location.objects.for_tenant(tenant).active()


class MinLevelForm(forms.Form):
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    min_level = forms.DecimalField(
        label=_("Minimum"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        widget=forms.NumberInput(attrs={"step": "any", "class": "form-control"}),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.for_tenant(tenant).active()


# --- List filters (restricted to the tenant before they run) --------------------------------------
class StockFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"placeholder": _("Name or SKU")})
    )
    location = django_filters.ModelChoiceFilter(
        label=_("Location"), queryset=lambda r: Location.objects.for_tenant(r.tenant).active()
    )
    low = django_filters.BooleanFilter(
        label=_("Under the minimum only"), method="filter_low", widget=forms.CheckboxInput
    )

    class Meta:
        model = StockLevel
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return (
            queryset.filter(Q(part__name__icontains=value) | Q(part__sku__icontains=value))
            if value
            else queryset
        )

    def filter_low(self, queryset, name, value):

        return (
            queryset.filter(min_level__gt=0, on_hand__lt=F("reserved") + F("min_level"))
            if value
            else queryset
        )


class PartFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"placeholder": _("Name or SKU")})
    )
    service_type = django_filters.ModelChoiceFilter(
        label=_("Used for"),
        method="filter_service_type",
        queryset=lambda r: ServiceType.objects.for_tenant(r.tenant),
    )
    inactive = django_filters.BooleanFilter(
        label=_("Show parts no longer used"), method="filter_inactive", widget=forms.CheckboxInput
    )

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
    q = django_filters.CharFilter(
        label=_("Part"), method="search", widget=forms.TextInput(attrs={"placeholder": _("Name or SKU")})
    )
    part = django_filters.NumberFilter(
        field_name="part_id", widget=forms.HiddenInput, min_value=1, max_value=2**62, decimal_places=0
    )
    location = django_filters.ModelChoiceFilter(
        label=_("Location"), queryset=lambda r: Location.objects.for_tenant(r.tenant).active()
    )
    order = django_filters.NumberFilter(
        label=_("Order number"),
        field_name="order__number",
        min_value=1,
        max_value=2_147_483_647,
        decimal_places=0,
    )
    since = DateFilter(label=_("From"), method="filter_since", widget=DateInput())

    class Meta:
        model = StockMovement
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return (
            queryset.filter(Q(part__name__icontains=value) | Q(part__sku__icontains=value))
            if value
            else queryset
        )

    def filter_since(self, queryset, name, value):

        start = timezone.make_aware(datetime.combine(value, datetime.min.time()))
        return queryset.filter(created_at__gte=start)
