"""Log-in by e-mail (any case), django-axes lockout, password reset by mail, log-out by POST."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from servicedesk.tenancy.roles import Role
from tests.factories import PASSWORD
from tests.helpers import links_in, logged_in_user_id, text_of

LOGIN_URL = reverse("accounts:login")


def log_in(client, email: str, password: str):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def test_login_page_opens(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert "Log in to ServiceDesk" in text_of(response)


@pytest.mark.parametrize(
    "typed", ["owner@alpha.test", "OWNER@ALPHA.TEST", "Owner@Alpha.Test", "  owner@alpha.test "]
)
def test_login_with_email_in_any_case(client, users_a, typed):
    response = log_in(client, typed, PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(users_a[Role.OWNER].pk)
    # Home sends the owner of a single tenant straight to its dashboard.
    home = client.get(response.url)
    assert home.status_code == 302
    assert home.url == reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"})


def test_login_with_wrong_password_fails(client, users_a):
    response = log_in(client, "owner@alpha.test", "not-the-password")
    assert response.status_code == 200
    assert "Please enter a correct" in text_of(response)
    assert logged_in_user_id(client) is None


def test_login_with_unknown_email_fails(client, db):
    response = log_in(client, "nobody@alpha.test", PASSWORD)
    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_inactive_user_cannot_log_in(client, users_a):
    user = users_a[Role.TECHNICIAN]
    user.is_active = False
    user.save()
    response = log_in(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_logged_in_user_visiting_login_goes_home(client_for, users_a):
    response = client_for(users_a[Role.OWNER]).get(LOGIN_URL)
    assert response.status_code == 302


def _fail_until_locked(client, emails: list[str]) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, emails[attempt % len(emails)], "wrong-password")
        assert logged_in_user_id(client) is None
    # The attempt that reaches the limit is answered with the lockout page.
    assert response.status_code == 429


def test_lockout_after_too_many_failures(client, users_a):
    _fail_until_locked(client, ["owner@alpha.test"])

    response = log_in(client, "owner@alpha.test", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed log-ins" in text_of(response)
    assert logged_in_user_id(client) is None


def test_lockout_cannot_be_dodged_by_changing_the_case_of_the_email(client, users_a):
    _fail_until_locked(
        client, ["owner@alpha.test", "OWNER@alpha.test", "Owner@Alpha.test", "owner@ALPHA.TEST"]
    )

    response = log_in(client, "oWnEr@alpha.test", PASSWORD)

    assert response.status_code == 429
    assert logged_in_user_id(client) is None


def test_lockout_is_per_account(client, users_a):
    _fail_until_locked(client, ["owner@alpha.test"])

    response = log_in(client, "manager@alpha.test", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(users_a[Role.MANAGER].pk)


def test_failures_below_the_limit_do_not_lock(client, users_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "owner@alpha.test", "wrong-password")
    response = log_in(client, "owner@alpha.test", PASSWORD)
    assert response.status_code == 302


def test_password_reset_by_email(client, users_a, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "Owner@Alpha.test"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["owner@alpha.test"]
    assert "Reset your ServiceDesk password" in mail.subject
    [link] = links_in(mail.body)

    # Django swaps the token in the link for one kept in the session, then shows the form.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    new_password = "brand-New-Pass-8812"
    response = client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")

    assert log_in(client, "owner@alpha.test", PASSWORD).status_code == 200  # the old one no longer works
    assert log_in(client, "owner@alpha.test", new_password).status_code == 302

    # The link works once.
    again = client.get(link, follow=True)
    assert "new_password1" not in text_of(again)


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, db, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def test_logout_is_post_only(client_for, users_a):
    client = client_for(users_a[Role.OWNER])

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in_user_id(client) is not None

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert logged_in_user_id(client) is None


def test_pages_need_login(client, tenant_a):
    response = client.get(reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"}))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_one_ip_trying_a_password_on_many_accounts_is_stopped(
    client, users_a, users_b, settings, steady_rate_window
):
    """Axes counts per username and IP; one IP spraying one password over 40 usernames must be stopped too."""
    settings.LOGIN_IP_FAILURE_RATE = "30/h"
    answers = [log_in(client, f"person{i}@spray.test", "Summer2026!").status_code for i in range(40)]

    assert answers[:30] == [200] * 30, "each name fails once: below the per-name lock-out"
    assert answers[30:] == [429] * 10
    # Even a right password is refused from that IP now (nothing is checked) ...
    refused = log_in(client, "owner@alpha.test", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed log-ins came from your network" in text_of(refused)
    assert logged_in_user_id(client) is None
    # ... while another IP logs in as usual.
    other = client.post(
        LOGIN_URL, {"username": "owner@beta.test", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert other.status_code == 302


def test_successful_log_ins_do_not_count_towards_the_ip_limit(client, users_a, settings, steady_rate_window):
    settings.LOGIN_IP_FAILURE_RATE = "3/h"
    for _ in range(5):
        assert log_in(client, "owner@alpha.test", PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
    assert log_in(client, "owner@alpha.test", PASSWORD).status_code == 302


def test_the_ip_limit_counts_behind_a_proxy_by_the_forwarded_address(
    client, users_a, settings, steady_rate_window
):
    settings.LOGIN_IP_FAILURE_RATE = "3/h"
    settings.AXES_IPWARE_PROXY_COUNT = 1
    for i in range(3):
        client.post(
            LOGIN_URL, {"username": f"x{i}@spray.test", "password": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.7"
        )
    blocked = client.post(
        LOGIN_URL, {"username": "owner@alpha.test", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert blocked.status_code == 429
    # Another client behind the same proxy (same REMOTE_ADDR) is not affected.
    other = client.post(
        LOGIN_URL, {"username": "owner@alpha.test", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert other.status_code == 302
