"""The lifecycle table: every allowed transition works for whoever holds its perm, everything else is
refused with a sentence a person can read, and the guards hold."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders import lifecycle, timeline
from orders.lifecycle import TRANSITIONS, OrderChanged, TransitionRefused, available_actions, transition
from orders.models import CLOSED_STATUSES, EventKind, OrderEvent, OrderStatus, ServiceFormat
from servicedesk.tenancy.roles import Role, has_perm
from tests.factories import LineItemFactory

S = OrderStatus
pytestmark = pytest.mark.django_db

# The lifecycle as a service center runs it, written out by hand (not read from TRANSITIONS): each action,
# the statuses it leaves, where it goes (None: back to where the order was before the hold) and who may do it.
OPEN = ["new", "planned", "diagnostics", "awaiting_approval", "awaiting_parts", "in_progress", "quality_check",
        "ready", "on_hold"]  # fmt: skip
WORKING = ["planned", "diagnostics", "awaiting_approval", "awaiting_parts", "in_progress"]
DESK = ["owner", "manager", "reception"]
BENCH = ["owner", "manager", "technician"]
EXPECTED = {
    "plan": (["new"], "planned", DESK),
    "start_diagnostics": (["planned"], "diagnostics", BENCH),
    "request_approval": (["diagnostics", "in_progress"], "awaiting_approval", BENCH),
    "approve": (["awaiting_approval"], "in_progress", DESK),
    "decline": (["awaiting_approval"], "quality_check", DESK),  # only the diagnostic fee is billed
    "wait_for_parts": (["diagnostics", "in_progress"], "awaiting_parts", BENCH),
    "parts_arrived": (["awaiting_parts"], "in_progress", BENCH),
    "start_work": (["planned", "diagnostics"], "in_progress", BENCH),
    "finish_work": (["in_progress"], "quality_check", BENCH),
    "pass_check": (["quality_check"], "ready", BENCH),
    "return_to_work": (["quality_check"], "in_progress", BENCH),
    "hand_over": (["ready"], "handed_over", DESK),
    "hold": (WORKING, "on_hold", DESK),
    "resume": (["on_hold"], None, DESK),
    "cancel": (OPEN, "cancelled", DESK),
}
ALLOWED = [(action, source) for action, (sources, _, _) in EXPECTED.items() for source in sorted(sources)]
REFUSED = [
    (action, status) for action, (sources, _, _) in EXPECTED.items() for status in S if status not in sources
]
REASON = "The client asked"


def roles_with(action: str) -> list[Role]:
    return [Role(role) for role in EXPECTED[action][2]]


def test_the_table_is_the_one_written_out_here():
    table = {
        action: (sorted(t.sources), t.target, sorted(role for role in Role if has_perm(role, t.perm)))
        for action, t in TRANSITIONS.items()
    }
    assert table == {
        action: (sorted(sources), target, sorted(roles))
        for action, (sources, target, roles) in EXPECTED.items()
    }


def events_of(order):
    return list(OrderEvent.objects.filter(order=order).order_by("id"))


def test_the_table_covers_every_status():
    reachable = {t.target for t in TRANSITIONS.values() if t.target} | {S.NEW}
    assert reachable == set(S), "every status can be reached"
    leaving = set().union(*(t.sources for t in TRANSITIONS.values()))
    assert leaving == set(S) - CLOSED_STATUSES, "every open status can be left, closed ones cannot"


@pytest.mark.parametrize(("action", "source"), ALLOWED, ids=[f"{a}-from-{s}" for a, s in ALLOWED])
def test_every_allowed_transition_works_for_every_role_holding_its_perm(action, source, make_order, staff_a):
    t = TRANSITIONS[action]
    for role in roles_with(action):
        order = make_order(source)
        by = staff_a[role]  # A's technician is the one assigned to make_order's orders
        before = len(events_of(order))

        transition(order, action, by=by, expected_version=order.version, reason=REASON, waive_payment=False)

        order.refresh_from_db()
        expected = (
            t.target or S.IN_PROGRESS
        )  # resume: back to where it was (make_order holds in-progress orders)
        assert order.status == expected, role
        assert order.version == 2
        new_events = events_of(order)[before:]
        assert len(new_events) == 1, role
        assert (new_events[0].kind, new_events[0].from_status, new_events[0].to_status) == (
            EventKind.STATUS,
            source,
            expected,
        )
        assert new_events[0].action == action
        assert new_events[0].actor == by.user
        if t.needs_reason:
            assert new_events[0].message == REASON


@pytest.mark.parametrize(("action", "status"), REFUSED, ids=[f"{a}-from-{s}" for a, s in REFUSED])
def test_every_other_status_action_pair_is_refused_with_a_reason(action, status, make_order, owner_a):
    order = make_order(status)

    with pytest.raises(TransitionRefused) as refused:
        transition(
            order, action, by=owner_a, expected_version=order.version, reason=REASON, waive_payment=True
        )

    message = str(refused.value)
    assert "is not possible while the order is" in message
    assert str(TRANSITIONS[action].label) in message and order.get_status_display() in message
    order.refresh_from_db()
    assert (order.status, order.version) == (status, 1)
    assert events_of(order) == []


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_roles_without_the_perm_are_refused(action, make_order, staff_a):
    source = sorted(TRANSITIONS[action].sources)[0]
    for role in set(Role) - set(roles_with(action)):
        order = make_order(source)
        with pytest.raises(TransitionRefused, match=r"Your role \(.+\) may not do this"):
            transition(order, action, by=staff_a[role], expected_version=order.version, reason=REASON)
        order.refresh_from_db()
        assert order.status == source


def test_a_technician_not_assigned_to_the_order_is_refused(make_order, other_tech_a):
    order = make_order(S.PLANNED)
    with pytest.raises(TransitionRefused, match="Only the technician assigned"):
        transition(order, "start_diagnostics", by=other_tech_a, expected_version=order.version)
    assert available_actions(order, other_tech_a) == []


def test_the_client_may_only_approve_or_decline(make_order):
    assert {t.action for t in TRANSITIONS.values() if t.client_may} == {"approve", "decline"}
    order = make_order(S.NEW)
    with pytest.raises(TransitionRefused, match="Only staff can do this"):
        transition(order, "plan", by=None, expected_version=order.version)
    order = make_order(S.AWAITING_APPROVAL)
    event = transition(order, "approve", by=None, expected_version=order.version)
    assert event.by_client and event.actor is None
    order.refresh_from_db()
    assert (order.status, order.estimate_state) == (S.IN_PROGRESS, "approved")


def test_unknown_action_is_refused(make_order, owner_a):
    order = make_order(S.NEW)
    with pytest.raises(TransitionRefused, match="Unknown action"):
        transition(order, "teleport", by=owner_a, expected_version=order.version)


# --- Guards ------------------------------------------------------------------------------------------


def test_no_planning_and_no_execution_without_a_technician(make_order, manager_a, owner_a):
    order = make_order(S.NEW, technician=None)
    with pytest.raises(TransitionRefused, match="Assign a technician first"):
        transition(order, "plan", by=manager_a, expected_version=order.version)
    # Even if the data were inconsistent, execution does not start without one.
    order = make_order(S.PLANNED, technician=None)
    for action in ["start_diagnostics", "start_work"]:
        with pytest.raises(TransitionRefused, match="Assign a technician first"):
            transition(order, action, by=owner_a, expected_version=order.version)
    order = make_order(S.ON_HOLD, technician=None)
    with pytest.raises(TransitionRefused, match="Assign a technician first"):
        transition(order, "resume", by=manager_a, expected_version=order.version)


def test_no_plan_without_a_workshop_for_work_in_the_shop(make_order, manager_a):
    for fmt in [ServiceFormat.IN_SHOP, ServiceFormat.COMBINED]:
        order = make_order(
            S.NEW, workshop=None, format=fmt, visit_address="Lenina 1", visit_start=timezone.now()
        )
        with pytest.raises(TransitionRefused, match="Choose the workshop first"):
            transition(order, "plan", by=manager_a, expected_version=order.version)
    online = make_order(S.NEW, workshop=None, format=ServiceFormat.ONLINE)
    transition(online, "plan", by=manager_a, expected_version=online.version)
    assert online.status == S.PLANNED


def test_an_on_site_visit_is_planned_only_with_address_and_time(make_order, manager_a):
    order = make_order(S.NEW, format=ServiceFormat.ON_SITE, workshop=None)
    with pytest.raises(TransitionRefused, match="needs an address and a time slot"):
        transition(order, "plan", by=manager_a, expected_version=order.version)
    order = make_order(
        S.NEW,
        format=ServiceFormat.ON_SITE,
        workshop=None,
        visit_address="Lenina 1",
        visit_start=timezone.now() + timedelta(days=1),
    )
    transition(order, "plan", by=manager_a, expected_version=order.version)
    assert order.status == S.PLANNED


@pytest.mark.parametrize("estimate", [None, Decimal("0")])
def test_asking_for_approval_needs_an_estimate(estimate, make_order, tech_a):
    order = make_order(S.DIAGNOSTICS, estimate=estimate)
    with pytest.raises(TransitionRefused, match="Enter the estimate first"):
        transition(order, "request_approval", by=tech_a, expected_version=order.version)


def test_request_approval_and_the_answers_track_the_estimate_state(make_order, tech_a, reception_a):
    order = make_order(S.DIAGNOSTICS)
    transition(order, "request_approval", by=tech_a, expected_version=order.version)
    assert order.estimate_state == "pending"
    transition(order, "decline", by=reception_a, expected_version=order.version)
    assert (order.status, order.estimate_state) == (S.QUALITY_CHECK, "declined")


def test_work_does_not_start_while_the_estimate_waits_for_the_client(make_order, tech_a):
    order = make_order(S.DIAGNOSTICS, estimate_state="pending")
    with pytest.raises(TransitionRefused, match="has not approved the estimate"):
        transition(order, "start_work", by=tech_a, expected_version=order.version)


@pytest.fixture
def ready_with_money_due(make_order):
    order = make_order(S.READY)
    LineItemFactory(order=order, unit_price=Decimal("2500"))
    from orders.services import recalculate_totals

    recalculate_totals(order)
    order.refresh_from_db()
    assert order.amount_due == Decimal("2500")
    return order


def test_hand_over_is_refused_while_money_is_due(ready_with_money_due, reception_a, manager_a):
    order = ready_with_money_due
    for by in [reception_a, manager_a]:
        with pytest.raises(TransitionRefused, match="is still due. Record the payment first"):
            transition(order, "hand_over", by=by, expected_version=order.version)
    assert [t.action for t in available_actions(order, reception_a)] == ["cancel"]


def test_reception_cannot_waive_the_payment(ready_with_money_due, reception_a):
    order = ready_with_money_due
    with pytest.raises(TransitionRefused, match="Only a manager may hand over with money still due"):
        transition(order, "hand_over", by=reception_a, expected_version=order.version, waive_payment=True)
    order.refresh_from_db()
    assert order.status == S.READY


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OWNER])
def test_a_manager_or_owner_may_waive_the_payment(role, ready_with_money_due, staff_a):
    order = ready_with_money_due
    event = transition(
        order, "hand_over", by=staff_a[role], expected_version=order.version, waive_payment=True
    )
    assert order.status == S.HANDED_OVER
    assert event.data == {"waived_payment": "2500.00"}


def test_hand_over_after_payment_needs_no_waiver(ready_with_money_due, reception_a):
    from orders.services import add_payment

    order = ready_with_money_due
    add_payment(order, amount=Decimal("2500"), method="card", by=reception_a)
    event = transition(order, "hand_over", by=reception_a, expected_version=order.version)
    assert order.status == S.HANDED_OVER and event.data == {}


@pytest.mark.parametrize(
    ("action", "source"), [("cancel", S.NEW), ("hold", S.IN_PROGRESS), ("return_to_work", S.QUALITY_CHECK)]
)
@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_cancel_hold_and_return_to_work_need_a_reason(action, source, reason, make_order, owner_a):
    assert TRANSITIONS[action].needs_reason
    order = make_order(source)
    with pytest.raises(TransitionRefused, match="Give a reason"):
        transition(order, action, by=owner_a, expected_version=order.version, reason=reason)
    order.refresh_from_db()
    assert order.status == source and order.version == 1


def test_only_cancel_hold_and_return_to_work_need_a_reason():
    assert {a for a, t in TRANSITIONS.items() if t.needs_reason} == {"cancel", "hold", "return_to_work"}


@pytest.mark.parametrize("source", sorted(TRANSITIONS["hold"].sources))
def test_resume_returns_to_the_status_before_the_hold(source, make_order, manager_a):
    order = make_order(source)
    transition(order, "hold", by=manager_a, expected_version=order.version, reason="Client on holiday")
    assert (order.status, order.status_before_hold) == (S.ON_HOLD, source)

    event = transition(order, "resume", by=manager_a, expected_version=order.version)

    assert (order.status, order.status_before_hold) == (source, "")
    assert (event.from_status, event.to_status) == (S.ON_HOLD, source)


def test_cancel_from_hold_clears_the_hold(make_order, reception_a):
    order = make_order(S.ON_HOLD)
    transition(order, "cancel", by=reception_a, expected_version=order.version, reason="Client gave up")
    assert (order.status, order.status_before_hold) == (S.CANCELLED, "")


def test_handover_starts_the_warranty_and_closes_the_public_link_later(make_order, reception_a, settings):
    settings.PUBLIC_LINK_DAYS_AFTER_CLOSE = 30
    order = make_order(S.READY)
    before = timezone.now()

    transition(order, "hand_over", by=reception_a, expected_version=order.version)

    order.refresh_from_db()
    assert order.closed_at >= before
    assert order.warranty_until == order.tenant.local_date(order.closed_at) + timedelta(days=90)
    assert order.public_token_expires_at == order.closed_at + timedelta(days=30)


@pytest.mark.parametrize("local", ["2026-03-01 00:10", "2026-03-01 23:50"])
def test_the_warranty_counts_from_the_handover_day_in_the_center(clock, make_order, reception_a, local):
    """Handed over at 00:10 or 23:50 on 1 March on the center's wall clock: a 90-day warranty runs until
    30 May, whatever the date in UTC is then (it was 28 February or 2 March far from UTC)."""
    clock.set(local)
    order = make_order(S.READY)
    transition(order, "hand_over", by=reception_a, expected_version=order.version)
    order.refresh_from_db()
    assert order.warranty_until == date(2026, 5, 30)


def test_cancel_closes_the_order_and_its_link_too(make_order, reception_a, settings):
    settings.PUBLIC_LINK_DAYS_AFTER_CLOSE = 7
    order = make_order(S.PLANNED)
    transition(order, "cancel", by=reception_a, expected_version=order.version, reason="Changed their mind")
    order.refresh_from_db()
    assert order.closed_at is not None and order.warranty_until is None
    assert order.public_token_expires_at == order.closed_at + timedelta(days=7)


def test_a_stale_version_is_refused_before_anything_else(make_order, manager_a):
    order = make_order(S.NEW)
    with pytest.raises(OrderChanged, match="Reload the page"):
        transition(order, "plan", by=manager_a, expected_version=order.version + 1)
    order.refresh_from_db()
    assert (order.status, order.version) == (S.NEW, 1)


def test_listeners_hear_every_event_inside_the_transaction(make_order, manager_a, monkeypatch):
    heard = []
    monkeypatch.setattr(timeline, "_listeners", [*timeline._listeners, heard.append])
    order = make_order(S.NEW)
    event = transition(order, "plan", by=manager_a, expected_version=order.version)
    assert heard == [event] and heard[0].order.status == S.PLANNED


def test_a_failing_listener_rolls_the_transition_back(make_order, manager_a, monkeypatch):
    def broken(event):
        raise RuntimeError("listener failed")

    monkeypatch.setattr(timeline, "_listeners", [*timeline._listeners, broken])
    order = make_order(S.NEW)
    with pytest.raises(RuntimeError):
        transition(order, "plan", by=manager_a, expected_version=order.version)
    order.refresh_from_db()
    assert (order.status, order.version) == (S.NEW, 1)
    assert events_of(order) == []


@pytest.mark.parametrize("role", list(Role))
def test_available_actions_are_exactly_those_transition_accepts(role, make_order, staff_a):
    by = staff_a[role]
    for status in S:
        order = make_order(status)
        offered = {t.action for t in available_actions(order, by)}
        for action in TRANSITIONS:
            fresh = make_order(status)
            try:
                transition(
                    fresh, action, by=by, expected_version=fresh.version, reason=REASON, waive_payment=True
                )
                accepted = True
            except TransitionRefused:
                accepted = False
            assert accepted == (action in offered), (role, status, action)


@pytest.mark.parametrize("status", sorted(lifecycle._NEEDS_TECHNICIAN))
def test_the_technician_cannot_be_removed_from_an_order_in_work(status, make_order, manager_a, other_tech_a):
    from django.core.exceptions import ValidationError

    from orders.services import assign

    order = make_order(status)
    with pytest.raises(ValidationError, match="choose another technician instead of none"):
        assign(order, technician=None, workshop=order.workshop, by=manager_a, expected_version=order.version)
    assign(
        order, technician=other_tech_a, workshop=order.workshop, by=manager_a, expected_version=order.version
    )
    order.refresh_from_db()
    assert order.technician == other_tech_a
    # A new order may still lose its technician: nothing has started.
    fresh = make_order(S.NEW)
    assign(fresh, technician=None, workshop=fresh.workshop, by=manager_a, expected_version=fresh.version)
    assert fresh.technician is None
