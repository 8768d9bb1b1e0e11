from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TypedDict

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from servicedesk.fields import DateTimeField, DateTimeInput
from servicedesk.images import NormalisedImage, normalise_photo
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.privacy import consent_is_current

from . import visits
from .models import (
    BILLABLE_KINDS,
    Client,
    Item,
    LineItem,
    LineKind,
    Payment,
    PersonalDataSettings,
    Priority,
    ServiceFormat,
    ServiceType,
)
from .services import EstimateLineData, IntakeData, normalise_phone, technician_choices


class MoneyFieldSpec(TypedDict):
    max_digits: int
    decimal_places: int
    min_value: Decimal


MONEY_FIELD: MoneyFieldSpec = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


def validate_photo(upload) -> NormalisedImage:
    """Only real JPEG/PNG/WebP images under the size and pixel limits, read from the bytes, not the name;
    returns the photo re-encoded without metadata, with its display copy (servicedesk.images)."""
    return normalise_photo(upload)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "multiple": True})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > 10:
            raise forms.ValidationError(_("At most 10 photos at once."))
        cleaned = [super(MultiplePhotoField, self).clean(f, initial) for f in files]
        return [validate_photo(upload) for upload in cleaned]


class ServiceTypeSelect(forms.Select):
    """Options carry the service type's formats and whether it needs an item, for app.js to show the right fields."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-needs-item"] = "1" if instance.needs_item else "0"
            option["attrs"]["data-formats"] = ",".join(instance.formats)
        return option


class IntakeForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False, widget=forms.HiddenInput)
    # A device found again by its serial (orders.items.find_items): reused instead of recorded twice.
    item = forms.ModelChoiceField(queryset=Item.objects.none(), required=False, widget=forms.HiddenInput)
    client_name = forms.CharField(label=_("Client's name"), max_length=150, required=False)
    client_phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    client_email = forms.EmailField(label=_("E-mail"), required=False)
    # A text field with a select widget: a ChoiceField would make the API schema a second enum of the
    # same languages (drf-spectacular warns); clean_client_language checks the code.
    client_language = forms.CharField(
        label=_("Language the client reads"),
        max_length=8,
        widget=forms.Select(choices=settings.LANGUAGES),
        required=False,
        help_text=_("Messages, the status page and papers for the client are in this language."),
    )
    consent = forms.BooleanField(
        label=_("The client agrees to the processing of personal data"),
        required=False,
        help_text=_("Asked once per client and privacy text version; recorded with that version."),
    )
    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.none(), widget=ServiceTypeSelect
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=ServiceFormat.choices, initial=ServiceFormat.IN_SHOP
    )
    intake_location = forms.ModelChoiceField(label=_("Received at"), queryset=Location.objects.none())
    item_kind = forms.CharField(
        label=_("Item"),
        max_length=60,
        required=False,
        widget=forms.TextInput(
            attrs={"list": "item-kinds", "placeholder": _("Phone, laptop, washing machine …")}
        ),
    )
    item_brand = forms.CharField(label=_("Brand"), max_length=60, required=False)
    item_model = forms.CharField(label=_("Model"), max_length=100, required=False)
    item_serial = forms.CharField(label=_("Serial / IMEI / VIN"), max_length=64, required=False)
    item_condition = forms.CharField(
        label=_("Condition on intake"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Scratches, cracks, missing screws …")}),
    )
    item_accessories = forms.CharField(label=_("Accessories left"), max_length=300, required=False)
    problem = forms.CharField(
        label=_("Problem in the client's words"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    promised_at = DateTimeField(
        label=_("Promised by"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Empty: the service's usual term."),
    )
    estimate = forms.DecimalField(label=_("Estimate"), required=False, **MONEY_FIELD)
    prepayment = forms.DecimalField(label=_("Prepayment"), required=False, **MONEY_FIELD)
    prepayment_method = forms.ChoiceField(
        label=_("Paid by"), choices=Payment.Method.choices, initial=Payment.Method.CASH
    )
    terms = forms.CharField(
        label=_("Agreed terms"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    visit_address = forms.CharField(label=_("Visit address"), max_length=300, required=False)
    visit_start = DateTimeField(label=_("Visit from"), required=False, widget=DateTimeInput())
    visit_end = DateTimeField(label=_("Visit until"), required=False, widget=DateTimeInput())
    photos = MultiplePhotoField(label=_("Photos"), required=False)
    # Shown only with the warning that a visit is outside the location's business hours (orders.visits).
    confirm_hours = forms.BooleanField(label=_("Book the visit at this time anyway"), required=False)

    def __init__(self, *args, tenant: Tenant, warn_hours: bool = False, **kwargs) -> None:
        """`warn_hours`: a person fills this form in and can confirm a visit outside business hours (the
        pages); the API books without the warning."""
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.warn_hours = warn_hours
        self.hours_warning: str | None = None
        self.fields["client"].queryset = Client.objects.for_tenant(tenant)
        self.fields["item"].queryset = Item.objects.for_tenant(tenant)
        self.fields["service_type"].queryset = ServiceType.objects.for_tenant(tenant).filter(is_active=True)
        self.fields["intake_location"].queryset = Location.objects.for_tenant(tenant).active()
        search = {
            "hx-get": reverse("orders:client_search", args=[tenant.slug]),
            "hx-target": "#client-matches",
            "hx-trigger": "input changed delay:300ms",
        }
        self.fields["client_phone"].widget.attrs.update(search)
        self.fields["client_name"].widget.attrs.update(search | {"autocomplete": "off"})
        self.fields["item_serial"].widget.attrs.update(
            {
                "hx-get": reverse("orders:item_search", args=[tenant.slug]),
                "hx-target": "#item-matches",
                "hx-trigger": "input changed delay:300ms",
                "autocomplete": "off",
            }
        )
        self.fields["client_language"].initial = tenant.language  # a returning client keeps theirs
        receptions = [loc for loc in self.fields["intake_location"].queryset if loc.receives_clients]
        if receptions and not self.is_bound:
            self.fields["intake_location"].initial = receptions[0].pk

    def clean_client_language(self) -> str:
        language = self.cleaned_data.get("client_language", "")
        if language and language not in dict(settings.LANGUAGES):
            raise forms.ValidationError(_("Select a valid choice."))
        return language

    def clean_client_phone(self) -> str:
        raw = self.cleaned_data.get("client_phone", "")
        return normalise_phone(raw, self.tenant.phone_region) if raw else ""

    def clean(self):
        cleaned = super().clean()
        client: Client | None = cleaned.get("client")
        item: Item | None = cleaned.get("item")
        if item is not None:
            # The device's owner comes with it; another client bringing it in is a different record.
            if client is None:
                client = cleaned["client"] = item.client
            elif client.pk != item.client_id:
                self.add_error(
                    "item_serial",
                    _(
                        "This device is recorded for another client. Pick that client, "
                        "or choose “Another device” to record it anew."
                    ),
                )
        phone = cleaned.get("client_phone")
        if client is None and phone:
            # A returning client typed in again is found by phone, not duplicated.
            client = Client.objects.for_tenant(self.tenant).filter(phone=phone).first()
            cleaned["client"] = client
        if client is None:
            if not cleaned.get("client_name", "").strip():
                self.add_error("client_name", _("Enter the client's name or pick a returning client."))
            if not phone and "client_phone" not in self.errors:
                self.add_error("client_phone", _("Enter a phone number."))
        if not cleaned.get("consent") and not consent_is_current(client):
            self.add_error(
                "consent", _("The client must agree to the processing of personal data before intake.")
            )
        service: ServiceType | None = cleaned.get("service_type")
        fmt = cleaned.get("format")
        if service is not None:
            if service.formats and fmt and fmt not in service.formats:
                self.add_error(
                    "format",
                    _("“%(service)s” is offered as: %(formats)s.")
                    % {"service": service.name, "formats": ", ".join(service.format_labels())},
                )
            if service.needs_item and item is None and not cleaned.get("item_kind", "").strip():
                self.add_error("item_kind", _("Describe the item taken in (phone, laptop …)."))
        if fmt in {ServiceFormat.ON_SITE, ServiceFormat.COMBINED}:
            if not cleaned.get("visit_address", "").strip():
                self.add_error("visit_address", _("An on-site visit needs an address."))
            if not cleaned.get("visit_start"):
                self.add_error("visit_start", _("An on-site visit needs a time."))
        start, end = cleaned.get("visit_start"), cleaned.get("visit_end")
        if start and end and end <= start:
            self.add_error("visit_end", _("The visit must end after it starts."))
        elif start:
            try:
                visits.check_slot(start, end, tz=self.tenant.tz)  # the service's own rule, on the field
            except ValidationError as refused:
                self.add_error("visit_start", refused)
            else:
                if self.warn_hours and fmt in {ServiceFormat.ON_SITE, ServiceFormat.COMBINED}:
                    self.hours_warning = visits.hours_warning(cleaned.get("intake_location"), start, end)
                    if self.hours_warning and not cleaned.get("confirm_hours"):
                        self.add_error("confirm_hours", self.hours_warning)
        promised = cleaned.get("promised_at")
        if promised and promised < timezone.now() - timedelta(minutes=5):
            self.add_error("promised_at", _("The promised date is in the past."))
        return cleaned


class OrderEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    problem = forms.CharField(label=_("Problem"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    promised_at = DateTimeField(label=_("Promised by"), required=False, widget=DateTimeInput())
    item_condition = forms.CharField(
        label=_("Condition on intake"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    item_accessories = forms.CharField(label=_("Accessories left"), max_length=300, required=False)
    terms = forms.CharField(
        label=_("Agreed terms"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)
    workshop = forms.ModelChoiceField(label=_("Workshop"), queryset=None, required=False)
    visit_address = forms.CharField(label=_("Visit address"), max_length=300, required=False)
    visit_start = DateTimeField(label=_("Visit from"), required=False, widget=DateTimeInput())
    visit_end = DateTimeField(label=_("Visit until"), required=False, widget=DateTimeInput())

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technician_choices(tenant)
        self.fields["technician"].label_from_instance = Membership.name_and_role
        self.fields["workshop"].queryset = Location.objects.for_tenant(tenant).active().workshops()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("visit_start"), cleaned.get("visit_end")
        if start and end and end <= start:
            self.add_error("visit_end", _("The visit must end after it starts."))
        return cleaned


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)
    waive_payment = forms.BooleanField(required=False)
    override_estimate = forms.BooleanField(required=False)


MAX_ESTIMATE_LINES = 50


class EstimateForm(forms.Form):
    """A total, or lines written one per row: "description; quantity; price" and optionally "; part"."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label=_("Estimate"), required=False, **MONEY_FIELD)
    lines = forms.CharField(
        label=_("Or itemised, one line each"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Screen replacement; 1; 3500; part")}),
        help_text=_("Description; quantity; price; and “part” for a part (work otherwise)."),
    )
    comment = forms.CharField(label=_("What it includes"), max_length=500, required=False)

    def clean_lines(self) -> list[EstimateLineData]:
        # Hand-written: a few "a; b; c" rows are simpler to type at the counter than a formset.
        rows = [row.strip() for row in self.cleaned_data["lines"].splitlines() if row.strip()]
        if len(rows) > MAX_ESTIMATE_LINES:
            raise forms.ValidationError(_("At most %(count)d lines.") % {"count": MAX_ESTIMATE_LINES})
        part_words = {LineItem.Kind.PART.value, pgettext("estimate line kind", "part").lower()}
        work_words = {LineItem.Kind.WORK.value, pgettext("estimate line kind", "work").lower(), ""}
        parsed = []
        for number, row in enumerate(rows, 1):
            cells = [cell.strip() for cell in row.split(";")]
            kind_word = cells[3].lower() if len(cells) == 4 else ""
            problem = (
                len(cells) not in (3, 4)
                or not cells[0]
                or len(cells[0]) > 200
                or (kind_word not in part_words | work_words)
            )
            try:
                quantity = Decimal(cells[1].replace(",", ".").replace(" ", "")) if not problem else None
                price = Decimal(cells[2].replace(",", ".").replace(" ", "")) if not problem else None
            except (ArithmeticError, ValueError):
                problem = True
            if (
                problem
                or not (quantity.is_finite() and price.is_finite())
                or quantity <= 0
                or price < 0
                or (quantity >= Decimal("10000000") or price >= Decimal("10000000000"))
            ):
                raise forms.ValidationError(
                    _("Line %(number)d: write “description; quantity; price” (and “; part” for a part).")
                    % {"number": number}
                )
            parsed.append(
                EstimateLineData(
                    kind=LineItem.Kind.PART if kind_word in part_words else LineItem.Kind.WORK,
                    description=cells[0],
                    quantity=quantity.quantize(Decimal("0.001")),
                    unit_price=price.quantize(Decimal("0.01")),
                )
            )
        return parsed

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("amount") is None and not cleaned.get("lines"):
            self.add_error("amount", _("Enter the estimate's total or its lines."))
        if sum(
            (line.quantity * line.unit_price for line in cleaned.get("lines") or []), Decimal("0")
        ) >= Decimal("1e10"):
            raise forms.ValidationError(_("The estimate is too large."))
        return cleaned


class LineItemForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in BILLABLE_KINDS], initial=LineKind.WORK
    )
    quantity = forms.DecimalField(
        label=_("Qty"), max_digits=10, decimal_places=3, min_value=Decimal("0.001"), initial=1
    )
    unit_price = forms.DecimalField(label=_("Price"), **MONEY_FIELD)
    # Shown on a return under warranty only: ticked, the line costs the client nothing.
    covered = forms.BooleanField(label=_("Under warranty, no charge"), required=False, initial=True)

    class Meta:
        model = LineItem
        fields = ["kind", "description", "quantity", "unit_price", "covered"]


class ItemForm(forms.ModelForm):
    """Correcting a device's details after intake (a mistyped IMEI)."""

    class Meta:
        model = Item
        fields = ["kind", "brand", "model", "serial"]


class PaymentForm(forms.ModelForm):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))

    class Meta:
        model = Payment
        fields = ["kind", "method", "amount", "note"]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    public = forms.BooleanField(label=_("The client sees it on the status page"), required=False)


class PhotoForm(forms.Form):
    photos = MultiplePhotoField(label=_("Photos"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


def refuse_erased(client: Client) -> None:
    """An erased client stays anonymised for good (orders.personal_data): the web and the API edit clients
    through ClientForm, imports check their rows with its fields and this rule (api/import_kinds.py)."""
    if client.pk and client.erased_at is not None:
        raise ValidationError(_("This client's personal data was erased; the client cannot be edited."))


class ClientForm(forms.ModelForm):
    phone = forms.CharField(label=_("Phone"), max_length=40)

    class Meta:
        model = Client
        fields = ["name", "phone", "email", "language", "notify_email", "notify_sms", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["language"] = forms.ChoiceField(
            label=_("Language the client reads"),
            choices=[("", _("The center's language"))] + list(settings.LANGUAGES),
            required=False,
        )

    def clean(self) -> dict | None:
        refuse_erased(self.instance)
        return super().clean()

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"], self.tenant.phone_region)
        clash = Client.objects.for_tenant(self.tenant).filter(phone=phone).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another client has this phone number."))
        return phone


class ServiceTypeForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=ServiceFormat.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ServiceFormat.IN_SHOP],
    )
    base_price = forms.DecimalField(label=_("Base price"), **MONEY_FIELD)

    class Meta:
        model = ServiceType
        fields = [
            "name",
            "description",
            "formats",
            "needs_item",
            "default_duration_minutes",
            "target_days",
            "base_price",
            "warranty_days",
            "equipment",
            "materials",
            "is_active",
        ]
        widgets = {f: forms.Textarea(attrs={"rows": 2}) for f in ["description", "equipment", "materials"]}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.tenant = tenant

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = (
            ServiceType.objects.for_tenant(self.instance.tenant)
            .filter(name__iexact=name)
            .exclude(pk=self.instance.pk)
        )
        if clash.exists():
            raise forms.ValidationError(_("The catalogue already has a service with this name."))
        return name


def intake_data(data: dict) -> IntakeData:
    """An IntakeForm's cleaned data as the intake service takes it (the web's intake and the API's alike)."""
    return IntakeData(
        client=data["client"],
        client_name=data["client_name"].strip(),
        client_phone=data["client_phone"],
        client_email=data["client_email"],
        client_language=data.get("client_language") or "",
        consent=data["consent"],
        service_type=data["service_type"],
        format=data["format"],
        intake_location=data["intake_location"],
        problem=data["problem"].strip(),
        item_kind=data["item_kind"].strip(),
        item_brand=data["item_brand"].strip(),
        item_model=data["item_model"].strip(),
        item_serial=data["item_serial"].strip(),
        item_condition=data["item_condition"].strip(),
        item_accessories=data["item_accessories"].strip(),
        priority=data["priority"],
        promised_at=data["promised_at"],
        estimate=data["estimate"],
        prepayment=data["prepayment"] or Decimal(0),
        prepayment_method=data["prepayment_method"],
        terms=data["terms"].strip(),
        visit_address=data["visit_address"].strip(),
        visit_start=data["visit_start"],
        visit_end=data["visit_end"],
        item=data.get("item"),
    )


class ErasureForm(forms.Form):
    """A client's erasure request as staff record it (orders.personal_data.erase_client)."""

    reason = forms.CharField(
        label=_("The request"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "How and when the client asked, e.g. “Written request handed in at the desk on 3 March”. "
            "Do not repeat their name or contacts here: this record is kept."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I have checked that the request comes from the client themselves"),
        error_messages={"required": _("Confirm that the request comes from the client.")},
    )


class PersonalDataSettingsForm(forms.ModelForm):
    class Meta:
        model = PersonalDataSettings
        fields = ["anonymise_after_years"]
