"""The client's documents behind the status page's token: /s/<token>/documents/<kind>/.

After handover the client may download the completion act and the warranty card (the newest issued version,
exactly as archived): the same guard as the status page (rate limit per IP, the same 404 for unknown and
expired tokens) and its private headers (no-referrer, no-store, noindex).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from orders.models import Order, OrderStatus
from orders.public import guarded_order
from servicedesk.public import TooMany, private, too_many

from .models import Document, Kind
from .views import _pdf_response

PUBLIC_KINDS = (Kind.COMPLETION_ACT, Kind.WARRANTY_CARD)


def _latest(order: Order) -> dict[str, Document]:
    """The newest issued version of each public kind (one query)."""
    latest: dict[str, Document] = {}
    for document in (
        Document.objects.for_tenant(order.tenant_id)
        .filter(order_id=order.pk, kind__in=PUBLIC_KINDS)
        .order_by("kind", "-version", "-id")
    ):
        latest.setdefault(document.kind, document)
    return latest


def public_links(order: Order) -> list[tuple[str, str]]:
    """The status page's downloads (registered with orders.public.register_public_links)."""
    if order.status != OrderStatus.HANDED_OVER:
        return []
    latest = _latest(order)
    return [
        (str(kind.label), reverse("documents_public:public_document", args=[order.public_token, kind.value]))
        for kind in PUBLIC_KINDS
        if kind.value in latest
    ]


@require_GET
def public_document(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    try:
        order = guarded_order(request, token)
    except TooMany:
        return too_many()
    if kind not in PUBLIC_KINDS or order.status != OrderStatus.HANDED_OVER:
        raise Http404()
    document = _latest(order).get(kind)
    if document is None:
        raise Http404()
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404() from None
    return private(_pdf_response(handle, document.filename, inline=True))
