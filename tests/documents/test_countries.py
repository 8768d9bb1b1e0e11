"""Papers carry the legal details of the center's country, its currency, and the amount in words in the
document's language; the documents panel offers the client's language first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents import services
from documents.models import DocumentSettings, Kind
from servicedesk.tenancy.roles import Role

from .conftest import make_order, member, stored_text

pytestmark = pytest.mark.django_db


def _flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _center(tenant, **details):
    for name, value in details.items():
        setattr(tenant, name, value)
    tenant.save()
    return tenant


def test_a_russian_center_prints_inn_kpp_and_ogrn(tenant_a, users_a):
    _center(
        tenant_a,
        country="RU",
        currency="RUB",
        legal_name="OOO Remont",
        tax_id="7700000000",
        registration_number="1027700000000",
    )
    paper = DocumentSettings.for_tenant(tenant_a)
    paper.kpp = "770101001"
    paper.save()
    order = make_order(tenant_a)
    reception = member(tenant_a, Role.RECEPTION)
    russian = _flat(stored_text(services.issue(order, Kind.SERVICE_CONTRACT, "ru", by=reception)))
    assert "ИНН 7700000000, КПП 770101001, ОГРН 1027700000000" in russian
    english = _flat(stored_text(services.issue(order, Kind.SERVICE_CONTRACT, "en", by=reception)))
    assert "INN 7700000000, KPP 770101001, OGRN 1027700000000" in english
    assert "NPWP" not in english and "Tax no." not in english


def test_an_indonesian_center_prints_npwp_and_nib_and_rupiah(tenant_a, users_a):
    _center(
        tenant_a,
        country="ID",
        currency="IDR",
        time_zone="Asia/Jakarta",
        legal_name="PT Servis Jaya",
        tax_id="01.234.567.8-901.000",
        registration_number="9120001234567",
    )
    order = make_order(tenant_a)  # 8 900 in lines, 9 000 estimated, 1 000 prepaid
    reception = member(tenant_a, Role.RECEPTION)
    receipt = _flat(stored_text(services.issue(order, Kind.INTAKE_RECEIPT, "en", by=reception)))
    assert "NPWP 01.234.567.8-901.000, NIB 9120001234567" in receipt
    assert "IDR 9,000" in receipt and "IDR 1,000" in receipt  # no decimals: IDR's cash digits
    assert "INN" not in receipt
    indonesian = _flat(stored_text(services.issue(order, Kind.INTAKE_RECEIPT, "id", by=reception)))
    assert "Rp 9.000" in indonesian and "Rp 1.000" in indonesian
    assert "NPWP 01.234.567.8-901.000" in indonesian
    act = _flat(stored_text(services.issue(order, Kind.COMPLETION_ACT, "en", by=reception)))
    assert "Eight thousand, nine hundred Indonesian rupiahs" in act
    assert "PT Servis Jaya, NPWP 01.234.567.8-901.000, NIB 9120001234567" in act


def test_elsewhere_a_tax_and_a_company_number(tenant_a, users_a):
    _center(
        tenant_a,
        country="DE",
        currency="EUR",
        legal_name="Reparatur GmbH",
        tax_id="DE123456789",
        registration_number="HRB 12345",
    )
    order = make_order(tenant_a)
    act = _flat(
        stored_text(services.issue(order, Kind.COMPLETION_ACT, "en", by=member(tenant_a, Role.RECEPTION)))
    )
    assert "Reparatur GmbH, Tax no. DE123456789, Company no. HRB 12345" in act
    assert "€8,900.00" in act and "Eight thousand, nine hundred euros 00/100" in act


def test_the_documents_panel_offers_the_clients_language(tenant_a, users_a, member_client):
    order = make_order(tenant_a)
    order.client.language = "ru"
    order.client.save(update_fields=["language"])
    url = reverse("orders:detail", kwargs={"tenant_slug": tenant_a.slug, "order_number": order.number})
    page = member_client(Role.RECEPTION).get(url).content.decode()
    assert '<option value="ru" selected>' in page and '<option value="en" selected>' not in page
