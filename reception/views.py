"""Staff pages of the reception queue: the live board per location, check-in, serving, the intake opened
from a visit, and the printable QR code for the door. The client's pages are in reception.public."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.forms import IntakeForm
from orders.permissions import ActorRefused
from orders.presentation import qr_data_uri
from orders.services import format_phone
from orders.views import intake_context, take_in_from_form
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.models import Location
from servicedesk.tenancy.roles import Perm, has_perm

from . import services
from .forms import CheckInForm, DeskForm, ServeForm
from .models import Purpose, ServedAs, Visit
from .public import checkin_url, htmx_target

LAST_LOCATION_KEY = "reception_location"


def _location(request: TenantRequest, location_id: int) -> Location:
    location = get_for_tenant_or_404(Location.objects.filter(is_active=True), request.tenant, pk=location_id)
    location.tenant = request.tenant
    return location


def _visit(request: TenantRequest, visit_id: int) -> Visit:
    visit = get_for_tenant_or_404(Visit.objects.select_related("location"), request.tenant, pk=visit_id)
    visit.location.tenant = request.tenant
    return visit


def _to_board(request: TenantRequest, location_id: int) -> HttpResponse:
    return redirect("reception:board", tenant_slug=request.tenant.slug, location_id=location_id)


def _say(request: TenantRequest, problem: Exception) -> None:
    messages.error(request, " ".join(getattr(problem, "messages", [str(problem)])))


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def queue_home(request: TenantRequest) -> HttpResponse:
    """The board of the desk this person used last, else of the first reception location."""
    locations = services.receiving_locations(request.tenant)
    if not locations:
        return render(request, "reception/no_desk.html")
    last = request.session.get(LAST_LOCATION_KEY)
    location = next((loc for loc in locations if loc.pk == last), locations[0])
    return _to_board(request, location.pk)


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def board(request: TenantRequest, location_id: int) -> HttpResponse:
    """Who is waiting and for how long against the standard; the live part refreshes itself (htmx)."""
    location = _location(request, location_id)
    context = {"board": services.board(location), "location": location}
    if htmx_target(request) == "queue-live":
        return render(request, "reception/_live.html", context)
    if request.session.get(LAST_LOCATION_KEY) != location.pk:
        request.session[LAST_LOCATION_KEY] = location.pk
    context.update(
        form=CheckInForm(),
        purposes=Purpose.choices,
        locations=services.receiving_locations(request.tenant),
        other_ways=[(value, label) for value, label in ServedAs.choices if value != ServedAs.INTAKE],
    )
    return render(request, "reception/board.html", context)


@tenant_view(Perm.ORDERS_CREATE)
@require_POST
def check_in(request: TenantRequest, location_id: int) -> HttpResponse:
    location = _location(request, location_id)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return _to_board(request, location.pk)
    data = form.cleaned_data
    try:
        visit = services.check_in(
            location, by=request.membership, purpose=data["purpose"], name=data["name"], phone=data["phone"]
        )
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.success(
            request,
            _("Ticket %(ticket)s: %(purpose)s. The wait is being timed.")
            % {"ticket": visit.ticket, "purpose": visit.get_purpose_display()},
        )
    return _to_board(request, location.pk)


@tenant_view(Perm.ORDERS_CREATE)
@require_POST
def start_intake(request: TenantRequest, visit_id: int) -> HttpResponse:
    """Stop the clock (the client is at the desk now) and open the intake form for them."""
    visit = _visit(request, visit_id)
    try:
        services.start_service(visit, by=request.membership, served_as=ServedAs.INTAKE)
    except (ValidationError, ActorRefused) as problem:
        if services.intake_problem(visit) is not None:  # served otherwise, gone, or has its order
            _say(request, problem)
            return _to_board(request, visit.location_id)
    return redirect("reception:intake", tenant_slug=request.tenant.slug, visit_id=visit.pk)


@tenant_view(Perm.ORDERS_CREATE)
@require_POST
def serve(request: TenantRequest, visit_id: int) -> HttpResponse:
    """Served without an order: a pickup, a consultation, a question. The clock stops."""
    visit = _visit(request, visit_id)
    form = ServeForm(request.POST)
    if not form.is_valid() or form.cleaned_data["served_as"] == ServedAs.INTAKE:
        messages.error(request, _("Choose how the client was served."))
        return _to_board(request, visit.location_id)
    try:
        services.start_service(visit, by=request.membership, served_as=form.cleaned_data["served_as"])
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.success(
            request,
            _("Ticket %(ticket)s served after %(minutes)s min.")
            % {"ticket": visit.ticket, "minutes": (visit.wait_seconds or 0) // 60},
        )
    return _to_board(request, visit.location_id)


@tenant_view(Perm.ORDERS_CREATE)
@require_POST
def left(request: TenantRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    try:
        services.mark_left(visit, by=request.membership)
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.info(request, _("Ticket %(ticket)s left the queue.") % {"ticket": visit.ticket})
    return _to_board(request, visit.location_id)


@tenant_view(Perm.ORDERS_CREATE)
@require_http_methods(["GET", "POST"])
def intake(request: TenantRequest, visit_id: int) -> HttpResponse:
    """The orders app's intake form, prefilled from the visit; saving it links the visit to the new order."""
    visit = _visit(request, visit_id)
    problem = services.intake_problem(visit)
    if problem:
        messages.error(request, problem)
        if visit.order is not None:
            return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=visit.order.number)
        return _to_board(request, visit.location_id)
    initial, client = services.intake_initial(visit)
    form = IntakeForm(
        request.POST or None, request.FILES or None, tenant=request.tenant, initial=initial, warn_hours=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                order = take_in_from_form(request, form)
                services.link_order(visit, order, by=request.membership)
        except (ValidationError, ActorRefused) as refused:
            _say(request, refused)
            return _to_board(request, visit.location_id)
        messages.success(request, _("Order #%(number)s is taken in.") % {"number": order.number})
        return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=order.number)
    context = intake_context(request, form, picked_client=None if form.is_bound else client)
    context.update(visit=visit, visit_phone=format_phone(visit.phone) if visit.phone else "")
    return render(request, "reception/intake.html", context)


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def desk_qr(request: TenantRequest, location_id: int) -> HttpResponse:
    """A sheet to print and put on the door: the QR code that opens the phone check-in page."""
    location = _location(request, location_id)
    desk = services.desk_for(location)
    url = checkin_url(desk)
    return render(
        request,
        "reception/desk_qr.html",
        {
            "location": location,
            "desk": desk,
            "url": url,
            "qr": qr_data_uri(url),
            "can_manage": has_perm(request.membership.role, Perm.LOCATIONS_MANAGE),
        },
    )


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_POST
def desk_settings(request: TenantRequest, location_id: int) -> HttpResponse:
    """Replace the door's QR link (old prints stop working), or switch phone check-in on or off."""
    location = _location(request, location_id)
    desk = services.desk_for(location)
    form = DeskForm(request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        if action == "replace":
            services.replace_desk_link(desk, by=request.membership)
            messages.success(request, _("A new QR code was made: print it; the old one no longer works."))
        else:
            services.set_phone_checkin(desk, enabled=action == "enable", by=request.membership)
            messages.success(
                request,
                _("Taking a ticket by phone is on.")
                if action == "enable"
                else _("Taking a ticket by phone is off."),
            )
    else:
        messages.error(request, _("Unknown action."))
    return redirect("reception:desk_qr", tenant_slug=request.tenant.slug, location_id=location.pk)
