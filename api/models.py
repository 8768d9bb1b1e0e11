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
