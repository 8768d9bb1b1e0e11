"""Notifications: the outbox (one row per message to one recipient), message texts, quiet hours.

A Notification row is written in the same database transaction as the event that causes it (see
events.py), so a message exists exactly when the change it reports exists. Workers send the rows
(outbox.py): claim pending -> sending with a conditional UPDATE, send, mark sent once. docs/notifications.md
explains the design.
"""

from __future__ import annotations

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderEvent
from servicedesk.tenancy.models import TenantOwned, TenantSettings


class Kind(models.TextChoices):
    """What a message is about: one text per kind and language (defaults in defaults.py)."""

    ORDER_RECEIVED = "order_received", _("Order received")
    ESTIMATE_WAITING = "estimate_waiting", _("Estimate waiting for approval")
    AWAITING_PARTS = "awaiting_parts", _("Waiting for parts")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    HANDED_OVER = "handed_over", _("Handed over, feedback")
    VISIT_REMINDER = "visit_reminder", _("On-site visit tomorrow")
    TECHNICIAN_ASSIGNED = "technician_assigned", _("Technician assigned (staff)")
    ORDER_OVERDUE = "order_overdue", _("Order overdue (managers)")
    DOCUMENT = "document", _("Document by e-mail")
    LOW_RATING = "low_rating", _("Low rating from a client (managers)")
    SLA_AT_RISK = "sla_at_risk", _("Service level at risk (managers)")
    SLA_BREACHED = "sla_breached", _("Service level breached (managers)")
    COMPLAINT_ANSWER = "complaint_answer", _("Answer to a complaint")


STAFF_KINDS = frozenset(
    {Kind.TECHNICIAN_ASSIGNED, Kind.ORDER_OVERDUE, Kind.LOW_RATING, Kind.SLA_AT_RISK, Kind.SLA_BREACHED}
)
CLIENT_KINDS = frozenset(Kind) - STAFF_KINDS
# Sent by e-mail only (no SMS text): staff alerts, and documents (a PDF cannot go by SMS).
EMAIL_ONLY_KINDS = STAFF_KINDS | {Kind.DOCUMENT}


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Audience(models.TextChoices):
    CLIENT = "client", _("Client")
    STAFF = "staff", _("Staff")


class State(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # A client message of a center whose owner has not confirmed their e-mail address yet; queued when
    # they do (outbox.release_held).
    HELD = "held", _("Held: e-mail not confirmed")
    # Ambiguous: the send may have reached the provider (a timeout after the request went out, a worker
    # that died mid-send). Never sent again blindly: the relay asks the provider (CHECKING), and where it
    # cannot, a manager decides (UNKNOWN). See docs/notifications.md, "Ambiguous sends".
    CHECKING = "checking", _("Checking with the provider")
    UNKNOWN = "unknown", _("Needs a decision")


def new_reference() -> str:
    """The stable reference a provider can deduplicate on: random, so a restored or second database never
    reuses one (an id alone would repeat after a reset, and a deduplicating gateway would drop real messages)."""
    return f"sd-{uuid.uuid4().hex}"


class Notification(TenantOwned):
    """One message to one recipient over one channel: the outbox row.

    (tenant, source_key, channel, recipient) is unique: the same event can never produce the same
    message twice. source_key names what caused it: "event:<OrderEvent id>", "overdue:<order>:<promised
    timestamp>", "visit:<order>:<visit timestamp>", "sla:<order>:<target>:<stage>", "resend:<notification id>:<n>".
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("order")
    )
    event = models.ForeignKey(OrderEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source_key = models.CharField(max_length=100)
    kind = models.CharField(_("message"), max_length=32, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    audience = models.CharField(_("to"), max_length=8, choices=Audience.choices, default=Audience.CLIENT)
    recipient = models.CharField(_("recipient"), max_length=254)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    body_html = models.TextField(blank=True)
    # A file to attach (an issued document's PDF): its name in the default storage, and the name the
    # client sees. Issued documents never change, so the row can point at the stored file.
    attachment = models.CharField(max_length=200, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not sent before this moment: retry backoff and SMS quiet hours keep their delays here, not in the broker.
    next_attempt_at = models.DateTimeField(_("not before"), default=timezone.now)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    # Sent with every attempt (the SMS gateway's client reference / idempotency key); "" on rows older
    # than the field, which keep their old reference "sd-<id>" (see provider_reference()).
    reference = models.CharField(max_length=40, blank=True, default=new_reference, editable=False)
    # When this attempt's send began: a claim found stale with this set may have reached the provider.
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who settled an ambiguous send ("Mark as sent" / "Send again"), and when.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "source_key", "channel", "recipient"], name="notifications_idempotency_uniq"
            ),
        ]
        indexes = [
            # The order page's panel.
            models.Index(fields=["tenant", "order", "-id"], name="notifications_order_idx"),
            # The tenant's outbox page: all, or one state, newest first (keyset on id).
            models.Index(fields=["tenant", "-id"], name="notifications_list_idx"),
            models.Index(fields=["tenant", "state", "-id"], name="notifications_state_idx"),
            # The relay (all tenants at once, so it cannot lead with the tenant): due pending rows ...
            models.Index(
                fields=["next_attempt_at"], name="notifications_due_idx", condition=Q(state="pending")
            ),
            # ... and claims a dead worker left behind.
            models.Index(
                fields=["claimed_at"], name="notifications_claimed_idx", condition=Q(state="sending")
            ),
            # ... and ambiguous sends waiting for a status check.
            models.Index(
                fields=["next_attempt_at"], name="notifications_checking_idx", condition=Q(state="checking")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.state})"

    def provider_reference(self) -> str:
        return self.reference or f"sd-{self.pk}"

    @property
    def is_held(self) -> bool:
        return self.state == State.PENDING and self.next_attempt_at > timezone.now()


class MessageTemplate(TenantOwned):
    """A tenant's own text for one kind of message in one language; without one the default applies."""

    kind = models.CharField(_("message"), max_length=32, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    email_subject = models.CharField(_("e-mail subject"), max_length=200)
    email_body = models.TextField(_("e-mail text"), max_length=5000)
    sms_body = models.TextField(_("SMS text"), max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("message text")
        verbose_name_plural = _("message texts")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "kind", "language"], name="notifications_template_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"


DEFAULT_QUIET_FROM = time(21, 0)
DEFAULT_QUIET_TO = time(9, 0)


class NotificationSettings(TenantSettings):
    """Per tenant: SMS are not sent between quiet_from and quiet_to (the tenant's time zone)."""

    quiet_from = models.TimeField(_("quiet hours from"), default=DEFAULT_QUIET_FROM)
    quiet_to = models.TimeField(_("quiet hours until"), default=DEFAULT_QUIET_TO)

    class Meta(TenantOwned.Meta):
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="notifications_settings_tenant_uniq"),
        ]
