"""A new owner confirms their e-mail address; until then the center may not invite staff (and its client
messages are held: tests/notifications/test_unconfirmed_owner.py). Sign-up is rate-limited per IP."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from servicedesk.accounts import confirmation
from servicedesk.accounts.models import User
from servicedesk.tenancy import services
from servicedesk.tenancy.models import Invitation, Membership, Tenant
from servicedesk.tenancy.roles import Role
from tests.factories import InvitationFactory, UserFactory
from tests.helpers import links_in, logged_in_user_id, text_of

from .test_signup import GOOD_PASSWORD, SENT_URL, SIGNUP_URL, signup_data

pytestmark = pytest.mark.django_db

RESEND_URL = reverse("accounts:resend_confirmation")
INVITE_GAMMA_URL = reverse("tenancy:invite", kwargs={"tenant_slug": "gamma"})


@pytest.fixture
def signed_up(client, mailoutbox):
    """Sasha signed Gamma Fix up; returns (owner, tenant, the link from the mail)."""
    assert client.post(SIGNUP_URL, signup_data()).url == SENT_URL
    [link] = [url for url in links_in(mailoutbox[0].body) if "/confirm/" in url]
    mailoutbox.clear()
    return User.objects.get(email="sasha@gamma.test"), Tenant.objects.get(slug="gamma"), urlsplit(link).path


def owner_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The link ---------------------------------------------------------------------------------------


def test_the_link_confirms_the_address_and_the_center(client, signed_up):
    owner, tenant, link = signed_up

    response = client.get(link)

    assert response.status_code == 200
    assert "Your e-mail address is confirmed" in text_of(response)
    owner.refresh_from_db()
    tenant.refresh_from_db()
    assert owner.email_confirmed_at is not None
    assert tenant.owner_confirmed_at is not None
    assert logged_in_user_id(client) is None, "the link confirms; it does not log in"
    # A second click (or a mail scanner's first) is harmless.
    assert client.get(link).status_code == 200


def test_an_expired_link_is_refused_with_a_way_out(client, signed_up, settings, monkeypatch):
    owner, tenant, _link = signed_up
    settings.EMAIL_CONFIRMATION_DAYS = 3
    four_days_ago = time.time() - 4 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: four_days_ago)
    old_link = reverse("accounts:confirm_email", args=[confirmation.make_token(owner)])
    monkeypatch.undo()

    response = client.get(old_link)

    assert response.status_code == 410
    assert "This link has expired" in text_of(response)
    assert "send yourself a new link from the dashboard" in text_of(response)
    tenant.refresh_from_db()
    assert tenant.owner_confirmed_at is None


def test_a_link_two_days_old_still_works(client, signed_up, settings, monkeypatch):
    owner, tenant, _link = signed_up
    settings.EMAIL_CONFIRMATION_DAYS = 3
    two_days_ago = time.time() - 2 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: two_days_ago)
    old_link = reverse("accounts:confirm_email", args=[confirmation.make_token(owner)])
    monkeypatch.undo()
    assert client.get(old_link).status_code == 200


def _tampered(link: str) -> list[str]:
    token = link.rstrip("/").rsplit("/", 1)[-1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = signing.dumps({"u": 1, "e": "sasha@gamma.test"}, salt="another-salt", compress=True)
    wrong_key = signing.dumps(
        {"u": 1, "e": "sasha@gamma.test"},
        key="not-our-secret-key-" * 3,
        salt=confirmation.SALT,
        compress=True,
    )
    return [flipped, token[5:], token + "x", forged, wrong_key, "x", "a" * 400, "%00", "😀"]


def test_a_tampered_or_foreign_link_is_404_and_confirms_nothing(client, signed_up):
    owner, tenant, link = signed_up
    for token in _tampered(link):
        response = client.get(reverse("accounts:confirm_email", args=[token]))
        assert response.status_code == 404, token
    owner.refresh_from_db()
    assert owner.email_confirmed_at is None


def test_a_token_of_another_shape_is_404(client, signed_up):
    for data in [[1, "x"], {"u": "1", "e": "sasha@gamma.test"}, {"u": 1}, "text", None]:
        token = signing.dumps(data, salt=confirmation.SALT)
        assert client.get(reverse("accounts:confirm_email", args=[token])).status_code == 404


def test_the_link_stops_working_when_the_address_changes(client, signed_up):
    owner, _tenant, link = signed_up
    User.objects.filter(pk=owner.pk).update(email="sasha.new@gamma.test")
    assert client.get(link).status_code == 404


def test_the_link_is_get_only(client, signed_up):
    _owner, _tenant, link = signed_up
    assert client.post(link).status_code == 405


# --- Resending --------------------------------------------------------------------------------------


def test_the_owner_resends_the_link_from_the_dashboard(signed_up, mailoutbox):
    owner, _tenant, _link = signed_up
    client = owner_client(owner)

    response = client.post(RESEND_URL)

    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == ["sasha@gamma.test"]
    new_link = urlsplit([url for url in links_in(mail.body) if "/confirm/" in url][0]).path
    assert "We sent a new link to sasha@gamma.test." in text_of(client.get(response.url, follow=True))
    assert Client().get(new_link).status_code == 200
    owner.refresh_from_db()
    assert owner.email_confirmed_at is not None
    dashboard = text_of(client.get(reverse("orders:dashboard", kwargs={"tenant_slug": "gamma"})))
    assert "Confirm your e-mail address first." not in dashboard


def test_resending_is_limited(signed_up, mailoutbox, steady_rate_window):
    owner, _tenant, _link = signed_up
    client = owner_client(owner)
    for _ in range(7):
        client.post(RESEND_URL)
    assert len(mailoutbox) == 5
    assert "Wait an hour" in text_of(client.get(reverse("home"), follow=True))


def test_a_confirmed_user_gets_no_new_link(member_client, mailoutbox):
    response = member_client(Role.OWNER).post(RESEND_URL, follow=True)
    assert "already confirmed" in text_of(response)
    assert mailoutbox == []


def test_resend_needs_log_in_and_post(client, signed_up, mailoutbox):
    owner, _tenant, _link = signed_up
    response = client.post(RESEND_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert owner_client(owner).get(RESEND_URL).status_code == 405
    assert mailoutbox == []


# --- Inviting staff is held until the owner confirms ------------------------------------------------


def test_an_unconfirmed_owner_cannot_invite(signed_up, mailoutbox):
    owner, _tenant, _link = signed_up
    client = owner_client(owner)

    response = client.post(INVITE_GAMMA_URL, {"email": "tech@gamma.test", "role": Role.TECHNICIAN})

    assert response.status_code == 200
    assert "Confirm your e-mail address first" in text_of(response)
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_the_invite_page_says_why_before_anyone_tries(signed_up, member_client):
    owner, _tenant, _link = signed_up
    page = text_of(owner_client(owner).get(INVITE_GAMMA_URL))
    assert "Confirm your e-mail address first." in page
    confirmed = text_of(
        member_client(Role.OWNER).get(reverse("tenancy:invite", kwargs={"tenant_slug": "alpha"}))
    )
    assert "Confirm your e-mail address first." not in confirmed


def test_after_confirming_the_owner_can_invite(client, signed_up, mailoutbox):
    owner, _tenant, link = signed_up
    client.get(link)

    response = owner_client(owner).post(
        INVITE_GAMMA_URL, {"email": "tech@gamma.test", "role": Role.TECHNICIAN}
    )

    assert response.status_code == 302
    assert Invitation.objects.get().email == "tech@gamma.test"
    assert [mail.to for mail in mailoutbox] == [["tech@gamma.test"]]


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_the_service_refuses_every_role_of_an_unconfirmed_center(tenant_a, users_a, role):
    Tenant.objects.filter(pk=tenant_a.pk).update(owner_confirmed_at=None)
    tenant_a.refresh_from_db()
    actor = Membership.objects.get(tenant=tenant_a, user=users_a[role])
    with pytest.raises(PermissionDenied, match="Confirm your e-mail address first"):
        services.invite_member(tenant=tenant_a, actor=actor, email="x@example.test", role=Role.TECHNICIAN)


def test_another_centers_confirmation_does_not_count(signed_up, tenant_a, users_a):
    """Confirming A's owner (or anyone) leaves Gamma held: the rule is per center."""
    owner, tenant, _link = signed_up
    services.confirm_email(users_a[Role.OWNER])
    tenant.refresh_from_db()
    assert tenant.owner_confirmed_at is None


def test_the_dashboard_banner_for_the_owner(signed_up):
    owner, _tenant, _link = signed_up
    page = text_of(owner_client(owner).get(reverse("orders:dashboard", kwargs={"tenant_slug": "gamma"})))
    assert "Confirm your e-mail address first." in page
    assert "messages to clients are held and staff cannot be invited" in page
    assert "Send the link again" in page


def test_confirmed_centers_show_no_banner(member_client):
    page = text_of(
        member_client(Role.OWNER).get(reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"}))
    )
    assert "Confirm your e-mail address first." not in page


# --- Invitations confirm the invitee's address --------------------------------------------------------


def test_accepting_an_invitation_as_a_new_user_confirms_the_address(tenant_a, client):
    invitation = InvitationFactory(tenant=tenant_a, email="nina@example.test", role=Role.RECEPTION)
    url = reverse("accounts:accept_invitation", kwargs={"token": invitation.token})
    client.post(url, {"full_name": "Nina", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert User.objects.get(email="nina@example.test").email_confirmed_at is not None


def test_an_unconfirmed_owner_accepting_an_invitation_confirms_their_center(signed_up, tenant_a):
    owner, tenant, _link = signed_up
    invitation = InvitationFactory(tenant=tenant_a, email=owner.email, role=Role.TECHNICIAN)
    client = owner_client(owner)
    assert (
        client.post(reverse("accounts:accept_invitation", kwargs={"token": invitation.token})).status_code
        == 302
    )
    owner.refresh_from_db()
    tenant.refresh_from_db()
    assert owner.email_confirmed_at is not None
    assert tenant.owner_confirmed_at is not None


# --- Rate limits ------------------------------------------------------------------------------------


def test_five_sign_ups_from_one_ip_in_a_row_create_three_centers(client, db, mailoutbox, steady_rate_window):
    """The reported case: 5 centers from one IP in 2 seconds. With the default 3 per hour, 2 are refused."""
    answers = [
        client.post(SIGNUP_URL, signup_data(email=f"p{i}@spam.test", slug=f"spam-{i}")) for i in range(5)
    ]

    assert [r.status_code for r in answers] == [302, 302, 302, 429, 429]
    assert answers[3]["Retry-After"] == "3600"
    assert "Too many sign-ups from your network" in text_of(answers[3])
    assert sorted(Tenant.objects.values_list("slug", flat=True)) == ["spam-0", "spam-1", "spam-2"]
    assert len(mailoutbox) == 3
    # Another address is not affected.
    other = client.post(
        SIGNUP_URL, signup_data(email="p9@spam.test", slug="spam-9"), REMOTE_ADDR="203.0.113.5"
    )
    assert other.status_code == 302


def test_existing_and_new_addresses_count_alike(client, users_a, settings, mailoutbox, steady_rate_window):
    settings.SIGNUP_RATE = "2/h"
    assert client.post(SIGNUP_URL, signup_data(email="owner@alpha.test")).status_code == 302
    assert client.post(SIGNUP_URL, signup_data(email="new@gamma.test")).status_code == 302
    assert client.post(SIGNUP_URL, signup_data(email="manager@alpha.test", slug="delta")).status_code == 429
    assert client.post(SIGNUP_URL, signup_data(email="new2@gamma.test", slug="delta")).status_code == 429
    assert len(mailoutbox) == 2


def test_form_errors_do_not_use_up_the_hourly_limit_but_a_burst_is_stopped(
    client, db, settings, steady_rate_window
):
    settings.SIGNUP_RATE = "1/h"
    settings.SIGNUP_BURST_RATE = "5/m"
    for _ in range(4):
        assert client.post(SIGNUP_URL, signup_data(password2="different-Pass-1234")).status_code == 200
    assert client.post(SIGNUP_URL, signup_data()).status_code == 302, "typos did not use up the sign-up"
    refused = client.post(SIGNUP_URL, signup_data(email="x@y.test", slug="other"))
    assert refused.status_code == 429
    assert client.get(SIGNUP_URL).status_code == 200, "the page itself still opens"


def test_the_burst_limit_counts_every_post(client, db, settings, steady_rate_window):
    settings.SIGNUP_BURST_RATE = "3/m"
    answers = [client.post(SIGNUP_URL, {"email": "junk"}) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert answers[3]["Retry-After"] == "60"


# --- Accounts from before the rule ---------------------------------------------------------------------


def test_the_migration_counts_existing_users_as_confirmed(db):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("servicedesk.accounts.migrations.0002_user_email_confirmed_at")
    old = UserFactory(email="old@example.test", full_name="Old Timer", email_confirmed_at=None)
    assert old.email_confirmed_at is None
    migration.existing_users_are_confirmed(apps, None)
    old.refresh_from_db()
    assert old.email_confirmed_at == old.date_joined


def test_centers_made_outside_sign_up_count_as_confirmed(db):
    assert Tenant.objects.create(name="Admin-made", slug="admin-made").owner_confirmed_at is not None


def test_the_demo_owner_and_center_are_confirmed(db):
    from servicedesk.tenancy.demo import seed_demo_staff

    staff = seed_demo_staff()
    assert staff.users[Role.OWNER].email_confirmed_at is not None
    assert staff.tenant.owner_confirmed_at is not None
