"""The Jakarta demo center beside the Moscow one: Bahasa Indonesia, Asia/Jakarta, +62 clients, rupiah prices,
orders in every status made through the real lifecycle (so their timelines are written in Indonesian).

The whole `seed_jakarta()` (every app's demo) runs in `manage.py seed_demo`; here its staff and orders, the
part that is the Jakarta center's own data (the apps' demos after it read what these make)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import translation

from orders.demo import JAKARTA, PATHS, seed_demo_orders
from orders.models import Client, Order, OrderEvent, ServiceType
from servicedesk.tenancy.demo import JAKARTA_SLUG, seed_demo_staff, seed_jakarta_staff
from servicedesk.tenancy.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def jakarta():
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_BACKEND="notifications.sms.LocmemBackend",
        ),
        translation.override("id"),
    ):
        staff = seed_jakarta_staff()
        seed_demo_orders(staff)
    return staff


def test_the_jakarta_center_speaks_indonesian_in_its_own_zone(jakarta):
    tenant = jakarta.tenant
    assert (tenant.slug, tenant.language, tenant.time_zone, tenant.country) == (
        JAKARTA_SLUG,
        "id",
        "Asia/Jakarta",
        "ID",
    )
    assert tenant.phone.startswith("+62 21")
    members = Membership.objects.for_tenant(tenant).select_related("user")
    assert {m.user.full_name for m in members} == {
        "Dewi Lestari",
        "Budi Santoso",
        "Siti Rahmawati",
        "Agus Pratama",
    }


def test_its_clients_have_indonesian_numbers_and_its_prices_are_rupiah(jakarta):
    phones = set(Client.objects.for_tenant(jakarta.tenant).values_list("phone", flat=True))
    assert phones == {phone for _, phone, _ in JAKARTA.clients}
    assert all(phone.startswith("+628") for phone in phones)
    services = dict(ServiceType.objects.for_tenant(jakarta.tenant).values_list("name", "base_price"))
    assert services["Ganti layar ponsel"] == Decimal("850000")
    assert "Phone screen replacement" not in services


def test_its_orders_cover_every_status_with_indonesian_timelines(jakarta):
    orders = Order.objects.for_tenant(jakarta.tenant)
    assert orders.count() == 26
    assert set(orders.values_list("status", flat=True)) == set(PATHS)
    first = orders.order_by("number").first()
    events = OrderEvent.objects.filter(order=first).order_by("id")
    taken_in = events.first()
    assert taken_in.message == ""  # the system's text is stored as data, read in the reader's language
    with translation.override("id"):
        assert taken_in.display_text == "Order diterima di Kantor pusat Sudirman."
    assert taken_in.display_text == "Order taken in at Kantor pusat Sudirman."
    cancelled = orders.get(status="cancelled", number__lte=11)
    assert "Pelanggan berubah pikiran" in " ".join(cancelled.events.values_list("message", flat=True))


def test_the_moscow_demo_is_untouched(jakarta):
    moscow = seed_demo_staff().tenant
    assert (moscow.language, moscow.time_zone, moscow.name) == ("ru", "Europe/Moscow", "Demo Service Center")
    assert not Client.objects.for_tenant(moscow).exists()  # the Jakarta seed made nothing there
