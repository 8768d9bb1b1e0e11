"""Locations (managers and owners) and the service center's own details (owner only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from servicedesk.tenancy.models import Location, Tenant
from servicedesk.tenancy.roles import Role
from tests.factories import LocationFactory
from tests.helpers import text_of

LOCATIONS = reverse("tenancy:locations", kwargs={"tenant_slug": "alpha"})
NEW_LOCATION = reverse("tenancy:location_new", kwargs={"tenant_slug": "alpha"})
SETTINGS = reverse("tenancy:settings", kwargs={"tenant_slug": "alpha"})


def location_url(location: Location) -> str:
    return reverse("tenancy:location_edit", kwargs={"tenant_slug": "alpha", "location_id": location.pk})


def location_data(**changes) -> dict:
    data = {
        "name": "North workshop",
        "kind": Location.Kind.WORKSHOP,
        "address": "5 North Road",
        "phone": "",
        "opening_hours": "9-18",
        "is_active": "on",
    }
    data.update(changes)
    return data


# --- Locations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_list_shows_only_own_locations(member_client, location_a, location_b, role):
    response = member_client(role).get(LOCATIONS)
    assert response.status_code == 200
    assert location_a.name in text_of(response)
    assert location_b.name not in text_of(response)


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_create_location(member_client, tenant_a, role):
    client = member_client(role)
    assert client.get(NEW_LOCATION).status_code == 200

    response = client.post(NEW_LOCATION, location_data(name="  North workshop  "))

    assert response.status_code == 302
    assert response.url == LOCATIONS
    location = Location.objects.get(tenant=tenant_a, name="North workshop")
    assert (location.kind, location.address, location.is_active) == (
        Location.Kind.WORKSHOP,
        "5 North Road",
        True,
    )


def test_edit_location(member_client, location_a):
    client = member_client(Role.MANAGER)
    assert location_a.name in text_of(client.get(location_url(location_a)))

    response = client.post(location_url(location_a), location_data(name="Renamed office", is_active=""))

    assert response.status_code == 302
    location_a.refresh_from_db()
    assert location_a.name == "Renamed office"
    assert not location_a.is_active


def test_saving_a_location_unchanged_is_not_a_duplicate(member_client, location_a):
    response = member_client(Role.MANAGER).post(location_url(location_a), location_data(name=location_a.name))
    assert response.status_code == 302


@pytest.mark.parametrize("typed", ["Alpha main office", "alpha MAIN office", " Alpha main office "])
def test_duplicate_location_name_is_a_form_error(member_client, tenant_a, location_a, typed):
    response = member_client(Role.MANAGER).post(NEW_LOCATION, location_data(name=typed))

    assert response.status_code == 200
    assert "There is already a location with this name." in text_of(response)
    assert Location.objects.filter(tenant=tenant_a).count() == 1


def test_renaming_onto_another_location_is_a_form_error(member_client, tenant_a, location_a):
    other = LocationFactory(tenant=tenant_a, name="Workshop 2")
    response = member_client(Role.MANAGER).post(location_url(other), location_data(name="ALPHA MAIN OFFICE"))
    assert response.status_code == 200
    assert "There is already a location with this name." in text_of(response)
    other.refresh_from_db()
    assert other.name == "Workshop 2"


def test_another_tenants_location_name_is_free(member_client, tenant_a, location_b):
    response = member_client(Role.MANAGER).post(NEW_LOCATION, location_data(name=location_b.name))
    assert response.status_code == 302
    assert Location.objects.filter(tenant=tenant_a, name=location_b.name).exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"kind": "spaceship"}, "Select a valid choice."),
    ],
)
def test_bad_location_input_is_a_form_error(member_client, tenant_a, users_a, changes, message):
    response = member_client(Role.OWNER).post(NEW_LOCATION, location_data(**changes))
    assert response.status_code == 200
    assert message in text_of(response)
    assert Location.objects.filter(tenant=tenant_a).count() == 1


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_reception_and_technician_cannot_manage_locations(member_client, tenant_a, location_a, role):
    client = member_client(role)
    assert client.get(LOCATIONS).status_code == 403
    assert client.get(NEW_LOCATION).status_code == 403
    assert client.post(NEW_LOCATION, location_data()).status_code == 403
    assert client.post(location_url(location_a), location_data(name="Hijacked")).status_code == 403
    assert list(Location.objects.filter(tenant=tenant_a).values_list("name", flat=True)) == [
        "Alpha main office"
    ]


# --- Tenant settings ------------------------------------------------------------------------------


def settings_data(tenant: Tenant, **changes) -> dict:
    data = {
        "name": tenant.name,
        "phone": "+7 495 123-45-67",
        "email": "hello@alpha.test",
        "website": "https://alpha.test",
        "time_zone": "Asia/Almaty",
        "country": "KZ",
        "language": "ru",
        "currency": "KZT",
        "legal_name": "LLC Alpha",
        "tax_id": "7700000001",
        "registration_number": "1027700000001",
        "legal_address": "Moscow",
    }
    data.update(changes)
    return data


def test_owner_edits_settings(member_client, tenant_a):
    client = member_client(Role.OWNER)
    assert client.get(SETTINGS).status_code == 200

    response = client.post(SETTINGS, settings_data(tenant_a, name="Alpha Repairs Ltd", slug="hijack"))

    assert response.status_code == 302
    assert response.url == SETTINGS
    tenant_a.refresh_from_db()
    assert (tenant_a.name, tenant_a.time_zone, tenant_a.currency, tenant_a.tax_id) == (
        "Alpha Repairs Ltd",
        "Asia/Almaty",
        "KZT",
        "7700000001",
    )
    assert tenant_a.slug == "alpha"  # the address is not editable here
    assert tenant_a.country == "KZ"  # whose public holidays close the center


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"country": "XX"}, "Select a valid choice."),
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"currency": "XXX"}, "Select a valid choice."),
    ],
)
def test_bad_settings_are_form_errors(member_client, tenant_a, changes, message):
    response = member_client(Role.OWNER).post(SETTINGS, settings_data(tenant_a, **changes))
    assert response.status_code == 200
    assert message in text_of(response)
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Alpha Repairs"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN])
def test_settings_are_for_the_owner_only(member_client, tenant_a, role):
    client = member_client(role)
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, settings_data(tenant_a, name="Hijacked")).status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Alpha Repairs"
