"""Business rules of tenants and staff: sign-up, invitations, roles, deactivation, the center's settings
and locations. Each change a member makes is written to the audit log (tenancy.audit) in its transaction.

Views, commands and tests call these; nothing else creates memberships.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicedesk.accounts.models import User

from . import countries, signals
from .audit import Action, changes, record, snapshot
from .models import Invitation, Location, Membership, Tenant
from .roles import Role, can_manage_member


@transaction.atomic
def create_tenant_with_owner(
    *,
    tenant_name: str,
    slug: str,
    owner: User,
    location_name: str,
    location_address: str = "",
    time_zone: str = "",
    language: str = "",
    currency: str = "",
    country: str = "RU",
    starter_catalogue: str = "",
) -> Tenant:
    """A new center, its first location and its owner; what is not given comes from its country
    (tenancy.countries); `starter_catalogue` (tenancy.starter) fills the service catalogue with ready-made
    services in the center's language."""
    tenant = Tenant(
        name=tenant_name,
        slug=slug,
        country=country,
        time_zone=time_zone or countries.default_time_zone(country),
        language=language or countries.default_language(country),
        currency=currency or countries.default_currency(country),
        # A fresh sign-up's owner has not proved the address yet: see confirm_email().
        owner_confirmed_at=owner.email_confirmed_at,
    )
    tenant.full_clean()
    tenant.save()
    Location.objects.create(
        tenant=tenant, name=location_name, kind=Location.Kind.BOTH, address=location_address
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    signals.tenant_created.send(sender=Tenant, tenant=tenant, starter_catalogue=starter_catalogue)
    return tenant


def check_owner_confirmed(tenant: Tenant) -> None:
    """A center signed up by someone who has not confirmed their e-mail address may not invite staff
    (and its client messages are held: notifications.outbox). Stops a throw-away sign-up from mailing
    strangers."""
    if tenant.owner_confirmed_at is None:
        raise PermissionDenied(
            _(
                "Confirm your e-mail address first: open the link we mailed to you, or send a new one from the dashboard."
            )
        )


@transaction.atomic
def confirm_email(user: User) -> None:
    """The user proved they read their address (the confirmation link, or an invitation mailed to it).

        The centers they own become confirmed, and the client messages held for them are queued (the
    notifications app listens to signals.owner_confirmed).
        Idempotent: confirming again changes nothing.
    """
    now = timezone.now()
    if user.email_confirmed_at is None:
        User.objects.filter(pk=user.pk, email_confirmed_at__isnull=True).update(email_confirmed_at=now)
        user.email_confirmed_at = now
    # Across tenants on purpose: the person's own memberships, as on the home page.
    owned = list(
        Membership.objects.filter(
            user=user, role=Role.OWNER, is_active=True, tenant__owner_confirmed_at__isnull=True
        ).values_list("tenant_id", flat=True)
    )
    for tenant_id in owned:
        if Tenant.objects.filter(pk=tenant_id, owner_confirmed_at__isnull=True).update(
            owner_confirmed_at=now
        ):
            signals.owner_confirmed.send(sender=Tenant, tenant_id=tenant_id)  # held client messages go out


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    url: str


def invite_member(*, tenant: Tenant, actor: Membership, email: str, role: str) -> SentInvitation:
    """Create an invitation and e-mail its single-use link. Only roles the actor may grant."""
    check_owner_confirmed(tenant)
    if not can_manage_member(actor.role, role):
        raise PermissionDenied(_("You may not invite someone as %(role)s.") % {"role": Role(role).label})
    email = email.strip().lower()
    if Membership.objects.for_tenant(tenant).filter(user__email=email).exists():
        raise ValidationError(_("%(email)s is already a member here.") % {"email": email})
    token, token_hash = Invitation.new_token()
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.for_tenant(tenant).pending().filter(email=email).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            tenant=tenant,
            email=email,
            role=role,
            token_hash=token_hash,
            invited_by=actor.user,
            expires_at=Invitation.default_expiry(),
        )
        record(actor, Action.INVITATION_SENT, email, {"role": role})
    url = settings.SITE_URL + reverse("accounts:accept_invitation", args=[token])
    with translation.override(tenant.language):
        context = {"tenant": tenant, "invitation": invitation, "url": url, "inviter": actor.user}
        send_mail(
            subject=_("You are invited to %(tenant)s on ServiceDesk") % {"tenant": tenant.name},
            message=render_to_string("emails/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
            fail_silently=False,
        )
    return SentInvitation(invitation=invitation, url=url)


class InvitationUnusable(Exception):
    """The link is known but can no longer be used; the message says why."""


def check_invitation_usable(invitation: Invitation) -> None:
    state = invitation.state
    if state == "accepted":
        raise InvitationUnusable(_("This invitation has already been used."))
    if state == "revoked":
        raise InvitationUnusable(_("This invitation was withdrawn. Ask for a new one."))
    if state == "expired":
        raise InvitationUnusable(_("This invitation has expired. Ask for a new one."))


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    """Make the user a member. Single use: the conditional update lets only one acceptance win."""
    check_invitation_usable(invitation)
    if user.email.lower() != invitation.email.lower():
        raise InvitationUnusable(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if not claimed:
        raise InvitationUnusable(_("This invitation has already been used."))
    membership, created = Membership.objects.get_or_create(
        tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
    )
    if not created:
        membership.role = invitation.role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    # The invitation reached this address and was opened from it: that confirms the address.
    confirm_email(user)
    # The new member is who acted: the entry says who joined, with which role, on whose invitation.
    record(
        membership,
        Action.INVITATION_ACCEPTED,
        invitation.email,
        {"role": invitation.role, "invited_by": _invited_by(invitation)},
    )
    return membership


def _invited_by(invitation: Invitation) -> str:
    inviter = invitation.invited_by
    return (inviter.full_name or inviter.email) if inviter is not None else ""


@transaction.atomic
def revoke_invitation(*, actor: Membership, invitation: Invitation) -> None:
    if not can_manage_member(actor.role, invitation.role):
        raise PermissionDenied(_("You may not withdraw this invitation."))
    # Only a pending one changes (and is recorded): withdrawing twice, or after acceptance, does nothing.
    if Invitation.objects.filter(
        pk=invitation.pk, tenant_id=actor.tenant_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now()):
        record(actor, Action.INVITATION_REVOKED, invitation.email, {"role": invitation.role})


def _lock_and_refresh(actor: Membership, target: Membership) -> None:
    """Serialise staff changes of one tenant and decide on current rows, not on what the request loaded.

    Without the lock two owners demoting each other at once both see "another owner remains" and the
    tenant is left with none (PostgreSQL, READ COMMITTED). Call inside the transaction.
    """
    Tenant.objects.select_for_update().only("pk").get(pk=target.tenant_id)
    actor.refresh_from_db(fields=["role", "is_active"])
    target.refresh_from_db(fields=["role", "is_active"])


def _check_can_manage(actor: Membership, target: Membership) -> None:
    if target.pk == actor.pk:
        raise PermissionDenied(_("You cannot change your own role or deactivate yourself."))
    if not can_manage_member(actor.role, target.role):
        raise PermissionDenied(
            _("You may not change a member whose role is %(role)s.") % {"role": target.get_role_display()}
        )


def _ensure_an_owner_remains(target: Membership) -> None:
    if target.role == Role.OWNER and not (
        Membership.objects.for_tenant(target.tenant_id)
        .filter(role=Role.OWNER, is_active=True)
        .exclude(pk=target.pk)
        .exists()
    ):
        raise ValidationError(_("A service center must keep at least one active owner."))


@transaction.atomic
def change_role(*, actor: Membership, target: Membership, role: str) -> Membership:
    _lock_and_refresh(actor, target)
    _check_can_manage(actor, target)
    if not can_manage_member(actor.role, role):
        raise PermissionDenied(_("You may not grant the role %(role)s.") % {"role": Role(role).label})
    if role != Role.OWNER:
        _ensure_an_owner_remains(target)
    before = target.role
    target.role = role
    target.save(update_fields=["role"])
    if before != role:
        record(actor, Action.ROLE_CHANGED, target.user, {"before": {"role": before}, "after": {"role": role}})
    return target


@transaction.atomic
def set_member_active(*, actor: Membership, target: Membership, active: bool) -> Membership:
    """Deactivated members keep their history but can no longer open the tenant's pages."""
    _lock_and_refresh(actor, target)
    _check_can_manage(actor, target)
    if not active:
        _ensure_an_owner_remains(target)
    was_active = target.is_active
    target.is_active = active
    target.save(update_fields=["is_active"])
    if was_active != active:
        action = Action.MEMBER_REACTIVATED if active else Action.MEMBER_DEACTIVATED
        record(actor, action, target.user, {"role": target.role})
    return target


@transaction.atomic
def save_settings(tenant: Tenant, *, by: Membership) -> Tenant:
    """Store the center's settings as changed in `tenant` (a copy the settings form filled), recording
    what differs from the stored row."""
    stored = Tenant.objects.select_for_update().get(pk=tenant.pk)
    tenant.save()
    changed = changes(snapshot(stored), snapshot(tenant))
    if changed["after"]:
        record(by, Action.SETTINGS_CHANGED, tenant.name, changed)
    return tenant


@transaction.atomic
def save_location(location: Location, *, by: Membership) -> Location:
    """Add a location (no pk yet) or store one as changed in `location` (the form filled it)."""
    if location.pk is None:
        location.save()
        record(by, Action.LOCATION_CREATED, location.name, {"after": snapshot(location)})
        return location
    stored = Location.objects.for_tenant(location.tenant_id).select_for_update().get(pk=location.pk)
    location.save()
    changed = changes(snapshot(stored), snapshot(location))
    if changed["after"]:
        record(by, Action.LOCATION_CHANGED, location.name, changed)
    return location
