"""`endpoint(perms)`: the door of each API view, per method: the key's role must hold the permission (403
with the same sentence as the web's tenant_view). As on the web it is only the door: the services check
the actor again (orders.permissions.check_actor)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.decorators import api_view

from servicedesk.tenancy.roles import MATRIX, Perm, has_perm


def require(request, perm: Perm) -> None:
    membership = request.membership
    if not has_perm(membership.role, perm):
        raise exceptions.PermissionDenied(
            _("Your role (%(role)s) may not: %(action)s.")
            % {"role": membership.get_role_display(), "action": MATRIX[perm][1]}
        )


def endpoint(perms: dict[str, Perm]) -> Callable:
    """@api_view for these methods, each behind its permission: {"GET": Perm.ORDERS_VIEW, "POST": ...}."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def checked(request, *args, **kwargs):
            require(request, perms["GET" if request.method == "HEAD" else request.method])
            return func(request, *args, **kwargs)

        view = api_view(list(perms))(checked)
        view.api_perms = perms  # read by the cross-tenant and role tests
        return view

    return decorator
