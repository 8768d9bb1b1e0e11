"""factory-boy factories for the tenancy models (users, tenants, locations, memberships, invitations)."""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Invitation, Location, Membership, Tenant, _hash_token
from servicedesk.tenancy.roles import Role

# The password every factory user has; log in with it in tests that go through the login form.
PASSWORD = "correct-horse-battery-staple-42"


def _center_time_zone() -> str:
    # Imported when called: tests.clock is a pytest plugin, and importing it here first would keep
    # pytest from rewriting its asserts.
    from ..clock import center_time_zone

    return center_time_zone()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = PASSWORD
    # Staff of the test centers are settled accounts (invited, or from before e-mail confirmation came in).
    email_confirmed_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # create_user lower-cases the address and hashes the password, as the real sign-up does.
        email = kwargs.pop("email")
        password = kwargs.pop("password")
        return model_class.objects.create_user(email, password, **kwargs)


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Service Center {n}")
    slug = factory.Sequence(lambda n: f"center-{n}")
    # English, so e-mails and pages read the same whatever translations exist.
    language = "en"
    # The session's zone: Europe/Moscow unless pytest --clock-tz=... moves every center elsewhere.
    time_zone = factory.LazyFunction(lambda: _center_time_zone())


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Location {n}")
    kind = Location.Kind.BOTH


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TECHNICIAN


class InvitationFactory(DjangoModelFactory):
    """A pending invitation. Only the token's hash is stored; the raw token is left on `.token`."""

    class Meta:
        model = Invitation

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.TECHNICIAN
    token = factory.LazyFunction(lambda: Invitation.new_token()[0])
    expires_at = factory.LazyFunction(Invitation.default_expiry)

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, token_hash=_hash_token(token), **kwargs)
        invitation.token = token
        return invitation
