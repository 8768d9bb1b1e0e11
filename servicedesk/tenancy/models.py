"""Tenants (service centers), their locations and their members.

The rule every tenant-owned table follows (see docs/architecture.md):
- a NOT NULL `tenant` foreign key, leading every index and every unique constraint;
- a unique (tenant, id), so the key can later become (tenant_id, id) on a sharded PostgreSQL;
- rows are read through `Model.objects.for_tenant(tenant)`, never an unscoped query in a view.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Self
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.labels import FastChoiceLabels

from .roles import Role

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1-50 lower-case Latin letters, digits and hyphens; start and end with a letter or digit."),
)


def validate_not_reserved(value: str) -> None:
    if value in settings.RESERVED_TENANT_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved; choose another address."), params={"slug": value})


def validate_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone “%(tz)s”."), params={"tz": value}) from None


def validate_country(value: str) -> None:
    """A country the `holidays` package knows (ISO 3166-1 alpha-2): its public holidays close the center."""
    import holidays

    if len(value) != 2 or value not in holidays.list_supported_countries():
        raise ValidationError(
            _("No public holidays are known for the country “%(country)s”."), params={"country": value}
        )


def validate_currency(value: str) -> None:
    """Any ISO 4217 currency CLDR knows: it formats it (servicedesk.money_format)."""
    from servicedesk.money_format import is_currency

    if not is_currency(value):
        raise ValidationError(_("Unknown currency “%(currency)s”."), params={"currency": value})


class Tenant(models.Model):
    """A service center: the unit of isolation."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("address"), max_length=50, unique=True, validators=[slug_validator, validate_not_reserved]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    # ISO 3166-1 alpha-2. Whose public holidays close the center (business hours, quality.hours), the
    # numbering plan of phones typed without +code, the legal details papers carry, the default privacy
    # text, and a new center's currency, time zone and language (tenancy.countries).
    country = models.CharField(_("country"), max_length=2, default="RU", validators=[validate_country])
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ru")
    currency = models.CharField(_("currency"), max_length=3, default="RUB", validators=[validate_currency])
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # Legal details printed on contracts and acts (the documents issue adds bank details, stamp ...). What
    # the two numbers are called depends on the country (tenancy.countries): INN and OGRN in Russia,
    # NPWP and NIB in Indonesia, a tax and a company number elsewhere.
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax number"), max_length=30, blank=True)
    registration_number = models.CharField(_("company registration number"), max_length=30, blank=True)
    legal_address = models.CharField(_("legal address"), max_length=300, blank=True)
    # The owner put away the first dashboard's setup checklist (orders.setup) once it was complete.
    setup_dismissed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Money rules (orders.money): how far a bill may exceed what the client approved without a new
    # approval (the larger of the two allowances), and what a declined estimate still costs.
    estimate_tolerance_amount = models.DecimalField(
        _("bill may exceed the approved estimate by, amount"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    estimate_tolerance_percent = models.DecimalField(
        _("bill may exceed the approved estimate by, %"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    diagnostic_fee = models.DecimalField(
        _("diagnostic fee when the client declines the estimate"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Empty while the owner who signed the center up has not confirmed their e-mail address: until then
    # client messages are held and staff cannot be invited (tenancy.services). Centers made any other way
    # (admin, demo, existing ones) count as confirmed.
    owner_confirmed_at = models.DateTimeField(
        _("owner's e-mail confirmed"), null=True, blank=True, default=timezone.now
    )

    class Meta:
        verbose_name = _("service center")
        verbose_name_plural = _("service centers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def phone_region(self) -> str:
        """Where phone numbers typed without +country code are read (orders.services.normalise_phone)."""
        from .countries import phone_region

        return phone_region(self.country)

    def local_date(self, moment: datetime | None = None) -> date:
        """The date on the center's wall clock at `moment` (default now): not the server's, not UTC's."""
        return timezone.localtime(moment or timezone.now(), self.tz).date()


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | int) -> Self:
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return self.filter(tenant_id=tenant_id)


class TenantOwned(FastChoiceLabels):
    """Base for every tenant-owned model. Subclasses that set Meta.constraints must keep these.
    Its `get_FOO_display` methods read a label map per language (servicedesk/labels.py)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("service center")
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="%(app_label)s_%(class)s_tenant_id_uniq"),
        ]


class TenantSettings(TenantOwned):
    """Base for a center's settings row in one app: one row per center (each subclass adds its unique
    constraint on tenant); without a row the field defaults apply."""

    class Meta(TenantOwned.Meta):
        abstract = True

    @classmethod
    def for_tenant(cls, tenant: Tenant | int) -> Self:
        """The center's settings, or unsaved defaults (one query)."""
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        found: Self | None = cls.objects.filter(tenant_id=tenant_id).first()  # type: ignore[assignment]
        return found or cls(tenant_id=tenant_id)


class EditedTenantSettings(TenantSettings):
    """A settings row that keeps who changed it last, and when."""

    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantSettings.Meta):
        abstract = True


class LocationQuerySet(TenantQuerySet):
    def active(self) -> Self:
        return self.filter(is_active=True)

    def workshops(self) -> Self:
        """Where work is done: workshops, and places that both receive clients and work."""
        return self.filter(kind__in=[Location.Kind.WORKSHOP, Location.Kind.BOTH])


class Location(TenantOwned):
    """A place of the service center: where clients are received, where work is done, or both."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("Reception point")
        WORKSHOP = "workshop", _("Workshop")
        BOTH = "both", _("Reception and workshop")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BOTH)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = LocationQuerySet.as_manager()

    class Meta(TenantOwned.Meta):
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="tenancy_location_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def receives_clients(self) -> bool:
        return self.kind in {self.Kind.RECEPTION, self.Kind.BOTH}

    @property
    def does_work(self) -> bool:
        return self.kind in {self.Kind.WORKSHOP, self.Kind.BOTH}


class Membership(TenantOwned):
    """A user's place in one service center, with their role. Deactivated members are locked out."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "user"], name="tenancy_membership_tenant_user_uniq"),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="tenancy_membership_user_idx")]

    def __str__(self) -> str:
        # The person's name: it is what every choice of a person (filters, selects) shows.
        return str(self.user)

    def name_and_role(self) -> str:
        """For choices where the role matters (assigning work): "Ivan Petrov (Technician)"."""
        return f"{self.user} ({self.get_role_display()})"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(TenantQuerySet):
    def pending(self) -> Self:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(TenantOwned):
    """A single-use, expiring link that makes its holder a member with a role.

    Only the token's SHA-256 is stored: a database leak does not leak working links.
    """

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta(TenantOwned.Meta):
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="tenancy_invitation_list_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @classmethod
    def new_token(cls) -> tuple[str, str]:
        """A fresh (token, hash) pair: the token goes in the e-mail, the hash in the database."""
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def find_by_token(cls, token: str) -> Invitation | None:
        if not token or len(token) > 100:
            return None
        return cls.objects.select_related("tenant").filter(token_hash=_hash_token(token)).first()

    @staticmethod
    def default_expiry():
        return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class PrivacyPolicy(TenantOwned):
    """One published version of the tenant's privacy policy. Versions are never edited, only added.

    The newest version is in force; tenancy.privacy.current_privacy_version(tenant) names it (or
    settings.PRIVACY_POLICY_VERSION while the tenant has published none), and a client's consent
    records that name in Client.consent_version. Moved here from documents/ (state only: the table and
    its constraint names stay documents_*): orders records consent and may not import documents.
    """

    version = models.CharField(
        _("version"),
        max_length=32,
        validators=[RegexValidator(r"^[\w.\-]+$", _("Letters, digits, dots, hyphens and underscores only."))],
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=100_000)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta(TenantOwned.Meta):
        db_table = "documents_privacypolicy"
        verbose_name = _("privacy policy")
        verbose_name_plural = _("privacy policy versions")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="documents_privacypolicy_tenant_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "version"], name="documents_privacy_version_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "-published_at", "-id"], name="documents_privacy_list_idx")]

    def __str__(self) -> str:
        return self.version


class Counter(models.Model):
    """The last number given in one of a center's gapless series ("order", "document:act:2026" ...).
    Bumped only by servicedesk.counters.next_number, under the row's lock."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="tenancy_counter_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.key}: {self.last_number}"


class AuditEntry(TenantOwned):
    """Who changed what, when: staff, center settings, templates, the catalogue and prices, exports,
    imports, API keys, webhooks. Written by tenancy.audit.record in the transaction of the change it
    records; never changed afterwards. `data` holds the details: "before" and "after" of the changed
    fields for a change. Moved here from api/ in Django's state only (the table stays api_auditentry)
    so that every app, not only api, can write it."""

    class Action(models.TextChoices):
        # Values fit the column's 20 characters.
        INVITATION_SENT = "invitation.sent", _("Invitation sent")
        INVITATION_REVOKED = "invitation.revoked", _("Invitation withdrawn")
        INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
        ROLE_CHANGED = "member.role", _("Role changed")
        MEMBER_DEACTIVATED = "member.deactivated", _("Member deactivated")
        MEMBER_REACTIVATED = "member.reactivated", _("Member reactivated")
        SETTINGS_CHANGED = "settings.changed", _("Center settings changed")
        LOCATION_CREATED = "location.created", _("Location added")
        LOCATION_CHANGED = "location.changed", _("Location changed")
        PAPERS_CHANGED = "papers.changed", _("Document details changed")
        DOC_TEMPLATE_SAVED = "doc_template.saved", _("Document template saved")
        DOC_TEMPLATE_RESET = "doc_template.reset", _("Document template reset")
        MSG_TEMPLATE_SAVED = "msg_template.saved", _("Message template saved")
        MSG_TEMPLATE_RESET = "msg_template.reset", _("Message template reset")
        QUIET_HOURS_CHANGED = "quiet_hours.changed", _("Quiet hours changed")
        QUALITY_CHANGED = "quality.changed", _("Quality rules changed")
        HOURS_CHANGED = "hours.changed", _("Opening hours changed")
        SLA_CREATED = "sla.created", _("SLA policy added")
        SLA_CHANGED = "sla.changed", _("SLA policy changed")
        SLA_DELETED = "sla.deleted", _("SLA policy deleted")
        SERVICE_CREATED = "service.created", _("Service added")
        SERVICE_CHANGED = "service.changed", _("Service changed")
        SERVICE_ARCHIVED = "service.archived", _("Service withdrawn")
        SERVICE_RESTORED = "service.restored", _("Service offered again")
        CATALOGUE_APPLIED = "catalogue.applied", _("Ready-made catalogue added")
        PART_CREATED = "part.created", _("Part added")
        PART_CHANGED = "part.changed", _("Part changed")
        STOCK_MIN_CHANGED = "stock.minimum", _("Stock minimum changed")
        CHECKLIST_CREATED = "checklist.created", _("Checklist added")
        CHECKLIST_CHANGED = "checklist.changed", _("Checklist changed (new version)")
        CHECKLIST_RETIRED = "checklist.retired", _("Checklist retired")
        TECHNICIAN_CHANGED = "technician.changed", _("Technician profile changed")
        EXPORT = "export", _("Exported")
        IMPORT_UPLOADED = "import.uploaded", _("Import uploaded")
        IMPORT_CHECKED = "import.checked", _("Import checked")
        IMPORT_STARTED = "import.started", _("Import started")
        API_KEY_CREATED = "api_key.created", _("API key made")
        API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
        WEBHOOK_CREATED = "webhook.created", _("Webhook added")
        WEBHOOK_CHANGED = "webhook.changed", _("Webhook changed")
        WEBHOOK_DELETED = "webhook.deleted", _("Webhook deleted")
        WEBHOOK_RESUMED = "webhook.resumed", _("Webhook resumed")
        WEBHOOK_SECRET = "webhook.secret", _("Webhook secret replaced")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Kept as written: the log still names someone whose account is gone.
    actor_name = models.CharField(_("who"), max_length=200)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    target = models.CharField(_("what"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        db_table = "api_auditentry"
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="api_auditentry_tenant_id_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-id"], name="api_audit_list_idx"),
            models.Index(fields=["tenant", "action", "-id"], name="api_audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.action} {self.target}"
