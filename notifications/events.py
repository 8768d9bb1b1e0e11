"""Who hears about what: order events and periodic scans turned into outbox rows.

`on_order_event` is registered with orders.lifecycle in NotificationsConfig.ready(); the lifecycle
calls it inside the transaction of every event, so the rows it writes commit or roll back with the
change. The scans (overdue orders, tomorrow's visits) run from Celery beat; their idempotency keys
make each alert go once per order (per promised date, per visit slot).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation

from orders.models import EventKind, Order, OrderEvent, OrderStatus
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import outbox
from .content import _datetime, build_context, render_message, texts_in_force
from .models import Audience, Channel, Kind, Notification

logger = logging.getLogger(__name__)

# A status reached by these actions tells the client something new.
STATUS_KINDS: dict[str, Kind] = {
    OrderStatus.AWAITING_APPROVAL: Kind.ESTIMATE_WAITING,
    OrderStatus.AWAITING_PARTS: Kind.AWAITING_PARTS,
    OrderStatus.READY: Kind.READY_FOR_PICKUP,
    OrderStatus.HANDED_OVER: Kind.HANDED_OVER,
}
# Resuming from hold returns to a status the client was already told about.
SILENT_ACTIONS = frozenset({"resume"})
# The quality app's SLA events (data: target, target_label, stage, due_at) by stage.
SLA_KINDS: dict[str, Kind] = {"at_risk": Kind.SLA_AT_RISK, "breached": Kind.SLA_BREACHED}

ORDER_RELATED = ("tenant", "client", "item", "service_type", "intake_location", "technician__user")


def _full_order(order_id: int) -> Order:
    return Order.objects.select_related(*ORDER_RELATED).get(pk=order_id)


def client_drafts(
    order: Order,
    kind: str,
    source_key: str,
    *,
    event: OrderEvent | None = None,
    now: datetime | None = None,
    values: dict[str, str] | None = None,
) -> list[outbox.Draft]:
    """E-mail and SMS to the order's client, each if the client has that contact and has not opted out.
    `values`: more of build_context's values (e.g. a complaint's resolution)."""
    client = order.client
    tenant = order.tenant
    channels = []
    if client.email and client.notify_email:
        channels.append((Channel.EMAIL, client.email))
    if client.phone and client.notify_sms:
        channels.append((Channel.SMS, client.phone))
    if not channels:
        return []
    language = client.preferred_language(tenant)  # the client's, not the center's or the staff's
    texts = texts_in_force(tenant.pk, kind, language)
    context = build_context(order, language=language, **(values or {}))
    drafts = []
    for channel, recipient in channels:
        rendered = render_message(texts, channel, context, language)
        if not rendered.body.strip():
            continue
        not_before = outbox.sms_release_time(tenant, now) if channel == Channel.SMS else None
        drafts.append(
            outbox.Draft(
                tenant_id=tenant.pk,
                order=order,
                event=event,
                source_key=source_key,
                kind=kind,
                channel=channel,
                recipient=recipient,
                language=language,
                subject=rendered.subject,
                body=rendered.body,
                body_html=rendered.body_html,
                not_before=not_before,
            )
        )
    return drafts


def staff_drafts(
    order: Order,
    kind: str,
    source_key: str,
    members: Iterable[Membership],
    *,
    event: OrderEvent | None = None,
    values: dict[str, str] | None = None,
) -> list[outbox.Draft]:
    """E-mail to staff members (staff alerts go by e-mail only). `values`: more of build_context's values."""
    tenant = order.tenant
    language = tenant.language
    texts = texts_in_force(tenant.pk, kind, language)
    drafts = []
    for member in members:
        user = member.user
        if not (member.is_active and user.is_active and user.email):
            continue
        context = build_context(
            order, language=language, recipient_name=user.get_full_name() or user.email, **(values or {})
        )
        rendered = render_message(texts, Channel.EMAIL, context, language)
        drafts.append(
            outbox.Draft(
                tenant_id=tenant.pk,
                order=order,
                event=event,
                source_key=source_key,
                kind=kind,
                channel=Channel.EMAIL,
                recipient=user.email,
                recipient_user_id=user.pk,
                audience=Audience.STAFF,
                language=language,
                subject=rendered.subject,
                body=rendered.body,
                body_html=rendered.body_html,
            )
        )
    return drafts


def document_email(
    event: OrderEvent,
    *,
    recipient: str,
    language: str,
    title: str,
    number: str,
    attachment: str,
    attachment_name: str,
) -> list[Notification]:
    """Write the e-mail that carries an issued document to the client, inside the caller's transaction.

    `event` is the order event that records the sending (one e-mail per event: pressing the button again
    sends again, a retried task never does). The text is the tenant's "Document by e-mail" text in the
    document's language. Like every client message it is not sent if the client has opted out of e-mail
    (the caller refuses earlier, with a message).
    """
    order = _full_order(event.order_id)
    texts = texts_in_force(order.tenant_id, Kind.DOCUMENT, language)
    context = build_context(order, language=language, document_title=title, document_number=number)
    rendered = render_message(texts, Channel.EMAIL, context, language)
    return outbox.create(
        [
            outbox.Draft(
                tenant_id=order.tenant_id,
                order=order,
                event=event,
                source_key=f"event:{event.pk}",
                kind=Kind.DOCUMENT,
                channel=Channel.EMAIL,
                recipient=recipient,
                language=language,
                subject=rendered.subject,
                body=rendered.body,
                body_html=rendered.body_html,
                attachment=attachment,
                attachment_name=attachment_name,
            )
        ]
    )


def drafts_for_event(event: OrderEvent) -> list[outbox.Draft]:
    """The messages an order event causes (none for most events)."""
    kind: str | None = None
    if event.kind == EventKind.CREATED:
        kind = Kind.ORDER_RECEIVED
    elif event.kind == EventKind.STATUS and event.action not in SILENT_ACTIONS:
        kind = STATUS_KINDS.get(event.to_status)
    elif event.kind == EventKind.ASSIGNED and event.data.get("technician"):
        kind = Kind.TECHNICIAN_ASSIGNED
    elif event.kind == EventKind.FEEDBACK and event.data.get("low"):  # the quality app decides what is low
        kind = Kind.LOW_RATING
    elif event.kind == EventKind.SLA:  # the quality app's clocks: at risk, or breached
        kind = SLA_KINDS.get(event.data.get("stage", ""))
    elif event.kind == EventKind.COMPLAINT and event.data.get(
        "tell_client"
    ):  # quality.complaints.tell_client
        kind = Kind.COMPLAINT_ANSWER
    if kind is None:
        return []
    order = _full_order(event.order_id)
    source_key = f"event:{event.pk}"
    if kind in SLA_KINDS.values():
        return _sla_drafts(order, kind, event)
    if kind == Kind.LOW_RATING:
        values = {
            "feedback_rating": str(event.data.get("rating", "")),
            "feedback_comment": event.data.get("comment", ""),
        }
        return staff_drafts(order, kind, source_key, _managers(order.tenant_id), event=event, values=values)
    if kind == Kind.COMPLAINT_ANSWER:
        return client_drafts(
            order,
            kind,
            source_key,
            event=event,
            values={"complaint_resolution": str(event.data.get("resolution", ""))},
        )
    if kind == Kind.TECHNICIAN_ASSIGNED:
        technician = order.technician
        if technician is None or technician.user_id == event.actor_id:  # no alert for taking a job yourself
            return []
        return staff_drafts(order, kind, source_key, [technician], event=event)
    return client_drafts(order, kind, source_key, event=event)


def _sla_drafts(order: Order, kind: str, event: OrderEvent) -> list[outbox.Draft]:
    """The managers hear of a service-level clock at risk or breached once per order, target and stage,
    whatever records the event again: the key is "sla:<order>:<target>:<stage>", not the event's."""
    data = event.data
    due = ""
    try:
        with translation.override(order.tenant.language):  # as build_context formats dates
            due = _datetime(datetime.fromisoformat(data["due_at"]), ZoneInfo(order.tenant.time_zone))
    except (KeyError, TypeError, ValueError):
        pass
    values = {"sla_target": str(data.get("target_label") or data.get("target", "")), "sla_due_at": due}
    source_key = f"sla:{order.pk}:{data.get('target', '')}:{data.get('stage', '')}"
    return staff_drafts(order, kind, source_key, _managers(order.tenant_id), event=event, values=values)


def on_order_event(event: OrderEvent) -> None:
    """The lifecycle listener: runs inside the event's transaction.

    Database errors propagate (the change and its messages stay one transaction). Any other error while
    composing messages is a bug here: it is logged, and the order change goes through without them,
    since a notification bug must not stop reception from taking in orders.
    """
    try:
        drafts = drafts_for_event(event)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("Could not compose the notifications of order event %s", event.pk)
        return
    if drafts:
        outbox.create(drafts)


# --- Periodic scans (Celery beat) --------------------------------------------------------------


def _managers(tenant_id: int) -> list[Membership]:
    members = list(
        Membership.objects.filter(tenant_id=tenant_id, is_active=True, role__in=[Role.MANAGER, Role.OWNER])
        .select_related("user")
        .order_by("user__email")
    )
    managers = [m for m in members if m.role == Role.MANAGER]
    return managers or members  # no manager: the owner hears it


def scan_overdue(now: datetime | None = None, limit: int = 500) -> int:
    """Alert managers once about each open order past its promised time. Returns the rows written.

    Once per order and promised time: moving the promise later and missing it again alerts again.
    """
    now = now or timezone.now()
    alerted = Notification.objects.filter(
        order_id=OuterRef("pk"), kind=Kind.ORDER_OVERDUE, created_at__gte=OuterRef("promised_at")
    )
    orders = (
        Order.objects.overdue(now)
        .filter(tenant__is_active=True)
        .exclude(Exists(alerted))
        .select_related(*ORDER_RELATED)
        .order_by("promised_at")[:limit]
    )
    written = 0
    managers_of: dict[int, list[Membership]] = {}
    for order in orders:
        if order.tenant_id not in managers_of:
            managers_of[order.tenant_id] = _managers(order.tenant_id)
        source_key = f"overdue:{order.pk}:{int(order.promised_at.timestamp())}"
        with transaction.atomic():
            written += len(
                outbox.create(
                    staff_drafts(order, Kind.ORDER_OVERDUE, source_key, managers_of[order.tenant_id])
                )
            )
    return written


def scan_visit_reminders(now: datetime | None = None, limit: int = 500) -> int:
    """Remind clients of an on-site visit in the next 24 hours, once per visit slot."""
    now = now or timezone.now()
    orders = (
        Order.objects.open()
        .filter(tenant__is_active=True, visit_start__gt=now, visit_start__lte=now + timedelta(hours=24))
        .select_related(*ORDER_RELATED)
        .order_by("visit_start")
    )
    written = 0
    for order in orders[:limit]:
        source_key = f"visit:{order.pk}:{int(order.visit_start.timestamp())}"
        # One indexed look-up (the idempotency key's index) per upcoming visit.
        if Notification.objects.filter(
            tenant_id=order.tenant_id, order=order, source_key=source_key
        ).exists():
            continue
        with transaction.atomic():
            written += len(outbox.create(client_drafts(order, Kind.VISIT_REMINDER, source_key, now=now)))
    return written
