"""Complaints: opened from a low rating (once per rating) or by hand when a client calls or writes;
handled by a manager to a decision (resolved or rejected) before a deadline counted in working days on
the center's calendar; compensated by a discount (a negative line on the order) or a free rework (a new
order linked to the original); the client may be told through the notifications outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders import services as order_services
from orders.event_text import Text, joined, say
from orders.models import EventKind, Order, OrderStatus
from orders.permissions import check_actor
from orders.timeline import record_event
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm

from .calendar import NoWorkingTime, end_of_working_days
from .hours import calendar_for
from .models import AfterSalesSettings, Complaint, Feedback

S = Complaint.Status
OPEN_STATUSES = (S.OPEN, S.IN_PROGRESS)
# What a handler may move a complaint to from each status. Resolved and rejected are final.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.REJECTED}),
    S.RESOLVED: frozenset(),
    S.REJECTED: frozenset(),
}
MAX_DISCOUNT = Decimal("9999999999.99")


class ComplaintChanged(Exception):
    def __init__(self) -> None:
        super().__init__(
            _("This complaint was changed by someone else meanwhile. Reload the page and try again.")
        )


def deadline(order: Order, opened_at: datetime, days: int | None = None) -> datetime:
    """When the answer is due: the end of the `days`-th working day (the center's setting) after the day the
    complaint came, on the calendar of the location that took the order in. A location that never works
    gets calendar days instead."""
    if days is None:
        days = AfterSalesSettings.for_tenant(order.tenant_id).complaint_days
    try:
        return end_of_working_days(calendar_for(order.intake_location), opened_at, days)
    except NoWorkingTime:
        return opened_at + timedelta(days=days)


def _record(
    complaint: Complaint, said: Text, *, actor=None, by_client: bool = False, data: dict | None = None
) -> None:
    """An internal event on the order's timeline (its text as data, read in the reader's language)."""
    record_event(
        complaint.order,
        EventKind.COMPLAINT,
        actor=actor,
        by_client=by_client,
        text=said,
        data={"complaint": complaint.pk, **(data or {})},
    )


def open_complaint(
    order: Order,
    *,
    description: str,
    source: str,
    by: Membership | None,
    handler: Membership | None = None,
    feedback: Feedback | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Open a complaint about the order. `by` is the staff member who recorded it (reception and up), or
    None when the client's low rating opened it (`feedback`)."""
    if by is not None:
        check_actor(by, Perm.COMPLAINTS_OPEN, order)
    elif feedback is None:
        raise ValueError("A complaint is opened by a member or by a rating.")
    description = (description or "").replace("\x00", "").strip()
    if not description:
        raise ValidationError(_("Write down what the client says."))
    if source not in Complaint.Source.values or (source == Complaint.Source.RATING) != (feedback is not None):
        raise ValidationError(_("Unknown source of the complaint."))
    if handler is not None and (handler.tenant_id != order.tenant_id or not handler.is_active):
        raise ValidationError(_("Unknown handler."))
    now = now or timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            tenant_id=order.tenant_id,
            order=order,
            feedback=feedback,
            source=source,
            description=description[:5000],
            handler=handler,
            opened_at=now,
            opened_by=by.user if by else None,
            due_at=deadline(order, now),
        )
        complaint.order = order
        _record(
            complaint,
            say(gettext_noop("Complaint %(ref)s opened: %(text)s"), ref=complaint, text=description[:300]),
            actor=by.user if by else None,
            by_client=by is None,
            data={"source": source},
        )
    return complaint


def complaint_from_rating(feedback: Feedback) -> Complaint | None:
    """The complaint a low rating opens, at most once per rating (the database says so too). Called by
    quality.services.leave_feedback inside its transaction."""
    if Complaint.objects.filter(tenant_id=feedback.tenant_id, feedback=feedback).exists():
        return None
    order = feedback.order
    with translation.override(order.tenant.language):
        text = _("Rated %(rating)s of 5") % {"rating": feedback.rating}
        if feedback.comment:
            text += f": {feedback.comment}"
        try:
            with transaction.atomic():  # a savepoint: a second opening of the same rating is a no-op
                return open_complaint(
                    order,
                    description=text,
                    source=Complaint.Source.RATING,
                    by=None,
                    feedback=feedback,
                    now=feedback.created_at,
                )
        except IntegrityError:
            return None


def _update(complaint: Complaint, expected_version: int, **fields) -> None:
    """Save only if nobody changed the complaint since it was loaded (optimistic, like orders)."""
    changed = Complaint.objects.filter(
        pk=complaint.pk, tenant_id=complaint.tenant_id, version=expected_version
    ).update(version=F("version") + 1, **fields)
    if not changed:
        raise ComplaintChanged()
    for name, value in fields.items():
        setattr(complaint, name, value)
    complaint.version = expected_version + 1


def handle(
    complaint: Complaint,
    *,
    by: Membership,
    expected_version: int,
    handler: Membership | None,
    status: str,
    resolution: str = "",
) -> Complaint:
    """Assign the handler, move the status (open -> in progress -> resolved / rejected), write the resolution.
    Resolving or rejecting needs the resolution (what was decided, told to the client)."""
    check_actor(by, Perm.COMPLAINTS_MANAGE, complaint.order)
    resolution = (resolution or "").replace("\x00", "").strip()
    if handler is not None and (handler.tenant_id != complaint.tenant_id or not handler.is_active):
        raise ValidationError(_("Unknown handler."))
    if status != complaint.status and status not in NEXT_STATUSES.get(complaint.status, frozenset()):
        raise ValidationError(
            _("A complaint that is “%(now)s” cannot become “%(then)s”.")
            % {
                "now": complaint.get_status_display(),
                "then": Complaint.Status(status).label if status in Complaint.Status.values else status,
            }
        )
    closing = status in {S.RESOLVED, S.REJECTED} and complaint.is_open
    if closing and not resolution:
        raise ValidationError(_("Write the resolution: what was decided and why."))
    fields: dict = {}
    if handler != complaint.handler:
        fields["handler"] = handler
    if status != complaint.status:
        fields["status"] = status
    if resolution != complaint.resolution and (complaint.is_open or status == complaint.status):
        fields["resolution"] = resolution[:5000]
    if closing:
        fields.update(closed_at=timezone.now(), closed_by=by.user)
    if not fields:
        return complaint
    old_status = Complaint.Status(complaint.status).label
    with transaction.atomic():
        _update(complaint, expected_version, **fields)
        parts = []
        if "handler" in fields:
            parts.append(
                say(gettext_noop("handled by %(name)s"), name=handler.user.full_name if handler else "—")
            )
        if "status" in fields:
            parts.append(
                say("%(old)s → %(new)s", old=old_status, new=Complaint.Status(complaint.status).label)
            )
        if "resolution" in fields and resolution:
            parts.append(say(gettext_noop("resolution: %(text)s"), text=resolution[:300]))
        _record(
            complaint,
            say("%(ref)s: %(parts)s", ref=complaint, parts=joined("; ", parts)),
            actor=by.user,
            data={"status": complaint.status},
        )
    return complaint


def compensate_with_discount(
    complaint: Complaint, *, amount: Decimal, by: Membership, expected_version: int
) -> Complaint:
    """A discount on the order: a negative line through the order's money services (also after handover:
    what was paid above the new total shows as credit to return to the client)."""
    check_actor(by, Perm.COMPLAINTS_MANAGE, complaint.order)
    if complaint.compensation:
        raise ValidationError(_("This complaint already has a compensation."))
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount > MAX_DISCOUNT:
        raise ValidationError(_("The discount must be more than zero."))
    with transaction.atomic():
        _update(
            complaint, expected_version, compensation=Complaint.Compensation.DISCOUNT, discount_amount=amount
        )
        line = order_services.add_discount(
            complaint.order,
            amount=amount,
            by=by,
            description=_("Compensation for complaint %(ref)s") % {"ref": complaint},
            data={"complaint": complaint.pk},
        )
        Complaint.objects.filter(pk=complaint.pk).update(discount_line=line)
        complaint.discount_line = line
    return complaint


def compensate_with_rework(
    complaint: Complaint, *, by: Membership, expected_version: int, problem: str = ""
) -> Order:
    """Free rework: a new order for the same client, item and service, linked to the original
    (Order.warranty_of), whose work is billed at nothing."""
    check_actor(by, Perm.COMPLAINTS_MANAGE, complaint.order)
    if complaint.compensation:
        raise ValidationError(_("This complaint already has a compensation."))
    original = complaint.order
    if original.status == OrderStatus.CANCELLED:
        raise ValidationError(_("A cancelled order cannot be reworked."))
    with transaction.atomic():
        _update(complaint, expected_version, compensation=Complaint.Compensation.REWORK)
        rework = order_services.take_in_return(
            original,
            by=by,
            problem=problem
            or _("Rework after complaint %(ref)s: %(text)s")
            % {"ref": complaint, "text": complaint.description[:300]},
        )
        Complaint.objects.filter(pk=complaint.pk).update(rework_order=rework)
        complaint.rework_order = rework
        _record(
            complaint,
            say(
                gettext_noop("%(ref)s: free rework as order #%(number)s"), ref=complaint, number=rework.number
            ),
            actor=by.user,
            data={"rework_order": rework.number},
        )
    return rework


def tell_client(complaint: Complaint, *, by: Membership) -> int:
    """Tell the client the resolution, once per complaint: an event on the order's timeline that the
    notifications app turns into e-mail and SMS (as the client allows) in the same transaction. Returns
    the number of channels the client can be reached on (0: nobody to tell, nothing recorded)."""
    check_actor(by, Perm.COMPLAINTS_MANAGE, complaint.order)
    if complaint.is_open or not complaint.resolution:
        raise ValidationError(_("Resolve or reject the complaint first: the client is told the resolution."))
    client = complaint.order.client
    channels = int(bool(client.email and client.notify_email)) + int(bool(client.phone and client.notify_sms))
    if not channels:
        return 0
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk, tenant_id=complaint.tenant_id)
        if locked.client_told_at is not None:
            raise ValidationError(_("The client has already been told."))
        now = timezone.now()
        Complaint.objects.filter(pk=complaint.pk).update(client_told_at=now)
        complaint.client_told_at = now
        # "tell_client" makes the notifications app write the messages (Kind.COMPLAINT_ANSWER).
        _record(
            complaint,
            say(gettext_noop("%(ref)s: the client is told the resolution."), ref=complaint),
            actor=by.user,
            data={"tell_client": True, "resolution": complaint.resolution},
        )
    return channels


# --- Figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintFigures:
    orders: int  # handed over in the period
    complaints: int  # opened in the period
    closed: int
    closed_in_time: int

    @property
    def per_100_orders(self) -> float | None:
        return None if not self.orders else round(100 * self.complaints / self.orders, 1)

    @property
    def in_time_share(self) -> float | None:
        return None if not self.closed else round(100 * self.closed_in_time / self.closed, 1)


def figures(tenant, since: datetime, until: datetime) -> ComplaintFigures:
    """Complaints per 100 orders handed over, and the share answered in time, in [since, until): two queries."""
    complaints = (
        Complaint.objects.for_tenant(tenant)
        .filter(opened_at__gte=since, opened_at__lt=until)
        .aggregate(
            count=Count("id"),
            closed=Count("id", filter=Q(closed_at__isnull=False)),
            in_time=Count("id", filter=Q(closed_at__isnull=False, closed_at__lte=F("due_at"))),
        )
    )
    orders = (
        Order.objects.for_tenant(tenant)
        .filter(status=OrderStatus.HANDED_OVER, closed_at__gte=since, closed_at__lt=until)
        .count()
    )
    return ComplaintFigures(
        orders=orders,
        complaints=complaints["count"],
        closed=complaints["closed"],
        closed_in_time=complaints["in_time"],
    )


def open_complaints(tenant) -> QuerySet[Complaint]:
    return Complaint.objects.for_tenant(tenant).filter(status__in=OPEN_STATUSES)
