"""Invitations: single-use, expiring links that make their holder a member with a role."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from servicedesk.accounts.models import User
from servicedesk.tenancy import services
from servicedesk.tenancy.models import Invitation, Membership
from servicedesk.tenancy.roles import Role
from tests.factories import PASSWORD, InvitationFactory
from tests.helpers import links_in, logged_in_user_id, text_of

INVITE_URL = reverse("tenancy:invite", kwargs={"tenant_slug": "alpha"})
NEW_PASSWORD = "plum-Tractor-5521-kite"


def accept_url(invitation) -> str:
    return reverse("accounts:accept_invitation", kwargs={"token": invitation.token})


def join_as_new_user(client, url: str, full_name: str = "Nina Newcomer"):
    return client.post(url, {"full_name": full_name, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


# --- Sending --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inviter, role", [(Role.OWNER, Role.MANAGER), (Role.OWNER, Role.OWNER), (Role.MANAGER, Role.TECHNICIAN)]
)
def test_owner_and_manager_invite_by_mail(member_client, users_a, mailoutbox, inviter, role):
    response = member_client(inviter).post(INVITE_URL, {"email": "New.Person@Example.test", "role": role})

    assert response.status_code == 302
    assert response.url == reverse("tenancy:members", kwargs={"tenant_slug": "alpha"})
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.state) == (
        "new.person@example.test",
        role,
        "pending",
    )
    assert invitation.invited_by == users_a[inviter]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new.person@example.test"]
    assert "Alpha Repairs" in mail.subject
    [link] = links_in(mail.body)
    assert "/accounts/invite/" in link

    # The link in the mail is the one that works.
    response = join_as_new_user(Client(), urlsplit(link).path)
    assert response.status_code == 302
    assert Membership.objects.get(user__email="new.person@example.test").role == role


def test_only_the_token_hash_is_stored(member_client, mailoutbox):
    member_client(Role.OWNER).post(INVITE_URL, {"email": "x@example.test", "role": Role.TECHNICIAN})
    [link] = links_in(mailoutbox[0].body)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in Invitation.objects.get().token_hash


def test_manager_is_not_offered_the_owner_role(member_client):
    response = member_client(Role.MANAGER).get(INVITE_URL)
    assert response.status_code == 200
    offered = {value for value, _label in response.context["form"].fields["role"].choices}
    assert offered == {Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN}


def test_manager_cannot_invite_an_owner(member_client, mailoutbox):
    response = member_client(Role.MANAGER).post(
        INVITE_URL, {"email": "boss@example.test", "role": Role.OWNER}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in text_of(response)
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invite_service_refuses_a_role_the_actor_may_not_grant(tenant_a, users_a):
    manager = Membership.objects.get(user=users_a[Role.MANAGER])
    with pytest.raises(PermissionDenied):
        services.invite_member(tenant=tenant_a, actor=manager, email="boss@example.test", role=Role.OWNER)


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_reception_and_technician_cannot_invite(member_client, mailoutbox, role):
    client = member_client(role)
    assert client.get(INVITE_URL).status_code == 403
    assert client.post(INVITE_URL, {"email": "x@example.test", "role": Role.TECHNICIAN}).status_code == 403
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_inviting_an_existing_member_is_a_form_error(member_client, mailoutbox):
    response = member_client(Role.OWNER).post(
        INVITE_URL, {"email": "Technician@alpha.test", "role": Role.MANAGER}
    )
    assert response.status_code == 200
    assert "is already a member here" in text_of(response)
    assert mailoutbox == []


def test_bad_email_is_a_form_error(member_client):
    response = member_client(Role.OWNER).post(INVITE_URL, {"email": "not-an-address", "role": Role.MANAGER})
    assert response.status_code == 200
    assert "Enter a valid email address." in text_of(response)


def test_a_new_invitation_replaces_the_pending_one(member_client, mailoutbox):
    client = member_client(Role.OWNER)
    client.post(INVITE_URL, {"email": "x@example.test", "role": Role.TECHNICIAN})
    client.post(INVITE_URL, {"email": "x@example.test", "role": Role.RECEPTION})

    [first_link], [second_link] = links_in(mailoutbox[0].body), links_in(mailoutbox[1].body)
    assert Client().get(urlsplit(first_link).path).status_code == 410
    assert Client().get(urlsplit(second_link).path).status_code == 200


# --- Accepting ------------------------------------------------------------------------------------


def test_accept_as_new_user_creates_account_and_membership(tenant_a, client):
    invitation = InvitationFactory(tenant=tenant_a, email="nina@example.test", role=Role.RECEPTION)
    url = accept_url(invitation)

    page = client.get(url)
    assert page.status_code == 200
    assert "Join Alpha Repairs" in text_of(page)
    assert "nina@example.test" in text_of(page)

    response = join_as_new_user(client, url)

    assert response.status_code == 302
    assert response.url == reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"})
    user = User.objects.get(email="nina@example.test")
    assert user.full_name == "Nina Newcomer"
    membership = Membership.objects.get(tenant=tenant_a, user=user)
    assert membership.role == Role.RECEPTION and membership.is_active
    assert logged_in_user_id(client) == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.state == "accepted" and invitation.accepted_by == user
    assert client.get(response.url).status_code == 200


def test_accept_as_new_user_with_a_weak_password_is_a_form_error(tenant_a, client):
    invitation = InvitationFactory(tenant=tenant_a)
    response = client.post(
        accept_url(invitation), {"full_name": "N", "password1": "password", "password2": "password"}
    )
    assert response.status_code == 200
    assert "This password is too common." in text_of(response)
    assert not Membership.objects.filter(tenant=tenant_a, user__email=invitation.email).exists()
    assert Invitation.objects.get().state == "pending"


@pytest.mark.parametrize("method", ["get", "post"])
def test_expired_link(tenant_a, client, method):
    invitation = InvitationFactory(tenant=tenant_a, expires_at=timezone.now() - timedelta(minutes=1))

    response = (
        join_as_new_user(client, accept_url(invitation))
        if method == "post"
        else client.get(accept_url(invitation))
    )

    assert response.status_code == 410
    assert "This invitation has expired" in text_of(response)
    assert not User.objects.filter(email=invitation.email).exists()
    assert not Membership.objects.filter(user__email=invitation.email).exists()


def test_link_works_only_once(tenant_a):
    invitation = InvitationFactory(tenant=tenant_a)
    url = accept_url(invitation)
    assert join_as_new_user(Client(), url).status_code == 302

    for client in (Client(), Client()):
        response = join_as_new_user(client, url, full_name="Second Taker")
        assert response.status_code == 410
        assert "already been used" in text_of(response)
    assert Membership.objects.filter(user__email=invitation.email).count() == 1
    assert User.objects.get(email=invitation.email).full_name == "Nina Newcomer"


def test_reused_link_is_refused_even_to_the_logged_in_invitee(tenant_a, client):
    invitation = InvitationFactory(tenant=tenant_a)
    url = accept_url(invitation)
    join_as_new_user(client, url)
    response = client.post(url)
    assert response.status_code == 410


@pytest.mark.parametrize("token", ["forged-token", "x" * 43, "a" * 500])
def test_unknown_token_is_404(tenant_a, client, token):
    InvitationFactory(tenant=tenant_a)
    url = reverse("accounts:accept_invitation", kwargs={"token": token})
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"full_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code
        == 404
    )
    assert not Membership.objects.filter(user__full_name="X").exists()


def test_revoked_link_is_refused(tenant_a, member_client):
    invitation = InvitationFactory(tenant=tenant_a)
    revoke = reverse(
        "tenancy:revoke_invitation", kwargs={"tenant_slug": "alpha", "invitation_id": invitation.pk}
    )

    assert member_client(Role.MANAGER).post(revoke).status_code == 302

    response = join_as_new_user(Client(), accept_url(invitation))
    assert response.status_code == 410
    assert "withdrawn" in text_of(response)
    assert not User.objects.filter(email=invitation.email).exists()


def test_revoke_is_post_only(tenant_a, member_client):
    invitation = InvitationFactory(tenant=tenant_a)
    revoke = reverse(
        "tenancy:revoke_invitation", kwargs={"tenant_slug": "alpha", "invitation_id": invitation.pk}
    )
    assert member_client(Role.OWNER).get(revoke).status_code == 405
    assert Invitation.objects.get().state == "pending"


def test_manager_cannot_revoke_an_owner_invitation(tenant_a, member_client):
    invitation = InvitationFactory(tenant=tenant_a, role=Role.OWNER)
    revoke = reverse(
        "tenancy:revoke_invitation", kwargs={"tenant_slug": "alpha", "invitation_id": invitation.pk}
    )
    assert member_client(Role.MANAGER).post(revoke).status_code == 403
    assert Invitation.objects.get().state == "pending"


def test_existing_user_must_log_in_then_accept(tenant_a, tenant_b, users_b, client):
    """Someone who already has an account (here: B's technician) joins A with it."""
    user = users_b[Role.TECHNICIAN]
    invitation = InvitationFactory(tenant=tenant_a, email=user.email, role=Role.MANAGER)
    url = accept_url(invitation)

    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"
    # Posting the sign-up form instead does not create a second account.
    assert join_as_new_user(client, url).status_code == 302
    assert User.objects.filter(email=user.email).count() == 1
    assert not Membership.objects.filter(tenant=tenant_a, user=user).exists()

    response = client.post(
        f"{reverse('accounts:login')}?next={url}", {"username": user.email, "password": PASSWORD, "next": url}
    )
    assert response.status_code == 302 and response.url == url
    page = client.get(url)
    assert page.status_code == 200
    assert "Accept and join" in text_of(page)

    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"})
    assert Membership.objects.get(tenant=tenant_a, user=user).role == Role.MANAGER
    assert Membership.objects.get(tenant=tenant_b, user=user).role == Role.TECHNICIAN  # B is untouched


def test_logged_in_user_with_another_email_is_refused(tenant_a, outsider, client_for):
    invitation = InvitationFactory(tenant=tenant_a, email="someone.else@example.test")
    client = client_for(outsider)

    response = client.post(accept_url(invitation))

    assert response.status_code == 410
    assert "was sent to someone.else@example.test" in text_of(response)
    assert not Membership.objects.filter(tenant=tenant_a, user=outsider).exists()
    assert Invitation.objects.get().state == "pending"  # the real invitee can still use it


def test_deactivated_member_invited_again_is_reactivated(tenant_a, users_a, client_for):
    user = users_a[Role.TECHNICIAN]
    Membership.objects.filter(user=user).update(is_active=False)
    invitation = InvitationFactory(tenant=tenant_a, email=user.email, role=Role.RECEPTION)

    assert client_for(user).post(accept_url(invitation)).status_code == 302

    membership = Membership.objects.get(tenant=tenant_a, user=user)
    assert membership.is_active and membership.role == Role.RECEPTION
