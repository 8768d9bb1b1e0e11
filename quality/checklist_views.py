"""Pages of checklists: the managers' list and editor (with the center's quality rules), and an order's
checklist as the technician fills it in on the phone (one htmx save per item)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orders.access import order_or_404
from orders.models import Order, ServiceType
from orders.permissions import ActorRefused, actor_problem
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import checklists, checks
from .checklist_forms import AnswerForm, ChecklistItemFormSet, ChecklistVersionForm, QualitySettingsForm
from .models import ChecklistItem, ChecklistVersion, QualitySettings


def _say_errors(request: TenantRequest, *errors: Exception) -> None:
    for error in errors:
        for text in getattr(error, "messages", None) or [str(error)]:
            messages.error(request, text)


# --- Managers: the checklists and the center's rule -------------------------------------------------
@tenant_view(Perm.CATALOGUE_MANAGE)
@require_http_methods(["GET", "POST"])
def checklist_list(request: TenantRequest) -> HttpResponse:
    """Every service type with its checklist in force, the independent-check rule, and rework by technician."""
    tenant = request.tenant
    current = QualitySettings.for_tenant(tenant)
    form = QualitySettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        checks.save_settings(
            tenant, independent_check=form.cleaned_data["independent_check"], by=request.membership
        )
        messages.success(request, _("Quality rules saved."))
        return redirect("quality:checklists", tenant_slug=tenant.slug)
    types = list(ServiceType.objects.for_tenant(tenant).order_by("-is_active", "name")[:500])
    # The version in force of each service: its newest (one query, however many versions were saved).
    latest = (
        ChecklistVersion.objects.filter(tenant=tenant, service_type=OuterRef("service_type"))
        .order_by("-number")
        .values("pk")[:1]
    )
    newest: dict[int, ChecklistVersion] = {
        v.service_type_id: v
        for v in ChecklistVersion.objects.for_tenant(tenant).filter(
            service_type__in=types, pk=Subquery(latest)
        )
    }
    counts: dict[int, dict[str, int]] = {}
    for item in (
        ChecklistItem.objects.for_tenant(tenant)
        .filter(version__in=list(newest.values()))
        .only("version_id", "stage", "required")
    ):
        counts.setdefault(item.version_id, {}).setdefault(item.stage, 0)
        counts[item.version_id][item.stage] += 1
    rows = []
    for service_type in types:
        version = newest.get(service_type.pk)
        per_stage = counts.get(version.pk, {}) if version else {}
        rows.append(
            {
                "service_type": service_type,
                "version": version,
                "total": sum(per_stage.values()),
                "stages": [
                    (checklists.stage_label(stage), per_stage[stage])
                    for stage in checklists.STAGE_ORDER
                    if stage in per_stage
                ],
            }
        )
    return render(
        request,
        "quality/checklists.html",
        {
            "rows": rows,
            "form": form,
            "rework": checks.rework_summary(tenant)[:20],
        },
    )


@tenant_view(Perm.CATALOGUE_MANAGE)
@require_http_methods(["GET", "POST"])
def checklist_edit(request: TenantRequest, service_type_id: int) -> HttpResponse:
    """Edit a service's checklist: add, reorder, change and remove items; saving makes a new version."""
    tenant = request.tenant
    service_type = get_for_tenant_or_404(ServiceType, tenant, pk=service_type_id)
    current = checklists.current_version(service_type)
    items = checklists.version_items(current)

    def plain(number):  # 100.000 shows as 100
        return checklists.plain_number(number) if number is not None else None

    initial = [
        {
            "label": i.label,
            "stage": i.stage,
            "kind": i.kind,
            "required": i.required,
            "min_value": plain(i.min_value),
            "max_value": plain(i.max_value),
            "unit": i.unit,
            "ORDER": n,
        }
        for n, i in enumerate(items, start=1)
    ]
    version_form = ChecklistVersionForm(
        request.POST or None, initial={"version": current.number if current else 0}
    )
    formset = ChecklistItemFormSet(request.POST or None, initial=initial, prefix="items")
    if request.method == "POST":
        if version_form.is_valid() and formset.is_valid():
            kept = [f for f in formset.ordered_forms if f.has_label()]
            data = [
                checklists.ItemData(
                    f.cleaned_data["stage"],
                    f.cleaned_data["kind"],
                    f.cleaned_data["label"],
                    f.cleaned_data["required"],
                    f.cleaned_data["min_value"],
                    f.cleaned_data["max_value"],
                    f.cleaned_data["unit"],
                )
                for f in kept
            ]
            try:
                version = checklists.save_checklist(
                    service_type,
                    data,
                    by=request.membership,
                    expected_version=version_form.cleaned_data["version"],
                )
            except checklists.ChecklistChanged as changed:
                _say_errors(request, changed)
                return redirect(
                    "quality:checklist_edit", tenant_slug=tenant.slug, service_type_id=service_type.pk
                )
            except (ValidationError, ActorRefused) as problem:
                _say_errors(request, problem)
            else:
                if version is None:
                    messages.info(request, _("Nothing changed."))
                else:
                    messages.success(
                        request,
                        _(
                            "Checklist of “%(service)s” saved as version %(version)s. Orders "
                            "already taken in keep the version they started with."
                        )
                        % {"service": service_type.name, "version": version.number},
                    )
                return redirect(
                    "quality:checklist_edit", tenant_slug=tenant.slug, service_type_id=service_type.pk
                )
        elif not version_form.is_valid():
            messages.error(request, _("The form was incomplete. Reload the page and try again."))
    versions = list(
        ChecklistVersion.objects.for_tenant(tenant)
        .filter(service_type=service_type)
        .select_related("created_by")
        .order_by("-number")[:20]
    )
    return render(
        request,
        "quality/checklist_edit.html",
        {
            "service_type": service_type,
            "formset": formset,
            "version_form": version_form,
            "current": current,
            "versions": versions,
            "stages": checklists.STAGE_ORDER,
        },
    )


# --- An order's checklist ---------------------------------------------------------------------------
def _item_context(request: TenantRequest, order: Order, entry: checklists.Entry, error: str = "") -> dict:
    stage = entry.item.stage
    problem = checklists.frozen_reason(order, stage)
    may = actor_problem(request.membership, checklists.ANSWER_PERMS[stage], order) is None
    return {
        "order": order,
        "entry": entry,
        "item": entry.item,
        "answer": entry.answer,
        "frozen": problem,
        "may_answer": may and problem is None,
        "error": error,
        "range": checklists.range_text(entry.item),
    }


def order_checklist_context(
    request: TenantRequest, order: Order, state: checklists.ChecklistState | None
) -> dict:
    stages = []
    if state is not None:
        for stage in state.stages:
            items = [_item_context(request, order, e) for e in stage.entries]
            # Why the stage's items cannot be answered here, said once for the stage.
            note = items[0]["frozen"] or actor_problem(
                request.membership, checklists.ANSWER_PERMS[stage.stage], order
            )
            stages.append({"state": stage, "items": items, "note": note})
    return {"order": order, "state": state, "stages": stages}


@tenant_view(Perm.ORDERS_VIEW)
@require_http_methods(["GET"])
def order_checklist(request: TenantRequest, order_number: int) -> HttpResponse:
    """The order's checklist on the phone: every stage, each item saved on its own as it is answered."""
    order = order_or_404(request, order_number)
    state = checklists.load_state(order)
    return render(
        request,
        "quality/order_checklist.html",
        {
            **order_checklist_context(request, order, state),
            "back": "my_jobs" if request.GET.get("from") == "my_jobs" else "order",
        },
    )


@tenant_view(Perm.ORDERS_VIEW)
@require_POST
def answer(request: TenantRequest, order_number: int, checklist_item_id: int) -> HttpResponse:
    """Save one item's answer. htmx: the item's fragment comes back (with the refusal in it, if any);
    without htmx: back to the checklist with a message."""
    order = order_or_404(request, order_number)
    item = get_for_tenant_or_404(ChecklistItem, request.tenant, pk=checklist_item_id)
    state = checklists.load_state(order)
    entry = state.entry(item.pk) if state else None
    if entry is None:
        raise Http404("Not on this order's checklist.")
    form = AnswerForm(request.POST, request.FILES, kind=item.kind)
    error = ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if "revision" in form.errors:
            error = _("The form was incomplete. Reload the page and try again.")
    else:
        data = form.cleaned_data
        value = checklists.Answer(
            done=data.get("done", False),
            number=data.get("number"),
            text=data.get("text", ""),
            photo=data.get("photo"),
        )
        try:
            checklists.answer_item(
                order, item, value, by=request.membership, expected_revision=data["revision"]
            )
        except (ValidationError, ActorRefused) as problem:
            error = " ".join(getattr(problem, "messages", None) or [str(problem)])
    if request.headers.get("HX-Request") != "true":
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Saved: %(item)s.") % {"item": item.label})
        url = reverse("quality:order_checklist", args=[request.tenant.slug, order.number])
        return redirect(f"{url}#item-{item.pk}")
    order.refresh_from_db(fields=["status", "status_before_hold", "version"])
    state = checklists.load_state(order)
    entry = (state.entry(item.pk) if state else None) or entry
    return render(
        request,
        "quality/_checklist_item.html",
        {
            **_item_context(request, order, entry, error=error),
            "saved": not error,
        },
    )
