"""A center's country decides its defaults: phone numbering, currency and its formatting, time zone,
legal details, the privacy text; and amounts in words for every language. Expected values written out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from documents.words import amount_in_words
from orders.forms import ClientForm
from orders.services import find_clients, format_phone, mask_phone, normalise_phone
from servicedesk.money_format import currency_symbol, format_amount, format_money
from servicedesk.tenancy import countries
from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.privacy import default_privacy_text, default_privacy_title
from servicedesk.tenancy.services import create_tenant_with_owner
from tests.factories import TenantFactory, UserFactory

NBSP = "\xa0"


# --- Phones ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("country", "typed", "stored", "shown"),
    [
        ("RU", "8 (916) 123-45-67", "+79161234567", "+7 916 123-45-67"),
        ("RU", "9161234567", "+79161234567", "+7 916 123-45-67"),
        ("KZ", "8 701 123 4567", "+77011234567", "+7 701 123 4567"),
        ("ID", "0812-3456-7890", "+6281234567890", "+62 812-3456-7890"),
        ("DE", "030 1234567", "+49301234567", "+49 30 1234567"),
        ("US", "(201) 555-0123", "+12015550123", "+1 201-555-0123"),
        # A number with its +code is read as it says, whatever the center's country.
        ("ID", "+7 916 123 45 67", "+79161234567", "+7 916 123-45-67"),
    ],
)
def test_phones_are_read_in_the_centers_numbering_plan(country, typed, stored, shown):
    region = countries.phone_region(country)
    assert normalise_phone(typed, region) == stored
    assert format_phone(stored) == shown


def test_masked_phones_keep_their_country_code():
    assert mask_phone("+79161234567") == "+7 *** ***-**-67"
    assert mask_phone("+6281234567890") == "+62 *** ***-**-90"


def test_a_local_number_of_another_country_is_refused():
    with pytest.raises(ValidationError):
        normalise_phone("0812-3456-7890", "RU")  # an Indonesian local number means nothing in Russia


def test_a_country_without_a_numbering_plan_reads_only_international_numbers():
    assert countries.phone_region("AQ") == "ZZ"
    assert normalise_phone("+62 812 3456 7890", "ZZ") == "+6281234567890"
    with pytest.raises(ValidationError):
        normalise_phone("0812 3456 7890", "ZZ")


@pytest.mark.django_db
def test_the_client_form_reads_phones_in_the_centers_country():
    jakarta = TenantFactory(country="ID", currency="IDR")
    form = ClientForm(data={"name": "Budi", "phone": "0812-3456-7890"}, tenant=jakarta)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+6281234567890"
    assert form.cleaned_data["language"] == ""  # the center's language


@pytest.mark.django_db
def test_the_intake_search_finds_a_client_by_the_local_prefix_of_the_centers_country():
    from tests.factories import ClientFactory

    jakarta = TenantFactory(country="ID", currency="IDR")
    budi = ClientFactory(tenant=jakarta, name="Budi", phone="+6281234567890")
    assert list(find_clients(jakarta, "08123456")) == [budi]
    moscow = TenantFactory(country="RU")
    ivan = ClientFactory(tenant=moscow, name="Ivan", phone="+79161234567")
    assert list(find_clients(moscow, "8916123")) == [ivan]


# --- Money ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("150000", "IDR", "id", f"Rp{NBSP}150.000"),
        ("1500", "RUB", "ru", f"1{NBSP}500,00{NBSP}₽"),
        ("1500", "USD", "en", "$1,500.00"),
        ("1500", "RUB", "en", f"RUB{NBSP}1,500.00"),
        ("1500.5", "KZT", "ru", f"1{NBSP}500,50{NBSP}KZT"),
        ("1500", "EUR", "de", f"1.500,00{NBSP}€"),
        ("150000", "IDR", "en", f"IDR{NBSP}150,000"),
        ("1500", "JPY", "en", "¥1,500"),
        ("-20", "USD", "en", "-$20.00"),
        ("0.005", "RUB", "ru", f"0,01{NBSP}₽"),  # half up, as orders.money rounds
    ],
)
def test_money_is_formatted_for_the_language_and_the_currency(amount, currency, language, expected):
    assert format_money(Decimal(amount), currency, language) == expected


def test_money_follows_the_active_language_when_none_is_given():
    with translation.override("ru"):
        assert format_money(Decimal("2500"), "RUB") == f"2{NBSP}500,00{NBSP}₽"
    with translation.override("en"):
        assert format_money(Decimal("2500"), "USD") == "$2,500.00"


def test_no_amount_is_empty_and_nonsense_is_shown_as_it_is():
    assert format_money(None, "RUB", "ru") == ""
    assert format_money("", "RUB", "ru") == ""
    assert format_money("n/a", "RUB", "ru") == "n/a"


def test_amounts_alone_and_currency_signs():
    assert format_amount(Decimal("8900"), "ru") == f"8{NBSP}900,00"
    assert format_amount(Decimal("150000"), "id", digits=0) == "150.000"
    assert currency_symbol("RUB", "ru") == "₽"
    assert currency_symbol("IDR", "id") == "Rp"
    assert currency_symbol("USD", "en") == "$"


# --- Amounts in words -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1500", "RUB", "ru", "Одна тысяча пятьсот рублей 00 копеек"),
        ("21.02", "USD", "ru", "Двадцать один доллар США 02 цента"),
        ("5", "CHF", "ru", "Пять швейцарских франков 00/100"),
        ("1234.50", "USD", "en", "One thousand, two hundred and thirty-four US dollars 50/100"),
        ("1", "RUB", "en", "One Russian ruble 00/100"),
        ("150000", "IDR", "id", "Seratus lima puluh ribu Rupiah Indonesia"),
        ("2500000", "IDR", "id", "Dua juta lima ratus ribu Rupiah Indonesia"),
        ("1500", "EUR", "id", "Seribu lima ratus Euro 00/100"),
    ],
)
def test_amounts_in_words_in_every_language(amount, currency, language, expected):
    assert amount_in_words(Decimal(amount), currency, language) == expected


# --- Defaults of a new center ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("country", "currency", "time_zone"),
    [
        ("RU", "RUB", "Europe/Moscow"),
        ("ID", "IDR", "Asia/Jakarta"),
        ("KZ", "KZT", "Asia/Almaty"),
        ("DE", "EUR", "Europe/Berlin"),
        ("US", "USD", "America/New_York"),
        ("BR", "BRL", "America/Araguaina"),  # not in the table: CLDR's data
    ],
)
def test_a_country_gives_a_new_center_its_currency_and_time_zone(country, currency, time_zone):
    assert countries.default_currency(country) == currency
    assert countries.default_time_zone(country) == time_zone


def test_the_default_language_is_the_countrys_if_the_interface_speaks_it(settings):
    settings.LANGUAGES = [("en", "English"), ("ru", "Russian")]
    assert countries.default_language("RU") == "ru"
    assert countries.default_language("ID") == "en"  # until Indonesian is among LANGUAGES
    assert countries.default_language("DE") == "en"
    settings.LANGUAGES = [("en", "English"), ("ru", "Russian"), ("id", "Indonesian")]
    assert countries.default_language("ID") == "id"


@pytest.mark.django_db
def test_a_center_created_for_indonesia_starts_with_indonesian_defaults():
    tenant = create_tenant_with_owner(
        tenant_name="Servis Jaya",
        slug="servis-jaya",
        owner=UserFactory(),
        location_name="Kantor pusat",
        country="ID",
    )
    assert (tenant.country, tenant.currency, tenant.time_zone) == ("ID", "IDR", "Asia/Jakarta")
    assert tenant.phone_region == "ID"


@pytest.mark.django_db
def test_signing_up_with_a_country_and_no_time_zone_takes_the_countrys(client, mailoutbox):
    password = "violet-Harbor-2931-lamp"
    response = client.post(
        reverse("accounts:signup"),
        {
            "full_name": "Budi Santoso",
            "email": "budi@jaya.test",
            "password1": password,
            "password2": password,
            "tenant_name": "Servis Jaya",
            "slug": "jaya",
            "location_name": "Kantor pusat",
            "location_address": "Jl. Sudirman 1, Jakarta",
            "country": "ID",
            "language": "en",
            "time_zone": "",
        },
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="jaya")
    assert (tenant.country, tenant.currency, tenant.time_zone, tenant.language) == (
        "ID",
        "IDR",
        "Asia/Jakarta",
        "en",
    )


@pytest.mark.django_db
def test_any_iso_currency_is_accepted_and_others_are_refused():
    tenant = TenantFactory(country="ID", currency="IDR")
    tenant.full_clean()
    for code in ("XYZ", "XXX", "XAU", "RUR"):  # unknown, "no currency", gold, the rouble of 1997
        tenant.currency = code
        with pytest.raises(ValidationError) as error:
            tenant.full_clean()
        assert "currency" in error.value.message_dict


@pytest.mark.django_db
def test_the_settings_form_names_the_numbers_as_the_country_does():
    from servicedesk.tenancy.forms import TenantSettingsForm

    with translation.override("en"):
        russian = TenantSettingsForm(instance=TenantFactory(country="RU"))
        indonesian = TenantSettingsForm(instance=TenantFactory(country="ID"))
        german = TenantSettingsForm(instance=TenantFactory(country="DE"))
    assert (str(russian.fields["tax_id"].label), str(russian.fields["registration_number"].label)) == (
        "INN",
        "OGRN (OGRNIP)",
    )
    assert str(indonesian.fields["tax_id"].label) == "NPWP (taxpayer number)"
    assert str(indonesian.fields["registration_number"].label) == "NIB (business identification number)"
    assert str(german.fields["tax_id"].label) == "Tax number"
    assert ("IDR", "IDR · Indonesian Rupiah") in indonesian.fields["currency"].choices


# --- Legal details and the privacy text -----------------------------------------------------------------
def test_legal_details_per_country_and_language():
    values = {"tax_id": "7700000000", "kpp": "770101001", "registration_number": "1027700000000"}
    assert countries.legal_line("RU", values, "ru") == "ИНН 7700000000, КПП 770101001, ОГРН 1027700000000"
    assert countries.legal_line("RU", values, "en") == "INN 7700000000, KPP 770101001, OGRN 1027700000000"
    indonesian = {"tax_id": "01.234.567.8-901.000", "kpp": "ignored", "registration_number": "9120001234567"}
    assert countries.legal_line("ID", indonesian, "id") == "NPWP 01.234.567.8-901.000, NIB 9120001234567"
    assert countries.legal_line("ID", indonesian, "en") == "NPWP 01.234.567.8-901.000, NIB 9120001234567"
    assert countries.legal_line("DE", values, "en") == "Tax no. 7700000000, Company no. 1027700000000"
    assert countries.legal_line("DE", {"tax_id": "DE123456789"}, "en") == "Tax no. DE123456789"


@pytest.mark.django_db
def test_the_default_privacy_text_follows_the_countrys_law():
    moscow = TenantFactory(country="RU", language="ru", legal_name="ООО «Ремонт»", tax_id="7700000000")
    jakarta = TenantFactory(
        country="ID", language="en", legal_name="PT Servis Jaya", tax_id="01.234.567.8-901.000"
    )
    berlin = TenantFactory(country="DE", language="en", legal_name="Reparatur GmbH", email="info@rep.test")
    assert "152-ФЗ" in default_privacy_text(
        moscow
    ) and "ООО «Ремонт», ИНН 7700000000" in default_privacy_text(moscow)
    assert default_privacy_title(moscow) == "Политика обработки персональных данных"
    assert "Law No. 27 of 2022" in default_privacy_text(jakarta)
    assert "PT Servis Jaya, NPWP 01.234.567.8-901.000" in default_privacy_text(jakarta)
    assert "Undang-Undang Nomor 27 Tahun 2022" in default_privacy_text(jakarta, "id")
    assert "data protection authority" in default_privacy_text(berlin)
    assert "info@rep.test" in default_privacy_text(berlin)


# --- Existing centers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("currency", "phone", "country"),
    [
        ("RUB", "+74951234567", "RU"),
        ("RUB", "", "RU"),
        ("KZT", "+77272123456", "KZ"),
        ("BYN", "", "BY"),
        ("EUR", "+49301234567", "DE"),
        ("USD", "", "RU"),  # nothing says otherwise: stays
    ],
)
def test_the_data_migration_reads_the_country_from_the_centers_data(currency, phone, country):
    from importlib import import_module

    migration = import_module("servicedesk.tenancy.migrations.0008_country_defaults")
    assert migration.country_from_data(currency, phone) == country
