"""Fixtures of the notifications tests: orders taken in through the real intake, walked through the lifecycle.

Every test here runs Celery tasks in-process (task_always_eager) unless it is marked `redis`, and sends
SMS to the in-memory backend (notifications.sms.outbox). Quiet hours are off unless a
test turns them on, so the results never depend on the time of day.
"""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications import sms
from notifications.models import NotificationSettings
from orders import lifecycle, services
from orders.models import Order, ServiceFormat, ServiceType
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, IntakeOrderFactory, ServiceTypeFactory

_phones = itertools.count(9161000000)


@pytest.fixture(autouse=True)
def _tasks_in_process(celery_eager):
    """Every test here runs Celery tasks in-process (see celery_eager in tests/conftest.py)."""


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def no_quiet_hours(tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        NotificationSettings.objects.update_or_create(
            tenant=tenant, defaults={"quiet_from": time(0), "quiet_to": time(0)}
        )


def member(tenant, role: Role) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(
        tenant=tenant, role=role, user__email__startswith=role.value
    )


def service_type(tenant, name="Phone repair") -> ServiceType:
    """The tenant's service of that name (made the first time: in shop and on site, 1500, 90 days' warranty)."""
    return ServiceType.objects.filter(tenant=tenant, name=name).first() or ServiceTypeFactory(
        tenant=tenant, name=name
    )


def take_in(
    tenant,
    *,
    by: Membership | None = None,
    email="anna@example.test",
    phone=None,
    name="Anna Smirnova",
    notify_email=True,
    notify_sms=True,
    **extra,
) -> Order:
    """An order through orders.services.take_in (the path reception uses), committed by the caller's test."""
    by = by or member(tenant, Role.RECEPTION)
    location = tenant_location(tenant)
    client = ClientFactory(
        tenant=tenant,
        name=name,
        phone=phone or f"+7{next(_phones)}",
        email=email or "",
        notify_email=notify_email,
        notify_sms=notify_sms,
        consent_at=None,  # given at this intake
        consent_version="",
    )
    order = IntakeOrderFactory(
        tenant=tenant,
        by=by,
        client=client,
        client_name=name,
        client_phone=client.phone,
        client_email=email or "",
        service_type=service_type(tenant),
        format=extra.pop("format", ServiceFormat.IN_SHOP),
        intake_location=location,
        problem="Does not charge",
        item_kind="Phone",
        item_brand="Acme",
        item_model="X1",
        promised_at=extra.pop("promised_at", timezone.now() + timedelta(days=3)),
        estimate=Decimal("2500"),
        **extra,
    )
    return Order.objects.select_related("tenant", "client").get(pk=order.pk)


def tenant_location(tenant):
    from servicedesk.tenancy.models import Location

    location = Location.objects.filter(tenant=tenant).order_by("id").first()
    if not location.address:
        location.address = "Tverskaya st. 1"
        location.opening_hours = "Mon-Sat 10:00-20:00"
        location.save(update_fields=["address", "opening_hours"])
    return location


def assign_technician(order: Order, *, by_role=Role.MANAGER) -> Order:
    tenant = order.tenant
    services.assign(
        order,
        technician=member(tenant, Role.TECHNICIAN),
        workshop=order.intake_location,
        by=member(tenant, by_role),
        expected_version=order.version,
    )
    order.refresh_from_db()
    return order


def walk(order: Order, *actions: str, by_role=Role.MANAGER) -> Order:
    """Apply lifecycle actions in turn as a member of `by_role`."""
    by = member(order.tenant, by_role)
    for action in actions:
        lifecycle.transition(order, action, by=by, expected_version=order.version)
        order.refresh_from_db()
    return order


@pytest.fixture
def order_a(tenant_a, users_a):
    return take_in(tenant_a)
