"""Warranty: the periods of an order (its work: the service type's; each part: its own, from the part
catalogue), claims against them, and comeback rates.

- A claim is opened from the original order, from the device's history, or by the client from the
  warranty card's QR code (a request reception confirms). Accepted, it is a new order linked to the
  original (Order.warranty_of) whose covered lines cost nothing (orders.services.add_line_item).
- The period that applies is the first order's: a claim on a claim keeps it (a return's own warranty is
  its original's, orders.lifecycle), so a claim never extends the warranty.
- Inside means on or before the last day of the period (the card says "until ... inclusive"), on the
  center's calendar; the request's date counts for a client's request. Outside, the claim is refused with
  the reason; a manager (Perm.WARRANTY_OVERRIDE) may accept it anyway, and the reason is recorded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.event_text import Text, joined, say
from orders.models import EventKind, LineItem, Order, OrderStatus
from orders.permissions import actor_problem, check_actor
from orders.services import take_in_return
from orders.timeline import record_event
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm

from .models import WarrantyClaim, WarrantyLink

MAX_CHAIN = 50  # returns of returns followed back to the first order at most this far
COMEBACK_WINDOWS = (30, 90)


# --- Periods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartPeriod:
    description: str
    days: int
    until: date


@dataclass(frozen=True)
class Coverage:
    """What an order's warranty covers until when; `until` is the last day anything is covered."""

    order: Order
    labour_until: date | None
    parts: list[PartPeriod] = field(default_factory=list)

    @property
    def until(self) -> date | None:
        days = [d for d in [self.labour_until, *(p.until for p in self.parts)] if d is not None]
        return max(days, default=None)

    def covers(self, day: date) -> bool:
        return self.until is not None and day <= self.until


def handover_date(order: Order) -> date | None:
    if order.status != OrderStatus.HANDED_OVER or order.closed_at is None:
        return None
    return timezone.localtime(order.closed_at, order.tenant.tz).date()


def coverage(order: Order) -> Coverage:
    """The order's warranty: its work until Order.warranty_until (set at handover from the service type),
    each part with its own period from the day of handover (one query for the lines)."""
    handed_over = handover_date(order)
    if handed_over is None:
        return Coverage(order=order, labour_until=None)
    parts = []
    for line in LineItem.objects.filter(
        tenant_id=order.tenant_id, order_id=order.pk, kind=LineItem.Kind.PART, warranty_days__isnull=False
    ).order_by("id"):
        days = line.warranty_days or 0
        parts.append(PartPeriod(line.description, days, handed_over + timedelta(days=days)))
    return Coverage(order=order, labour_until=order.warranty_until, parts=parts)


def first_order(order: Order) -> Order:
    """The first order of a chain of returns (a claim on a claim on ...): whose warranty applies."""
    current = order
    for _hop in range(MAX_CHAIN):
        if current.warranty_of_id is None:
            return current
        current = Order.objects.select_related("tenant").get(
            pk=current.warranty_of_id, tenant_id=order.tenant_id
        )
    return current


def claim_coverage(original: Order) -> Coverage:
    """The coverage a claim on `original` is measured against: the first order's."""
    return coverage(first_order(original))


def period_problem(cover: Coverage, day: date) -> str | None:
    """Why a claim made on `day` is outside the period, or None when it is inside."""
    if cover.until is None:
        return _("Order #%(number)s has no warranty.") % {"number": cover.order.number}
    if day > cover.until:
        return _("The warranty of order #%(number)s ended on %(date)s.") % {
            "number": cover.order.number,
            "date": formats.date_format(cover.until, "SHORT_DATE_FORMAT"),
        }
    return None


# --- Claims ---------------------------------------------------------------------------------------


def _check_original(original: Order) -> None:
    if original.status != OrderStatus.HANDED_OVER:
        raise ValidationError(_("Only an order handed over to the client is under warranty."))


def _record(order: Order, said: Text, *, by: Membership | None, data: dict) -> None:
    record_event(
        order,
        EventKind.WARRANTY,
        actor=by.user if by else None,
        by_client=by is None,
        text=said,
        data=data,
    )


def _accept(claim: WarrantyClaim, *, by: Membership, intake_location=None) -> Order:
    """Create the claim's order (linked to the original) and mark the claim accepted."""
    new_order = take_in_return(
        claim.original,
        by=by,
        intake_location=intake_location,
        problem=_("Warranty claim on order #%(number)s: %(problem)s")
        % {"number": claim.original.number, "problem": claim.problem},
    )
    claim.order = new_order
    claim.status = WarrantyClaim.Status.ACCEPTED
    claim.decided_at = timezone.now()
    claim.decided_by = by.user
    claim.save(
        update_fields=["order", "status", "decided_at", "decided_by", "override_reason", "refusal_reason"]
    )
    said = say(
        gettext_noop("Warranty claim %(ref)s accepted: order #%(number)s."),
        ref=claim,
        number=new_order.number,
    )
    if claim.override_reason:
        said = joined(
            " ",
            [
                said,
                say(
                    gettext_noop("Outside the period, accepted by a manager: %(reason)s"),
                    reason=claim.override_reason,
                ),
            ],
        )
    _record(
        claim.original,
        said,
        by=by,
        data={"claim": claim.pk, "order": new_order.number, "override": claim.override_reason or None},
    )
    return new_order


def _check_override(by: Membership, reason: str, problem: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if actor_problem(by, Perm.WARRANTY_OVERRIDE, tenant_id=by.tenant_id):
        raise ValidationError(problem + " " + _("Only a manager may accept a claim outside the period."))
    if not reason:
        raise ValidationError(problem + " " + _("Give the reason for accepting it anyway."))
    return reason[:1000]


def open_claim(
    original: Order,
    *,
    problem: str,
    by: Membership,
    source: str = WarrantyClaim.Source.ORDER,
    override_reason: str = "",
    today: date | None = None,
) -> WarrantyClaim:
    """Reception opens a claim on a handed-over order (from the order or the device's history).

    Inside the period: accepted at once, its order created. Outside: recorded as refused with the reason,
    unless `override_reason` is given by a manager, who accepts it anyway (recorded)."""
    check_actor(by, Perm.ORDERS_CREATE, original)
    problem = (problem or "").replace("\x00", "").strip()
    if not problem:
        raise ValidationError(_("Describe the problem the client reports."))
    if source not in {WarrantyClaim.Source.ORDER, WarrantyClaim.Source.DEVICE}:
        raise ValidationError(_("Unknown source of the claim."))
    _check_original(original)
    cover = claim_coverage(original)
    today = today or original.tenant.local_date()
    outside = period_problem(cover, today)
    if outside and override_reason:
        override_reason = _check_override(by, override_reason, outside)
    with transaction.atomic():
        claim = WarrantyClaim.objects.create(
            tenant_id=original.tenant_id,
            original=original,
            first_order=cover.order,
            source=source,
            problem=problem[:5000],
            period_until=cover.until,
            inside_period=outside is None,
            created_by=by.user,
            override_reason=override_reason if outside else "",
        )
        claim.original = original
        if outside and not override_reason:
            claim.status = WarrantyClaim.Status.REFUSED
            claim.refusal_reason = outside
            claim.decided_at, claim.decided_by = timezone.now(), by.user
            claim.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
            _record(
                original,
                say(gettext_noop("Warranty claim %(ref)s refused: %(reason)s"), ref=claim, reason=outside),
                by=by,
                data={"claim": claim.pk, "refused": outside},
            )
            return claim
        _accept(claim, by=by)
    return claim


def accept_anyway(claim: WarrantyClaim, *, by: Membership, reason: str) -> Order:
    """A manager accepts a claim refused as outside the period (or a request outside it), with the reason."""
    check_actor(by, Perm.WARRANTY_OVERRIDE, claim.original)
    if claim.status == WarrantyClaim.Status.ACCEPTED:
        raise ValidationError(_("This claim is already accepted."))
    _check_original(claim.original)
    reason = _check_override(by, reason, claim.refusal_reason or _("Outside the warranty period."))
    with transaction.atomic():
        locked = WarrantyClaim.objects.select_for_update().get(pk=claim.pk, tenant_id=claim.tenant_id)
        if locked.status == WarrantyClaim.Status.ACCEPTED:
            raise ValidationError(_("This claim is already accepted."))
        claim.override_reason = reason
        claim.refusal_reason = ""
        return _accept(claim, by=by)


def request_claim(original: Order, *, problem: str) -> WarrantyClaim:
    """The client reports a problem from the warranty page: a request that waits for reception. One at a
    time per order; only while the warranty runs (the page offers it only then)."""
    problem = (problem or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if not problem:
        raise ValidationError(_("Please describe the problem."))
    if len(problem) > 2000:
        raise ValidationError(_("Please describe the problem in at most %(max)s characters.") % {"max": 2000})
    _check_original(original)
    cover = claim_coverage(original)
    outside = period_problem(cover, original.tenant.local_date())
    if outside:
        raise ValidationError(outside)
    try:
        with transaction.atomic():
            claim = WarrantyClaim.objects.create(
                tenant_id=original.tenant_id,
                original=original,
                first_order=cover.order,
                source=WarrantyClaim.Source.CLIENT,
                problem=problem,
                period_until=cover.until,
                inside_period=True,
            )
            with translation.override(original.tenant.language):
                _record(
                    original,
                    say(
                        gettext_noop("The client reports a problem under warranty (%(ref)s): %(problem)s"),
                        ref=claim,
                        problem=problem[:300],
                    ),
                    by=None,
                    data={"claim": claim.pk, "requested": True},
                )
    except IntegrityError:
        raise ValidationError(_("Your request is already with us; we will contact you.")) from None
    return claim


def confirm_request(claim: WarrantyClaim, *, by: Membership, intake_location=None) -> Order:
    """Reception confirms a client's request (the device is brought in): the claim's order is created.
    The period is measured on the day the client asked."""
    check_actor(by, Perm.ORDERS_CREATE, claim.original)
    if claim.status != WarrantyClaim.Status.REQUESTED:
        raise ValidationError(_("This request has already been answered."))
    _check_original(claim.original)
    with transaction.atomic():
        locked = WarrantyClaim.objects.select_for_update().get(pk=claim.pk, tenant_id=claim.tenant_id)
        if locked.status != WarrantyClaim.Status.REQUESTED:
            raise ValidationError(_("This request has already been answered."))
        cover = claim_coverage(claim.original)
        asked_on = timezone.localtime(claim.created_at, claim.original.tenant.tz).date()
        outside = period_problem(cover, asked_on)
        if outside:
            raise ValidationError(outside + " " + _("A manager may accept it anyway."))
        return _accept(claim, by=by, intake_location=intake_location)


def refuse_request(claim: WarrantyClaim, *, by: Membership, reason: str) -> WarrantyClaim:
    """Reception refuses a client's request (e.g. damage the warranty does not cover), with the reason."""
    check_actor(by, Perm.ORDERS_CREATE, claim.original)
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for refusing."))
    with transaction.atomic():
        updated = WarrantyClaim.objects.filter(
            pk=claim.pk, tenant_id=claim.tenant_id, status=WarrantyClaim.Status.REQUESTED
        ).update(
            status=WarrantyClaim.Status.REFUSED,
            refusal_reason=reason[:1000],
            decided_at=timezone.now(),
            decided_by=by.user,
        )
        if not updated:
            raise ValidationError(_("This request has already been answered."))
        claim.refresh_from_db()
        _record(
            claim.original,
            say(gettext_noop("Warranty claim %(ref)s refused: %(reason)s"), ref=claim, reason=reason[:300]),
            by=by,
            data={"claim": claim.pk, "refused": reason[:300]},
        )
    return claim


def pending_requests(tenant) -> QuerySet[WarrantyClaim]:
    return WarrantyClaim.objects.for_tenant(tenant).filter(status=WarrantyClaim.Status.REQUESTED)


# --- The warranty card's link -------------------------------------------------------------------


def warranty_link(order: Order) -> WarrantyLink:
    """The order's warranty page token (made on first use: when the card is issued or the page is linked)."""
    link = WarrantyLink.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).first()
    if link is not None:
        return link
    try:
        with transaction.atomic():
            return WarrantyLink.objects.create(
                tenant_id=order.tenant_id, order=order, token=secrets.token_urlsafe(32)
            )
    except IntegrityError:  # made meanwhile by another request
        return WarrantyLink.objects.get(tenant_id=order.tenant_id, order_id=order.pk)


def warranty_path(order: Order) -> str:
    from django.urls import reverse

    return reverse("quality:warranty_public", args=[warranty_link(order).token])


def order_for_token(token: str) -> Order | None:
    link = (
        WarrantyLink.objects.select_related(
            "order__tenant", "order__item", "order__service_type", "order__intake_location", "order__client"
        )
        .filter(token=token)
        .first()
    )
    return link.order if link else None


# --- Comebacks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComebackRow:
    key: int | None
    label: str
    orders: int  # handed over in the period
    comebacks: int  # of those, returned (warranty claim or rework) within the window

    @property
    def rate(self) -> float | None:
        return None if not self.orders else round(100 * self.comebacks / self.orders, 1)


GROUPS = {
    "technician": ("technician", "technician__user__full_name"),
    "service_type": ("service_type", "service_type__name"),
}


def _handed_over(tenant, since: datetime, until: datetime) -> QuerySet[Order]:
    return Order.objects.for_tenant(tenant).filter(
        status=OrderStatus.HANDED_OVER, closed_at__gte=since, closed_at__lt=until
    )


def _came_back(tenant, days: int) -> Exists:
    """A return (Order.warranty_of) taken in within `days` of the order's handover."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return Exists(
        Order.objects.filter(
            tenant_id=tenant_id,
            warranty_of=OuterRef("pk"),
            created_at__lte=OuterRef("closed_at") + timedelta(days=days),
        )
    )


def comeback_rates(tenant, *, by: str, days: int, since: datetime, until: datetime) -> list[ComebackRow]:
    """Orders handed over in [since, until) and how many came back within `days` (30 or 90 ...), per
    technician, service type or part (the parts used from stock on the order): one grouped query."""
    if days < 1:
        raise ValueError("The window is at least a day.")
    base = _handed_over(tenant, since, until)
    if by == "part":
        from stock.models import StockMovement  # the stock journal says which parts an order used

        back_ids = base.filter(_came_back(tenant, days)).values("pk")
        rows = (
            StockMovement.objects.for_tenant(tenant)
            .filter(kind=StockMovement.Kind.CONSUMPTION, order__in=base.values("pk"))
            .values("part", "part__name", "part__sku")
            .annotate(
                orders=Count("order", distinct=True),
                comebacks=Count("order", distinct=True, filter=Q(order__in=back_ids)),
            )
            .order_by("-comebacks", "part__name")
        )
        return [
            ComebackRow(
                row["part"], f"{row['part__name']} ({row['part__sku']})", row["orders"], row["comebacks"]
            )
            for row in rows
        ]
    if by not in GROUPS:
        raise ValueError(f"Unknown grouping {by!r}.")
    key, label = GROUPS[by]
    rows = (
        base.annotate(back=_came_back(tenant, days))
        .values(key, label)
        .annotate(orders=Count("id"), comebacks=Count("id", filter=Q(back=True)))
        .order_by("-comebacks", label)
    )
    return [ComebackRow(row[key], row[label] or "—", row["orders"], row["comebacks"]) for row in rows]


def comeback_rate(tenant, *, days: int, since: datetime, until: datetime) -> ComebackRow:
    """The center's overall comeback rate: one aggregate query."""
    row = (
        _handed_over(tenant, since, until)
        .annotate(back=_came_back(tenant, days))
        .aggregate(orders=Count("id"), comebacks=Count("id", filter=Q(back=True)))
    )
    return ComebackRow(None, "", row["orders"], row["comebacks"])
