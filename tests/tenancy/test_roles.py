"""The role matrix (servicedesk.tenancy.roles.MATRIX) is what the views enforce, URL by URL.

For every tenant URL (found by the walk in tests/test_cross_tenant.py, kwargs filled from its
KWARG_FILLERS with objects of tenant A) and every role of A: a GET is 403 exactly when the matrix
denies the role the view's perm.
"""

from __future__ import annotations

import pytest

from servicedesk.tenancy.roles import (
    GRANTABLE_ROLES,
    MATRIX,
    Perm,
    Role,
    can_manage_member,
    has_perm,
    perms_for,
)
from tests.test_cross_tenant import TENANT_URLS, fill_object_kwargs, tenant_url

GUARDED_URLS = [entry for entry in TENANT_URLS if hasattr(entry.callback, "tenant_perm")]


# The world, built once for the module (conftest's module_world): each test runs in a savepoint.
@pytest.fixture
def world(module_world, db):
    return module_world


def test_there_are_guarded_urls():
    assert len(GUARDED_URLS) >= 9


@pytest.mark.parametrize("entry", GUARDED_URLS, ids=lambda entry: entry.label)
def test_get_is_403_exactly_when_the_matrix_says_so(entry, world, client_for):
    """All four roles in one test."""
    perm = entry.callback.tenant_perm
    url = tenant_url(entry, world.tenant_a, fill_object_kwargs(entry, world))
    problems = []
    for role in Role:
        response = client_for(world.users_a[role]).get(url)
        if has_perm(role, perm):
            if response.status_code in {403, 404}:
                problems.append(f"{role.value} holds {perm} but gets {response.status_code} on {url}")
        elif response.status_code != 403 or "may not" not in response.content.decode():
            problems.append(
                f"{role.value} lacks {perm} but gets {response.status_code} (not the 403 page) on {url}"
            )
    assert not problems, "\n".join(problems)


def test_matrix_covers_every_perm():
    assert set(MATRIX) == set(Perm)


@pytest.mark.parametrize("perm", list(Perm), ids=str)
def test_has_perm_follows_the_matrix(perm):
    roles, _label = MATRIX[perm]
    for role in Role:
        assert has_perm(role, perm) is (role in roles)
        assert has_perm(role.value, perm) is (role in roles)  # the stored string works too
        assert (perm in perms_for(role)) is (role in roles)


def test_owner_holds_every_perm():
    assert perms_for(Role.OWNER) == frozenset(Perm)


@pytest.mark.parametrize(
    "perm, allowed",
    [
        (Perm.TENANT_SETTINGS, {Role.OWNER}),
        (Perm.MEMBERS_MANAGE, {Role.OWNER, Role.MANAGER}),
        (Perm.LOCATIONS_MANAGE, {Role.OWNER, Role.MANAGER}),
        (Perm.DASHBOARD, set(Role)),
        (Perm.ORDERS_WORK, {Role.OWNER, Role.MANAGER, Role.TECHNICIAN}),
        (Perm.CLIENTS_VIEW, {Role.OWNER, Role.MANAGER, Role.RECEPTION}),
    ],
)
def test_key_perms(perm, allowed):
    assert {role for role in Role if has_perm(role, perm)} == allowed


@pytest.mark.parametrize(
    "actor, target, allowed",
    [
        (Role.OWNER, Role.OWNER, True),
        (Role.OWNER, Role.MANAGER, True),
        (Role.OWNER, Role.RECEPTION, True),
        (Role.OWNER, Role.TECHNICIAN, True),
        (Role.MANAGER, Role.OWNER, False),
        (Role.MANAGER, Role.MANAGER, True),
        (Role.MANAGER, Role.RECEPTION, True),
        (Role.MANAGER, Role.TECHNICIAN, True),
        *[(actor, target, False) for actor in (Role.RECEPTION, Role.TECHNICIAN) for target in Role],
    ],
)
def test_can_manage_member(actor, target, allowed):
    assert can_manage_member(actor, target) is allowed
    assert can_manage_member(actor.value, target.value) is allowed


def test_only_member_managers_can_grant_roles():
    for role in Role:
        assert bool(GRANTABLE_ROLES[role]) is has_perm(role, Perm.MEMBERS_MANAGE)
