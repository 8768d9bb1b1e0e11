"""Money rules of an order: totals under the order's lock, estimates, and the bill's ceiling.

- Totals are SQL sums over the lines and payments, written while the order row is locked
  (`lock_order`), in the caller's transaction: two payments at once are serialised, never merged.
- The client approves one estimate version. Its lines (or its total) become the order's lines, and its
  amount becomes `Order.approved_amount`, the ceiling of the bill: the order moves to the quality check
  or to "ready" only while the bill stays within it plus the center's tolerance, unless the client
  approves a new estimate or a manager overrides with a reason (recorded as an estimate version).
- A declined estimate leaves only the center's diagnostic fee.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.tenancy.models import Membership, Tenant

from .models import MONEY, Estimate, EstimateState, LineItem, LineKind, Order, Payment

ZERO = Decimal("0")
CENT = Decimal("0.01")
_SUM = DecimalField(**MONEY)


class EstimateChanged(Exception):
    """The client answered a version or amount that is no longer the one waiting for them."""

    def __init__(self) -> None:
        super().__init__(_("The estimate has changed, please review it again."))


# --- Totals ----------------------------------------------------------------------------------------
def lock_order(order: Order) -> Order:
    """Lock the order's row until the transaction ends and refresh the money fields from it.

    Call inside `transaction.atomic()` before reading any amount you act on (SQLite: a no-op lock;
    it serialises writers anyway)."""
    locked = (
        Order.objects.select_for_update()
        .only(
            "id",
            "tenant_id",
            "status",
            "total_amount",
            "paid_amount",
            "approved_amount",
            "estimate",
            "estimate_state",
            "version",
        )
        .get(pk=order.pk, tenant_id=order.tenant_id)
    )
    for field in (
        "status",
        "total_amount",
        "paid_amount",
        "approved_amount",
        "estimate",
        "estimate_state",
        "version",
    ):
        setattr(order, field, getattr(locked, field))
    return order


def recalculate_totals(order: Order) -> None:
    """Total and paid as SQL sums, stored on the order (lists show and filter them without joins).

    The caller holds the order's lock (`lock_order`) in the same transaction."""
    total = LineItem.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).aggregate(
        s=Coalesce(Sum("amount"), Value(ZERO), output_field=_SUM)
    )["s"]
    paid = Payment.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).aggregate(
        s=Coalesce(
            Sum(
                Case(
                    When(kind=Payment.Kind.REFUND, then=-F("amount")), default=F("amount"), output_field=_SUM
                )
            ),
            Value(ZERO),
            output_field=_SUM,
        )
    )["s"]
    Order.objects.filter(pk=order.pk, tenant_id=order.tenant_id).update(total_amount=total, paid_amount=paid)
    order.total_amount, order.paid_amount = total, paid


# --- The ceiling -----------------------------------------------------------------------------------
def tolerance(tenant: Tenant, approved: Decimal) -> Decimal:
    """How far the bill may exceed `approved` without a new approval: the larger of the two allowances."""
    by_percent = (approved * tenant.estimate_tolerance_percent / 100).quantize(CENT)
    return max(tenant.estimate_tolerance_amount, by_percent, ZERO)


def bill_ceiling(order: Order) -> Decimal:
    """The most the bill may be now. Nothing approved yet: only the tolerance."""
    approved = order.approved_amount or ZERO
    return approved + tolerance(order.tenant, approved)


def bill_problem(order: Order) -> str | None:
    """Why the bill cannot go to the quality check or "ready" as it is, or None."""
    # Within the approval needs no tolerance (and no tenant row: lists of orders ask this per order).
    if order.total_amount <= (order.approved_amount or ZERO) or order.total_amount <= bill_ceiling(order):
        return None
    return _(
        "The bill (%(billed)s) is more than the client approved (%(approved)s). Ask the client to approve "
        "the new amount; a manager may override with a reason."
    ) % {"billed": order.total_amount, "approved": order.approved_amount or ZERO}


# --- Estimates -------------------------------------------------------------------------------------
def current_estimate(order: Order, *, lock: bool = False) -> Estimate | None:
    """The order's latest estimate version. Orders from before versioned estimates get theirs made here."""
    rows = Estimate.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).order_by("-version")
    estimate = (rows.select_for_update() if lock else rows).first()
    if estimate is None and order.estimate is not None:
        state = {
            EstimateState.PENDING: Estimate.State.PENDING,
            EstimateState.APPROVED: Estimate.State.APPROVED,
            EstimateState.DECLINED: Estimate.State.DECLINED,
        }.get(order.estimate_state, Estimate.State.DRAFT)
        estimate = Estimate.objects.create(
            tenant_id=order.tenant_id, order=order, version=1, amount=order.estimate, state=state
        )
    return estimate


def new_estimate(
    order: Order,
    *,
    amount: Decimal,
    lines: list[dict] | None,
    comment: str,
    state: str,
    by: Membership | None,
    **decision: Any,
) -> Estimate:
    """Add the next version (the older draft or pending one is superseded) and mirror it on the order."""
    previous = current_estimate(order, lock=True)
    if previous is not None and previous.state in {Estimate.State.DRAFT, Estimate.State.PENDING}:
        Estimate.objects.filter(pk=previous.pk).update(state=Estimate.State.SUPERSEDED)
    estimate = Estimate.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        version=(previous.version + 1) if previous else 1,
        amount=amount,
        comment=comment,
        state=state,
        created_by=by.user if by else None,
        **decision,
    )
    for line in lines or []:
        estimate.lines.create(tenant_id=order.tenant_id, **line)
    mirror = {
        Estimate.State.PENDING: EstimateState.PENDING,
        Estimate.State.APPROVED: EstimateState.APPROVED,
        Estimate.State.DECLINED: EstimateState.DECLINED,
    }.get(state, EstimateState.NONE)
    updates = {"estimate": amount, "estimate_state": mirror}
    if state == Estimate.State.APPROVED:
        updates["approved_amount"] = amount
    Order.objects.filter(pk=order.pk).update(**updates)
    for field, value in updates.items():
        setattr(order, field, value)
    return estimate


def send_estimate(order: Order) -> Estimate | None:
    """request_approval: the current version now waits for the client."""
    estimate = current_estimate(order, lock=True)
    if estimate is not None and estimate.state != Estimate.State.PENDING:
        Estimate.objects.filter(pk=estimate.pk).update(state=Estimate.State.PENDING)
        estimate.state = Estimate.State.PENDING
    return estimate


def decide_estimate(
    order: Order, *, approve: bool, by: Membership | None, expected: tuple[int, Decimal] | None = None
) -> dict:
    """The client's answer (on the status page, or given to staff): apply it to the bill.

    `expected` is the (version, amount) the client was shown; if the estimate changed since, refuse.
    Call with the order locked (the transition's conditional update holds its row). Returns event data.
    """
    estimate = current_estimate(order, lock=True)
    if estimate is None or (expected is not None and (estimate.version, estimate.amount) != expected):
        raise EstimateChanged()
    Estimate.objects.filter(pk=estimate.pk).update(
        state=Estimate.State.APPROVED if approve else Estimate.State.DECLINED,
        decided_at=timezone.now(),
        decided_by=by.user if by else None,
        by_client=True,
    )
    # Lines from earlier answers are replaced; lines added by hand, from stock or the work log stay.
    LineItem.objects.filter(tenant_id=order.tenant_id, order_id=order.pk, estimate__isnull=False).delete()
    if approve:
        ceiling = estimate.amount
        lines = list(estimate.lines.all())
        if lines:
            for line in lines:
                LineItem.objects.create(
                    tenant_id=order.tenant_id,
                    order=order,
                    estimate=estimate,
                    kind=line.kind,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
        else:
            # A total-only quote: one line for what the lines already on the order do not bill yet.
            recalculate_totals(order)
            rest = estimate.amount - order.total_amount
            if rest > 0:
                LineItem.objects.create(
                    tenant_id=order.tenant_id,
                    order=order,
                    estimate=estimate,
                    kind=LineKind.WORK,
                    quantity=1,
                    unit_price=rest,
                    description=(estimate.comment or _("Work as estimated"))[:200],
                )
    else:
        ceiling = order.tenant.diagnostic_fee
        if ceiling > 0:
            LineItem.objects.create(
                tenant_id=order.tenant_id,
                order=order,
                estimate=estimate,
                kind=LineKind.WORK,
                quantity=1,
                unit_price=ceiling,
                description=_("Diagnostics"),
            )
    Order.objects.filter(pk=order.pk).update(approved_amount=ceiling)
    order.approved_amount = ceiling
    recalculate_totals(order)
    return {
        "estimate_version": estimate.version,
        "estimate_amount": str(estimate.amount),
        "approved_amount": str(ceiling),
    }


def override_ceiling(order: Order, *, by: Membership, reason: str) -> dict:
    """A manager accepts the bill above what the client approved: recorded as an approved version."""
    before = order.approved_amount
    estimate = new_estimate(
        order,
        amount=order.total_amount,
        lines=None,
        comment="",
        state=Estimate.State.APPROVED,
        by=by,
        decided_at=timezone.now(),
        decided_by=by.user,
        by_client=False,
        override_reason=reason,
    )
    return {
        "estimate_override": str(order.total_amount),
        "approved_before": str(before) if before is not None else None,
        "estimate_version": estimate.version,
    }
