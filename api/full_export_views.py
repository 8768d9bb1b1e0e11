"""The owner's full export page: ask for the center's ZIP, follow it being built (htmx polls the list
while one is running), download it for 24 hours (api/full_export.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.files import File
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from orders.permissions import ActorRefused
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import full_export
from .models import CenterExport

LISTED = 20


def _context(request: TenantRequest) -> dict:
    exports = list(
        CenterExport.objects.for_tenant(request.tenant)
        .select_related("requested_by")
        .order_by("-id")[:LISTED]
    )
    return {
        "exports": exports,
        "running": any(export.is_running for export in exports),
        "max_mb": settings.CENTER_EXPORT_MAX_BYTES // (1024 * 1024),
        "now": timezone.now(),
    }


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def export_page(request: TenantRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            full_export.request_full_export(request.membership)
        except (full_export.ExportRefused, ActorRefused) as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, _("The export is being prepared: this page shows when it is ready."))
        return redirect("full_export:page", tenant_slug=request.tenant.slug)
    return render(request, "api/full_export.html", _context(request))


@tenant_view(Perm.TENANT_SETTINGS)
@require_GET
def export_status(request: TenantRequest) -> HttpResponse:
    """The list alone, for htmx to swap in while an export is being built."""
    return render(request, "api/_full_export_list.html", _context(request))


def _not_here(request: TenantRequest, export: CenterExport, status: int) -> HttpResponse:
    reason = full_export.unavailable(export, request.tenant, missing=True)
    return render(request, "api/full_export_gone.html", {"export": export, "reason": reason}, status=status)


@tenant_view(Perm.TENANT_SETTINGS)
@require_GET
def export_download(request: TenantRequest, export_id: int) -> HttpResponseBase:
    export = get_for_tenant_or_404(CenterExport, request.tenant, pk=export_id)
    if export.is_running or export.state == CenterExport.State.FAILED:
        return _not_here(request, export, 409)
    if not export.is_downloadable:
        return _not_here(request, export, 410)  # expired: the file is (or is about to be) deleted
    try:
        handle = export.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        return _not_here(request, export, 410)
    return download(request, export, handle)


def download(request: TenantRequest, export: CenterExport, handle: File) -> FileResponse:
    """The export's ZIP as an attachment named by the center and the hour it was made, the download recorded
    (the page and the API both answer with it)."""
    full_export.record_download(export, request.membership)
    stamp = timezone.localtime(export.ready_at, request.tenant.tz).strftime("%Y%m%d-%H%M")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{request.tenant.slug}-full-export-{stamp}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response
