"""The owner's import pages: choose what the file holds (clients, the service catalogue, parts and stock,
past orders), upload it, see its first rows, map the columns, check (dry run), import; the past imports
with their counts and row-numbered problems (api/imports.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from orders.permissions import ActorRefused
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import imports
from .models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"),
        choices=ImportJob.Kind.choices,
        initial=ImportJob.Kind.CLIENTS,
        required=False,  # a file alone is clients and their devices, as before there were other kinds
        help_text=gettext_lazy(
            "Import the service catalogue before past orders: each order names its service."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("CSV or Excel (.xlsx); the first row names the columns."),
    )


class MappingForm(forms.Form):
    def __init__(self, *args, job: ImportJob, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", "—")] + [
            (str(index), header or _("Column %(number)s") % {"number": index + 1})
            for index, header in enumerate(job.headers)
        ]
        for target in imports.targets_of(job.kind):
            self.fields[target.name] = forms.TypedChoiceField(
                label=str(target.label),
                choices=columns,
                coerce=int,
                empty_value=None,
                required=target.required,
                initial=job.mapping.get(target.name),
            )


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def import_list(request: TenantRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.upload(
                request.tenant,
                form.cleaned_data["file"],
                by=request.membership,
                kind=form.cleaned_data["kind"] or ImportJob.Kind.CLIENTS,
            )
        except (imports.ImportRefused, ActorRefused) as problem:
            form.add_error("file", str(problem))
        else:
            return redirect("imports:detail", tenant_slug=request.tenant.slug, import_id=job.pk)
    jobs = list(ImportJob.objects.for_tenant(request.tenant).select_related("created_by")[:50])
    rows = [(job, imports.summary(job) if job.state == ImportJob.State.DONE else "") for job in jobs]
    return render(request, "api/imports.html", {"form": form, "rows": rows})


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def import_detail(request: TenantRequest, import_id: int) -> HttpResponse:
    job = get_for_tenant_or_404(ImportJob, request.tenant, pk=import_id)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "check")
        try:
            imports.set_mapping(job, form.cleaned_data, by=request.membership)
        except ValidationError as problem:
            form.add_error(None, " ".join(problem.messages))
        else:
            if imports.start(job, dry_run=action != "import", by=request.membership):
                messages.success(request, _("Checking the rows.") if action != "import" else _("Importing."))
            else:
                messages.error(request, _("This file is being processed or is imported already."))
            return redirect("imports:detail", tenant_slug=request.tenant.slug, import_id=job.pk)
    job.refresh_from_db()
    busy = job.state in (ImportJob.State.CHECKING, ImportJob.State.IMPORTING)
    return render(
        request,
        "api/import_detail.html",
        {
            "job": job,
            "form": form,
            "busy": busy,
            "progress": int(100 * job.processed / job.row_count) if job.row_count else 0,
            "can_run": job.state
            in (ImportJob.State.UPLOADED, ImportJob.State.CHECKED, ImportJob.State.FAILED),
            "valid_rows": max(job.row_count - job.error_count, 0),
            "summary": imports.summary(job),
        },
    )
