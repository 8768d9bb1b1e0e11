"""The demo tenant: locations and one user per role. Idempotent: running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from servicedesk.accounts.models import User

from .models import Location, Membership, Tenant
from .roles import Role

DEMO_PASSWORD = "demo-pass-2026"
DEMO_SLUG = "demo"
JAKARTA_SLUG = "demo-jakarta"


@dataclass
class DemoStaff:
    tenant: Tenant
    users: dict[Role, User]
    head_office: Location
    workshop: Location


DEMO_PEOPLE = [
    (Role.OWNER, "owner@demo.servicedesk.test", "Olga Owner"),
    (Role.MANAGER, "manager@demo.servicedesk.test", "Mikhail Manager"),
    (Role.RECEPTION, "reception@demo.servicedesk.test", "Rita Reception"),
    (Role.TECHNICIAN, "tech@demo.servicedesk.test", "Timur Technician"),
]

# The Jakarta demo center: Bahasa Indonesia, Asia/Jakarta, +62 numbers, its own staff.
JAKARTA_PEOPLE = [
    (Role.OWNER, "owner@jakarta.demo.servicedesk.test", "Dewi Lestari"),
    (Role.MANAGER, "manager@jakarta.demo.servicedesk.test", "Budi Santoso"),
    (Role.RECEPTION, "reception@jakarta.demo.servicedesk.test", "Siti Rahmawati"),
    (Role.TECHNICIAN, "tech@jakarta.demo.servicedesk.test", "Agus Pratama"),
]


def _user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        # Demo addresses cannot receive mail: count them as confirmed, so the demo messages clients and invites.
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=full_name, email_confirmed_at=timezone.now()
        )
    return user


@transaction.atomic
def seed_demo_staff() -> DemoStaff:
    tenant, _ = Tenant.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Demo Service Center",
            "phone": "+7 495 000-00-00",
            "email": "hello@demo.servicedesk.test",
            "legal_name": "LLC “Demo Service”",
            "tax_id": "7700000000",
            "registration_number": "1027700000000",
            "legal_address": "Moscow, Tverskaya st. 1",
            "language": "ru",
            "time_zone": "Europe/Moscow",
        },
    )
    head_office, _ = Location.objects.get_or_create(
        tenant=tenant,
        name="Head office",
        defaults={
            "kind": Location.Kind.BOTH,
            "address": "Moscow, Tverskaya st. 1",
            "phone": "+7 495 000-00-00",
            "opening_hours": "Mon-Sat 10:00-20:00",
        },
    )
    workshop, _ = Location.objects.get_or_create(
        tenant=tenant,
        name="North workshop",
        defaults={"kind": Location.Kind.WORKSHOP, "address": "Moscow, Dmitrovskoye hwy 100"},
    )
    users = {}
    for role, email, name in DEMO_PEOPLE:
        user = _user(email, name)
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
        users[role] = user

    # A second center where the demo technician also works: shows the tenant switcher.
    other, _ = Tenant.objects.get_or_create(
        slug="demo-north", defaults={"name": "North Repairs", "language": "en", "time_zone": "Europe/Moscow"}
    )
    Location.objects.get_or_create(tenant=other, name="Main office", defaults={"kind": Location.Kind.BOTH})
    Membership.objects.get_or_create(
        tenant=other, user=users[Role.TECHNICIAN], defaults={"role": Role.TECHNICIAN}
    )
    return DemoStaff(tenant=tenant, users=users, head_office=head_office, workshop=workshop)


def _currency_or_default(code: str) -> str:
    """IDR once the tenant's currency may be any ISO 4217 code (issue 18's country work); until then the
    field's default, which its choices accept."""
    field = Tenant._meta.get_field("currency")
    codes = {value for value, _ in field.choices or []}
    return code if not codes or code in codes else field.default


@transaction.atomic
def seed_jakarta_staff() -> DemoStaff:
    """The second demo center, in Jakarta, beside the Moscow one. Idempotent."""
    tenant, _ = Tenant.objects.get_or_create(
        slug=JAKARTA_SLUG,
        defaults={
            "name": "Pusat Servis Demo Jakarta",
            "phone": "+62 21 5000 0000",
            "email": "halo@jakarta.demo.servicedesk.test",
            "legal_name": "PT Demo Servis Indonesia",
            "tax_id": "0123456780120000",  # NPWP (16 digits)
            "registration_number": "9120001234567",  # NIB
            "legal_address": "Jl. Jend. Sudirman Kav. 52-53, Jakarta Selatan 12190",
            "language": "id",
            "time_zone": "Asia/Jakarta",
            "country": "ID",
            "currency": _currency_or_default("IDR"),
        },
    )
    head_office, _ = Location.objects.get_or_create(
        tenant=tenant,
        name="Kantor pusat Sudirman",
        defaults={
            "kind": Location.Kind.BOTH,
            "address": "Jl. Jend. Sudirman Kav. 52-53, Jakarta Selatan",
            "phone": "+62 21 5000 0000",
            "opening_hours": "Sen-Sab 09:00-18:00",
        },
    )
    workshop, _ = Location.objects.get_or_create(
        tenant=tenant,
        name="Bengkel Kelapa Gading",
        defaults={
            "kind": Location.Kind.WORKSHOP,
            "address": "Jl. Boulevard Raya Blok M, Kelapa Gading, Jakarta Utara",
        },
    )
    users = {}
    for role, email, name in JAKARTA_PEOPLE:
        user = _user(email, name)
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
        users[role] = user
    return DemoStaff(tenant=tenant, users=users, head_office=head_office, workshop=workshop)
