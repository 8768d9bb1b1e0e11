"""The owner's page of API keys: make one (shown once), see when each was last used, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orders.permissions import ActorRefused
from servicedesk.tenancy.access import get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import MATRIX, Perm, Role, has_perm

from . import keys
from .forms import ApiKeyForm
from .models import ApiKey


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def key_list(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            api_key, created = keys.create_key(
                request.tenant,
                name=data["name"],
                role=data["role"],
                expires_at=data["expires_at"],
                by=request.membership,
            )
        except (ValidationError, ActorRefused) as problem:
            form.add_error(None, " ".join(problem.messages))
        else:
            messages.success(
                request,
                _("API key “%(name)s” is made. Copy it now: it is not shown again.") % {"name": api_key.name},
            )
            form = ApiKeyForm()
    response = render(
        request,
        "api/keys.html",
        {
            "form": form,
            "created": created,
            "api_keys": ApiKey.objects.for_tenant(request.tenant).select_related("created_by")[:500],
            "roles": [(role, [MATRIX[p][1] for p in Perm if has_perm(role, p)]) for role in Role],
        },
    )
    if created:
        response["Cache-Control"] = "no-store"  # the page holds the key: no copy in any cache
    return response


@tenant_view(Perm.TENANT_SETTINGS)
@require_POST
def key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = get_for_tenant_or_404(ApiKey, request.tenant, pk=api_key_id)
    if api_key.revoked_at is None:
        keys.revoke_key(api_key, by=request.membership)
        messages.success(
            request, _("API key “%(name)s” is revoked: it no longer works.") % {"name": api_key.name}
        )
    return redirect("api_keys:list", tenant_slug=request.tenant.slug)
