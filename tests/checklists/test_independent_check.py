"""The independent quality check: the center's rule per role, the checker recorded, failed checks as rework."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.lifecycle import TransitionRefused, available_actions
from orders.models import EventKind, OrderEvent, OrderStatus
from orders.permissions import ActorRefused
from quality import checks
from quality.models import QualityCheck, QualitySettings
from servicedesk.tenancy.roles import Role
from tests.factories import MembershipFactory, UserFactory

from .checklist_kit import Stage, member

pytestmark = pytest.mark.django_db
S = OrderStatus

OWN_WORK = (
    "This center's quality check is done by someone other than the technician who did the work: "
    "ask a manager to check it."
)


def at_quality_check(shop, technician=None):
    order = shop.take_in()
    if technician is not None:
        from orders import services as order_services

        order_services.assign(
            order,
            technician=technician,
            workshop=shop.location,
            by=shop.manager,
            expected_version=order.version,
        )
    _fill(shop, order, Stage.INTAKE, shop.reception)
    shop.move(order, "plan")
    worker = technician or shop.tech
    _fill(shop, order, Stage.DIAGNOSTICS, worker)
    shop.move(order, "start_work", by=worker)
    shop.move(order, "finish_work", by=worker)
    _fill(shop, order, Stage.QUALITY, worker)
    return order


def _fill(shop, order, stage, by):
    from quality import checklists

    from .checklist_kit import photo

    for entry in checklists.load_state(order).stage(stage).entries:
        if entry.item.required:
            value = {
                "tick": {"done": True},
                "number": {"number": "80"},
                "photo": {"photo": photo()},
                "text": {"text": "ok"},
            }[entry.item.kind]
            shop.answer(order, entry.item.label, by=by, **value)


@pytest.fixture
def independent(shop):
    checks.save_settings(shop.tenant, independent_check=True, by=shop.owner)


@pytest.fixture
def other_tech(shop):
    user = UserFactory(email="second-tech@alpha.test", full_name="Second Technician")
    return MembershipFactory(tenant=shop.tenant, user=user, role=Role.TECHNICIAN)


def test_without_the_rule_the_technician_passes_his_own_check(shop):
    order = at_quality_check(shop)
    shop.move(order, "pass_check", by=shop.tech)
    check = QualityCheck.objects.get(order=order)
    assert (check.passed, check.checker, check.technician, check.independent) == (
        True,
        shop.tech,
        shop.tech,
        False,
    )


# role -> may pass the check of the technician's work under the rule, and the refusal if not.
RULE = {
    "owner": (True, ""),
    "manager": (True, ""),
    "reception": (False, "Your role (Reception) may not do this."),
    "tech": (False, OWN_WORK),
    "other_tech": (False, "Only the technician assigned to this order can do this."),
}


@pytest.mark.parametrize("role", list(RULE))
def test_the_rule_per_role(shop, independent, other_tech, role):
    order = at_quality_check(shop)
    by = other_tech if role == "other_tech" else getattr(shop, role)
    allowed, refusal = RULE[role]
    if allowed:
        shop.move(order, "pass_check", by=by)
        assert order.status == S.READY
        check = QualityCheck.objects.get(order=order)
        assert (check.checker, check.technician, check.independent, check.passed) == (
            by,
            shop.tech,
            True,
            True,
        )
        event = OrderEvent.objects.get(order=order, kind=EventKind.STATUS, action="pass_check")
        assert event.actor == by.user and check.event == event  # the checker is on the event too
    else:
        with pytest.raises(TransitionRefused) as refused:
            shop.move(order, "pass_check", by=by)
        assert str(refused.value) == refusal
        assert order.status == S.QUALITY_CHECK and not QualityCheck.objects.filter(order=order).exists()


def test_the_technician_does_not_see_the_pass_button_under_the_rule(shop, independent):
    order = at_quality_check(shop)
    assert "pass_check" not in [t.action for t in available_actions(order, shop.tech)]
    assert "return_to_work" in [t.action for t in available_actions(order, shop.tech)]
    assert "pass_check" in [t.action for t in available_actions(order, shop.manager)]


def test_a_manager_who_did_the_work_does_not_check_it(shop, independent):
    order = at_quality_check(shop, technician=shop.manager)
    with pytest.raises(TransitionRefused) as refused:
        shop.move(order, "pass_check", by=shop.manager)
    assert str(refused.value) == OWN_WORK
    shop.move(order, "pass_check", by=shop.owner)
    assert order.status == S.READY


def test_whoever_finished_the_work_does_not_check_it(shop, independent):
    """The owner stepped in and pressed "work done" on the technician's order: someone else checks."""
    order = shop.take_in()
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    _fill(shop, order, Stage.DIAGNOSTICS, shop.owner)
    shop.move(order, "start_work", by=shop.owner)
    shop.move(order, "finish_work", by=shop.owner)
    _fill(shop, order, Stage.QUALITY, shop.owner)
    with pytest.raises(TransitionRefused) as refused:
        shop.move(order, "pass_check", by=shop.owner)
    assert str(refused.value) == (
        "This center's quality check is done by someone other than the person who "
        "finished the work: ask a colleague to check it."
    )
    shop.move(order, "pass_check", by=shop.manager)


def test_a_failed_check_is_rework(shop, independent):
    order = at_quality_check(shop)
    shop.move(order, "return_to_work", by=shop.manager, reason="Dead pixel in the corner")
    shop.move(order, "finish_work", by=shop.tech)
    shop.move(order, "pass_check", by=shop.manager)
    rows = list(QualityCheck.objects.filter(order=order).order_by("id").values_list("passed", "reason"))
    assert rows == [(False, "Dead pixel in the corner"), (True, "")]
    assert list(checks.rework(shop.tenant).values_list("order_id", flat=True)) == [order.pk]
    assert checks.rework(shop.tenant).get().is_rework


def test_rework_summary_per_technician_and_service(shop, other_tech):
    first, second = at_quality_check(shop), at_quality_check(shop)
    shop.move(first, "return_to_work", by=shop.manager, reason="Loose screw")
    shop.move(first, "finish_work")
    shop.move(first, "pass_check")
    shop.move(second, "pass_check")
    third = at_quality_check(shop, technician=other_tech)
    shop.move(third, "pass_check", by=other_tech)
    summary = checks.rework_summary(shop.tenant)
    assert [(row["name"], row["checks"], row["failed"], row["rate"]) for row in summary] == [
        ("Technician of Alpha Repairs", 3, 1, 1 / 3),
        ("Second Technician", 1, 0, 0.0),
    ]
    by_service = checks.rework_summary(shop.tenant, by="service_type")
    assert [(row["name"], row["checks"], row["failed"]) for row in by_service] == [("Phone repair", 4, 1)]
    later = timezone.now() + timedelta(minutes=1)
    assert checks.rework_summary(shop.tenant, since=later) == []


@pytest.mark.parametrize("role", ["reception", "tech"])
def test_only_managers_set_the_rule(shop, role):
    with pytest.raises(ActorRefused):
        checks.save_settings(shop.tenant, independent_check=True, by=getattr(shop, role))
    assert not QualitySettings.objects.filter(tenant=shop.tenant).exists()


def test_the_rule_is_per_center(shop, independent, tenant_b, users_b):
    assert QualitySettings.for_tenant(shop.tenant).independent_check is True
    assert QualitySettings.for_tenant(tenant_b).independent_check is False
    manager_b = member(tenant_b, users_b[Role.MANAGER])
    checks.save_settings(tenant_b, independent_check=False, by=manager_b)
    assert QualitySettings.for_tenant(shop.tenant).independent_check is True
