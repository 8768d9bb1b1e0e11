"""The client's pages of the reception queue, no account: the check-in page the door's QR code opens
(/q/<token>/: take a ticket) and the client's own ticket (/q/ticket/<token>/: the number, shown big).

Both are rate-limited per IP, noindex and no-store, and show nothing of other clients: no names, no
count of people waiting, no other tickets. The same 404 for unknown, replaced and expired tokens.

The door's token is printed on the door, so it is no secret: its page keeps the site's same-origin
referrer policy and Django's CSRF check. The ticket's token is the client's own: its page sends no
referrer, and leaving the queue is a POST authorised by the token alone (as on the order status page).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from orders.public import TOKEN_CHARACTERS, TOKEN_MIN_LENGTH
from servicedesk.public import client_ip, private, switch_language, too_many
from servicedesk.tenancy.access import activate_tenant_timezone

from . import services
from .forms import TicketForm
from .models import ReceptionDesk, Visit, VisitState

TICKET_COOKIE = "reception_ticket"
TICKET_COOKIE_SALT = "reception.ticket"


def checkin_url(desk: ReceptionDesk) -> str:
    """The absolute link the door's QR code carries."""
    return settings.SITE_URL + reverse("reception:checkin", args=[desk.public_token])


def htmx_target(request: HttpRequest) -> str | None:
    """The element an htmx request will swap (its HX-Target), None for an ordinary request."""
    return request.headers.get("HX-Target") if request.headers.get("HX-Request") == "true" else None


def _by_ip(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(
        request, group=group, key=_by_ip, rate=rate, method=is_ratelimited.ALL, increment=True
    )


def _well_formed(token: str) -> bool:
    """Could this be one of our tokens? Else no database look-up (and no NUL byte sent to PostgreSQL)."""
    return TOKEN_MIN_LENGTH <= len(token) <= 64 and TOKEN_CHARACTERS.fullmatch(token) is not None


def _noindex(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _held_ticket(request: HttpRequest, desk: ReceptionDesk) -> Visit | None:
    """The ticket this browser took at this desk and still waits with, from its signed cookie."""
    try:
        token = request.get_signed_cookie(
            TICKET_COOKIE, salt=TICKET_COOKIE_SALT, max_age=services.STALE_AFTER
        )
    except (KeyError, signing.BadSignature):
        return None
    if not token or not _well_formed(token):
        return None
    visit = services.find_ticket(token)
    if visit is None or visit.location_id != desk.location_id or visit.state != VisitState.WAITING:
        return None
    return visit


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """Take a ticket: what the client came for (and a first name if they like); the wait clock starts."""
    if _limited(request, "reception_public", settings.PUBLIC_PAGE_RATE):
        return too_many()
    if request.method == "POST" and _limited(
        request, "reception_ticket_burst", settings.RECEPTION_TICKET_BURST_RATE
    ):
        return too_many()
    desk = services.find_desk(token) if _well_formed(token) else None
    if desk is None or not desk.tenant.is_active:
        raise Http404()
    activate_tenant_timezone(desk.tenant)
    if request.method == "GET" and "language" in request.GET:
        return _noindex(switch_language(request, reverse("reception:checkin", args=[token])))
    held = _held_ticket(request, desk)
    if held is not None:  # one ticket per phone: a second tap or a reload shows the first
        return _noindex(redirect("reception:ticket", token=held.public_token))
    problem = services.phone_checkin_problem(desk)
    form = TicketForm(request.POST if request.method == "POST" and not problem else None)
    if request.method == "POST" and not problem and form.is_valid():
        if _limited(request, "reception_ticket", settings.RECEPTION_TICKET_RATE):
            return too_many()
        try:
            visit = services.take_ticket(
                desk, purpose=form.cleaned_data["purpose"], name=form.cleaned_data["name"]
            )
        except ValidationError as refused:
            problem = " ".join(refused.messages)
        else:
            token_of_ticket = visit.public_token or ""
            response = redirect("reception:ticket", token=token_of_ticket)
            response.set_signed_cookie(
                TICKET_COOKIE,
                token_of_ticket,
                salt=TICKET_COOKIE_SALT,
                max_age=int(services.STALE_AFTER.total_seconds()),
                path="/q/",
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return _noindex(response)
    return _noindex(
        render(
            request,
            "reception/public_checkin.html",
            {
                "tenant": None,
                "center": desk.tenant,
                "location": desk.location,
                "form": form,
                "problem": problem,
            },
        )
    )


def _ticket(request: HttpRequest, token: str) -> Visit:
    visit = services.find_ticket(token) if _well_formed(token) else None
    if visit is None or not visit.tenant.is_active:
        raise Http404()
    activate_tenant_timezone(visit.tenant)
    return visit


@require_GET
def ticket(request: HttpRequest, token: str) -> HttpResponse:
    """The client's ticket: the number, big; whether they still wait. It refreshes itself while they do."""
    if _limited(request, "reception_public", settings.PUBLIC_PAGE_RATE):
        return too_many()
    visit = _ticket(request, token)
    if "language" in request.GET:
        return private(switch_language(request, reverse("reception:ticket", args=[token])))
    context = {"tenant": None, "center": visit.tenant, "visit": visit}
    if htmx_target(request) == "ticket-state":
        return private(render(request, "reception/_ticket_state.html", context))
    return private(render(request, "reception/public_ticket.html", context))


# No CSRF check: the ticket's unguessable token is the only credential (no session or cookie authorises
# anything here), and this page's no-referrer policy makes browsers send "Origin: null" with its forms.
@csrf_exempt
@require_POST
def ticket_leave(request: HttpRequest, token: str) -> HttpResponse:
    """The client leaves the queue (they will come back another time)."""
    if _limited(request, "reception_public", settings.PUBLIC_PAGE_RATE):
        return too_many()
    visit = _ticket(request, token)
    try:
        services.client_leaves(visit)
    except ValidationError:
        pass  # served or gone meanwhile: the page says which
    else:
        messages.info(request, _("You have left the queue. Thank you, see you another time."))
    return private(redirect("reception:ticket", token=visit.public_token))
