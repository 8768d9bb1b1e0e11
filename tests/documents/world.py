"""The documents part of the cross-tenant `world` (tests/conftest.py): archived documents of A and B.

Rows with stand-in PDFs (no rendering: the world is built for every URL of the cross-tenant test),
numbered by the tenant's counter like issued ones (tests.factories.DocumentFactory), so issuing another
document in the world works. A gets more documents than B, so A's last document id does not exist in B.
"""

from __future__ import annotations

from documents.models import Document
from tests.factories import DocumentFactory, OrderFactory


def add_documents(world_orders_b: list, world_orders_a: list) -> Document:
    """One document of B, two of A; returns A's last (the one the URL kwargs point at)."""
    DocumentFactory(order=world_orders_b[0])
    documents_a = [DocumentFactory(order=order) for order in world_orders_a[:2]]
    return documents_a[-1]


def orders_for(tenant, count: int) -> list:
    """Orders for the documents to belong to (the orders engineer's world orders, if any, are reused)."""
    return OrderFactory.create_batch(count, tenant=tenant)
