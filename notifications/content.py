"""What a message says: the values of the template variables for an order, and the texts in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation

from orders.models import Order
from servicedesk.money_format import format_money
from servicedesk.tenancy.models import Tenant

from . import templating
from .defaults import Texts, default_texts
from .models import Channel, MessageTemplate


def public_url(order: Order) -> str:
    """The client's status page (no log-in): SITE_URL + /s/<token>/."""
    try:
        path = reverse("orders:public_status", args=[order.public_token])
    except NoReverseMatch:  # the public page is served by the orders app; keep the documented address
        path = f"/s/{order.public_token}/"
    return settings.SITE_URL + path


def feedback_url(order: Order) -> str:
    # The quality app will add a feedback form; until then the status page is where clients answer.
    for name in ("quality:feedback", "orders:public_feedback"):
        try:
            return settings.SITE_URL + reverse(name, args=[order.public_token])
        except NoReverseMatch:
            continue
    return public_url(order)


def staff_order_url(order: Order, tenant: Tenant) -> str:
    """The order's page for staff (log-in required)."""
    try:
        path = reverse("orders:detail", kwargs={"tenant_slug": tenant.slug, "order_number": order.number})
    except NoReverseMatch:
        path = reverse("orders:dashboard", kwargs={"tenant_slug": tenant.slug})
    return settings.SITE_URL + path


def _money(amount: Decimal | None, tenant: Tenant) -> str:
    if amount is None:
        return ""
    return format_money(amount, tenant.currency)  # in the message's language: build_context overrides it


def _datetime(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    # The language's one date-time format (servicedesk/formats), on the center's clock.
    return formats.date_format(value.astimezone(tz), "DATETIME_FORMAT")


def build_context(
    order: Order,
    *,
    language: str,
    recipient_name: str = "",
    document_title: str = "",
    document_number: str = "",
    feedback_rating: str = "",
    feedback_comment: str = "",
    sla_target: str = "",
    sla_due_at: str = "",
    complaint_resolution: str = "",
) -> dict[str, str]:
    """Every variable of templating.VARIABLES for this order, formatted in the tenant's language and time zone.

    Reads order.tenant, client, item, service_type, intake_location and technician.user (select_related
    them to save queries).
    """
    tenant = order.tenant
    tz = ZoneInfo(tenant.time_zone)
    pickup = order.intake_location
    technician = order.technician.user.get_full_name() if order.technician_id else ""
    with translation.override(language):
        visit_time = ""
        if order.visit_start:
            visit_time = f"{order.visit_start.astimezone(tz):%H:%M}"
            if order.visit_end:
                visit_time += f"–{order.visit_end.astimezone(tz):%H:%M}"
        context = {
            "order.number": str(order.number),
            "order.item": str(order.item) if order.item_id else order.service_type.name,
            "order.service": order.service_type.name,
            "order.problem": order.problem,
            "order.promised_at": _datetime(order.promised_at, tz),
            "order.estimate": _money(order.estimate, tenant),
            "order.total": _money(order.total_amount, tenant),
            "order.amount_due": _money(order.amount_due, tenant),
            "order.warranty_until": formats.date_format(order.warranty_until, "DATE_FORMAT")
            if order.warranty_until
            else "",
            "status": str(order.get_status_display()),
            "client.name": order.client.name,
            "public_url": public_url(order),
            "feedback_url": feedback_url(order),
            "tenant.name": tenant.name,
            "tenant.phone": tenant.phone,
            "tenant.email": tenant.email,
            "tenant.website": tenant.website,
            "pickup.name": pickup.name,
            "pickup.address": pickup.address,
            "pickup.opening_hours": pickup.opening_hours,
            "pickup.phone": pickup.phone or tenant.phone,
            "visit.date": formats.date_format(order.visit_start.astimezone(tz), "DATE_FORMAT")
            if order.visit_start
            else "",
            "visit.time": visit_time,
            "visit.address": order.visit_address,
            "technician.name": technician,
            "recipient.name": recipient_name,
            "order_url": staff_order_url(order, tenant),
            "document.title": document_title,
            "document.number": document_number,
            "feedback.rating": feedback_rating,
            "feedback.comment": feedback_comment,
            "sla.target": sla_target,
            "sla.due_at": sla_due_at,
            "complaint.resolution": complaint_resolution,
        }
    assert set(context) == set(templating.VARIABLES), "build_context and templating.VARIABLES disagree"
    return context


def texts_in_force(tenant_id: int, kind: str, language: str) -> Texts:
    """The tenant's own texts for this kind and language, else the shipped ones (one query)."""
    default = default_texts(kind, language)
    override = MessageTemplate.objects.filter(tenant_id=tenant_id, kind=kind, language=language).first()
    if override is None:
        return default
    return Texts(override.email_subject, override.email_body, override.sms_body or default.sms_body)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    body_html: str


def render_message(texts: Texts, channel: str, context: dict[str, str], language: str = "en") -> Rendered:
    """The message for one channel: SMS on one line; e-mail as plain text plus an escaped HTML alternative."""
    if channel == Channel.SMS:
        return Rendered("", " ".join(templating.render(texts.sms_body, context).split()), "")
    subject = templating.one_line(templating.render(texts.email_subject, context))
    html = render_to_string(
        "emails/notification.html",
        {
            "subject": subject,
            "language": language,
            "body_html": templating.render_html(texts.email_body, context),
        },
    )
    return Rendered(subject, templating.render(texts.email_body, context), html)
