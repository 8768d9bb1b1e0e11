"""Staff management: role changes, deactivation, and the rules that keep a tenant governable."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from servicedesk.tenancy import services
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import text_of

DASHBOARD = reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"})
MEMBERS = reverse("tenancy:members", kwargs={"tenant_slug": "alpha"})


def membership(user) -> Membership:
    return Membership.objects.get(user=user, tenant__slug="alpha")


def edit_url(member: Membership) -> str:
    return reverse("tenancy:member_edit", kwargs={"tenant_slug": "alpha", "membership_id": member.pk})


def change_role(client, member: Membership, role: Role):
    return client.post(edit_url(member), {"action": "role", "role": role})


def set_active(client, member: Membership, active: bool):
    return client.post(edit_url(member), {"action": "activate" if active else "deactivate"})


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_members_page_lists_staff_and_matrix(member_client, users_a, users_b, role):
    response = member_client(role).get(MEMBERS)
    assert response.status_code == 200
    page = text_of(response)
    for user in users_a.values():
        assert user.email in page
    for user in users_b.values():
        assert user.email not in page
    assert "What each role may do" in page


def test_owner_changes_a_role(member_client, users_a):
    target = membership(users_a[Role.TECHNICIAN])

    response = change_role(member_client(Role.OWNER), target, Role.MANAGER)

    assert response.status_code == 302
    assert response.url == MEMBERS
    target.refresh_from_db()
    assert target.role == Role.MANAGER


def test_owner_can_make_another_owner(member_client, users_a):
    target = membership(users_a[Role.MANAGER])
    assert change_role(member_client(Role.OWNER), target, Role.OWNER).status_code == 302
    target.refresh_from_db()
    assert target.role == Role.OWNER


def test_manager_changes_reception_to_technician(member_client, users_a):
    target = membership(users_a[Role.RECEPTION])
    assert change_role(member_client(Role.MANAGER), target, Role.TECHNICIAN).status_code == 302
    target.refresh_from_db()
    assert target.role == Role.TECHNICIAN


def test_manager_cannot_promote_to_owner(member_client, users_a):
    target = membership(users_a[Role.RECEPTION])
    response = change_role(member_client(Role.MANAGER), target, Role.OWNER)
    assert response.status_code == 200
    assert "Select a valid choice" in text_of(response)
    target.refresh_from_db()
    assert target.role == Role.RECEPTION


@pytest.mark.parametrize("action", ["role", "deactivate"])
def test_manager_cannot_change_an_owner(member_client, users_a, action):
    owner = membership(users_a[Role.OWNER])
    client = member_client(Role.MANAGER)

    page = client.get(edit_url(owner))
    assert page.status_code == 200
    assert "Your role cannot change this member." in text_of(page)

    response = client.post(edit_url(owner), {"action": action, "role": Role.TECHNICIAN}, follow=True)
    assert "You may not change a member whose role is Owner" in text_of(response)
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
@pytest.mark.parametrize("action", ["role", "deactivate"])
def test_nobody_changes_their_own_role_or_deactivates_themselves(member_client, users_a, role, action):
    me = membership(users_a[role])
    other_role = Role.TECHNICIAN

    response = member_client(role).post(edit_url(me), {"action": action, "role": other_role}, follow=True)

    assert "You cannot change your own role or deactivate yourself." in text_of(response)
    me.refresh_from_db()
    assert (me.role, me.is_active) == (role, True)


def test_member_page_of_oneself_offers_no_change(member_client, users_a):
    response = member_client(Role.OWNER).get(edit_url(membership(users_a[Role.OWNER])))
    assert response.status_code == 200
    assert "Your role cannot change this member." in text_of(response)


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_reception_and_technician_cannot_manage_members(member_client, users_a, role):
    target = membership(users_a[Role.TECHNICIAN if role == Role.RECEPTION else Role.RECEPTION])
    client = member_client(role)
    assert client.get(MEMBERS).status_code == 403
    assert client.get(edit_url(target)).status_code == 403
    assert change_role(client, target, Role.MANAGER).status_code == 403
    assert set_active(client, target, False).status_code == 403
    target.refresh_from_db()
    assert target.is_active and target.role != Role.MANAGER


# --- The last owner -------------------------------------------------------------------------------


def test_last_active_owner_cannot_be_demoted_or_deactivated(tenant_a, users_a):
    """Only another owner can change an owner; when that other owner is deactivated, the rule holds."""
    owner = membership(users_a[Role.OWNER])
    second = MembershipFactory(tenant=tenant_a, role=Role.OWNER)
    services.set_member_active(actor=owner, target=second, active=False)
    # `second` acts as from a request that began before it was deactivated (services trust the actor).

    with pytest.raises(ValidationError, match="at least one active owner"):
        services.change_role(actor=second, target=owner, role=Role.MANAGER)
    with pytest.raises(ValidationError, match="at least one active owner"):
        services.set_member_active(actor=second, target=owner, active=False)
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)


def test_one_of_two_owners_can_step_the_other_down(member_client, tenant_a, users_a):
    second = MembershipFactory(tenant=tenant_a, role=Role.OWNER)
    assert change_role(member_client(Role.OWNER), second, Role.MANAGER).status_code == 302
    second.refresh_from_db()
    assert second.role == Role.MANAGER


def test_service_refuses_self_change(users_a):
    owner = membership(users_a[Role.OWNER])
    with pytest.raises(PermissionDenied):
        services.change_role(actor=owner, target=owner, role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.set_member_active(actor=owner, target=owner, active=False)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(monkeypatch):
    """Both requests check "another owner remains" before either commits; one of them must lose."""
    tenant = TenantFactory(slug="race")
    first = MembershipFactory(tenant=tenant, role=Role.OWNER, user=UserFactory())
    second = MembershipFactory(tenant=tenant, role=Role.OWNER, user=UserFactory())

    # Hold each transaction open right after its check until the other has checked too (or 2 s passed:
    # with correct locking the second request waits for the first, so they never meet here).
    meeting = threading.Barrier(2, timeout=2)
    original_check = services._ensure_an_owner_remains

    def check_then_wait(target):
        original_check(target)
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(services, "_ensure_an_owner_remains", check_then_wait)
    errors = []

    def demote(actor_pk, target_pk):
        try:
            actor, target = Membership.objects.get(pk=actor_pk), Membership.objects.get(pk=target_pk)
            services.change_role(actor=actor, target=target, role=Role.MANAGER)
        except (ValidationError, PermissionDenied) as error:
            errors.append(error)
        finally:
            connection.close()  # the thread's own connection; the test database is dropped at the end

    threads = [
        threading.Thread(target=demote, args=(first.pk, second.pk)),
        threading.Thread(target=demote, args=(second.pk, first.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    owners = Membership.objects.filter(tenant=tenant, role=Role.OWNER, is_active=True).count()
    assert owners == 1, f"{owners} active owners left after both owners demoted each other"
    assert len(errors) == 1


# --- Deactivation ---------------------------------------------------------------------------------


def test_deactivated_member_is_locked_out_and_reactivation_restores_access(member_client, users_a):
    technician = membership(users_a[Role.TECHNICIAN])
    tech_client = member_client(Role.TECHNICIAN)
    owner_client = member_client(Role.OWNER)
    assert tech_client.get(DASHBOARD).status_code == 200

    response = set_active(owner_client, technician, False)
    assert response.status_code == 302
    technician.refresh_from_db()
    assert not technician.is_active

    assert tech_client.get(DASHBOARD).status_code == 404
    home = tech_client.get(reverse("home"))
    assert home.status_code == 200  # the chooser, now without Alpha
    assert "Alpha Repairs" not in text_of(home)
    assert "deactivated" in text_of(owner_client.get(MEMBERS))

    assert set_active(owner_client, technician, True).status_code == 302
    assert tech_client.get(DASHBOARD).status_code == 200


def test_deactivated_manager_loses_every_page(member_client, users_a):
    manager = membership(users_a[Role.MANAGER])
    set_active(member_client(Role.OWNER), manager, False)
    client = member_client(Role.MANAGER)
    for name in ["orders:dashboard", "tenancy:members", "tenancy:invite", "tenancy:locations"]:
        assert client.get(reverse(name, kwargs={"tenant_slug": "alpha"})).status_code == 404, name


def test_deactivated_in_one_tenant_still_works_in_another(tenant_a, tenant_b, users_a, client_for):
    user = users_a[Role.TECHNICIAN]
    MembershipFactory(tenant=tenant_b, user=user, role=Role.RECEPTION)
    Membership.objects.filter(tenant=tenant_a, user=user).update(is_active=False)
    client = client_for(user)
    assert client.get(DASHBOARD).status_code == 404
    assert client.get(reverse("orders:dashboard", kwargs={"tenant_slug": "beta"})).status_code == 200


def test_inactive_tenant_is_closed_to_its_own_owner(tenant_a, member_client):
    tenant_a.is_active = False
    tenant_a.save()
    assert member_client(Role.OWNER).get(DASHBOARD).status_code == 404


def test_unknown_tenant_slug_is_404(member_client):
    assert member_client(Role.OWNER).get("/no-such-center/").status_code == 404
