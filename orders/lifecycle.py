"""The order lifecycle: request -> planning -> execution -> handover. The only code that changes status.

One table (TRANSITIONS) says which action leads from which statuses to which, who may do it and what
must be true. `transition()` checks all of that, updates the order only if nobody changed it meanwhile
(optimistic concurrency on `version`), and records the OrderEvent through orders.timeline, which announces
it to the listeners (notifications, work-log auto-stop ...) inside the same transaction. Templates draw their buttons from
`available_actions()`, so the screen and the server can never disagree.

Apps downstream of orders add their own conditions with `register_guard` (quality: the checklist's
required items, the independent check), as they add listeners with `on_order_event`: orders/ never
imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm, has_perm

from . import money
from .models import (
    CLOSED_STATUSES,
    EstimateState,
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    ServiceFormat,
)
from .permissions import actor_problem
from .timeline import record_event

S = OrderStatus


class TransitionRefused(Exception):
    """The action is not allowed now; str(error) is a sentence for the user."""


class EstimateOutdated(TransitionRefused):
    """The client answered an estimate version or amount that is no longer the one waiting for them."""


class OrderChanged(Exception):
    """Someone else changed the order since the user loaded it."""

    def __init__(self) -> None:
        super().__init__(
            _("This order was changed by someone else meanwhile. Reload the page and try again.")
        )


@dataclass(frozen=True)
class Transition:
    action: str
    label: object  # lazy string
    sources: frozenset[str]
    target: str | None  # None: back to where the order was before it was put on hold
    perm: Perm
    needs_reason: bool = False
    style: str = "primary"
    client_may: bool = False  # the client may do it from the public page


_EXECUTION_ACTIVE = frozenset(
    {S.PLANNED, S.DIAGNOSTICS, S.AWAITING_APPROVAL, S.AWAITING_PARTS, S.IN_PROGRESS}
)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("plan", gettext_lazy("Plan"), frozenset({S.NEW}), S.PLANNED, Perm.ORDERS_PLAN),
        Transition(
            "start_diagnostics",
            gettext_lazy("Start diagnostics"),
            frozenset({S.PLANNED}),
            S.DIAGNOSTICS,
            Perm.ORDERS_WORK,
        ),
        Transition(
            "request_approval",
            gettext_lazy("Ask the client to approve the estimate"),
            frozenset({S.DIAGNOSTICS, S.IN_PROGRESS}),
            S.AWAITING_APPROVAL,
            Perm.ORDERS_WORK,
            style="warning",
        ),
        Transition(
            "approve",
            gettext_lazy("Client approved the estimate"),
            frozenset({S.AWAITING_APPROVAL}),
            S.IN_PROGRESS,
            Perm.ORDERS_PLAN,
            style="success",
            client_may=True,
        ),
        Transition(
            "decline",
            gettext_lazy("Client declined the estimate"),
            frozenset({S.AWAITING_APPROVAL}),
            S.QUALITY_CHECK,
            Perm.ORDERS_PLAN,
            style="outline-danger",
            client_may=True,
        ),
        Transition(
            "wait_for_parts",
            gettext_lazy("Waiting for parts"),
            frozenset({S.DIAGNOSTICS, S.IN_PROGRESS}),
            S.AWAITING_PARTS,
            Perm.ORDERS_WORK,
            style="warning",
        ),
        Transition(
            "parts_arrived",
            gettext_lazy("Parts arrived"),
            frozenset({S.AWAITING_PARTS}),
            S.IN_PROGRESS,
            Perm.ORDERS_WORK,
        ),
        Transition(
            "start_work",
            gettext_lazy("Start work"),
            frozenset({S.PLANNED, S.DIAGNOSTICS}),
            S.IN_PROGRESS,
            Perm.ORDERS_WORK,
        ),
        Transition(
            "finish_work",
            gettext_lazy("Work done, to quality check"),
            frozenset({S.IN_PROGRESS}),
            S.QUALITY_CHECK,
            Perm.ORDERS_WORK,
            style="success",
        ),
        Transition(
            "pass_check",
            gettext_lazy("Checked, ready for pickup"),
            frozenset({S.QUALITY_CHECK}),
            S.READY,
            Perm.ORDERS_WORK,
            style="success",
        ),
        Transition(
            "return_to_work",
            gettext_lazy("Check failed, back to work"),
            frozenset({S.QUALITY_CHECK}),
            S.IN_PROGRESS,
            Perm.ORDERS_WORK,
            needs_reason=True,
            style="outline-danger",
        ),
        Transition(
            "hand_over",
            gettext_lazy("Hand over to the client"),
            frozenset({S.READY}),
            S.HANDED_OVER,
            Perm.ORDERS_HANDOVER,
            style="success",
        ),
        Transition(
            "hold",
            gettext_lazy("Put on hold"),
            _EXECUTION_ACTIVE,
            S.ON_HOLD,
            Perm.ORDERS_PLAN,
            needs_reason=True,
            style="outline-secondary",
        ),
        Transition("resume", gettext_lazy("Resume"), frozenset({S.ON_HOLD}), None, Perm.ORDERS_PLAN),
        Transition(
            "cancel",
            gettext_lazy("Cancel the order"),
            frozenset(S) - CLOSED_STATUSES,
            S.CANCELLED,
            Perm.ORDERS_CANCEL,
            needs_reason=True,
            style="outline-danger",
        ),
    ]
}

# Moving to these statuses requires a bill within what the client approved (orders.money).
_BILL_CHECKED = frozenset({"finish_work", "pass_check"})

# The statuses in which a technician must be assigned: execution never starts without one.
_NEEDS_TECHNICIAN = frozenset(
    {S.PLANNED, S.DIAGNOSTICS, S.AWAITING_APPROVAL, S.AWAITING_PARTS, S.IN_PROGRESS, S.QUALITY_CHECK}
)


# --- Guards of other apps --------------------------------------------------------------------------
# A guard is one more condition of the lifecycle, registered by an app in AppConfig.ready() (so orders/
# does not import it): `check(order, transition, by)` returns the reason the action cannot happen now, or
# None. It runs after the lifecycle's own conditions, so "not possible while ..." and "your role may not"
# come first. `prepare(orders)` (optional) loads what `check` needs for many orders in a fixed number of
# queries and keeps it in `prepared(order)[key]`; pages that list actions call `prepare_guards()` first.
# `transition()` drops the prepared data and checks afresh. A guard that is `shown` leaves the action's
# button on the page when it refuses: pressing it tells what to do first (fill in the checklist); any
# other refusal hides the button, as the lifecycle's own ones do.
@dataclass(frozen=True)
class Guard:
    key: str
    check: Callable[[Order, Transition, Membership | None], str | None]
    prepare: Callable[[list[Order]], None] | None = None
    shown: bool = False


_guards: dict[str, Guard] = {}


def register_guard(
    key: str,
    check: Callable[[Order, Transition, Membership | None], str | None],
    *,
    prepare: Callable[[list[Order]], None] | None = None,
    shown: bool = False,
) -> None:
    _guards[key] = Guard(key, check, prepare, shown)


_PREPARED = "_guard_data"


def prepare_guards(orders: Sequence[Order]) -> None:
    """Load what the registered guards need for these orders at once (a constant number of queries)."""
    if not orders:
        return
    for order in orders:
        order.__dict__[_PREPARED] = {}
    for guard in _guards.values():
        if guard.prepare is not None:
            guard.prepare(list(orders))


def prepared(order: Order) -> dict | None:
    """What prepare_guards() loaded for this order (guards keep theirs under their key), or None: then a
    guard reads afresh."""
    return order.__dict__.get(_PREPARED)


def _guard_problem(order: Order, t: Transition, by: Membership | None) -> tuple[str, Guard] | None:
    for guard in _guards.values():
        problem = guard.check(order, t, by)
        if problem:
            return problem, guard
    return None


# --- Guards ----------------------------------------------------------------------------------------
def _own_problem(
    order: Order,
    t: Transition,
    by: Membership | None,
    *,
    waive_payment: bool = False,
    override_estimate: bool = False,
) -> str | None:
    """The lifecycle's own conditions: the reason this action cannot happen now, or None."""
    if order.status not in t.sources:
        return _("“%(action)s” is not possible while the order is “%(status)s”.") % {
            "action": t.label,
            "status": order.get_status_display(),
        }
    if by is None:
        if not t.client_may:
            return _("Only staff can do this.")
    else:
        problem = actor_problem(by, t.perm, order)
        if problem:
            return problem
    target = t.target or order.status_before_hold
    if target in _NEEDS_TECHNICIAN and order.technician_id is None:
        return _("Assign a technician first.")
    if (
        t.action == "plan"
        and order.format in {ServiceFormat.IN_SHOP, ServiceFormat.COMBINED}
        and order.workshop_id is None
    ):
        return _("Choose the workshop first.")
    if t.action == "plan" and order.needs_visit and not (order.visit_address and order.visit_start):
        return _("An on-site visit needs an address and a time slot first.")
    if t.action == "request_approval" and not order.estimate:
        return _("Enter the estimate first.")
    if t.action == "start_work" and order.estimate_state == EstimateState.PENDING:
        return _("The client has not approved the estimate yet.")
    if t.action in _BILL_CHECKED and money.bill_problem(order):
        if not override_estimate:
            return money.bill_problem(order)
        if by is None or not has_perm(by.role, Perm.ORDERS_OVERRIDE_ESTIMATE):
            return _("Only a manager may bill more than the client approved.")
    if t.action == "hand_over" and order.amount_due > 0:
        if not waive_payment:
            return _("%(amount)s is still due. Record the payment first.") % {"amount": order.amount_due}
        if by is None or not has_perm(by.role, Perm.ORDERS_WAIVE_PAYMENT):
            return _("Only a manager may hand over with money still due.")
    return None


def why_not(
    order: Order,
    t: Transition,
    by: Membership | None,
    *,
    waive_payment: bool = False,
    override_estimate: bool = False,
) -> str | None:
    """The reason this action cannot happen now, or None when it can: the lifecycle's own conditions,
    then the guards apps registered."""
    problem = _own_problem(order, t, by, waive_payment=waive_payment, override_estimate=override_estimate)
    if problem:
        return problem
    guarded = _guard_problem(order, t, by)
    return guarded[0] if guarded else None


def available_actions(order: Order, by: Membership) -> list[Transition]:
    """Actions this member may take on this order now: the buttons on the order page. An action only a
    `shown` guard refuses stays: its button answers with what to do first."""
    actions = []
    for t in TRANSITIONS.values():
        if order.status not in t.sources:  # _own_problem's first refusal, without translating its sentence
            continue
        if _own_problem(order, t, by, waive_payment=True, override_estimate=True):
            continue
        guarded = _guard_problem(order, t, by)
        if guarded is None or guarded[1].shown:
            actions.append(t)
    return actions


# --- The transition --------------------------------------------------------------------------------
def transition(
    order: Order,
    action: str,
    *,
    by: Membership | None,
    expected_version: int,
    reason: str = "",
    waive_payment: bool = False,
    override_estimate: bool = False,
    expected_estimate: tuple[int, Decimal] | None = None,
) -> OrderEvent:
    """Move the order by `action`. by=None means the client, from the public page.

    `expected_estimate` (version, amount): what the client was shown when answering the estimate.
    Raises TransitionRefused (with the reason) or OrderChanged (someone else was faster).
    """
    t = TRANSITIONS.get(action)
    if t is None:
        raise TransitionRefused(_("Unknown action."))
    if order.version != expected_version:
        raise OrderChanged()
    problem = _own_problem(order, t, by, waive_payment=waive_payment, override_estimate=override_estimate)
    if problem:
        raise TransitionRefused(problem)
    reason = (reason or "").strip()
    if t.needs_reason and not reason:
        raise TransitionRefused(_("Give a reason for “%(action)s”.") % {"action": t.label})
    overriding = override_estimate and t.action in _BILL_CHECKED and money.bill_problem(order) is not None
    if overriding and not reason:
        raise TransitionRefused(_("Give a reason for billing more than the client approved."))

    now = timezone.now()
    source = order.status
    target = t.target or order.status_before_hold
    updates: dict = {"status": target, "status_changed_at": now, "version": F("version") + 1}
    if target == S.ON_HOLD:
        updates["status_before_hold"] = source
    elif source == S.ON_HOLD:
        updates["status_before_hold"] = ""
    if target in CLOSED_STATUSES:
        updates["closed_at"] = now
        updates["public_token_expires_at"] = now + timedelta(days=settings.PUBLIC_LINK_DAYS_AFTER_CLOSE)
    if target == S.HANDED_OVER:
        # Counted from the day of handover on the center's calendar (a UTC date is a day off near midnight).
        updates["warranty_until"] = order.tenant.local_date(now) + timedelta(
            days=order.service_type.warranty_days
        )
        if order.warranty_of_id is not None:
            # A return (warranty claim, rework) keeps the original's warranty: it never extends it.
            updates["warranty_until"] = (
                Order.objects.filter(pk=order.warranty_of_id, tenant_id=order.tenant_id)
                .values_list("warranty_until", flat=True)
                .first()
            )
    if action == "request_approval":
        updates["estimate_state"] = EstimateState.PENDING
    elif action == "approve":
        updates["estimate_state"] = EstimateState.APPROVED
    elif action == "decline":
        updates["estimate_state"] = EstimateState.DECLINED

    with transaction.atomic():
        if _guards:
            # What the guards read (a checklist's answers) is written under the order's row lock: take it,
            # then ask them, so nothing they rely on changes between their answer and the move. A page's
            # prepared data may be stale: they check afresh.
            Order.objects.select_for_update().filter(pk=order.pk, tenant_id=order.tenant_id).values_list(
                "pk"
            ).first()
            order.__dict__.pop(_PREPARED, None)
            guarded = _guard_problem(order, t, by)
            if guarded:
                raise TransitionRefused(guarded[0])
        changed = Order.objects.filter(
            pk=order.pk, tenant_id=order.tenant_id, version=expected_version, status=source
        ).update(**updates)
        if not changed:
            raise OrderChanged()
        order.refresh_from_db()
        # The UPDATE above holds the order's row lock: the money changes below are serialised with it.
        data: dict = {}
        if action == "request_approval":
            money.send_estimate(order)
        elif action in {"approve", "decline"}:
            try:
                data.update(
                    money.decide_estimate(
                        order, approve=action == "approve", by=by, expected=expected_estimate
                    )
                )
            except money.EstimateChanged as changed_estimate:
                raise EstimateOutdated(str(changed_estimate)) from None
        elif t.action in _BILL_CHECKED and not overriding and money.bill_problem(order):
            raise TransitionRefused(money.bill_problem(order))  # a line added since the guard ran: roll back
        elif overriding and by is not None:  # why_not() refused an override by the client
            data.update(money.override_ceiling(order, by=by, reason=reason))
        if waive_payment and order.amount_due > 0:
            data["waived_payment"] = str(order.amount_due)
        return record_event(
            order,
            EventKind.STATUS,
            actor=by.user if by else None,
            by_client=by is None,
            message=reason,
            is_public=True,
            action=action,
            from_status=source,
            to_status=target,
            data=data,
        )


def bump_version(order: Order, expected_version: int, **fields: object) -> None:
    """Save plain field edits only if nobody changed the order since it was loaded."""
    with transaction.atomic():
        changed = Order.objects.filter(
            pk=order.pk, tenant_id=order.tenant_id, version=expected_version
        ).update(version=F("version") + 1, **fields)
        if not changed:
            raise OrderChanged()
        order.refresh_from_db()
