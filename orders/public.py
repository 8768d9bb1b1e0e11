"""The client's public status page: /s/<token>/, no account.

Same 404 for unknown and expired tokens; no full name, phone or address; no internal notes; no-referrer,
no-store and noindex; rate-limited per client IP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from servicedesk.public import TooMany, client_ip, first_visit_language, private, switch_language, too_many
from servicedesk.tenancy.access import activate_tenant_timezone

from .lifecycle import EstimateOutdated, OrderChanged, TransitionRefused, transition
from .models import STAGE_OF_STATUS, Estimate, EventKind, Order, OrderStatus, Stage
from .money import EstimateChanged, current_estimate
from .services import mask_name, public_link_works

TOKEN_MIN_LENGTH = 32  # shorter strings cannot be ours (ours are 43 characters): no database look-up
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")  # secrets.token_urlsafe's alphabet
PUBLIC_EVENT_KINDS = {
    EventKind.CREATED,
    EventKind.STATUS,
    EventKind.NOTE,
    EventKind.ESTIMATE,
    EventKind.PAYMENT,
}

# What the client reads for each status: plain words, not the workshop's jargon.
CLIENT_WORDS = {
    OrderStatus.NEW: gettext_lazy("We have your request and will plan the work shortly."),
    OrderStatus.PLANNED: gettext_lazy("A technician is assigned and the work is scheduled."),
    OrderStatus.DIAGNOSTICS: gettext_lazy("The technician is finding out what is wrong."),
    OrderStatus.AWAITING_APPROVAL: gettext_lazy("Please approve or decline the estimate below."),
    OrderStatus.AWAITING_PARTS: gettext_lazy("We are waiting for parts to arrive."),
    OrderStatus.IN_PROGRESS: gettext_lazy("The work is in progress."),
    OrderStatus.QUALITY_CHECK: gettext_lazy("The work is being checked."),
    OrderStatus.READY: gettext_lazy("Ready! You can pick it up."),
    OrderStatus.HANDED_OVER: gettext_lazy("Handed over. Thank you!"),
    OrderStatus.CANCELLED: gettext_lazy("The order was cancelled."),
    OrderStatus.ON_HOLD: gettext_lazy("The work is paused; we will contact you."),
}
STAGES = [Stage.REQUEST, Stage.PLANNING, Stage.EXECUTION, Stage.HANDOVER]

# Downloads other apps offer on the status page (documents: the completion act and warranty card after
# handover): `(order) -> [(label, url), ...]` at a fixed query cost, registered in their AppConfig.ready().
PublicLinks = Callable[[Order], list[tuple[str, str]]]
_public_links: list[PublicLinks] = []


def register_public_links(provider: PublicLinks) -> None:
    if provider not in _public_links:
        _public_links.append(provider)


def _ratelimit_key(group, request) -> str:
    return client_ip(request)


def guarded_order(request: HttpRequest, token: str) -> Order:
    """The order a public link points to, for every /s/<token>/ page (also the quality app's feedback page):
    rate-limited per IP (TooMany), 404 for malformed, unknown and expired tokens alike."""
    if is_ratelimited(
        request,
        group="public_status",
        key=_ratelimit_key,
        rate=settings.PUBLIC_PAGE_RATE,
        method=is_ratelimited.ALL,
        increment=True,
    ):
        raise TooMany()
    if len(token) < TOKEN_MIN_LENGTH or len(token) > 64 or not TOKEN_CHARACTERS.fullmatch(token):
        raise Http404()  # cannot be ours: no database look-up (and no NUL byte sent to PostgreSQL)
    order = (
        Order.objects.select_related("tenant", "item", "service_type", "intake_location", "client")
        .filter(public_token=token)
        .first()
    )
    if order is None or not public_link_works(order) or not order.tenant.is_active:
        raise Http404()
    activate_tenant_timezone(order.tenant)
    first_visit_language(request, order.client.preferred_language(order.tenant))
    return order


@require_GET
def public_status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = guarded_order(request, token)
    except TooMany:
        return too_many()
    if "language" in request.GET:
        return private(switch_language(request, reverse("orders:public_status", args=[order.public_token])))
    events = [
        e
        for e in order.events.filter(is_public=True, kind__in=PUBLIC_EVENT_KINDS).order_by(
            "-created_at", "-id"
        )[:50]
    ]
    estimate = current_estimate(order) if order.status == OrderStatus.AWAITING_APPROVAL else None
    can_decide = estimate is not None and estimate.state == Estimate.State.PENDING
    current_stage = STAGE_OF_STATUS[order.status]
    stage_index = STAGES.index(current_stage) if current_stage in STAGES else len(STAGES)
    context = {
        "order": order,
        "tenant": None,  # the staff layout's tenant menus must not appear
        "center": order.tenant,
        "events": events,
        "client_name": mask_name(order.client.name),
        "words": CLIENT_WORDS[order.status],
        "stages": [(stage.label, i < stage_index, i == stage_index) for i, stage in enumerate(STAGES)],
        "can_decide": can_decide,
        "estimate": estimate,
        "estimate_lines": list(estimate.lines.all()) if estimate else [],
        "diagnostic_fee": order.tenant.diagnostic_fee,
        "pickup": order.status == OrderStatus.READY,
        "downloads": [link for provider in _public_links for link in provider(order)],
    }
    return private(render(request, "orders/public_status.html", context))


def _shown_estimate(request: HttpRequest) -> tuple[int, Decimal] | None:
    """The (version, amount) the client's page showed, from the decision form; None if absent or garbled."""
    try:
        version = int(request.POST.get("estimate_version", ""))
        amount = Decimal(request.POST.get("estimate_amount", ""))
    except (ValueError, ArithmeticError):
        return None
    if not amount.is_finite() or version < 1 or version > 2**31:
        return None
    return version, amount


# No CSRF check: the unguessable token in the URL is the client's only credential (no session or cookie
# authorises anything here), so a forged request needs the token and gains nothing; and the page's
# no-referrer policy makes browsers send "Origin: null", which Django's CSRF check would refuse.
@csrf_exempt
@require_POST
def public_decide(request: HttpRequest, token: str, decision: str) -> HttpResponse:
    """The client approves or declines the estimate. Works once: the status guard refuses a repeat."""
    try:
        order = guarded_order(request, token)
    except TooMany:
        return too_many()
    if decision not in {"approve", "decline"}:
        raise Http404()
    shown = _shown_estimate(request)
    try:
        if order.status == OrderStatus.AWAITING_APPROVAL and shown is None:
            raise EstimateChanged()  # the answer does not say which estimate: show the current one again
        transition(
            order,
            decision,
            by=None,
            expected_version=order.version,
            expected_estimate=shown,
            reason=_("Decided by the client on the status page."),
        )
    except (EstimateChanged, EstimateOutdated) as changed:
        messages.warning(request, str(changed))
    except TransitionRefused:
        messages.warning(request, _("This estimate has already been answered."))
    except OrderChanged:
        # Staff changed the order between loading it here and the update: the estimate may have changed too.
        messages.warning(request, str(EstimateChanged()))
    else:
        if decision == "approve":
            messages.success(request, _("Thank you! We will start the work."))
        else:
            messages.info(request, _("Understood. We will prepare your item for pickup without the repair."))
    return private(redirect("orders:public_status", token=order.public_token))
