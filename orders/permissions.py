"""Who may do what to an order: the one check every service function makes before it changes an order.

Views check the page's permission with `tenant_view`; that is only the door. The service function that
changes the order calls `check_actor(by, perm, order)` itself, so no view, task or future API endpoint
can forget the rule. The lifecycle's guard (`why_not`) asks the same `actor_problem`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm, Role, has_perm

if TYPE_CHECKING:
    from .models import Order


class ActorRefused(PermissionDenied):
    """This member may not do this (to this order); str(error) is a sentence for the user.

    A PermissionDenied, so a view that does not catch it answers 403 with the reason.
    """

    @property
    def messages(self) -> list[str]:  # like ValidationError, so views can show either the same way
        return [str(self)]


def actor_problem(
    by: Membership, perm: Perm | tuple[Perm, ...], order: Order | None = None, *, tenant_id: int | None = None
) -> str | None:
    """Why `by` may not act with `perm` (on `order`, or in the center `tenant_id`), or None when they may.

    The rules: an active member of the order's center; the role holds the permission; a technician
    changes only the orders assigned to them (managers and owners may step in on any order).
    `perm` may be a tuple: the member may act if any one of them allows it, each with the assignment
    rule (e.g. prices: the office, or the technician assigned to the order).
    """
    if order is not None:
        tenant_id = order.tenant_id
    if not by.is_active or (tenant_id is not None and by.tenant_id != tenant_id):
        return _("You are not a member of this service center.")
    perms = perm if isinstance(perm, tuple) else (perm,)
    held = [p for p in perms if has_perm(by.role, p)]
    if not held:
        return _("Your role (%(role)s) may not do this.") % {"role": by.get_role_display()}
    if order is not None and by.role == Role.TECHNICIAN and order.technician_id != by.pk:
        return _("Only the technician assigned to this order can do this.")
    return None


def check_actor(
    by: Membership, perm: Perm | tuple[Perm, ...], order: Order | None = None, *, tenant_id: int | None = None
) -> None:
    """Raise ActorRefused unless `by` may act with `perm` (on `order`, or in the center `tenant_id`)."""
    problem = actor_problem(by, perm, order, tenant_id=tenant_id)
    if problem:
        raise ActorRefused(problem)
