"""How a request to /api/v1/ is let in: the key, its center, its role, its rate.

- `ApiKeyAuthentication`: `Authorization: Bearer sdk_...`; sets request.tenant and request.membership
  (the key's actor, see api.models) as tenant_view does for people, and the center's time zone.
- `HasApiKey`: nothing but the schema and the docs page answers without a key (401).
- `ApiKeyThrottle`: API_KEY_RATE requests per key, counted in the shared cache.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from servicedesk.tenancy.access import activate_tenant_timezone

from . import keys
from .models import ApiKey


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as “Authorization: Bearer <key>”."))
        try:
            presented = header[1].decode("ascii")
        except UnicodeDecodeError:
            presented = ""
        api_key = keys.find_key(presented)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown, revoked or expired."))
        keys.record_use(api_key)
        django_request = request._request
        django_request.tenant = api_key.tenant
        django_request.membership = api_key.actor()
        django_request.api_key = api_key
        activate_tenant_timezone(api_key.tenant)
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class ApiKeyThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_KEY_RATE  # read per request, so a changed setting applies (tests, reloads)

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return f"api-rate:{request.auth.pk}"
