from __future__ import annotations

import gettext
from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .countries import legal_details
from .models import Location, Membership, Tenant
from .roles import GRANTABLE_ROLES, Role


def _grantable_choices(actor: Membership) -> list[tuple[str, str]]:
    allowed = GRANTABLE_ROLES[Role(actor.role)]
    return [(role.value, role.label) for role in Role if role in allowed]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, actor: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _grantable_choices(actor)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, actor: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _grantable_choices(actor)


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "kind", "address", "phone", "opening_hours", "is_active"]

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.tenant = tenant

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = (
            Location.objects.for_tenant(self.instance.tenant)
            .filter(name__iexact=name)
            .exclude(pk=self.instance.pk)
        )
        if clash.exists():
            raise forms.ValidationError(_("There is already a location with this name."))
        return name


def country_choices() -> list[tuple[str, str]]:
    """Every country the `holidays` package has public holidays for, named in the page's language.

    pycountry carries the ISO 3166 names and their translations (Django has no list of countries).
    """
    import holidays
    import pycountry

    language = (get_language() or "en").split("-")[0]
    names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
    choices = []
    for code in holidays.list_supported_countries():
        country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
        if country is not None:
            choices.append((code, names.gettext(getattr(country, "common_name", country.name))))
    return sorted(choices, key=lambda choice: choice[1])


def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency in use, "IDR · Indonesian Rupiah", named in the page's language (Babel)."""
    from babel.numbers import get_currency_name

    from servicedesk.money_format import babel_locale, currencies_in_use

    locale = babel_locale(get_language())
    choices = []
    for code in sorted(currencies_in_use()):
        try:
            name = get_currency_name(code, locale=locale)
        except (ValueError, LookupError):
            name = code
        choices.append((code, f"{code} · {name}"))
    return choices


class TenantSettingsForm(forms.ModelForm):
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        help_text=_("Public holidays, phone numbering, the legal details on papers."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)

    class Meta:
        model = Tenant
        fields = [
            "name",
            "phone",
            "email",
            "website",
            "time_zone",
            "country",
            "language",
            "currency",
            "legal_name",
            "tax_id",
            "registration_number",
            "legal_address",
            "estimate_tolerance_amount",
            "estimate_tolerance_percent",
            "diagnostic_fee",
        ]

    MONEY_RULES = ("estimate_tolerance_amount", "estimate_tolerance_percent", "diagnostic_fee")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.MONEY_RULES:
            self.fields[name].required = False  # empty means none: 0
        # The registration numbers are called what the center's country calls them (INN, NPWP ...).
        for detail in legal_details(self.instance.country):
            if detail.field in self.fields:
                self.fields[detail.field].label = str(detail.help)

    def clean(self):
        cleaned = super().clean()
        for name in self.MONEY_RULES:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = Decimal("0")
        return cleaned
