"""Fixtures of the documents tests: a finished order with works, parts and payments, in tenant A."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import LineItem, OrderStatus, Payment
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ClientFactory,
    ItemFactory,
    LineItemFactory,
    OrderFactory,
    PaymentFactory,
    ServiceTypeFactory,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test stores its PDFs in a temporary media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def member(tenant, role: Role) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, role=role)


def make_order(tenant, *, status=OrderStatus.HANDED_OVER, lines=3, client_name="Ivan Petrov", **kwargs):
    client = ClientFactory(tenant=tenant, name=client_name)
    item = ItemFactory(
        tenant=tenant, client=client, kind="Phone", brand="Samsung", model="Galaxy S21", serial="IMEI356789"
    )
    service = ServiceTypeFactory(tenant=tenant, warranty_days=90)
    now = timezone.now()
    order = OrderFactory(
        tenant=tenant,
        client=client,
        item=item,
        service_type=service,
        status=status,
        item_condition="Scratched back",
        item_accessories="Case, charger",
        problem="Screen cracked",
        estimate=Decimal("9000"),
        closed_at=now if status == OrderStatus.HANDED_OVER else None,
        warranty_until=(now + timedelta(days=90)).date() if status == OrderStatus.HANDED_OVER else None,
        **kwargs,
    )
    descriptions = [
        (LineItem.Kind.WORK, "Diagnostics", Decimal("1"), Decimal("500.00")),
        (LineItem.Kind.PART, "Display module", Decimal("1"), Decimal("6900.00")),
        (LineItem.Kind.WORK, "Display replacement", Decimal("1"), Decimal("1500.00")),
    ]
    for i in range(lines):
        kind, description, quantity, price = descriptions[i % 3]
        LineItemFactory(
            order=order, kind=kind, description=f"{description} {i + 1}", quantity=quantity, unit_price=price
        )
    PaymentFactory(order=order, kind=Payment.Kind.PREPAYMENT, amount=Decimal("1000"))
    from orders.services import recalculate_totals

    recalculate_totals(order)
    return order


@pytest.fixture
def done_order(tenant_a, users_a):
    return make_order(tenant_a)


@pytest.fixture
def reception_a(tenant_a, users_a):
    return member(tenant_a, Role.RECEPTION)


@pytest.fixture(autouse=True)
def _tasks_in_process(celery_eager):
    """Every test here runs Celery tasks in-process (see celery_eager in tests/conftest.py)."""


def pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def stored_text(document) -> str:
    with document.file.open("rb") as handle:
        return pdf_text(handle.read())
