"""API keys: create, revoke, find by the key a request presents, record their use.

Only the center's owner manages keys (Perm.TENANT_SETTINGS, checked here like every service checks its
actor). The key itself is returned once by `create_key` and never stored.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.permissions import check_actor
from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role

from . import audit
from .models import ApiKey, hash_key, new_key, prefix_of


def create_key(
    tenant: Tenant, *, name: str, role: str, expires_at: datetime | None, by: Membership
) -> tuple[ApiKey, str]:
    """A new key of this center: (the row, the key to show once)."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=tenant.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the key a name."))
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry date is in the past."))
    if ApiKey.objects.for_tenant(tenant).filter(name__iexact=name).exists():
        raise ValidationError(_("Another key has this name."))
    for _attempt in range(3):
        key, prefix, digest = new_key()
        try:
            with transaction.atomic():
                # Who the timeline names when the key acts. It can never log in: inactive, no usable password.
                user = User.objects.create_user(
                    f"api-key-{prefix}-{secrets.token_hex(4)}@keys.invalid",
                    None,
                    full_name=_("%(name)s (API key)") % {"name": name[:130]},
                    is_active=False,
                )
                api_key = ApiKey.objects.create(
                    tenant=tenant,
                    name=name,
                    role=role,
                    prefix=prefix,
                    key_hash=digest,
                    user=user,
                    created_by=by.user,
                    expires_at=expires_at,
                )
                audit.record(
                    by,
                    audit.Action.API_KEY_CREATED,
                    api_key.name,
                    {
                        "role": role,
                        "prefix": prefix,
                        "expires_at": expires_at.isoformat() if expires_at else None,
                    },
                )
        except IntegrityError:
            if ApiKey.objects.for_tenant(tenant).filter(name__iexact=name).exists():
                raise ValidationError(_("Another key has this name.")) from None
            continue  # a prefix collision (1 in 10^12): draw again
        return api_key, key
    raise RuntimeError("Could not make a unique API key.")


def revoke_key(api_key: ApiKey, *, by: Membership) -> None:
    """The key stops working at once; the row stays, so the timeline still names it."""
    check_actor(by, Perm.TENANT_SETTINGS, tenant_id=api_key.tenant_id)
    with transaction.atomic():
        revoked = ApiKey.objects.filter(
            pk=api_key.pk, tenant_id=api_key.tenant_id, revoked_at__isnull=True
        ).update(revoked_at=timezone.now(), revoked_by=by.user)
        if revoked:
            audit.record(by, audit.Action.API_KEY_REVOKED, api_key.name, {"prefix": api_key.prefix})
    api_key.refresh_from_db()


def find_key(key: str) -> ApiKey | None:
    """The working key a request presents (one query), or None: unknown, malformed, revoked, expired, or its
    center switched off. The comparison of hashes takes the same time whatever matches."""
    prefix = prefix_of(key)
    if prefix is None or "\x00" in key:
        return None
    api_key = ApiKey.objects.select_related("tenant", "user").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(key)):
        return None
    return api_key if api_key.works else None


def record_use(api_key: ApiKey, now: datetime | None = None) -> None:
    """Remember when the key was last used, writing at most once per API_KEY_LAST_USED_EVERY seconds."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.API_KEY_LAST_USED_EVERY)
    if api_key.last_used_at is not None and api_key.last_used_at > stale:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    api_key.last_used_at = now
