"""The client's public status page: /s/<token>/, no account.

Same 404 for unknown and expired tokens; no full name, phone or address; no internal notes; no-referrer,
no-store and noindex; rate-limited per client IP.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import re
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from servicedesk import fragments
from servicedesk.compiled import CompiledQuery
from servicedesk.csrf import fresh_token
from servicedesk.public import TooMany, client_ip, first_visit_language, private, switch_language, too_many
from servicedesk.tenancy.access import activate_tenant_timezone, activate_time_zone

from .lifecycle import EstimateOutdated, OrderChanged, TransitionRefused, transition
from .models import (
    STAGE_OF_STATUS,
    Estimate,
    EstimateLine,
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    Stage,
    client_language,
)
from .money import EstimateChanged, current_estimate
from .services import link_works_until, mask_name, public_link_works

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


def _refused(request: HttpRequest, token: str) -> None:
    """The checks before any look-up: the rate limit per IP (TooMany), then the token's shape (404)."""
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


def _link_order(token: str) -> QuerySet[Order]:
    return Order.objects.select_related("tenant", "item", "service_type", "intake_location", "client").filter(
        public_token=token
    )


def guarded_order(request: HttpRequest, token: str, *, checked: bool = False) -> Order:
    """The order a public link points to, for every /s/<token>/ page (also the quality app's feedback page):
    rate-limited per IP (TooMany), 404 for malformed, unknown and expired tokens alike. `checked`: the
    request already went through _refused (counted once against the rate)."""
    if not checked:
        _refused(request, token)
    order = _link_order(token).first()
    if order is None or not public_link_works(order) or not order.tenant.is_active:
        raise Http404()
    activate_tenant_timezone(order.tenant)
    first_visit_language(request, order.client.preferred_language(order.tenant))
    return order


@require_GET
def public_status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        _refused(request, token)
    except TooMany:
        return too_many()
    shown = _shown_values(request, token)
    if shown is None or "language" in request.GET or len(messages.get_messages(request)):
        # Unknown and expired links, the language switch and a page with a message (after the client's
        # decision) take the ordinary way; so does a page the cache cannot serve (see _shown_values).
        return _public_status(request, token)
    key = _body_key(token, shown)
    body = cache.get(key)
    if body is None:
        return _with_csrf_token(request, _public_status(request, token, store_under=key))
    return private(HttpResponse(_csrf_filled(request, body)))


def _public_status(request: HttpRequest, token: str, store_under: str = "") -> HttpResponse:
    """The page rendered afresh; with `store_under`, its body is cached under that key if the values it
    shows are still the ones the key was made of (they did not change while it rendered)."""
    order = guarded_order(request, token, checked=True)
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
    if not store_under:
        return private(render(request, "orders/public_status.html", context))
    # The body is cached without the visitor's CSRF token (base.html puts one in every page): a placeholder
    # stands for it and each response gets its own (_with_csrf_token).
    context["csrf_token"] = fragments.csrf_placeholder()
    response = private(render(request, "orders/public_status.html", context))
    shown = _shown_values(request, token)
    if shown is not None and _body_key(token, shown) == store_under:
        cache.set(store_under, response.content, PUBLIC_STATUS_CACHE_SECONDS)
    return response


# --- The status page from the cache (issue 12, "Fast pages") ---------------------------------------------
# A client reloads the page often and it changes a few times in an order's life, so its body is cached under
# a key made of every value it shows: every column of the order, what the page shows of its center, client,
# item, service and reception (SHOWN_AROUND_THE_ORDER), all columns of its public events and, while it waits
# for an answer, of its estimates and their lines; the language, the time zone and the code's digest. They
# are read by queries compiled once per process (servicedesk.compiled): about 0.2 ms instead of the ORM's
# 2 ms. A value that changes gives another key, so the page is never stale; old keys expire. After handover the page
# shows the client's feedback and the documents other apps offer (register_public_links): it is rendered
# every time. The rate limit, the link's expiry and the center's being active are checked on every request.
PUBLIC_STATUS_CACHE_SECONDS = 600
# Templates, translations and Python change with a deployment: the key carries the code's digest
# (servicedesk.fragments.code_digest, as the cached rows do), the same in every worker of one release.


# What the page shows of the rows around the order (and what picks its language and time zone). A value the
# template starts to show must be added here: tests/orders/test_public_cache.py changes each of them.
SHOWN_AROUND_THE_ORDER = (
    "tenant__is_active",
    "tenant__name",
    "tenant__phone",
    "tenant__currency",
    "tenant__diagnostic_fee",
    "tenant__time_zone",
    "tenant__language",
    "client__name",
    "client__language",
    "item__kind",
    "item__brand",
    "item__model",
    "service_type__name",
    "intake_location__name",
    "intake_location__address",
    "intake_location__opening_hours",
    "intake_location__phone",
)


@functools.cache
def _order_columns() -> tuple[str, ...]:
    """Every column of the order, then what the page shows of its center, client, item, service and
    reception."""
    return tuple(field.attname for field in Order._meta.concrete_fields) + SHOWN_AROUND_THE_ORDER


@functools.cache
def _decisive_columns() -> tuple[int, ...]:
    """Where the values _shown_values decides on stand in the order's row."""
    names = (
        "status",
        "public_token_expires_at",
        "tenant__is_active",
        "tenant__time_zone",
        "client__language",
        "tenant__language",
        "id",
    )
    return tuple(_order_columns().index(name) for name in names)


def _order_and_events(parts: list[str]) -> str:
    """One statement: the order's row, and one more column with its public events (every column of each, the
    newest first) as a JSON text made by the database. The key needs the events' values, never the events
    as objects: a text the database wrote costs less than 13 columns of 50 rows taken apart and put together
    in Python (or a second statement). An order without events has NULL (PostgreSQL) or "[]" (SQLite)."""
    order_sql, events_sql = parts  # in this order in the statement too: their parameters follow each other
    if connection.vendor == "postgresql":
        events = "json_agg(shown_event ORDER BY shown_event.created_at DESC, shown_event.id DESC)::text"
    else:  # SQLite: json_group_array takes the rows in the subquery's order
        columns = ", ".join(f"shown_event.{connection.ops.quote_name(name)}" for name in _event_columns())
        events = f"json_group_array(json_array({columns}))"
    return (
        f"SELECT shown_order.*, shown_events.events FROM ({order_sql}) shown_order "
        f"CROSS JOIN (SELECT {events} AS events FROM ({events_sql}) shown_event) shown_events"
    )


@functools.cache
def _event_columns() -> tuple[str, ...]:
    return tuple(field.attname for field in OrderEvent._meta.concrete_fields)  # its columns' names too


# The order's row and its newest 50 public events, found by the token: one statement (two ran one after the
# other before: the order's, then its events').
_ORDER_AND_EVENT_ROWS = CompiledQuery(
    lambda token: (
        Order.objects.filter(public_token=token).order_by().values_list(*_order_columns()),
        OrderEvent.objects.filter(order__public_token=token, is_public=True, kind__in=PUBLIC_EVENT_KINDS)
        .order_by("-created_at", "-id")
        .values_list(*_event_columns())[:50],
    ),
    "0" * TOKEN_MIN_LENGTH,
    combine=_order_and_events,
)
_ESTIMATE_ROWS = CompiledQuery(
    lambda order_id: Estimate.objects.filter(order_id=order_id).order_by("id").values_list(), -1
)
_ESTIMATE_LINE_ROWS = CompiledQuery(
    lambda order_id: EstimateLine.objects.filter(estimate__order_id=order_id).order_by("id").values_list(), -1
)


def _shown_values(request: HttpRequest, token: str) -> tuple | None:
    """Every value the page would show for this link, as the database holds them, with the language and
    time zone activated as guarded_order does; None when the cache cannot serve it: no such order, an
    expired link or an inactive center (the ordinary way answers 404), or an order handed over."""
    found = _ORDER_AND_EVENT_ROWS.rows(token)
    if not found:
        return None
    row, events = found[0][:-1], found[0][-1]
    status, expires_at, is_active, time_zone, language, center_language, order_id = (
        _ORDER_AND_EVENT_ROWS.values(row, _decisive_columns())
    )
    if status == OrderStatus.HANDED_OVER or not link_works_until(expires_at) or not is_active:
        return None
    activate_time_zone(time_zone)
    first_visit_language(request, client_language(language, center_language))
    estimates: tuple = ()
    if status == OrderStatus.AWAITING_APPROVAL:
        estimates = (tuple(_ESTIMATE_ROWS.rows(order_id)), tuple(_ESTIMATE_LINE_ROWS.rows(order_id)))
    return (row, events, estimates)


def _body_key(token: str, shown: tuple) -> str:
    """The cache key: the link, the build, the active language and time zone, and every shown value."""
    digest = hashlib.blake2b(pickle.dumps(shown, protocol=5), digest_size=20).hexdigest()
    language, zone = translation.get_language(), timezone.get_current_timezone_name()
    return f"public-status:{fragments.code_digest()}:{token}:{language}:{zone}:{digest}"


def _csrf_filled(request: HttpRequest, body: bytes) -> bytes:
    """The body with this visitor's own CSRF token where the placeholder stands (getting it sets the cookie)."""
    placeholder = fragments.csrf_placeholder().encode()
    return body.replace(placeholder, fresh_token(request).encode()) if placeholder in body else body


def _with_csrf_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    response.content = _csrf_filled(request, response.content)
    return response


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
