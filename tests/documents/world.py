"""The documents part of the cross-tenant `world` (tests/conftest.py): archived documents of A and B.

Rows with stand-in PDFs (no rendering: the world is built for every URL of the cross-tenant test),
numbered by the tenant's counter like issued ones, so issuing another document in the world works.
A gets more documents than B, so A's last document id does not exist in B.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile

from documents.models import Document, Kind
from documents.services import next_number
from servicedesk.tenancy.models import Membership

STAND_IN_PDF = b"%PDF-1.4\n% stand-in for the cross-tenant test\n%%EOF\n"


def _document(order) -> Document:
    issuer = Membership.objects.filter(tenant=order.tenant).select_related("user").first()
    year = order.tenant.local_date().year  # numbered by the center's year, as documents.services does
    number = next_number(order.tenant, Kind.INTAKE_RECEIPT, year)
    document = Document(
        tenant=order.tenant,
        order=order,
        kind=Kind.INTAKE_RECEIPT,
        year=year,
        number=number,
        language="en",
        sha256=hashlib.sha256(STAND_IN_PDF).hexdigest(),
        size=len(STAND_IN_PDF),
        template_source="default",
        issued_by=issuer.user if issuer else None,
        issued_by_name="Stand-in",
    )
    document.file.save("stand-in.pdf", ContentFile(STAND_IN_PDF), save=False)
    document.save()
    return document


def add_documents(world_orders_b: list, world_orders_a: list) -> Document:
    """One document of B, two of A; returns A's last (the one the URL kwargs point at)."""
    _document(world_orders_b[0])
    documents_a = [_document(order) for order in world_orders_a[:2]]
    return documents_a[-1]


def orders_for(tenant, count: int) -> list:
    """Orders for the documents to belong to (the orders engineer's world orders, if any, are reused)."""
    from tests.orders.factories import OrderFactory

    return [OrderFactory(tenant=tenant) for _ in range(count)]
