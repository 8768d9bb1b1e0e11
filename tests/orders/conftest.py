"""Fixtures of the orders tests.

Tenant A's members as Membership objects (owner_a, manager_a, reception_a, tech_a, other_tech_a), a
service type and location of A, `make_order(status=...)` for an order of A that satisfies every guard of
that status, and `intake_post(**changes)` for the intake form's data. Uploaded files go to a temporary
MEDIA_ROOT; the cache (the public page's rate limit) is emptied around every test.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from orders.models import OrderStatus, ServiceFormat
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import MembershipFactory, OrderFactory, ServiceTypeFactory, UserFactory

S = OrderStatus


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def membership(tenant, user) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=user)


@pytest.fixture
def staff_a(tenant_a, users_a) -> dict[Role, Membership]:
    return {role: membership(tenant_a, user) for role, user in users_a.items()}


@pytest.fixture
def owner_a(staff_a):
    return staff_a[Role.OWNER]


@pytest.fixture
def manager_a(staff_a):
    return staff_a[Role.MANAGER]


@pytest.fixture
def reception_a(staff_a):
    return staff_a[Role.RECEPTION]


@pytest.fixture
def tech_a(staff_a):
    return staff_a[Role.TECHNICIAN]


@pytest.fixture
def other_tech_a(tenant_a):
    user = UserFactory(email="second-tech@alpha.test", full_name="Second Technician")
    MembershipFactory(tenant=tenant_a, user=user, role=Role.TECHNICIAN)
    return membership(tenant_a, user)


@pytest.fixture
def service_a(tenant_a):
    return ServiceTypeFactory(
        tenant=tenant_a,
        name="Phone repair",
        warranty_days=90,
        formats=[ServiceFormat.IN_SHOP, ServiceFormat.ON_SITE],
    )


@pytest.fixture
def make_order(tenant_a, location_a, tech_a, service_a):
    """make_order(status) -> an order of A in that status that passes every guard of the actions from it:
    technician and workshop assigned, an estimate the client approved, nothing due; on hold it was in
    progress before."""

    def make(status: str = S.NEW, **fields):
        defaults = {
            "tenant": tenant_a,
            "service_type": service_a,
            "intake_location": location_a,
            "workshop": location_a,
            "technician": tech_a,
            "estimate": Decimal("1000"),
            "status": status,
            "approved_amount": Decimal("1000"),  # the client agreed to it at intake
        }
        if status == S.ON_HOLD:
            defaults["status_before_hold"] = S.IN_PROGRESS
        if status == S.AWAITING_APPROVAL:
            defaults["estimate_state"] = "pending"
        defaults.update(fields)
        order = OrderFactory(**defaults)
        return order

    return make


def png_bytes(size=(8, 8), color="red", fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def photo_upload(
    name="photo.png", content: bytes | None = None, content_type="image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type=content_type)


@pytest.fixture
def intake_post(service_a, location_a):
    """intake_post(**changes) -> the POST data of a valid intake of a new client (changes win; None drops a field)."""

    def make(**changes) -> dict:
        data = {
            "client": "",
            "client_name": "Ivan Petrov",
            "client_phone": "8 (916) 123-45-67",
            "client_email": "ivan@example.test",
            "consent": "on",
            "service_type": service_a.pk,
            "format": ServiceFormat.IN_SHOP,
            "intake_location": location_a.pk,
            "item_kind": "Phone",
            "item_brand": "Apple",
            "item_model": "iPhone 13",
            "item_serial": "356789104512345",
            "item_condition": "Scratches",
            "item_accessories": "Case",
            "problem": "Does not turn on",
            "priority": "1",
            "promised_at": "",
            "estimate": "4500",
            "prepayment": "1000",
            "prepayment_method": "cash",
            "terms": "",
            "visit_address": "",
            "visit_start": "",
            "visit_end": "",
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}

    return make


def order_url(name: str, order, *args) -> str:
    return reverse(f"orders:{name}", args=[order.tenant.slug, order.number, *args])


def tenant_url(name: str, tenant, *args) -> str:
    return reverse(f"orders:{name}", args=[tenant.slug, *args])
