"""Pages of internal audits (managers): the audits and open findings, an audit's checklist and findings,
and the after-sales settings (NPS question, complaint deadline, the weekly sample)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.permissions import ActorRefused
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import audits
from .forms import AfterSalesSettingsForm, AuditForm, CloseFindingForm, FindingForm
from .models import AUDIT_CHECKS, AfterSalesSettings, Audit, AuditFinding

PAGE_SIZE = 50
SCORE_DAYS = 90


def _problem_text(problem: Exception) -> str:
    return " ".join(getattr(problem, "messages", [str(problem)]))


def _audit(request: TenantRequest, audit_id: int) -> Audit:
    return get_for_tenant_or_404(
        Audit.objects.select_related(
            "order__client",
            "order__item",
            "order__service_type",
            "order__technician__user",
            "auditor__user",
            "technician__user",
            "service_type",
        ),
        request.tenant,
        pk=audit_id,
    )


def _to_audit(request: TenantRequest, audit: Audit) -> HttpResponse:
    return redirect("quality:audit_detail", tenant_slug=request.tenant.slug, audit_id=audit.pk)


@tenant_view(Perm.AUDITS)
@require_GET
def audit_list(request: TenantRequest) -> HttpResponse:
    """Audits, the open ones first; the open findings by due date; scores per technician."""
    tenant = request.tenant
    base = Audit.objects.for_tenant(tenant).select_related(
        "order", "auditor__user", "technician__user", "service_type"
    )
    to_do = list(base.exclude(status=Audit.Status.DONE).order_by("week", "id")[:200])
    page = keyset_page(
        base.filter(status=Audit.Status.DONE),
        [SortKey("created_at", True), SortKey("id", True)],
        request.GET.get("cursor"),
        PAGE_SIZE,
    )
    findings = list(
        audits.open_findings(tenant)
        .select_related("audit__order", "responsible__user")
        .order_by("due_date", "id")[:200]
    )
    now = timezone.now()
    return render(
        request,
        "quality/audit_list.html",
        {
            "to_do": to_do,
            "page": page,
            "rows": page.rows,
            "query": query_without_cursor(request.GET),
            "findings": findings,
            "today": tenant.local_date(),
            "score_days": SCORE_DAYS,
            "scores": audits.audit_scores(tenant, since=now - timedelta(days=SCORE_DAYS), until=now),
            "settings": AfterSalesSettings.for_tenant(tenant),
        },
    )


@tenant_view(Perm.AUDITS)
@require_POST
def audit_draw(request: TenantRequest) -> HttpResponse:
    """Draw last week's sample now (the periodic task does it by itself; once per week either way)."""
    tenant = request.tenant
    last_week = audits.week_start(tenant.local_date()) - timedelta(days=7)
    drawn = audits.draw_sample(tenant, last_week)
    if drawn:
        messages.success(request, _("%(count)s order(s) drawn for audit.") % {"count": len(drawn)})
    else:
        messages.info(
            request,
            _("Nothing new to draw: last week's sample is drawn already, or no order was handed over."),
        )
    return redirect("quality:audit_list", tenant_slug=tenant.slug)


@tenant_view(Perm.AUDITS)
@require_http_methods(["GET", "POST"])
def audit_detail(request: TenantRequest, audit_id: int) -> HttpResponse:
    audit = _audit(request, audit_id)
    form = AuditForm(
        request.POST or None, answers=audit.answers, initial={"version": audit.version, "notes": audit.notes}
    )
    if request.method == "POST" and form.is_valid():
        try:
            audits.save_answers(
                audit,
                by=request.membership,
                answers=form.answers(),
                notes=form.cleaned_data["notes"],
                expected_version=form.cleaned_data["version"],
                complete="complete" in request.POST,
            )
        except (ValidationError, ActorRefused, audits.AuditChanged) as problem:
            form.add_error(None, _problem_text(problem))
        else:
            messages.success(
                request,
                _("Audit %(ref)s done: score %(score)s%%.") % {"ref": audit, "score": audit.score}
                if audit.status == Audit.Status.DONE
                else _("Answers saved."),
            )
            return _to_audit(request, audit)
    checks = [
        (form[key], audit.suggested.get(key), audit.answers.get(key), label)
        for key, label in AUDIT_CHECKS.items()
    ]
    return render(
        request,
        "quality/audit_detail.html",
        {
            "audit": audit,
            "order": audit.order,
            "form": form,
            "checks": checks,
            "findings": audit.findings.filter(tenant=request.tenant).select_related(
                "responsible__user", "closed_by"
            ),
            "finding_form": FindingForm(tenant=request.tenant, auto_id="id_finding_%s"),
            "close_form": CloseFindingForm(),
            "today": request.tenant.local_date(),
        },
    )


@tenant_view(Perm.AUDITS)
@require_POST
def finding_add(request: TenantRequest, audit_id: int) -> HttpResponse:
    audit = _audit(request, audit_id)
    form = FindingForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        data = form.cleaned_data
        try:
            audits.add_finding(
                audit,
                by=request.membership,
                severity=data["severity"],
                description=data["description"],
                corrective_action=data["corrective_action"],
                responsible=data["responsible"],
                due_date=data["due_date"],
            )
        except (ValidationError, ActorRefused) as problem:
            messages.error(request, _problem_text(problem))
        else:
            messages.success(request, _("Finding recorded."))
    else:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
    return _to_audit(request, audit)


@tenant_view(Perm.AUDITS)
@require_POST
def finding_close(request: TenantRequest, finding_id: int) -> HttpResponse:
    finding = get_for_tenant_or_404(
        AuditFinding.objects.select_related("audit"), request.tenant, pk=finding_id
    )
    form = CloseFindingForm(request.POST)
    if form.is_valid():
        try:
            audits.close_finding(finding, by=request.membership, note=form.cleaned_data["note"])
        except (ValidationError, ActorRefused) as problem:
            messages.error(request, _problem_text(problem))
        else:
            messages.success(request, _("Finding closed."))
    else:
        messages.error(request, _("Write what was done."))
    if request.POST.get("next") == "list":
        return redirect("quality:audit_list", tenant_slug=request.tenant.slug)
    return _to_audit(request, finding.audit)


@tenant_view(Perm.COMPLAINTS_MANAGE)
@require_http_methods(["GET", "POST"])
def aftersales_settings(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = AfterSalesSettingsForm(
        request.POST or None, instance=AfterSalesSettings.for_tenant(tenant), tenant=tenant
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:  # saved a moment ago by someone else: theirs stands
            messages.error(
                request, _("Someone saved these settings meanwhile. Reload the page and try again.")
            )
        else:
            messages.success(request, _("After-sales settings saved."))
            return redirect("quality:aftersales_settings", tenant_slug=tenant.slug)
    return render(request, "quality/aftersales_settings.html", {"form": form})
