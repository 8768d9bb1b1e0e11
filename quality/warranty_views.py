"""Pages of warranty claims: open one from an order (or the device's history), the claims list with the
clients' requests reception confirms, a claim's page, and the client's warranty page (/w/<token>/, the
warranty card's QR code; no account)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from orders.access import order_or_404
from orders.models import Order
from orders.permissions import ActorRefused
from orders.public import (
    TOKEN_CHARACTERS,
    TOKEN_MIN_LENGTH,
    TooMany,
    client_ip,
    private,
    switch_language,
    too_many,
)
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.tenancy.access import (
    TenantRequest,
    activate_tenant_timezone,
    get_for_tenant_or_404,
    tenant_view,
)
from servicedesk.tenancy.roles import Perm, has_perm

from . import warranty
from .forms import ClaimForm, PublicClaimForm, ReasonForm
from .models import WarrantyClaim

PAGE_SIZE = 50
COMEBACK_DAYS = 180  # the period the claims page's comeback rates cover


def _problem_text(problem: Exception) -> str:
    return " ".join(getattr(problem, "messages", [str(problem)]))


def _claim(request: TenantRequest, claim_id: int) -> WarrantyClaim:
    return get_for_tenant_or_404(
        WarrantyClaim.objects.select_related(
            "original__client",
            "original__item",
            "original__service_type",
            "original__tenant",
            "original__intake_location",
            "first_order",
            "order",
            "created_by",
            "decided_by",
        ),
        request.tenant,
        pk=claim_id,
    )


def _to_claim(request: TenantRequest, claim: WarrantyClaim) -> HttpResponse:
    return redirect("quality:claim_detail", tenant_slug=request.tenant.slug, claim_id=claim.pk)


@tenant_view(Perm.ORDERS_CREATE)
@require_http_methods(["GET", "POST"])
def claim_new(request: TenantRequest, order_number: int) -> HttpResponse:
    """The original order's warranty and the claim form (from the order page or the device's history)."""
    order = order_or_404(request, order_number)
    cover = warranty.claim_coverage(order) if order.status == "handed_over" else None
    today = request.tenant.local_date()
    outside = (
        warranty.period_problem(cover, today)
        if cover
        else _("Only an order handed over to the client is under warranty.")
    )
    source = request.GET.get("source") if request.GET.get("source") in {"order", "device"} else "order"
    form = ClaimForm(request.POST or None, initial={"source": source})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = warranty.open_claim(
                order,
                problem=data["problem"],
                by=request.membership,
                source=data["source"],
                override_reason=data["override_reason"],
            )
        except (ValidationError, ActorRefused) as problem:
            form.add_error(None, _problem_text(problem))
        else:
            if claim.status == WarrantyClaim.Status.ACCEPTED and claim.order is not None:
                messages.success(
                    request,
                    _("Warranty claim accepted: order #%(number)s is taken in.")
                    % {"number": claim.order.number},
                )
                return redirect(
                    "orders:detail", tenant_slug=request.tenant.slug, order_number=claim.order.number
                )
            messages.warning(request, _("Claim refused: %(reason)s") % {"reason": claim.refusal_reason})
            return _to_claim(request, claim)
    return render(
        request,
        "quality/claim_form.html",
        {
            "form": form,
            "order": order,
            "cover": cover,
            "outside": outside,
            "today": today,
            "can_override": has_perm(request.membership.role, Perm.WARRANTY_OVERRIDE),
        },
    )


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def claim_list(request: TenantRequest) -> HttpResponse:
    """The clients' requests waiting for reception, then every claim, newest first; comeback rates for managers."""
    tenant = request.tenant
    base = WarrantyClaim.objects.for_tenant(tenant).select_related("original", "order", "original__client")
    waiting = list(base.filter(status=WarrantyClaim.Status.REQUESTED).order_by("created_at", "id")[:100])
    page = keyset_page(
        base.exclude(status=WarrantyClaim.Status.REQUESTED),
        [SortKey("created_at", True), SortKey("id", True)],
        request.GET.get("cursor"),
        PAGE_SIZE,
    )
    context = {
        "waiting": waiting,
        "page": page,
        "rows": page.rows,
        "query": query_without_cursor(request.GET),
    }
    if has_perm(request.membership.role, Perm.REPORTS_VIEW):
        until = timezone.now()
        since = until - timedelta(days=COMEBACK_DAYS)
        context.update(
            comeback_days=COMEBACK_DAYS,
            comebacks=[
                (
                    days,
                    warranty.comeback_rate(tenant, days=days, since=since, until=until),
                    warranty.comeback_rates(tenant, by="technician", days=days, since=since, until=until),
                )
                for days in warranty.COMEBACK_WINDOWS
            ],
        )
    return render(request, "quality/claim_list.html", context)


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def claim_detail(request: TenantRequest, claim_id: int) -> HttpResponse:
    claim = _claim(request, claim_id)
    return render(
        request,
        "quality/claim_detail.html",
        {
            "claim": claim,
            "reason_form": ReasonForm(),
            "can_override": has_perm(request.membership.role, Perm.WARRANTY_OVERRIDE),
        },
    )


@tenant_view(Perm.ORDERS_CREATE)
@require_POST
def claim_decide(request: TenantRequest, claim_id: int, decision: str) -> HttpResponse:
    """confirm (the client's request: the device is here), refuse (with the reason), accept (a manager,
    outside the period, with the reason)."""
    claim = _claim(request, claim_id)
    if decision not in {"confirm", "refuse", "accept"}:
        raise Http404()
    form = ReasonForm(request.POST)
    try:
        if decision == "confirm":
            new_order = warranty.confirm_request(claim, by=request.membership)
            messages.success(
                request,
                _("Warranty claim accepted: order #%(number)s is taken in.") % {"number": new_order.number},
            )
            return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=new_order.number)
        if not form.is_valid():
            messages.error(request, _("Give the reason."))
            return _to_claim(request, claim)
        if decision == "refuse":
            warranty.refuse_request(claim, by=request.membership, reason=form.cleaned_data["reason"])
            messages.success(request, _("The request is refused."))
        else:
            new_order = warranty.accept_anyway(
                claim, by=request.membership, reason=form.cleaned_data["reason"]
            )
            messages.success(
                request,
                _("Warranty claim accepted: order #%(number)s is taken in.") % {"number": new_order.number},
            )
            return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=new_order.number)
    except (ValidationError, ActorRefused) as problem:
        messages.error(request, _problem_text(problem))
    return _to_claim(request, claim)


# --- The client's warranty page -------------------------------------------------------------------


def _warranty_order(request: HttpRequest, token: str) -> Order:
    """The order of a warranty card's link: rate-limited per IP like the status page, the same 404 for
    malformed and unknown tokens."""
    from django.conf import settings

    if is_ratelimited(
        request,
        group="public_status",
        key=lambda group, req: client_ip(req),
        rate=settings.PUBLIC_PAGE_RATE,
        method=is_ratelimited.ALL,
        increment=True,
    ):
        raise TooMany()
    if len(token) < TOKEN_MIN_LENGTH or len(token) > 64 or not TOKEN_CHARACTERS.fullmatch(token):
        raise Http404()
    order = warranty.order_for_token(token)
    if order is None or not order.tenant.is_active:
        raise Http404()
    activate_tenant_timezone(order.tenant)
    return order


# No CSRF check, as on the status page: the unguessable token in the URL is the client's only credential.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def warranty_public(request: HttpRequest, token: str) -> HttpResponse:
    """What the warranty covers until when, and "Report a problem under warranty": a request reception
    confirms when the device is brought in."""
    try:
        order = _warranty_order(request, token)
    except TooMany:
        return too_many()
    if request.method == "GET" and "language" in request.GET:
        return private(switch_language(request, reverse("quality:warranty_public", args=[token])))
    cover = warranty.claim_coverage(order) if order.status == "handed_over" else None
    outside = (
        warranty.period_problem(cover, order.tenant.local_date())
        if cover
        else _("No warranty applies to this order.")
    )
    waiting = WarrantyClaim.objects.filter(
        tenant_id=order.tenant_id, original=order, status=WarrantyClaim.Status.REQUESTED
    ).first()
    form = PublicClaimForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not outside and waiting is None and form.is_valid():
        try:
            warranty.request_claim(order, problem=form.cleaned_data["problem"])
        except ValidationError as problem:
            messages.warning(request, _problem_text(problem))
        else:
            messages.success(
                request, _("Thank you. We have your request and will call you to arrange the repair.")
            )
        return private(redirect("quality:warranty_public", token=token))
    return private(
        render(
            request,
            "quality/warranty_public.html",
            {
                "order": order,
                "center": order.tenant,
                "tenant": None,
                "cover": cover,
                "outside": outside,
                "waiting": waiting,
                "form": form,
                "token": token,
            },
        )
    )
