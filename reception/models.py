"""The reception queue: walk-in clients waiting at a location's desk, and each desk's ticket counter and
the QR code on its door.

A visit's wait runs from check-in until staff start serving the client (the intake form, or serving them
otherwise: a pickup, a consultation, a question); it is stored (`wait_seconds`) for the standards
(quality.metrics.reception_wait). See docs/quality.md, "The reception queue".
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from servicedesk.tenancy.models import Location, Membership, TenantOwned


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class ReceptionDesk(TenantOwned):
    """One location's reception desk: the day's ticket counter and the link its door's QR code opens.

    Made on first use (reception.services.desk_for). Replacing the token retires every printed QR code.
    """

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="+", verbose_name=_("location")
    )
    public_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    public_checkin = models.BooleanField(
        _("clients may take a ticket with their phone"),
        default=True,
        help_text=_("Off: the QR code at the door only says to come to the desk."),
    )
    ticket_day = models.DateField(null=True, blank=True, editable=False)
    last_ticket = models.PositiveIntegerField(default=0, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("reception desk")
        verbose_name_plural = _("reception desks")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "location"], name="reception_desk_one_per_location"),
        ]

    def __str__(self) -> str:
        return str(self.location)


class Purpose(models.TextChoices):
    DROP_OFF = "drop_off", _("Drop-off")
    PICKUP = "pickup", _("Pickup")
    CONSULTATION = "consultation", _("Consultation")
    QUESTION = "question", _("Question")


class ServedAs(models.TextChoices):
    INTAKE = "intake", _("Intake")
    PICKUP = "pickup", _("Pickup")
    CONSULTATION = "consultation", _("Consultation")
    QUESTION = "question", _("Question")


class VisitState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SERVED = "served", _("Served")
    LEFT = "left", _("Left without service")


class VisitSource(models.TextChoices):
    DESK = "desk", _("Checked in at the desk")
    QR = "qr", _("Took a ticket by phone")


class Visit(TenantOwned):
    """A walk-in client at a location's desk, from check-in to service (or leaving)."""

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    day = models.DateField(_("day"))  # the center's local date of check-in: tickets count from 1 each day
    ticket = models.PositiveIntegerField(_("ticket"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.DROP_OFF)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    source = models.CharField(
        _("checked in"), max_length=8, choices=VisitSource.choices, default=VisitSource.DESK
    )
    state = models.CharField(_("state"), max_length=8, choices=VisitState.choices, default=VisitState.WAITING)
    checked_in_at = models.DateTimeField(_("checked in at"), default=timezone.now)
    # When the wait ended: service started (served) or the client went away (left).
    ended_at = models.DateTimeField(_("wait ended at"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("wait, seconds"), null=True, blank=True)
    served_as = models.CharField(_("served as"), max_length=16, choices=ServedAs.choices, blank=True)
    checked_in_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    served_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("served by"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    # The client's own ticket page (/q/ticket/<token>/) for tickets taken by phone; empty for desk check-ins.
    public_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["checked_in_at", "id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "location", "day", "ticket"], name="reception_visit_ticket_uniq"
            ),
            models.CheckConstraint(
                condition=Q(state="waiting", ended_at__isnull=True)
                | (~Q(state="waiting") & Q(ended_at__isnull=False)),
                name="reception_visit_ended_unless_waiting",
            ),
        ]
        indexes = [
            # The board: who waits at this location, longest first; today's served and left.
            models.Index(
                fields=["tenant", "location", "state", "checked_in_at"], name="reception_visit_board_idx"
            ),
            # The metrics: visits of a period (quality.metrics), at every location or one.
            models.Index(fields=["tenant", "checked_in_at"], name="reception_visit_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.day} #{self.ticket}"

    @property
    def is_waiting(self) -> bool:
        return self.state == VisitState.WAITING

    def waited(self, now=None) -> int:
        """Seconds waited: stored once the wait ended, else counted to now."""
        if self.wait_seconds is not None:
            return self.wait_seconds
        return max(0, int(((now or timezone.now()) - self.checked_in_at).total_seconds()))
