"""Business rules of the reception queue: check-in (by staff, or by the client's phone), the wait clock,
serving, leaving, and the link from a visit to the order its intake made.

The clock: it starts at check-in and stops when staff start serving the client (`start_service`, or the
intake saved for the visit, `link_order`), or when the client goes away (`mark_left`, `client_leaves`).
The wait is stored in seconds on the visit. State changes are conditional updates (`state = waiting`), so two
people tapping the same ticket at once cannot both serve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.event_text import say
from orders.models import Client, EventKind, Order
from orders.permissions import check_actor
from orders.services import normalise_phone
from orders.timeline import record_event
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .models import Purpose, ReceptionDesk, ServedAs, Visit, VisitSource, VisitState, new_token
from .targets import wait_targets

# At most this many tickets taken by phone may wait at one desk at once: a flood from many addresses
# cannot bury the board. Reception can always check people in by hand.
MAX_PHONE_TICKETS_WAITING = 30
# A visit still waiting this long after check-in was forgotten (the day ended): the hourly task closes it.
STALE_AFTER = timedelta(hours=12)
# The client's ticket page works this long after check-in.
TICKET_PAGE_HOURS = 24
# The board lists this many of today's finished visits.
RECENT_ON_BOARD = 20


def desk_for(location: Location) -> ReceptionDesk:
    """The location's desk, made on first use."""
    desk = ReceptionDesk.objects.for_tenant(location.tenant_id).filter(location=location).first()
    if desk is None:
        try:
            with transaction.atomic():
                desk = ReceptionDesk.objects.create(tenant_id=location.tenant_id, location=location)
        except IntegrityError:  # made a moment ago by another request
            desk = ReceptionDesk.objects.for_tenant(location.tenant_id).get(location=location)
    desk.location = location
    return desk


def find_desk(token: str) -> ReceptionDesk | None:
    """The desk whose door QR code carries this token (public page); None if unknown."""
    return ReceptionDesk.objects.select_related("location", "tenant").filter(public_token=token).first()


def find_ticket(token: str, now: datetime | None = None) -> Visit | None:
    """A ticket taken by phone, by its own token; None if unknown or older than TICKET_PAGE_HOURS."""
    since = (now or timezone.now()) - timedelta(hours=TICKET_PAGE_HOURS)
    return (
        Visit.objects.select_related("location", "tenant")
        .filter(public_token=token, checked_in_at__gte=since)
        .first()
    )


def receiving_locations(tenant: Tenant) -> list[Location]:
    """The active locations with a reception desk (kind reception or both), by name."""
    return list(
        Location.objects.for_tenant(tenant)
        .filter(is_active=True, kind__in=[Location.Kind.RECEPTION, Location.Kind.BOTH])
        .order_by("name")
    )


def _clean_phone(raw: str, tenant: Tenant) -> str:
    raw = (raw or "").strip()
    return normalise_phone(raw, tenant.phone_region) if raw else ""


def _new_visit(location: Location, *, now: datetime, **fields: Any) -> Visit:
    """Number the day's next ticket under the desk's row lock and save the visit (call in a transaction)."""
    tenant = location.tenant
    desk = desk_for(location)
    desk = ReceptionDesk.objects.select_for_update().get(pk=desk.pk, tenant_id=tenant.pk)
    today = tenant.local_date(now)
    if desk.ticket_day != today:
        desk.ticket_day, desk.last_ticket = today, 0
    # The counter is the rule; the day's highest ticket guards against a counter behind its rows (rows
    # written another way: an import, a restored backup). One look-up on the unique index.
    highest = (
        Visit.objects.for_tenant(tenant)
        .filter(location=location, day=today)
        .aggregate(top=Max("ticket"))["top"]
    )
    desk.last_ticket = max(desk.last_ticket, highest or 0) + 1
    desk.save(update_fields=["ticket_day", "last_ticket"])
    visit = Visit.objects.create(
        tenant_id=tenant.pk,
        location=location,
        day=today,
        ticket=desk.last_ticket,
        checked_in_at=now,
        **fields,
    )
    visit.location = location
    return visit


def check_in(location: Location, *, by: Membership, purpose: str, name: str = "", phone: str = "") -> Visit:
    """Reception checks a walk-in client in: the wait clock starts. Name and phone are optional."""
    check_actor(by, Perm.ORDERS_CREATE, tenant_id=location.tenant_id)
    if purpose not in Purpose.values:
        raise ValidationError(_("Choose what the client came for."))
    if not location.is_active:
        raise ValidationError(_("This location is closed."))
    phone = _clean_phone(phone, location.tenant)
    with transaction.atomic():
        return _new_visit(
            location,
            now=timezone.now(),
            purpose=purpose,
            name=(name or "").strip()[:100],
            phone=phone,
            source=VisitSource.DESK,
            checked_in_by=by,
        )


def phone_checkin_problem(desk: ReceptionDesk) -> str | None:
    """Why a client cannot take a ticket with their phone at this desk now, or None."""
    if not desk.public_checkin or not desk.location.is_active or not desk.tenant.is_active:
        return _("Taking a ticket by phone is not available here. Please come to the desk.")
    return None


def take_ticket(desk: ReceptionDesk, *, purpose: str, name: str = "") -> Visit:
    """The client takes a ticket on the page the door's QR code opens (no account): the clock starts."""
    problem = phone_checkin_problem(desk)
    if problem:
        raise ValidationError(problem)
    if purpose not in Purpose.values:
        raise ValidationError(_("Choose what you came for."))
    location = desk.location
    location.tenant = desk.tenant
    now = timezone.now()
    with transaction.atomic():
        waiting = (
            Visit.objects.for_tenant(desk.tenant_id)
            .filter(
                location=location,
                state=VisitState.WAITING,
                source=VisitSource.QR,
                checked_in_at__gte=now - STALE_AFTER,
            )
            .count()
        )
        if waiting >= MAX_PHONE_TICKETS_WAITING:
            raise ValidationError(_("The queue is full at the moment. Please come to the desk."))
        return _new_visit(
            location,
            now=now,
            purpose=purpose,
            name=(name or "").strip()[:100],
            source=VisitSource.QR,
            public_token=new_token(),
        )


def _already(visit: Visit) -> str:
    visit.refresh_from_db()
    if visit.state == VisitState.SERVED:
        return _("Ticket %(ticket)s is already being served.") % {"ticket": visit.ticket}
    return _("Ticket %(ticket)s has left the queue.") % {"ticket": visit.ticket}


def _end_wait(visit: Visit, *, state: str, by: Membership | None, served_as: str = "") -> None:
    now = timezone.now()
    waited = max(0, int((now - visit.checked_in_at).total_seconds()))
    changed = Visit.objects.filter(pk=visit.pk, tenant_id=visit.tenant_id, state=VisitState.WAITING).update(
        state=state, ended_at=now, wait_seconds=waited, served_as=served_as, served_by=by
    )
    if not changed:
        raise ValidationError(_already(visit))
    visit.state, visit.ended_at, visit.wait_seconds, visit.served_as = state, now, waited, served_as
    visit.served_by = by


def start_service(visit: Visit, *, by: Membership, served_as: str) -> None:
    """Staff start serving the client (the intake, a pickup, a consultation, a question): the clock stops."""
    check_actor(by, Perm.ORDERS_CREATE, tenant_id=visit.tenant_id)
    if served_as not in ServedAs.values:
        raise ValidationError(_("Choose how the client was served."))
    _end_wait(visit, state=VisitState.SERVED, by=by, served_as=served_as)


def mark_left(visit: Visit, *, by: Membership) -> None:
    """The client went away before being served (or never came to the desk): the clock stops."""
    check_actor(by, Perm.ORDERS_CREATE, tenant_id=visit.tenant_id)
    _end_wait(visit, state=VisitState.LEFT, by=by)


def client_leaves(visit: Visit) -> None:
    """The client leaves the queue from their ticket page."""
    _end_wait(visit, state=VisitState.LEFT, by=None)


def intake_problem(visit: Visit) -> str | None:
    """Why no intake can be started for this visit, or None."""
    if visit.order_id:
        return _("Ticket %(ticket)s already has an order.") % {"ticket": visit.ticket}
    if visit.state == VisitState.LEFT:
        return _("Ticket %(ticket)s has left the queue.") % {"ticket": visit.ticket}
    if visit.state == VisitState.SERVED and visit.served_as != ServedAs.INTAKE:
        return _("Ticket %(ticket)s was already served.") % {"ticket": visit.ticket}
    return None


def link_order(visit: Visit, order: Order, *, by: Membership) -> None:
    """The intake opened for this visit saved `order`: link them (and stop the clock if it still ran).

    Call inside the intake's transaction: a refusal rolls the new order back with it (no order without
    its visit when two people save the same client's intake at once).
    """
    check_actor(by, Perm.ORDERS_CREATE, order)
    if visit.tenant_id != order.tenant_id:
        raise ValidationError(_("Unknown visit."))
    locked = Visit.objects.select_for_update().get(pk=visit.pk, tenant_id=visit.tenant_id)
    problem = intake_problem(locked)
    if problem:
        raise ValidationError(problem)
    now = timezone.now()
    locked.order = order
    if locked.state == VisitState.WAITING:
        locked.state, locked.ended_at, locked.served_as, locked.served_by = (
            VisitState.SERVED,
            now,
            ServedAs.INTAKE,
            by,
        )
        locked.wait_seconds = max(0, int((now - locked.checked_in_at).total_seconds()))
    locked.save(update_fields=["order", "state", "ended_at", "served_as", "served_by", "wait_seconds"])
    record_event(
        order,
        EventKind.NOTE,
        actor=by.user,
        data={"visit": locked.pk, "wait_seconds": locked.wait_seconds},
        text=say(
            gettext_noop("Walk-in client, ticket %(ticket)s: waited %(minutes)s min at reception."),
            ticket=locked.ticket,
            minutes=round((locked.wait_seconds or 0) / 60),
        ),
    )
    visit.order, visit.state, visit.wait_seconds = order, locked.state, locked.wait_seconds


def intake_initial(visit: Visit) -> tuple[dict, Client | None]:
    """What the intake form opened from a visit starts with, and the returning client its phone finds."""
    initial: dict = {"intake_location": visit.location_id}
    client = (
        Client.objects.for_tenant(visit.tenant_id).filter(phone=visit.phone).first() if visit.phone else None
    )
    if client is not None:
        initial["client"] = client.pk
    else:
        initial.update(client_name=visit.name, client_phone=visit.phone)
    return initial, client


def replace_desk_link(desk: ReceptionDesk, *, by: Membership) -> None:
    """A new QR link for the door: every printed code stops working at once."""
    check_actor(by, Perm.LOCATIONS_MANAGE, tenant_id=desk.tenant_id)
    desk.public_token = new_token()
    ReceptionDesk.objects.filter(pk=desk.pk, tenant_id=desk.tenant_id).update(public_token=desk.public_token)


def set_phone_checkin(desk: ReceptionDesk, *, enabled: bool, by: Membership) -> None:
    check_actor(by, Perm.LOCATIONS_MANAGE, tenant_id=desk.tenant_id)
    desk.public_checkin = enabled
    ReceptionDesk.objects.filter(pk=desk.pk, tenant_id=desk.tenant_id).update(public_checkin=enabled)


# --- The board -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    visit: Visit
    minutes: int | None  # whole minutes waited (so far); None for a wait nobody timed (closed overnight)
    over: bool  # past the location's target


@dataclass(frozen=True)
class Board:
    location: Location
    target_minutes: float
    waiting: list[Wait]  # longest first
    recent: list[Wait]  # today's finished visits, newest first
    served: int
    left: int
    average_wait_minutes: float | None
    within_target: int  # served today within the target


def day_start(tenant: Tenant, now: datetime) -> datetime:
    """Local midnight of the center's today, as an aware instant."""
    return datetime.combine(tenant.local_date(now), time.min, tzinfo=tenant.tz)


def board(location: Location, *, now: datetime | None = None) -> Board:
    """Who waits at this location now (longest first), and today's served and gone: three queries."""
    now = now or timezone.now()
    tenant = location.tenant
    since = day_start(tenant, now)
    target = wait_targets(tenant, [location])[location.pk]
    today = Visit.objects.for_tenant(tenant).filter(location=location, checked_in_at__gte=since)

    def wait(visit: Visit) -> Wait:
        seconds = visit.waited(now) if visit.is_waiting or visit.wait_seconds is not None else None
        return Wait(
            visit, None if seconds is None else seconds // 60, seconds is not None and seconds > target * 60
        )

    waiting = [
        wait(visit) for visit in today.filter(state=VisitState.WAITING).order_by("checked_in_at", "id")[:200]
    ]
    recent = [
        wait(visit)
        for visit in today.exclude(state=VisitState.WAITING)
        .select_related("served_by__user", "order")
        .order_by("-ended_at", "-id")[:RECENT_ON_BOARD]
    ]
    served = Q(state=VisitState.SERVED)
    summary = today.aggregate(
        served=Count("id", filter=served),
        left=Count("id", filter=Q(state=VisitState.LEFT)),
        average=Avg("wait_seconds", filter=served),
        within=Count("id", filter=served & Q(wait_seconds__lte=target * 60)),
    )
    return Board(
        location=location,
        target_minutes=target,
        waiting=waiting,
        recent=recent,
        served=summary["served"],
        left=summary["left"],
        within_target=summary["within"],
        average_wait_minutes=summary["average"] / 60 if summary["average"] is not None else None,
    )


def close_stale_visits(now: datetime | None = None) -> int:
    """Visits still waiting STALE_AFTER after check-in were forgotten when the day ended: close them as
    gone, without a wait (their real wait is unknown, so no standard counts them)."""
    now = now or timezone.now()
    return Visit.objects.filter(state=VisitState.WAITING, checked_in_at__lt=now - STALE_AFTER).update(
        state=VisitState.LEFT, ended_at=now
    )
