"""The center's privacy policy: published versions, the one in force, the one a client agreed to.

Here, in tenancy, because orders records the client's consent at intake and the documents app prints
and publishes the text: both build on tenancy.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Membership, PrivacyPolicy, Tenant


def current_policy(tenant: Tenant | int) -> PrivacyPolicy | None:
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return PrivacyPolicy.objects.filter(tenant_id=tenant_id).order_by("-published_at", "-id").first()


def current_privacy_version(tenant: Tenant | int) -> str:
    """The version a client consents to now: the tenant's newest published policy, else the setting.

    orders.services records it in Client.consent_version at intake (see docs/documents.md).
    """
    policy = current_policy(tenant)
    return policy.version if policy else settings.PRIVACY_POLICY_VERSION


def consent_is_current(client, version: str | None = None) -> bool:
    """True when the client's consent is on file for the privacy text in force (`version`, default
    `current_privacy_version`): intake asks for it again only when it is not (a new client, or a new text
    published since). `client` is an orders.Client or None."""
    if client is None or client.consent_at is None:
        return False
    return client.consent_version == (version or current_privacy_version(client.tenant_id))


def policy_for_client(client) -> PrivacyPolicy | None:
    """The text this client agreed to (its Client.consent_version), else the one in force, else None.

    For the client's public pages (e.g. a /s/<token>/privacy/ page of the orders app): what a client
    consented to stays readable even after newer versions are published.
    """
    policies = PrivacyPolicy.objects.filter(tenant_id=client.tenant_id)
    if client.consent_version:
        agreed = policies.filter(version=client.consent_version).first()
        if agreed is not None:
            return agreed
    return policies.order_by("-published_at", "-id").first()


def publish_policy(
    tenant: Tenant, *, version: str, language: str, title: str, text: str, by: Membership
) -> PrivacyPolicy:
    """Publish a new version; versions are never edited, so what a client agreed to stays readable."""
    version = version.strip()
    if PrivacyPolicy.objects.filter(tenant=tenant, version=version).exists():
        raise ValidationError(
            _("Version “%(version)s” is already published; give the new text a new version.")
            % {"version": version}
        )
    policy = PrivacyPolicy(
        tenant=tenant,
        version=version,
        language=language,
        title=title.strip(),
        text=text.strip(),
        published_by=by.user,
    )
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise ValidationError(
            _("Version “%(version)s” is already published.") % {"version": version}
        ) from None
    return policy
