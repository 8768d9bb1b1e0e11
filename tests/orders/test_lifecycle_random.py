"""Random sequences of actions by random people never leave an order in an impossible state.

Hypothesis draws sequences of steps and plays each on a fresh order: mostly one of the actions the screen
offers someone now (so runs get deep into the lifecycle: planned, diagnostics, approval, parts, work,
check, handover, holds), also any action by anyone with a blank or real reason and with or without the
payment waiver (refusals), the same with a stale version (must be OrderChanged), and the other things
that happen to an order: (re)assignment, estimate, work and payments. After every step it checks what
must always be true.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import money, services
from orders.lifecycle import (
    _NEEDS_TECHNICIAN,
    TRANSITIONS,
    OrderChanged,
    TransitionRefused,
    available_actions,
    transition,
    why_not,
)
from orders.models import CLOSED_STATUSES, EventKind, Order, OrderEvent, OrderStatus, Payment
from orders.permissions import ActorRefused
from tests.factories import OrderEventFactory

S = OrderStatus
ACTORS = ["owner", "manager", "reception", "tech", "other_tech", "client"]
ACTIONS = sorted(TRANSITIONS)
REASONS = ["", "  ", "Because the client asked"]
HOLDABLE = TRANSITIONS["hold"].sources

step = st.one_of(
    # Weighted towards what the screen offers, so that sequences get deep into the lifecycle.
    st.tuples(st.just("offered"), st.sampled_from(ACTORS), st.integers(0, 15), st.booleans()),
    st.tuples(st.just("offered"), st.sampled_from(ACTORS), st.integers(0, 15), st.booleans()),
    st.tuples(st.just("offered"), st.sampled_from(ACTORS), st.integers(0, 15), st.booleans()),
    st.tuples(
        st.just("any"),
        st.sampled_from(ACTORS),
        st.sampled_from(ACTIONS),
        st.sampled_from(REASONS),
        st.booleans(),
    ),
    st.tuples(st.just("stale"), st.sampled_from(["owner", "manager", "tech"]), st.sampled_from(ACTIONS)),
    st.tuples(st.just("assign"), st.sampled_from(["tech", "other_tech", None]), st.booleans()),
    st.tuples(st.just("estimate"), st.sampled_from([Decimal("0"), Decimal("1500")])),
    st.tuples(st.just("add_work"), st.sampled_from([Decimal("0"), Decimal("700")])),
    st.tuples(
        st.just("pay"),
    ),
)

REACHED: Counter = Counter()


class Life:
    """One order and what we know must be true of it."""

    def __init__(self, order: Order, people: dict, workshop) -> None:
        self.order, self.people, self.workshop = order, people, workshop
        OrderEventFactory(tenant=order.tenant, order=order, kind=EventKind.CREATED, to_status=S.NEW)
        self.bumps = 0  # successful changes that raise the version by exactly one
        self.events = 1  # the CREATED event

    def fresh(self) -> Order:
        return Order.objects.select_related("service_type").get(pk=self.order.pk)

    def play(self, kind: str, *args) -> None:
        getattr(self, f"step_{kind}")(*args)
        self.check()

    def _transition(self, action: str, who: str, reason: str, waive: bool) -> bool:
        order = self.fresh()
        before = order.status
        try:
            # One tick stands for both of a manager's decisions: hand over with money due, bill above the approval.
            event = transition(
                order,
                action,
                by=self.people[who],
                expected_version=order.version,
                reason=reason,
                waive_payment=waive,
                override_estimate=waive,
            )
        except TransitionRefused as refused:
            assert str(refused), "a refusal always says why"
            assert self.fresh().status == before
            return False
        self.bumps += 1
        self.events += 1
        assert (event.from_status, event.to_status) == (before, self.fresh().status)
        REACHED[event.to_status] += 1
        return True

    def step_offered(self, who: str, pick: int, waive: bool) -> None:
        """One of the actions the screen offers this person now; what the screen offers, the server accepts
        (only a hand-over with money due still needs the waiver ticked)."""
        order = self.fresh()
        by = self.people[who]
        offered = sorted(
            t.action
            for t in TRANSITIONS.values()
            if why_not(order, t, by, waive_payment=True, override_estimate=True) is None
        )
        if by is not None:
            assert offered == sorted(t.action for t in available_actions(order, by))
        if not offered:
            return
        offered = [action for action in offered if action != "cancel"]  # it ends the story: left to step_any
        if not offered:
            return
        action = offered[pick % len(offered)]
        accepted = self._transition(action, who, "Because", waive)
        assert (
            accepted
            or (action == "hand_over" and order.amount_due > 0 and not waive)
            or (action in {"finish_work", "pass_check"} and money.bill_problem(order) and not waive)
        ), f"{action} was offered to {who} in {order.status} but refused"

    def step_any(self, who: str, action: str, reason: str, waive: bool) -> None:
        self._transition(action, who, reason, waive)

    def step_stale(self, who: str, action: str) -> None:
        order = self.fresh()
        if order.version == 1:
            return
        snapshot = (order.status, order.version)
        with pytest.raises(OrderChanged):
            transition(
                order,
                action,
                by=self.people[who],
                expected_version=order.version - 1,
                reason="x",
                waive_payment=True,
            )
        order = self.fresh()
        assert (order.status, order.version) == snapshot

    def step_assign(self, technician: str | None, workshop: bool) -> None:
        order = self.fresh()
        version = order.version
        try:
            services.assign(
                order,
                technician=self.people[technician] if technician else None,
                workshop=self.workshop if workshop else None,
                by=self.people["manager"],
                expected_version=version,
            )
        except ValidationError:
            assert self.fresh().version == version
            return
        if order.version != version:  # a real change, not a no-op: one version, one event
            self.bumps += 1
            self.events += 1

    def step_estimate(self, amount: Decimal) -> None:
        order = self.fresh()
        try:
            services.set_estimate(
                order, amount=amount, by=self.people["tech"], expected_version=order.version
            )
        except (ValidationError, ActorRefused):
            # Closed, or the technician is not the one assigned to it.
            assert not order.is_open or order.technician_id != self.people["tech"].pk
            return
        self.bumps += 1
        self.events += 1

    def step_add_work(self, price: Decimal) -> None:
        order = self.fresh()
        try:
            services.add_line_item(
                order,
                kind="work",
                description="Work",
                quantity=Decimal("1"),
                unit_price=price,
                by=self.people["tech"],
            )
        except (ValidationError, ActorRefused):
            assert not order.is_open or order.technician_id != self.people["tech"].pk
            return
        self.events += 1

    def step_pay(self) -> None:
        order = self.fresh()
        if order.amount_due:
            services.add_payment(
                order, amount=order.amount_due, method=Payment.Method.CARD, by=self.people["reception"]
            )
            self.events += 1

    def check(self) -> None:
        order = self.fresh()
        assert order.status in S.values
        assert (order.closed_at is not None) == (order.status in CLOSED_STATUSES)
        if order.status in _NEEDS_TECHNICIAN:
            assert order.technician_id is not None, f"{order.status} without a technician"
        assert bool(order.status_before_hold) == (order.status == S.ON_HOLD)
        if order.status == S.ON_HOLD:
            assert order.status_before_hold in HOLDABLE
        if order.status == S.HANDED_OVER:
            assert order.warranty_until is not None and order.public_token_expires_at is not None
        assert order.version == 1 + self.bumps
        assert OrderEvent.objects.filter(order=order).count() == self.events
        chain = list(
            OrderEvent.objects.filter(order=order, kind=EventKind.STATUS)
            .order_by("id")
            .values_list("from_status", "to_status")
        )
        walked = [S.NEW] + [to for _from, to in chain]
        assert all(frm == previous for (frm, _to), previous in zip(chain, walked, strict=False)), chain
        assert walked[-1] == order.status


@pytest.mark.django_db
def test_random_action_sequences_keep_the_order_consistent(
    staff_a, tech_a, other_tech_a, location_a, make_order
):
    people = {
        "owner": staff_a["owner"],
        "manager": staff_a["manager"],
        "reception": staff_a["reception"],
        "tech": tech_a,
        "other_tech": other_tech_a,
        "client": None,
    }
    REACHED.clear()

    # derandomize: the same sequences on every run, so CI cannot fail on an unlucky draw of the generator's
    # own sanity check below (drop derandomize locally to explore new sequences).
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(prepared=st.booleans(), steps=st.lists(step, min_size=15, max_size=30))
    def play(prepared, steps):
        # A fresh order, nobody assigned and no estimate; half the time they are filled in first.
        life = Life(make_order(S.NEW, technician=None, workshop=None, estimate=None), people, location_a)
        if prepared:
            life.play("assign", "tech", True)
            life.play("estimate", Decimal("1500"))
        for kind, *args in steps:
            life.play(kind, *args)

    play()
    # The sequences went deep: most statuses were reached (a sanity check of the generator, not of the app).
    assert len(REACHED) >= 6, REACHED
