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
