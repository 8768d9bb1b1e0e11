"""The owner's audit log page: newest first, filtered by action, 50 a page (keyset on id)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from servicedesk.tenancy.access import TenantRequest, tenant_view
from servicedesk.tenancy.models import AuditEntry
from servicedesk.tenancy.roles import Perm

PAGE = 50


@tenant_view(Perm.TENANT_SETTINGS)
@require_GET
def audit_list(request: TenantRequest) -> HttpResponse:
    entries = AuditEntry.objects.for_tenant(request.tenant).select_related("actor")
    action = request.GET.get("action", "")
    if action in AuditEntry.Action.values:
        entries = entries.filter(action=action)
    else:
        action = ""
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 19:
        entries = entries.filter(pk__lt=int(before))
    page = list(entries.order_by("-id")[: PAGE + 1])
    older = page[PAGE - 1].pk if len(page) > PAGE else None
    return render(
        request,
        "api/audit.html",
        {"entries": page[:PAGE], "older": older, "action": action, "actions": AuditEntry.Action.choices},
    )
