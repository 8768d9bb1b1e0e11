"""How an order and its client are shown: the public link, the QR code, the client's language by name."""

from __future__ import annotations

import base64
import hashlib
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from django.template import Context
from django.urls import reverse

from .models import Order, OrderEvent


def public_status_url(order: Order) -> str:
    """The absolute link the client opens (receipts, e-mails, SMS, QR codes carry it)."""
    return settings.SITE_URL + reverse("orders:public_status", args=[order.public_token])


# Drawing a QR code costs about 8 ms of CPU (the order page showed it on every view): the picture depends only
# on its text (for an order: the public link, so its token), so it is cached by that text. A replaced link is a
# new text, hence a new key; the old entry just expires.
QR_CACHE_SECONDS = 60 * 60 * 24 * 7


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI: no file, no request, allowed by the CSP and by WeasyPrint's fetcher."""
    key = "qr:svg:" + hashlib.sha256(text.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    uri = _draw_qr(text)
    cache.set(key, uri, QR_CACHE_SECONDS)
    return uri


def _draw_qr(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def order_qr_data_uri(order: Order) -> str:
    return qr_data_uri(public_status_url(order))


def language_label(code: str) -> str:
    """ "id" -> "Indonesian" in the reader's language; "" for a code the interface does not speak."""
    names = dict(settings.LANGUAGES)
    return str(names[code]) if code in names else ""


# --- Cached fragments (servicedesk/fragments.py) -------------------------------------------------------------
# Each function lists every value its template block shows or decides on; tests/orders/test_fragments.py changes
# each of them and sees the page change. Add a value here in the same commit that shows it in the block.


def order_row_values(order: Order, context: Context) -> tuple:
    """orders/_order_rows.html: one row of the order list."""
    item, technician = order.item, order.technician
    return (
        context["tenant"].slug,
        order.pk,
        order.number,
        order.status,
        order.priority,
        order.client.name,
        str(item) if item is not None else None,
        order.service_type.name,
        technician.user.full_name if technician is not None else None,
        order.promised_at,
        order.is_overdue,  # changes with the clock, not with the order
        order.sla_state,
        order.sla_due_at,
        order.amount_due,
        order.credit_amount,
    )


def timeline_event_values(event: OrderEvent, context: Context) -> tuple:
    """orders/order_detail.html: one event of the order's timeline. Its text is rendered from `data` in the
    active language and time zone (both in every key), so the stored data and message stand for it."""
    actor = event.actor
    return (
        event.pk,
        event.kind,
        event.created_at,
        event.by_client,
        actor.full_name if actor is not None else None,
        event.is_public,
        event.to_status,
        event.message,
        repr(event.data),
    )


def register_fragments() -> None:
    from servicedesk.fragments import register_fingerprint

    register_fingerprint("orders.row", order_row_values)
    register_fingerprint("orders.timeline_event", timeline_event_values)
