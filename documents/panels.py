"""The documents panel on the order page (registered with orders.panels in DocumentsConfig.ready()):
each kind of document, its issued versions, and why it cannot be issued now. One or two queries."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from orders.models import Order
from servicedesk.tenancy.access import TenantRequest
from servicedesk.tenancy.roles import Perm, has_perm

from .models import Kind
from .services import documents_of_order, why_not_issue


def documents_panel(request: TenantRequest, order: Order) -> dict[str, Any] | None:
    if not has_perm(request.membership.role, Perm.DOCUMENTS_ISSUE):
        return None
    by_kind: dict[str, list] = {}
    for document in documents_of_order(order):  # one query
        by_kind.setdefault(document.kind, []).append(document)
    # The stored total tells whether there are lines; only a zero total asks the database.
    has_lines = True if order.total_amount > 0 else None
    rows = [
        {
            "kind": kind,
            "label": label,
            "documents": by_kind.get(kind, []),
            "refused": why_not_issue(order, kind, has_lines=has_lines),
        }
        for kind, label in Kind.choices
    ]
    return {
        "can_issue": True,
        "rows": rows,
        "languages": settings.LANGUAGES,
        # Papers for the client are in the client's language (Client.language, else the center's).
        "default_language": order.client.preferred_language(request.tenant),
    }
