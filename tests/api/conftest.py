"""Fixtures of the API tests.

key_for(role, tenant=A) -> (ApiKey, the key)        made by the center's owner, as the UI does
api(role, tenant=A)     -> Api                      a client sending that key on every request
Api.get/post/patch/delete(url, data=None)           JSON in, the response out (.json() on it)
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import ApiKeyFactory


class Api:
    def __init__(self, key: str | None) -> None:
        self.key = key
        self.client = Client()

    def _headers(self, extra: dict) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **extra}

    def get(self, url: str, data: dict | None = None, **extra):
        return self.client.get(url, data or {}, **self._headers(extra))

    def _send(self, method: str, url: str, data, extra: dict):
        body = (
            data
            if isinstance(data, str | bytes)
            else json.dumps(data if data is not None else {}, default=str)
        )
        return getattr(self.client, method)(
            url, body, content_type="application/json", **self._headers(extra)
        )

    def post(self, url: str, data=None, **extra):
        return self._send("post", url, data, extra)

    def patch(self, url: str, data=None, **extra):
        return self._send("patch", url, data, extra)

    def put(self, url: str, data=None, **extra):
        return self._send("put", url, data, extra)

    def delete(self, url: str, **extra):
        return self.client.delete(url, **self._headers(extra))


def make_key(tenant, role, name: str | None = None):
    """(ApiKey, the key) of that role, made by the center's owner (tests.factories.ApiKeyFactory)."""
    owner = Membership.objects.get(tenant=tenant, role=Role.OWNER, user__email=f"owner@{tenant.slug}.test")
    api_key = ApiKeyFactory(tenant=tenant, name=name or f"{Role(role).label} key", role=role, by=owner)
    return api_key, api_key.key


@pytest.fixture
def key_for(tenant_a, users_a, users_b):
    def make(role=Role.OWNER, tenant=None, name=None):
        return make_key(tenant or tenant_a, role, name)

    return make


@pytest.fixture
def api(key_for):
    """api(role, tenant) -> an Api client with that role's key (one key per role and tenant per test)."""
    made: dict = {}

    def make(role=Role.OWNER, tenant=None) -> Api:
        slot = (Role(role), getattr(tenant, "pk", None))
        if slot not in made:
            made[slot] = Api(key_for(role, tenant)[1])
        return made[slot]

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
