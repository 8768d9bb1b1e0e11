"""Template context every page needs: the current tenant, the user's other tenants, the role's permissions."""

from __future__ import annotations

from django.http import HttpRequest

from .models import Membership
from .roles import perms_for


class _PermFlags:
    """`{% if perms_.orders_create %}` in templates; the same matrix the views enforce."""

    def __init__(self, perms: frozenset) -> None:
        self._perms = {str(p) for p in perms}

    def __getattr__(self, name: str) -> bool:
        return name in self._perms


def tenancy(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    context: dict = {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "perms_": _PermFlags(perms_for(membership.role) if membership else frozenset()),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Lazily evaluated: only pages that render the tenant switcher pay for the query.
        context["my_memberships"] = (
            Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
            .select_related("tenant")
            .order_by("tenant__name")
        )
    return context
