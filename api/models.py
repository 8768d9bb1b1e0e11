"""API keys: how a center's website, bots and scripts act on its data through /api/v1/.

A key belongs to one center and holds one role of the role matrix (servicedesk/tenancy/roles.py). Only
the SHA-256 of the key is stored (a key is 256 random bits, so a fast hash is enough); its prefix is kept
in clear so people can tell their keys apart. Keys are revoked, never deleted: the timeline keeps
pointing at what a key did.

Each key has its own User row (`user`), which can never log in (inactive, no usable password): it is
who the order timeline, payments and documents name as the actor ("Website (API key)"). The services
are handed an unsaved Membership of the key's role (`ApiKey.actor()`), so `check_actor` and the
lifecycle's guards apply to a key exactly as to a person. There is no Membership row: a key never
appears among the staff, as a technician to choose or as a manager to alert.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.tenancy.models import Membership, TenantOwned
from servicedesk.tenancy.roles import Role

KEY_START = "sdk"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """A fresh key: (the key to show once, its visible prefix, its hash)."""
    prefix = secrets.token_hex(5)
    key = f"{KEY_START}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def prefix_of(key: str) -> str | None:
    """The prefix of something that looks like a key, else None."""
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_START or len(parts[1]) != 10 or len(key) > 100:
        return None
    return parts[1]


class ApiKey(TenantOwned):
    name = models.CharField(
        _("name"), max_length=80, help_text=_("Who uses it, e.g. “Website” or “Telegram bot”.")
    )
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=Role.choices,
        default=Role.RECEPTION,
        help_text=_("The key may do what a member with this role may do."),
    )
    prefix = models.CharField(_("prefix"), max_length=10, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="api_apikey_tenant_name_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="api_apikey_list_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({KEY_START}_{self.prefix}_…)"

    @property
    def display_prefix(self) -> str:
        return f"{KEY_START}_{self.prefix}_…"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def works(self) -> bool:
        return self.state == "active" and self.tenant.is_active

    def actor(self) -> Membership:
        """The member the services see: the key's role in its center, never saved (see the module's doc)."""
        return Membership(tenant=self.tenant, user=self.user, role=self.role, is_active=self.works)


# --- Webhooks (api/webhooks.py, docs/integrations.md) -----------------------------------------------


class WebhookEvent(models.TextChoices):
    """What a center's endpoints may subscribe to: each comes from one kind of order event."""

    ORDER_CREATED = "order.created", _("Order taken in")
    ORDER_STATUS = "order.status_changed", _("Order status changed")
    ORDER_ASSIGNED = "order.assigned", _("Technician assigned")
    PAYMENT = "payment.recorded", _("Payment recorded")
    DOCUMENT = "document.issued", _("Document issued")
    FEEDBACK = "feedback.received", _("Feedback received")


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpoint(TenantOwned):
    """A URL of the center's own systems that is told about the events it subscribed to."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        # Too many failures in a row: nothing new is written for it until the owner resumes it.
        PAUSED = "paused", _("Paused")

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.ACTIVE)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    # Attempts failed in a row (any delivery); a success resets it. WEBHOOK_PAUSE_AFTER of them pause it.
    failures_in_row = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "state"], name="api_webhook_endpoint_state_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOwned):
    """One event for one endpoint: the webhooks' outbox row, written in the business transaction.

    (tenant, endpoint, source_key) is unique: one order event makes at most one delivery per endpoint.
    `event_id` is the X-Webhook-Id header: the same for every attempt and for a resend, so a receiver
    can drop what it already handled.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    source_key = models.CharField(max_length=100)
    event_id = models.CharField(_("event id"), max_length=40)
    event_type = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    payload = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("not before"), default=timezone.now)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "source_key"], name="api_webhook_delivery_uniq"
            ),
        ]
        indexes = [
            # The delivery log of one endpoint, newest first.
            models.Index(fields=["tenant", "endpoint", "-id"], name="api_webhook_delivery_log_idx"),
            # The relay (all centers): due pending rows, and claims a dead worker left behind.
            models.Index(
                fields=["next_attempt_at"], name="api_webhook_due_idx", condition=Q(state="pending")
            ),
            models.Index(fields=["claimed_at"], name="api_webhook_claimed_idx", condition=Q(state="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.state})"


# --- Imports (api/imports.py, docs/integrations.md) -------------------------------------------------


def import_path(instance: ImportJob, filename: str) -> str:
    # Never the uploader's name: a random one under the center's folder.
    return f"imports/{instance.tenant_id}/{secrets.token_hex(16)}"


class ImportJob(TenantOwned):
    """One uploaded spreadsheet of one kind (clients and their devices, the service catalogue, parts with
    their stock, past orders): its preview, the column mapping, the dry run's findings and the import's
    counts. The file is deleted once imported; the row stays as the record of who imported what."""

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("Clients and their devices")
        SERVICES = "services", _("Service catalogue")
        PARTS = "parts", _("Parts and stock per location")
        ORDERS = "orders", _("Past orders")

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CLIENTS)
    file = models.FileField(upload_to=import_path, blank=True)
    original_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(max_length=4)
    headers = models.JSONField(default=list)
    preview = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    mapping = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UPLOADED)
    processed = models.PositiveIntegerField(default=0)
    # Findings of the last run (dry or real): [{"row": n, "message": "..."}], at most IMPORT_MAX_ERRORS.
    errors = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    created_clients = models.PositiveIntegerField(default=0)
    updated_clients = models.PositiveIntegerField(default=0)
    unchanged_clients = models.PositiveIntegerField(default=0)
    created_items = models.PositiveIntegerField(default=0)
    # Every kind's counts by name ({"created_services": 3, "unchanged_services": 1, ...}): the summary
    # reads these (the four fields above are the clients' and stay for the imports made before).
    counts = models.JSONField(default=dict)
    dry_run = models.BooleanField(default=True)
    failure = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="api_import_list_idx")]

    def __str__(self) -> str:
        return self.original_name


class ImportedRecord(TenantOwned):
    """What a row of an import became, under the row's external id: re-importing the same file finds it
    here and changes nothing. Used where the center's data has no natural key of its own: a past order
    (the previous system's number) and the stock a location was given at move-in (part and location)."""

    class Kind(models.TextChoices):
        ORDER = "order", _("Past order")
        STOCK = "stock", _("Stock at move-in")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    external_id = models.CharField(max_length=100)
    object_id = models.PositiveBigIntegerField()
    job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "kind", "external_id"], name="api_importedrecord_external_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} -> {self.object_id}"


# --- The center's full export (api/full_export.py, docs/integrations.md) ----------------------------


def center_export_path(instance: CenterExport, filename: str) -> str:
    # A random name under the center's folder: the file holds everything of the center.
    return f"exports/{instance.tenant_id}/{secrets.token_hex(16)}.zip"


class CenterExport(TenantOwned):
    """One full export of a center, asked for by its owner: a ZIP of one CSV per table, the issued
    documents' PDFs and manifest.json, built by a Celery task, downloadable until `expires_at`
    (ready_at + 24 hours); then beat deletes the file and the row stays as the record."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    RUNNING = (State.QUEUED, State.BUILDING)

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    file = models.FileField(upload_to=center_export_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size, bytes"), default=0)
    # Rows per table ({"clients": 12, ...}) and "document_files": the PDFs in the archive.
    counts = models.JSONField(default=dict, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    expires_at = models.DateTimeField(_("downloadable until"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("full export")
        verbose_name_plural = _("full exports")
        ordering = ["-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            # One export being built per center at a time (the service checks first; this settles a race).
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(state__in=["queued", "building"]),
                name="api_center_export_one_running",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-id"], name="api_center_export_list_idx"),
            # Beat's sweep (all centers): ready files past their time.
            models.Index(fields=["expires_at"], name="api_center_export_due_idx", condition=Q(state="ready")),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.state})"

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING

    @property
    def is_downloadable(self) -> bool:
        return (
            self.state == self.State.READY
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
