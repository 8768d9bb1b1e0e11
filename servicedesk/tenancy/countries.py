"""What a center's country decides: the defaults it starts with and the legal details its papers carry.

One table, per country; a country not in it gets what the world's data says (Babel/CLDR: its currency
and time zones, `holidays`: its public holidays, phonenumbers: its numbering plan) and the generic legal
details (a tax number and a company number). Adding a country is adding a row (docs/translations.md).

The Tenant keeps the values themselves (country, currency, time zone, language); this module only says
what a new center starts with, how its legal details are named, and which personal-data law its
default privacy text follows (privacy.default_privacy_text).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass

import phonenumbers
from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language, pgettext_lazy


@dataclass(frozen=True)
class LegalDetail:
    """One of the center's registration numbers: which Tenant/document field holds it, and its names.

    `printed`: the short name on papers per document language, written here rather than left to the
    interface's translations, as papers must be right whatever a catalogue says (English if the language
    has no entry). `help`: the settings form's label, an interface string."""

    field: str  # "tax_id", "kpp" (documents' details), "registration_number"
    printed: dict[str, str]
    help: Promise

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "en").split("-")[0]
        return self.printed.get(language) or self.printed["en"]


TAX_NUMBER = LegalDetail(
    "tax_id",
    {"en": "Tax no.", "ru": "Налоговый номер", "id": "Nomor pajak"},
    pgettext_lazy("legal detail", "Tax number"),
)
COMPANY_NUMBER = LegalDetail(
    "registration_number",
    {"en": "Company no.", "ru": "Регистрационный номер", "id": "Nomor perusahaan"},
    pgettext_lazy("legal detail", "Company registration number"),
)


@dataclass(frozen=True)
class CountryProfile:
    code: str
    time_zone: str = ""  # "": CLDR's first zone of the country
    language: str = ""  # a new center's language if the interface has it; "": English
    currency: str = ""  # "": CLDR's tender of the country
    legal: tuple[LegalDetail, ...] = (TAX_NUMBER, COMPANY_NUMBER)
    privacy_law: str = "gdpr"  # which default privacy text (privacy.PRIVACY_TEXTS)


PROFILES: dict[str, CountryProfile] = {
    profile.code: profile
    for profile in [
        CountryProfile(
            "RU",
            time_zone="Europe/Moscow",
            language="ru",
            legal=(
                LegalDetail("tax_id", {"en": "INN", "ru": "ИНН"}, pgettext_lazy("legal detail", "INN")),
                LegalDetail("kpp", {"en": "KPP", "ru": "КПП"}, pgettext_lazy("legal detail", "KPP")),
                LegalDetail(
                    "registration_number",
                    {"en": "OGRN", "ru": "ОГРН"},
                    pgettext_lazy("legal detail", "OGRN (OGRNIP)"),
                ),
            ),
            privacy_law="ru_152fz",
        ),
        CountryProfile(
            "ID",
            time_zone="Asia/Jakarta",
            language="id",
            legal=(
                LegalDetail(
                    "tax_id", {"en": "NPWP"}, pgettext_lazy("legal detail", "NPWP (taxpayer number)")
                ),
                LegalDetail(
                    "registration_number",
                    {"en": "NIB"},
                    pgettext_lazy("legal detail", "NIB (business identification number)"),
                ),
            ),
            privacy_law="id_pdp",
        ),
        CountryProfile("KZ", time_zone="Asia/Almaty", language="ru"),
        CountryProfile("BY", time_zone="Europe/Minsk", language="ru"),
        CountryProfile("US", time_zone="America/New_York", language="en"),
        CountryProfile("GB", time_zone="Europe/London", language="en"),
        CountryProfile("DE", time_zone="Europe/Berlin"),
    ]
}


def profile(country: str) -> CountryProfile:
    return PROFILES.get((country or "").upper()) or CountryProfile((country or "").upper())


def country_for_language(language: str) -> str:
    """The first country in the table whose language this is: the sign-up page's suggestion."""
    for code, country in PROFILES.items():
        if country.language == language:
            return code
    return ""


def default_currency(country: str) -> str:
    chosen = profile(country).currency
    if chosen:
        return chosen
    tender = get_territory_currencies(country.upper(), tender=True) if country else []
    return tender[0] if tender else "USD"


def default_time_zone(country: str) -> str:
    chosen = profile(country).time_zone
    if chosen:
        return chosen
    zones = get_global("territory_zones").get(country.upper(), []) if country else []
    return zones[0] if zones else "UTC"


def default_language(country: str) -> str:
    """The country's language if the interface speaks it, else English (else the first there is)."""
    codes = [code for code, _name in settings.LANGUAGES]
    for language in (profile(country).language, "en"):
        if language in codes:
            return language
    return codes[0]


def legal_details(country: str) -> tuple[LegalDetail, ...]:
    return profile(country).legal


def legal_line(country: str, values: dict[str, str], language: str | None = None) -> str:
    """ "ИНН 7700000000, КПП 770101001, ОГРН 1027700000000" on ru papers, "INN ..." on en ones, "NPWP ...,
    NIB ..." in Indonesia; `language` defaults to the active one; empty values are left out."""
    return ", ".join(
        f"{detail.label(language)} {values[detail.field]}"
        for detail in legal_details(country)
        if values.get(detail.field)
    )


def phone_region(country: str) -> str:
    """The numbering plan numbers without a +country code are read in: the center's country's.
    A country phonenumbers does not know (none is) reads only international numbers."""
    code = (country or "").upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else "ZZ"


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in the language (pycountry's ISO 3166 translations), the code if unknown."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code) if len(code or "") == 2 else None
    if country is None:
        return code
    names = gettext.translation(
        "iso3166-1",
        pycountry.LOCALES_DIR,
        languages=[(language or get_language() or "en").split("-")[0]],
        fallback=True,
    )
    return names.gettext(getattr(country, "common_name", country.name))
