"""Issue 14, item 10: a new center's setup checklist (orders.setup) and its ready-made catalogues
(orders.catalogues), chosen at sign-up or from the checklist."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from orders import catalogues
from orders.models import ServiceType
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Role
from servicedesk.tenancy.starter import STARTER_KEYS
from tests.factories import InvitationFactory, NotificationSettingsFactory, ServiceTypeFactory

from ..tenancy.test_signup import SIGNUP_URL, signup_data

pytestmark = pytest.mark.django_db


def dashboard(client, tenant):
    return client.get(reverse("orders:dashboard", args=[tenant.slug]))


def steps_of(response) -> dict[str, bool]:
    return {state.step.key: state.done for state in response.context["setup"]}


# --- The catalogues --------------------------------------------------------------------------------
def test_every_catalogue_has_sensible_services():
    assert set(catalogues.CATALOGUES) == STARTER_KEYS == {"phones", "appliances", "cars", "it", "consulting"}
    for key, services in catalogues.CATALOGUES.items():
        assert len(services) >= 4, key
        for service in services:
            assert service.formats and 15 <= service.minutes <= 480
            assert 500 <= service.price_rub <= 10000 and 0 <= service.warranty_days <= 365
            assert 1 <= service.target_days <= 14
    # Consultations and training bring no device.
    assert not any(s.needs_item for s in catalogues.CATALOGUES["consulting"][:3])


@pytest.mark.parametrize(
    ("currency", "rub", "expected"),
    [
        ("RUB", 4500, "4500.00"),
        ("EUR", 4500, "45.00"),
        ("USD", 2500, "28.00"),
        ("KZT", 1500, "7500.00"),
        ("KZT", 4500, "22500.00"),
        ("KZT", 4510, "22600.00"),
        ("IDR", 4500, "855000.00"),
        ("IDR", 800, "152000.00"),
    ],
)
def test_prices_in_the_centers_currency(currency, rub, expected):
    assert catalogues.price_in(currency, rub) == Decimal(expected)


def test_applying_a_catalogue_adds_its_services_once(tenant_a):
    tenant_a.language, tenant_a.currency = "en", "RUB"
    ServiceTypeFactory(tenant=tenant_a, name="Phone screen replacement", base_price=Decimal("9999"))
    assert catalogues.apply_catalogue(tenant_a, "phones") == 5  # the one the center has is kept as it is
    screen = ServiceType.objects.get(tenant=tenant_a, name="Phone screen replacement")
    assert screen.base_price == Decimal("9999.00")
    battery = ServiceType.objects.get(tenant=tenant_a, name="Phone battery replacement")
    assert (
        battery.base_price,
        battery.warranty_days,
        battery.target_days,
        battery.default_duration_minutes,
    ) == (
        Decimal("2500.00"),
        180,
        1,
        45,
    )
    assert battery.formats == ["in_shop"] and battery.needs_item
    assert catalogues.apply_catalogue(tenant_a, "phones") == 0
    assert ServiceType.objects.filter(tenant=tenant_a).count() == 6


def test_a_catalogue_is_named_in_the_centers_language(tenant_a):
    tenant_a.language = "ru"
    with translation.override("en"):  # the page's language does not matter
        catalogues.apply_catalogue(tenant_a, "cars")
    with translation.override("ru"):
        expected = {str(s.name) for s in catalogues.CATALOGUES["cars"]}
    assert set(ServiceType.objects.filter(tenant=tenant_a).values_list("name", flat=True)) == expected


def test_an_unknown_catalogue_or_a_role_without_the_right_is_refused(tenant_a, users_a, tenant_b, users_b):
    with pytest.raises(catalogues.CatalogueRefused):
        catalogues.apply_catalogue(tenant_a, "rockets")
    for member in [
        Membership.objects.get(tenant=tenant_a, user=users_a[Role.RECEPTION]),
        Membership.objects.get(tenant=tenant_a, user=users_a[Role.TECHNICIAN]),
        Membership.objects.get(tenant=tenant_b, user=users_b[Role.OWNER]),  # another center's owner
    ]:
        with pytest.raises(catalogues.CatalogueRefused):
            catalogues.apply_catalogue(tenant_a, "it", by=member)
    assert not ServiceType.objects.filter(tenant=tenant_a).exists()


# --- Sign-up ---------------------------------------------------------------------------------------
def test_a_catalogue_chosen_at_sign_up_fills_the_new_centers_catalogue(client, db, mailoutbox):
    response = client.post(SIGNUP_URL, signup_data(starter_catalogue="appliances", language="en"))
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="gamma")
    names = set(ServiceType.objects.filter(tenant=tenant).values_list("name", flat=True))
    assert names == {
        "Washing machine repair",
        "Refrigerator repair",
        "Dishwasher repair",
        "Microwave oven repair",
        "Appliance diagnostics at home",
    }


@pytest.mark.parametrize("choice", ["", "rockets"])
def test_sign_up_without_a_catalogue_or_with_junk(client, db, mailoutbox, choice):
    response = client.post(SIGNUP_URL, signup_data(starter_catalogue=choice))
    tenant = Tenant.objects.filter(slug="gamma").first()
    if choice:
        assert response.status_code == 200 and tenant is None  # a form error, nothing made
        assert "starter_catalogue" in response.context["form"].errors
    else:
        assert response.status_code == 302 and not ServiceType.objects.filter(tenant=tenant).exists()


# --- The checklist ---------------------------------------------------------------------------------
def test_the_checklist_ticks_itself_step_by_step(member_client, tenant_a, users_a, location_a):
    client = member_client(Role.OWNER)
    Membership.objects.filter(tenant=tenant_a).exclude(user=users_a[Role.OWNER]).delete()
    location_a.address = ""
    location_a.save()
    response = dashboard(client, tenant_a)
    assert steps_of(response) == {
        "locations": False,
        "services": False,
        "staff": False,
        "details": False,
        "messages": False,
    }
    assert b'data-testid="starter-catalogue"' in response.content
    assert b'data-testid="setup-dismiss"' not in response.content
    location_a.address = "1 Main Street"
    location_a.save()
    ServiceTypeFactory(tenant=tenant_a, name="Repair")
    InvitationFactory(
        tenant=tenant_a,
        email="new@alpha.test",
        role=Role.TECHNICIAN,
        invited_by=users_a[Role.OWNER],
        expires_at="2099-01-01T00:00:00Z",
    )
    Tenant.objects.filter(pk=tenant_a.pk).update(
        legal_name="Alpha LLC", tax_id="7701234567", legal_address="1 Main Street", phone="+74950000000"
    )
    response = dashboard(client, tenant_a)
    assert steps_of(response) == {
        "locations": True,
        "services": True,
        "staff": True,
        "details": True,
        "messages": False,
    }
    NotificationSettingsFactory(tenant=tenant_a)
    response = dashboard(client, tenant_a)
    assert all(steps_of(response).values())
    assert b'data-testid="setup-dismiss"' in response.content


def test_each_step_links_to_its_settings_page(member_client, tenant_a):
    response = dashboard(member_client(Role.OWNER), tenant_a)
    urls = {state.step.key: state.url for state in response.context["setup"]}
    slug = tenant_a.slug
    assert urls == {
        "locations": f"/{slug}/locations/",
        "services": f"/{slug}/catalogue/",
        "staff": f"/{slug}/members/",
        "details": f"/{slug}/settings/",
        "messages": f"/{slug}/notifications/settings/",
    }
    for url in urls.values():
        assert member_client(Role.OWNER).get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "shown"),
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, False), (Role.TECHNICIAN, False)],
)
def test_the_checklist_is_for_owners_and_managers(member_client, tenant_a, role, shown):
    response = dashboard(member_client(role), tenant_a)
    assert (response.context["setup"] is not None) is shown
    assert (b'data-testid="setup"' in response.content) is shown


def test_the_dashboards_cost_is_the_same_with_the_checklist(
    member_client, tenant_a, django_assert_max_num_queries
):
    client = member_client(Role.OWNER)
    dashboard(client, tenant_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        dashboard(client, tenant_a)
    catalogues.apply_catalogue(tenant_a, "it")
    with django_assert_max_num_queries(len(before.captured_queries)):
        dashboard(client, tenant_a)


def test_dismissing_only_when_complete(member_client, tenant_a, monkeypatch):
    import dataclasses

    from orders import setup

    client = member_client(Role.MANAGER)
    url = reverse("orders:setup_dismiss", args=[tenant_a.slug])
    response = client.post(url, follow=True)
    assert "Finish the remaining setup steps first." in response.content.decode()
    tenant_a.refresh_from_db()
    assert tenant_a.setup_dismissed_at is None
    # Every step done (their conditions are tested above).
    done = {key: dataclasses.replace(step, done=lambda tenant: True) for key, step in setup._STEPS.items()}
    monkeypatch.setattr(setup, "_STEPS", done)
    assert client.post(url).status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.setup_dismissed_at is not None
    assert dashboard(client, tenant_a).context["setup"] is None


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_only_catalogue_managers_add_catalogues_or_dismiss(member_client, tenant_a, role):
    client = member_client(role)
    assert (
        client.post(reverse("orders:add_catalogue", args=[tenant_a.slug]), {"catalogue": "it"}).status_code
        == 403
    )
    assert client.post(reverse("orders:setup_dismiss", args=[tenant_a.slug])).status_code == 403
    assert not ServiceType.objects.filter(tenant=tenant_a).exists()


def test_adding_a_catalogue_from_the_checklist(member_client, tenant_a, tenant_b):
    client = member_client(Role.OWNER)
    url = reverse("orders:add_catalogue", args=[tenant_a.slug])
    response = client.post(url, {"catalogue": "consulting", "next": "dashboard"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/{tenant_a.slug}/"
    assert ServiceType.objects.filter(tenant=tenant_a).count() == 4
    assert not ServiceType.objects.filter(tenant=tenant_b).exists()
    assert steps_of(response)["services"] is True
    for junk in [
        {},
        {"catalogue": "rockets"},
        {"catalogue": "it", "next": "https://evil.test/"},
        {"catalogue": "\x00"},
    ]:
        response = client.post(url, junk)
        assert response.status_code == 302 and response["Location"].startswith(f"/{tenant_a.slug}/")
    # Another center's address answers 404 for this owner.
    assert (
        client.post(reverse("orders:add_catalogue", args=[tenant_b.slug]), {"catalogue": "it"}).status_code
        == 404
    )
    assert not ServiceType.objects.filter(tenant=tenant_b).exists()
