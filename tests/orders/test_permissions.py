"""orders/permissions.py: the one check of who may act on an order (expectations written out by hand)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from orders.permissions import ActorRefused, actor_problem, check_actor
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm, Role

from .conftest import S

NOT_A_MEMBER = "You are not a member of this service center."
NOT_ASSIGNED = "Only the technician assigned to this order can do this."


def role_refused(role: str) -> str:
    return f"Your role ({role}) may not do this."


# Perm -> (owner, manager, reception, technician), the technician on an order assigned to them.
ROLE_TABLE = {
    Perm.ORDERS_CREATE: (True, True, True, False),
    Perm.ORDERS_PLAN: (True, True, True, False),
    Perm.ORDERS_WORK: (True, True, False, True),
    Perm.ORDERS_HANDOVER: (True, True, True, False),
    Perm.ORDERS_WAIVE_PAYMENT: (True, True, False, False),
    Perm.DOCUMENTS_ISSUE: (True, True, True, False),
    Perm.NOTIFICATIONS_MANAGE: (True, True, False, False),
}
ROLES = (Role.OWNER, Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN)


@pytest.mark.parametrize("perm", list(ROLE_TABLE))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_an_order_assigned_to_the_technician(perm, role, staff_a, make_order):
    order = make_order(S.IN_PROGRESS)  # assigned to staff_a[TECHNICIAN]
    member = staff_a[role]
    may = ROLE_TABLE[perm][ROLES.index(role)]
    if may:
        assert actor_problem(member, perm, order) is None
        check_actor(member, perm, order)  # no exception
    else:
        assert actor_problem(member, perm, order) == role_refused(member.get_role_display())
        with pytest.raises(ActorRefused):
            check_actor(member, perm, order)


def test_a_technician_acts_only_on_orders_assigned_to_them(make_order, tech_a, other_tech_a):
    theirs, someone_elses = (
        make_order(S.IN_PROGRESS, technician=tech_a),
        make_order(S.IN_PROGRESS, technician=other_tech_a),
    )
    unassigned = make_order(S.NEW, technician=None)
    assert actor_problem(tech_a, Perm.ORDERS_WORK, theirs) is None
    assert actor_problem(tech_a, Perm.ORDERS_WORK, someone_elses) == NOT_ASSIGNED
    assert actor_problem(tech_a, Perm.ORDERS_WORK, unassigned) == NOT_ASSIGNED
    # Without an order there is no assignment to check: the role decides (e.g. stopping one's own timer).
    assert actor_problem(tech_a, Perm.ORDERS_WORK) is None


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_managers_and_owners_step_in_on_any_order(role, staff_a, make_order, other_tech_a):
    order = make_order(S.IN_PROGRESS, technician=other_tech_a)
    assert actor_problem(staff_a[role], Perm.ORDERS_WORK, order) is None


def test_an_inactive_member_may_do_nothing(owner_a, make_order):
    Membership.objects.filter(pk=owner_a.pk).update(is_active=False)
    owner_a.refresh_from_db()
    order = make_order(S.IN_PROGRESS)
    assert actor_problem(owner_a, Perm.ORDERS_VIEW, order) == NOT_A_MEMBER
    assert actor_problem(owner_a, Perm.ORDERS_CREATE) == NOT_A_MEMBER
    with pytest.raises(ActorRefused, match=NOT_A_MEMBER):
        check_actor(owner_a, Perm.ORDERS_WORK, order)


def test_a_member_of_another_center_may_do_nothing_here(tenant_b, users_b, make_order, tenant_a):
    order = make_order(S.IN_PROGRESS)
    owner_b = Membership.objects.get(tenant=tenant_b, role=Role.OWNER)
    assert actor_problem(owner_b, Perm.ORDERS_WORK, order) == NOT_A_MEMBER
    assert actor_problem(owner_b, Perm.ORDERS_CREATE, tenant_id=tenant_a.pk) == NOT_A_MEMBER
    assert actor_problem(owner_b, Perm.ORDERS_CREATE, tenant_id=tenant_b.pk) is None


def test_either_of_two_permissions_still_checks_the_assignment(staff_a, make_order, tech_a, other_tech_a):
    order = make_order(S.IN_PROGRESS, technician=tech_a)
    prices = (Perm.ORDERS_WORK, Perm.ORDERS_HANDOVER)
    assert actor_problem(staff_a[Role.RECEPTION], prices, order) is None  # through HANDOVER
    assert actor_problem(tech_a, prices, order) is None  # through WORK, assigned
    assert actor_problem(other_tech_a, prices, order) == NOT_ASSIGNED
    assert actor_problem(staff_a[Role.RECEPTION], (Perm.ORDERS_WORK, Perm.ORDERS_WAIVE_PAYMENT), order) == (
        role_refused("Reception")
    )


def test_the_refusal_is_a_permission_denied_with_a_sentence(tech_a, make_order, other_tech_a):
    order = make_order(S.IN_PROGRESS, technician=other_tech_a)
    with pytest.raises(PermissionDenied) as refused:
        check_actor(tech_a, Perm.ORDERS_WORK, order)
    assert str(refused.value) == NOT_ASSIGNED
    assert refused.value.messages == [NOT_ASSIGNED]
