"""Any ISO 4217 currency; the legal numbers named by country; existing centers' country from their data.

Migration 0003 gave every center "RU". Centers whose own data says another country (a tenge or Belarusian
rouble currency, the center's phone number in another country's plan) get that country; the rest, with
roubles, +7 phones and Russian, stay in Russia.
"""

import phonenumbers
from django.db import migrations, models

import servicedesk.tenancy.models

# Currencies of one country only: the center's currency names its country.
ONE_COUNTRY_CURRENCIES = {"RUB": "RU", "KZT": "KZ", "BYN": "BY"}


def country_from_data(currency: str, phone: str) -> str:
    if currency in ONE_COUNTRY_CURRENCIES:
        return ONE_COUNTRY_CURRENCIES[currency]
    try:
        number = phonenumbers.parse(phone, None) if phone.startswith("+") else None
    except phonenumbers.NumberParseException:
        number = None
    region = phonenumbers.region_code_for_number(number) if number is not None else None
    return region or "RU"


def set_countries(apps, schema_editor) -> None:
    import holidays

    known = holidays.list_supported_countries()
    Tenant = apps.get_model("tenancy", "Tenant")
    for tenant in Tenant.objects.filter(country="RU").only("pk", "currency", "phone"):
        country = country_from_data(tenant.currency, tenant.phone)
        if country != "RU" and country in known:
            Tenant.objects.filter(pk=tenant.pk).update(country=country)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0007_language_indonesian"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tenant",
            name="currency",
            field=models.CharField(
                default="RUB",
                max_length=3,
                validators=[servicedesk.tenancy.models.validate_currency],
                verbose_name="currency",
            ),
        ),
        migrations.AlterField(
            model_name="tenant",
            name="registration_number",
            field=models.CharField(blank=True, max_length=30, verbose_name="company registration number"),
        ),
        migrations.AlterField(
            model_name="tenant",
            name="tax_id",
            field=models.CharField(blank=True, max_length=30, verbose_name="tax number"),
        ),
        migrations.RunPython(set_countries, migrations.RunPython.noop, elidable=True),
    ]
