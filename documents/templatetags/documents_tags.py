"""{% documents_panel %}: the documents panel on the order page, in one or two queries whatever the count."""

from __future__ import annotations

from django import template
from django.conf import settings

from ..models import Kind
from ..services import documents_of_order, why_not_issue

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def documents_panel(context) -> dict:
    order = context["order"]
    perms = context.get("perms_")
    can_issue = bool(perms and getattr(perms, "documents_issue", False))
    rows: list[dict] = []
    if can_issue:
        documents = list(documents_of_order(order))  # one query
        by_kind: dict[str, list] = {}
        for document in documents:
            by_kind.setdefault(document.kind, []).append(document)
        # The stored total tells whether there are lines; only a zero total asks the database.
        has_lines = True if order.total_amount > 0 else None
        for kind, label in Kind.choices:
            reason = why_not_issue(order, kind, has_lines=has_lines)
            rows.append({"kind": kind, "label": label, "documents": by_kind.get(kind, []), "refused": reason})
    tenant = context.get("tenant")
    return {
        "order": order,
        "tenant": tenant,
        "can_issue": can_issue,
        "rows": rows,
        "languages": settings.LANGUAGES,
        "default_language": getattr(tenant, "language", "en"),
        "csrf_token": context.get("csrf_token"),
    }
