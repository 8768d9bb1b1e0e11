"""API keys: made by the owner on the center's page, shown once, stored hashed, revocable, expiring,
their last use recorded without a write per request, rate-limited per key; a key acts as its role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse
from django.utils import timezone

from api import keys
from api.models import ApiKey
from orders.permissions import ActorRefused
from orders.services import technician_choices
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from .conftest import Api

pytestmark = pytest.mark.django_db


def test_the_owner_makes_a_key_and_sees_it_once(member_client, tenant_a):
    owner = member_client(Role.OWNER)
    url = reverse("api_keys:list", args=[tenant_a.slug])
    response = owner.post(url, {"name": "Website", "role": "reception", "expires_at": ""})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    shown = response.context["created"]
    assert shown.startswith("sdk_") and len(shown) > 50
    assert shown in response.content.decode()
    stored = ApiKey.objects.get(tenant=tenant_a, name="Website")
    assert stored.role == "reception"
    assert stored.key_hash != shown and shown not in str(list(ApiKey.objects.values()))
    assert shown.startswith(stored.display_prefix.removesuffix("…"))
    # The list shows the prefix, never the key again.
    page = owner.get(url).content.decode()
    assert stored.display_prefix in page and shown not in page
    # The key works.
    assert Api(shown).get(reverse("api:root")).json()["key"] == "Website"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN])
def test_only_the_owner_manages_keys(member_client, tenant_a, key_for, role):
    api_key, _key = key_for(Role.RECEPTION)
    client = member_client(role)
    assert client.get(reverse("api_keys:list", args=[tenant_a.slug])).status_code == 403
    assert client.post(reverse("api_keys:revoke", args=[tenant_a.slug, api_key.pk])).status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_the_service_refuses_a_non_owner(tenant_a, users_a):
    manager = Membership.objects.get(tenant=tenant_a, user=users_a[Role.MANAGER])
    with pytest.raises(ActorRefused, match="may not do this"):
        keys.create_key(tenant_a, name="X", role="owner", expires_at=None, by=manager)


def test_bad_key_forms_are_explained(member_client, tenant_a, key_for):
    key_for(Role.RECEPTION, name="Website")
    owner = member_client(Role.OWNER)
    url = reverse("api_keys:list", args=[tenant_a.slug])
    page = owner.post(url, {"name": "website", "role": "reception"}).content.decode()
    assert "Another key has this name." in page
    page = owner.post(url, {"name": "Bot", "role": "king"}).content.decode()
    assert "Select a valid choice." in page
    past = (timezone.localtime(timezone.now(), tenant_a.tz) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = owner.post(url, {"name": "Bot", "role": "reception", "expires_at": past}).content.decode()
    assert "The expiry date is in the past." in page
    assert ApiKey.objects.filter(tenant=tenant_a).count() == 1


def test_revoked_and_expired_keys_stop_working(member_client, tenant_a, key_for):
    api_key, key = key_for(Role.RECEPTION)
    api = Api(key)
    assert api.get(reverse("api:root")).status_code == 200
    member_client(Role.OWNER).post(reverse("api_keys:revoke", args=[tenant_a.slug, api_key.pk]))
    response = api.get(reverse("api:root"))
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "detail": "This API key is unknown, revoked or expired.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    other, other_key = key_for(Role.RECEPTION, name="Expiring")
    ApiKey.objects.filter(pk=other.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Api(other_key).get(reverse("api:root")).status_code == 401


def test_a_switched_off_center_s_keys_stop_working(tenant_a, key_for):
    _api_key, key = key_for(Role.OWNER)
    tenant_a.is_active = False
    tenant_a.save()
    assert Api(key).get(reverse("api:root")).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer a b",
        "Bearer sdk_x_y",
        "Bearer sdk_0123456789_wrong",
        "Token abc",
        "Bearer sdk_0123456789_\x00",
        "Bearer " + "x" * 5000,
    ],
)
def test_bad_keys_answer_401(db, header):
    response = Api(None).get(reverse("api:root"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_key_that_differs_in_its_secret_is_refused(key_for):
    _api_key, key = key_for(Role.OWNER)
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert Api(forged).get(reverse("api:root")).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(key_for, django_assert_num_queries):
    api_key, key = key_for(Role.OWNER)
    assert api_key.last_used_at is None
    api = Api(key)
    api.get(reverse("api:root"))
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the key's lookup only: no UPDATE
        api.get(reverse("api:root"))
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(seconds=61))
    api.get(reverse("api:root"))
    api_key.refresh_from_db()
    assert api_key.last_used_at > first


def test_requests_are_limited_per_key(key_for, settings):
    settings.API_KEY_RATE = "3/min"
    _k1, first = key_for(Role.OWNER, name="First")
    _k2, second = key_for(Role.OWNER, name="Second")
    answers = [Api(first).get(reverse("api:root")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = Api(first).get(reverse("api:root"))
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Api(second).get(reverse("api:root")).status_code == 200  # another key has its own count


def test_the_key_is_nobody_to_log_in_or_to_assign(tenant_a, key_for):
    api_key, key = key_for(Role.MANAGER)
    assert not api_key.user.is_active and not api_key.user.has_usable_password()
    assert ModelBackend().authenticate(None, username=api_key.user.email, password=key) is None
    assert not Membership.objects.filter(user=api_key.user).exists()
    assert api_key.user not in [m.user for m in technician_choices(tenant_a)]


def test_root_says_who_the_key_is(key_for):
    _api_key, key = key_for(Role.RECEPTION, name="Telegram bot")
    body = Api(key).get(reverse("api:root")).json()
    assert body["center"] == "Alpha Repairs" and body["key"] == "Telegram bot" and body["role"] == "reception"
    assert "orders_create" in body["permissions"] and "reports_view" not in body["permissions"]


def test_without_a_key_everything_but_the_schema_and_docs_is_401(db):
    anonymous = Api(None)
    assert anonymous.get(reverse("api:orders")).status_code == 401
    assert anonymous.post(reverse("api:orders"), {}).status_code == 401
    assert anonymous.get(reverse("api:schema")).status_code == 200
    assert anonymous.get(reverse("api:docs")).status_code == 200


def test_unknown_paths_answer_json_404(api):
    owner = api()
    response = owner.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = owner.get("/api/v1/orders")
    assert response.json()["detail"] == "No such endpoint. API paths end with a slash."
