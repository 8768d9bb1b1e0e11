"""Quality: what clients say about finished orders (the first part of the quality app; checklists and SLA
targets come later)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from servicedesk.tenancy.models import Membership, TenantOwned

MAX_COMMENT_LENGTH = 2000


class Feedback(TenantOwned):
    """The client's rating of a handed-over order, left once through the public link.

    The technician and service type are copied from the order when the feedback arrives, so reports
    by technician stay right after a later reassignment.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="feedback_set", verbose_name=_("order"))
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=MAX_COMMENT_LENGTH, blank=True)
    technician = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("technician"))
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta(TenantOwned.Meta):
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "order"], name="quality_feedback_once_per_order"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="quality_feedback_rating_1_5"),
        ]
        indexes = [
            # The list: newest first (keyset on created_at, id), all or one rating, or one technician's.
            models.Index(fields=["tenant", "-created_at", "-id"], name="quality_feedback_list_idx"),
            models.Index(fields=["tenant", "rating", "-created_at"], name="quality_feedback_rating_idx"),
            models.Index(fields=["tenant", "technician", "-created_at"], name="quality_feedback_tech_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.order.number}: {self.rating}/5"

    @property
    def stars(self) -> str:
        return "★" * self.rating + "☆" * (5 - self.rating)
