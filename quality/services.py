"""Business rules of client feedback: who may leave it and when, and the summary managers read."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.event_text import say
from orders.models import EventKind, Order, OrderStatus
from orders.timeline import record_event

from .models import MAX_COMMENT_LENGTH, Feedback

LOW_RATING = 3  # this and below: the manager should call the client


def why_no_feedback(order: Order) -> str | None:
    """None if the client may leave feedback on this order now, else why not (shown on the public page)."""
    if order.status != OrderStatus.HANDED_OVER:
        return _("You can rate the work once the order has been handed over to you.")
    if Feedback.objects.filter(tenant_id=order.tenant_id, order=order).exists():
        return _("Thank you, your feedback on this order has already been received.")
    return None


def leave_feedback(order: Order, *, rating: int, comment: str = "", recommend: int | None = None) -> Feedback:
    """Record the client's rating once; the order's timeline gets an event with it. A rating of LOW_RATING
    or below opens a complaint (quality.complaints), once. `recommend`: the 0-10 answer, for NPS."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError(_("Choose a rating from 1 to 5."))
    if recommend is not None and (
        not isinstance(recommend, int) or isinstance(recommend, bool) or not 0 <= recommend <= 10
    ):
        raise ValidationError(_("Choose how likely you are to recommend us, from 0 to 10."))
    comment = comment.replace("\r\n", "\n").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            _("The comment is too long (at most %(max)s characters).") % {"max": MAX_COMMENT_LENGTH}
        )
    reason = why_no_feedback(order)
    if reason:
        raise ValidationError(reason)
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                tenant_id=order.tenant_id,
                order=order,
                rating=rating,
                comment=comment,
                technician_id=order.technician_id,
                recommend=recommend,
            )
            # "low" makes the notifications app alert the managers (in this transaction, via the outbox).
            record_event(
                order,
                EventKind.FEEDBACK,
                by_client=True,
                text=say(gettext_noop("Rated %(rating)s of 5"), rating=rating),
                message=comment,
                data={
                    "feedback": feedback.pk,
                    "rating": rating,
                    "comment": comment,
                    "low": rating <= LOW_RATING,
                },
            )
            if rating <= LOW_RATING:
                from .complaints import complaint_from_rating

                feedback.order = order
                complaint_from_rating(feedback)
    except IntegrityError:  # two submissions at once: the second finds the first
        raise ValidationError(
            _("Thank you, your feedback on this order has already been received.")
        ) from None
    return feedback


@dataclass(frozen=True)
class Summary:
    count: int
    average: float | None
    low: int  # ratings of LOW_RATING and below
    by_rating: dict[int, int]


def summarize(feedback: QuerySet[Feedback]) -> Summary:
    """Count, average and distribution of a (filtered) feedback queryset: one aggregate query."""
    row = feedback.order_by().aggregate(
        count=Count("id"),
        average=Avg("rating"),
        low=Count("id", filter=Q(rating__lte=LOW_RATING)),
        **{f"r{n}": Count("id", filter=Q(rating=n)) for n in range(1, 6)},
    )
    return Summary(
        count=row["count"],
        average=row["average"],
        low=row["low"],
        by_rating={n: row[f"r{n}"] for n in range(5, 0, -1)},
    )


def by_technician(feedback: QuerySet[Feedback]) -> list[dict]:
    """Average rating and count per technician (one grouped query), best first."""
    return list(
        feedback.order_by()
        .values("technician", "technician__user__full_name")
        .annotate(count=Count("id"), average=Avg("rating"), low=Count("id", filter=Q(rating__lte=LOW_RATING)))
        .order_by("-average", "-count", "technician__user__full_name")[:100]
    )


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int  # 9-10
    passives: int  # 7-8
    detractors: int  # 0-6

    @property
    def score(self) -> int | None:
        """% promoters minus % detractors, -100..100, rounded; None without answers."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)


def nps(feedback: QuerySet[Feedback]) -> Nps:
    """The Net Promoter Score of the (filtered) feedback's 0-10 answers: one aggregate query."""
    row = (
        feedback.order_by()
        .filter(recommend__isnull=False)
        .aggregate(
            answers=Count("id"),
            promoters=Count("id", filter=Q(recommend__gte=9)),
            passives=Count("id", filter=Q(recommend__gte=7, recommend__lte=8)),
            detractors=Count("id", filter=Q(recommend__lte=6)),
        )
    )
    return Nps(**row)
