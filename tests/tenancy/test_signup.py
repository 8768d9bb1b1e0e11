"""Sign-up: one form creates a user, their service center, its first location, and logs them in."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from servicedesk.accounts.forms import SignupForm
from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Role
from tests.factories import PASSWORD, TenantFactory, UserFactory
from tests.helpers import links_in, logged_in_user_id, text_of

SIGNUP_URL = reverse("accounts:signup")
SENT_URL = reverse("accounts:signup_sent")
GOOD_PASSWORD = "violet-Harbor-2931-lamp"


def signup_data(**changes) -> dict:
    data = {
        "full_name": "Sasha Founder",
        "email": "sasha@gamma.test",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "tenant_name": "Gamma Fix",
        "slug": "gamma",
        "location_name": "Head office",
        "location_address": "1 Main Street",
        "country": "DE",
        "language": "en",
        "time_zone": "Europe/Berlin",
    }
    data.update(changes)
    return data


def test_signup_page_opens(client, db):
    response = client.get(SIGNUP_URL)
    assert response.status_code == 200
    assert "Register a service center" in text_of(response)


def test_signup_creates_tenant_owner_and_location_and_mails_a_confirmation_link(client, db, mailoutbox):
    response = client.post(SIGNUP_URL, signup_data(email="Sasha@Gamma.TEST"))

    assert response.status_code == 302
    assert response.url == SENT_URL
    assert "Check your inbox to finish signing up" in text_of(client.get(response.url))

    tenant = Tenant.objects.get(slug="gamma")
    assert tenant.name == "Gamma Fix"
    assert tenant.time_zone == "Europe/Berlin"
    assert tenant.language == "en"
    assert tenant.owner_confirmed_at is None, "held until the owner confirms"
    user = User.objects.get(email="sasha@gamma.test")  # stored lower-case
    assert user.full_name == "Sasha Founder"
    assert user.check_password(GOOD_PASSWORD)
    assert user.email_confirmed_at is None
    membership = Membership.objects.get(tenant=tenant, user=user)
    assert membership.role == Role.OWNER
    assert membership.is_active
    location = Location.objects.get(tenant=tenant)
    assert (location.name, location.address) == ("Head office", "1 Main Street")
    # Not logged in: the answer must be the same as for an address that has an account.
    assert logged_in_user_id(client) is None

    [mail] = mailoutbox
    assert mail.to == ["sasha@gamma.test"]
    assert mail.subject == "Confirm your e-mail address for ServiceDesk"
    confirm_link, login_link = links_in(mail.body)
    assert confirm_link.startswith("http://127.0.0.1:8000/accounts/confirm/")
    assert login_link == "http://127.0.0.1:8000/accounts/login/"


def test_the_new_owner_can_log_in_and_set_up_before_confirming(client, db):
    client.post(SIGNUP_URL, signup_data())
    assert (
        client.post(
            reverse("accounts:login"), {"username": "sasha@gamma.test", "password": GOOD_PASSWORD}
        ).status_code
        == 302
    )

    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home.url == reverse("orders:dashboard", kwargs={"tenant_slug": "gamma"})
    dashboard = text_of(client.get(home.url))
    assert "Gamma Fix" in dashboard
    assert "Confirm your e-mail address first." in dashboard
    assert "Send the link again" in dashboard


def test_an_existing_address_gets_the_same_answer_and_a_notice_by_mail(client, users_a, mailoutbox):
    new = client.post(SIGNUP_URL, signup_data(email="new-person@gamma.test", slug="gamma"))
    taken = client.post(SIGNUP_URL, signup_data(email="OWNER@alpha.test", slug="delta"))

    assert (taken.status_code, taken.url) == (new.status_code, new.url) == (302, SENT_URL)
    assert logged_in_user_id(client) is None
    assert not Tenant.objects.filter(slug="delta").exists(), "nothing is created for an existing address"
    owner = User.objects.get(email="owner@alpha.test")
    assert owner.check_password(PASSWORD), "the existing account is unchanged"
    assert Membership.objects.filter(user=owner).count() == 1

    confirmation, notice = mailoutbox
    assert confirmation.to == ["new-person@gamma.test"]
    assert notice.to == ["owner@alpha.test"]
    assert notice.subject == "Someone tried to sign up to ServiceDesk with your address"
    assert "You already have an account, so nothing was created." in notice.body
    assert links_in(notice.body) == [
        "http://127.0.0.1:8000/accounts/login/",
        "http://127.0.0.1:8000/accounts/password/reset/",
    ]
    assert "/accounts/confirm/" not in notice.body


def test_after_confirming_and_logging_in_home_leads_to_the_dashboard(client, db, mailoutbox):
    client.post(SIGNUP_URL, signup_data())
    client.get(links_in(mailoutbox[0].body)[0])
    client.post(reverse("accounts:login"), {"username": "sasha@gamma.test", "password": GOOD_PASSWORD})
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("orders:dashboard", kwargs={"tenant_slug": "gamma"})
    assert "Confirm your e-mail address first." not in text_of(client.get(response.url))


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"slug": "admin"}, "slug", "is reserved"),
        ({"slug": "s"}, "slug", "is reserved"),
        ({"slug": "api"}, "slug", "is reserved"),
        ({"slug": "accounts"}, "slug", "is reserved"),
        ({"slug": "Gamma"}, "slug", "lower-case Latin letters"),
        ({"slug": "my shop"}, "slug", "lower-case Latin letters"),
        ({"slug": "сервис"}, "slug", "lower-case Latin letters"),
        ({"slug": "-gamma"}, "slug", "lower-case Latin letters"),
        ({"slug": "g" * 51}, "slug", "at most 50 characters"),
        ({"slug": ""}, "slug", "This field is required."),
        ({"tenant_name": "x" * 121}, "tenant_name", "at most 120 characters"),
        ({"full_name": "x" * 151}, "full_name", "at most 150 characters"),
        ({"location_name": "x" * 121}, "location_name", "at most 120 characters"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "a@b@c.test"}, "email", "Enter a valid email address."),
        ({"password2": GOOD_PASSWORD + "x"}, "password2", "The two passwords differ."),
        ({"password1": "password", "password2": "password"}, "password2", "This password is too common."),
        ({"password1": "12345", "password2": "12345"}, "password2", "too short"),
        ({"password1": "83920174659", "password2": "83920174659"}, "password2", "entirely numeric"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Unknown time zone"),
        ({"time_zone": "Europe/../etc"}, "time_zone", "Unknown time zone"),
        ({"time_zone": "/etc/passwd"}, "time_zone", "Unknown time zone"),
        ({"time_zone": "zone.tab"}, "time_zone", "Unknown time zone"),
        ({"language": "de"}, "language", "Select a valid choice."),
    ],
)
def test_signup_bad_input_is_a_form_error(client, db, changes, field, message):
    response = client.post(SIGNUP_URL, signup_data(**changes))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in text_of(response)
    assert not Tenant.objects.exists()
    assert not User.objects.exists()
    assert logged_in_user_id(client) is None


def test_signup_with_a_taken_slug(client, tenant_a):
    response = client.post(SIGNUP_URL, signup_data(slug="alpha"))
    assert response.status_code == 200
    assert "This address is taken" in text_of(response)
    assert Tenant.objects.count() == 1


def test_password_similar_to_the_name_is_refused(client, db):
    response = client.post(
        SIGNUP_URL,
        signup_data(email="sasha.founder@gamma.test", password1="sasha.founder", password2="sasha.founder"),
    )
    assert response.status_code == 200
    assert "too similar" in text_of(response)


@pytest.mark.parametrize("taken", ["slug", "email"])
def test_signup_race_is_a_form_error_and_leaves_nothing_behind(client, db, monkeypatch, taken):
    """The slug or e-mail is taken after the form's checks passed: a form error, no half-made account."""
    monkeypatch.setattr(SignupForm, "clean_slug", lambda form: form.cleaned_data["slug"])
    monkeypatch.setattr(SignupForm, "clean_email", lambda form: form.cleaned_data["email"])
    if taken == "slug":
        TenantFactory(name="Someone else", slug="gamma")
    else:
        UserFactory(email="sasha@gamma.test", full_name="Earlier Sasha")

    response = client.post(SIGNUP_URL, signup_data())

    if taken == "slug":
        assert response.status_code == 200
        assert "was taken a moment ago" in text_of(response)
    else:  # the e-mail: the same answer as for any existing address
        assert (response.status_code, response.url) == (302, SENT_URL)
    assert User.objects.count() == (0 if taken == "slug" else 1)  # only the earlier one
    assert Tenant.objects.count() == (1 if taken == "slug" else 0)
    assert not Location.objects.exists()
    assert logged_in_user_id(client) is None


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    slug=st.text(max_size=60),
    tenant_name=st.text(max_size=130),
    time_zone=st.text(max_size=70),
    email=st.text(max_size=60),
)
def test_signup_form_never_crashes(db, slug, tenant_name, time_zone, email):
    """Whatever is typed, the form answers with errors or valid data, never an exception."""
    form = SignupForm(signup_data(slug=slug, tenant_name=tenant_name, time_zone=time_zone, email=email))
    if form.is_valid():
        Tenant(
            name=form.cleaned_data["tenant_name"],
            slug=form.cleaned_data["slug"],
            time_zone=form.cleaned_data["time_zone"],
        ).full_clean()
