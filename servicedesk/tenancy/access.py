"""How a request enters a tenant: the `tenant_view` decorator and scoped lookups.

Every URL under /<tenant_slug>/ is served by a view wrapped in `tenant_view(perm)`. It
1. sends anonymous visitors to the login page,
2. finds the tenant by slug and the user's *active* membership in it, else 404 (the slug only selects
   a tenant; it never grants anything, and a non-member cannot even learn that the tenant exists),
3. checks the role's permission (403 with the reason, since the member knows the tenant exists),
4. sets request.tenant and request.membership and calls the view without the slug.
The cross-tenant test checks that every tenant URL is wrapped this way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.compiled import CompiledQuery
from servicedesk.pagecache import tenant_scope

from .models import Membership, Tenant
from .roles import MATRIX, Perm, has_perm

M = TypeVar("M", bound=models.Model)

TENANT_SESSION_KEY = "current_tenant_slug"


class TenantRequest(HttpRequest):
    """The type of a request inside a center: tenant_view has set `tenant` and `membership` (for type
    checking only; the object is Django's own request)."""

    tenant: Tenant
    membership: Membership


def _membership_query(user_id: int, tenant_slug: str) -> models.QuerySet[Membership]:
    return Membership.objects.select_related("tenant").filter(
        user_id=user_id, tenant__slug=tenant_slug, tenant__is_active=True, is_active=True
    )[:1]


# Every tenant page asks this first: compiled once (servicedesk/compiled.py), it costs the database's work alone
# instead of 0.5-1 ms of building the SQL again (issue 12).
_MEMBERSHIP = CompiledQuery(_membership_query, -1, "\x00slug")


def resolve_membership(user, tenant_slug: str) -> Membership | None:
    """The user's active membership in the active tenant with this slug, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    found = _MEMBERSHIP.objects(user.pk, tenant_slug)
    if not found:
        return None
    found[0].user = user
    return found[0]


def tenant_view(perm: Perm) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, tenant_slug: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = resolve_membership(request.user, tenant_slug)
            if membership is None:
                raise Http404("No such service center.")
            request.tenant = membership.tenant
            request.membership = membership
            activate_tenant_timezone(membership.tenant)
            if not has_perm(membership.role, perm):
                raise PermissionDenied(
                    _("Your role (%(role)s) may not: %(action)s.")
                    % {"role": membership.get_role_display(), "action": MATRIX[perm][1]}
                )
            if request.session.get(TENANT_SESSION_KEY) != tenant_slug:
                request.session[TENANT_SESSION_KEY] = tenant_slug
            with tenant_scope(membership.tenant_id):  # its writes bump this center's page versions
                return view(request, *args, **kwargs)

        wrapper.tenant_perm = perm  # read by the cross-tenant and role tests
        return wrapper

    return decorator


def activate_tenant_timezone(tenant: Tenant) -> None:
    """Dates on tenant pages read in the service center's own time zone."""
    activate_time_zone(tenant.time_zone)


def activate_time_zone(name: str) -> None:
    """A center's time zone by its name (Tenant.time_zone); the site's own if the name is not one."""
    try:
        timezone.activate(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


def get_for_tenant_or_404(queryset: models.QuerySet[M] | type[M], tenant: Tenant, **lookup) -> M:
    """Fetch one row of this tenant, or 404: the lookup and its access check in one call."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        return qs.filter(tenant=tenant).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def require_perm(request: TenantRequest, perm: Perm) -> None:
    """For actions inside a view that need more than the view's own permission."""
    if not has_perm(request.membership.role, perm):
        raise PermissionDenied(
            _("Your role (%(role)s) may not: %(action)s.")
            % {"role": request.membership.get_role_display(), "action": MATRIX[perm][1]}
        )


def tenant_cache_key(tenant: Tenant | int, *parts: object) -> str:
    """Cache keys always carry the tenant, so no cached value can cross tenants."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return ":".join(["t", str(tenant_id), *map(str, parts)])
