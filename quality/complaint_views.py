"""Staff pages of complaints: open one from an order, the managers' list and the case page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.access import order_or_404
from orders.permissions import ActorRefused
from servicedesk.formats import format_datetime
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm, has_perm

from . import complaints
from .forms import CompensationForm, ComplaintFilter, ComplaintForm, HandleComplaintForm
from .models import Complaint

PAGE_SIZE = 50
FIGURES_DAYS = 90


def _problem_text(problem: Exception) -> str:
    return " ".join(getattr(problem, "messages", [str(problem)]))


def _complaint(request: TenantRequest, complaint_id: int) -> Complaint:
    return get_for_tenant_or_404(
        Complaint.objects.select_related(
            "order__client",
            "order__item",
            "order__service_type",
            "order__tenant",
            "order__intake_location",
            "order__technician__user",
            "handler__user",
            "opened_by",
            "closed_by",
            "feedback",
            "rework_order",
        ),
        request.tenant,
        pk=complaint_id,
    )


def _to_complaint(request: TenantRequest, complaint: Complaint) -> HttpResponse:
    return redirect("quality:complaint_detail", tenant_slug=request.tenant.slug, complaint_id=complaint.pk)


@tenant_view(Perm.COMPLAINTS_OPEN)
@require_http_methods(["GET", "POST"])
def complaint_new(request: TenantRequest, order_number: int) -> HttpResponse:
    """Reception or a manager records a complaint the client made by phone, letter or in person."""
    order = order_or_404(request, order_number)
    form = ComplaintForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaints.open_complaint(
                order,
                description=form.cleaned_data["description"],
                source=form.cleaned_data["source"],
                handler=form.cleaned_data["handler"],
                by=request.membership,
            )
        except (ValidationError, ActorRefused) as problem:
            form.add_error(None, _problem_text(problem))
        else:
            messages.success(
                request,
                _("Complaint %(ref)s opened; the answer is due by %(due)s.")
                % {"ref": complaint, "due": format_datetime(complaint.due_at)},
            )
            if has_perm(request.membership.role, Perm.COMPLAINTS_MANAGE):
                return _to_complaint(request, complaint)
            return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=order.number)
    return render(request, "quality/complaint_form.html", {"form": form, "order": order})


@tenant_view(Perm.COMPLAINTS_MANAGE)
@require_GET
def complaint_list(request: TenantRequest) -> HttpResponse:
    """Complaints, open ones first by deadline, with the figures of the last 90 days."""
    base = Complaint.objects.for_tenant(request.tenant)
    params = request.GET.copy()
    params.setdefault("state", "open")
    filterset = ComplaintFilter(params, queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()
    if not filterset.is_valid():
        messages.warning(request, _("The filter was not understood; showing the open complaints."))
        qs = complaints.open_complaints(request.tenant)
    by_deadline = params.get("state") in {"open", "overdue"} or not filterset.is_valid()
    keys = (
        [SortKey("due_at", False), SortKey("id", False)]
        if by_deadline
        else [SortKey("opened_at", True), SortKey("id", True)]
    )
    page = keyset_page(
        qs.select_related("order", "order__client", "handler__user"),
        keys,
        request.GET.get("cursor"),
        PAGE_SIZE,
    )
    now = timezone.now()
    return render(
        request,
        "quality/complaint_list.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": page.rows,
            "query": query_without_cursor(request.GET),
            "figures": complaints.figures(request.tenant, now - timedelta(days=FIGURES_DAYS), now),
            "figures_days": FIGURES_DAYS,
            "now": now,
        },
    )


@tenant_view(Perm.COMPLAINTS_MANAGE)
@require_GET
def complaint_detail(request: TenantRequest, complaint_id: int) -> HttpResponse:
    complaint = _complaint(request, complaint_id)
    return render(
        request,
        "quality/complaint_detail.html",
        {
            "complaint": complaint,
            "order": complaint.order,
            "handle_form": HandleComplaintForm(
                tenant=request.tenant,
                initial={
                    "version": complaint.version,
                    "handler": complaint.handler_id,
                    "status": Complaint.Status.IN_PROGRESS
                    if complaint.status == Complaint.Status.OPEN
                    else complaint.status,
                    "resolution": complaint.resolution,
                },
            ),
            "compensation_form": CompensationForm(initial={"version": complaint.version}),
            "can_compensate": complaint.is_open and not complaint.compensation,
        },
    )


@tenant_view(Perm.COMPLAINTS_MANAGE)
@require_POST
def complaint_handle(request: TenantRequest, complaint_id: int) -> HttpResponse:
    complaint = _complaint(request, complaint_id)
    form = HandleComplaintForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _to_complaint(request, complaint)
    data = form.cleaned_data
    try:
        complaints.handle(
            complaint,
            by=request.membership,
            expected_version=data["version"],
            handler=data["handler"],
            status=data["status"],
            resolution=data["resolution"],
        )
        if data["tell_client"]:
            told = complaints.tell_client(complaint, by=request.membership)
            if told:
                messages.info(request, _("The client will be told (%(count)s message(s)).") % {"count": told})
            else:
                messages.warning(
                    request, _("The client has no e-mail or phone to tell, or does not want messages.")
                )
    except (ValidationError, ActorRefused, complaints.ComplaintChanged) as problem:
        messages.error(request, _problem_text(problem))
    else:
        messages.success(request, _("Complaint %(ref)s saved.") % {"ref": complaint})
    return _to_complaint(request, complaint)


@tenant_view(Perm.COMPLAINTS_MANAGE)
@require_POST
def complaint_compensate(request: TenantRequest, complaint_id: int) -> HttpResponse:
    complaint = _complaint(request, complaint_id)
    form = CompensationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _to_complaint(request, complaint)
    data = form.cleaned_data
    try:
        if data["kind"] == Complaint.Compensation.DISCOUNT:
            complaints.compensate_with_discount(
                complaint, amount=data["amount"], by=request.membership, expected_version=data["version"]
            )
            messages.success(
                request, _("Discount added to order #%(number)s.") % {"number": complaint.order.number}
            )
        else:
            rework = complaints.compensate_with_rework(
                complaint, by=request.membership, problem=data["problem"], expected_version=data["version"]
            )
            messages.success(request, _("Rework order #%(number)s taken in.") % {"number": rework.number})
    except (ValidationError, ActorRefused, complaints.ComplaintChanged) as problem:
        messages.error(request, _problem_text(problem))
    return _to_complaint(request, complaint)
