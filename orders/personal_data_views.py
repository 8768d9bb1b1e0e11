"""Staff pages of a client's personal data: the data report, the erasure request, the retention setting
(the rules are in orders.personal_data)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import personal_data
from .forms import ErasureForm, PersonalDataSettingsForm
from .models import Client, PersonalDataRequest, PersonalDataSettings
from .permissions import ActorRefused


def _requests(client: Client) -> list[PersonalDataRequest]:
    return list(PersonalDataRequest.objects.for_tenant(client.tenant_id).filter(client_id=client.pk)[:50])


@tenant_view(Perm.PERSONAL_DATA)
@require_GET
def client_data_report(request: TenantRequest, client_id: int) -> HttpResponse:
    """Everything held on the client, app by app; ?format=json downloads it as a file for the client.
    Each report is recorded (who produced it, when)."""
    client = get_for_tenant_or_404(Client.objects.select_related("tenant"), request.tenant, pk=client_id)
    sections = personal_data.data_report(client, by=request.membership)
    if request.GET.get("format") == "json":
        body = json.dumps(personal_data.report_json(client, sections), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="client-{client.pk}-data.json"'
        return response
    return render(
        request,
        "orders/client_data_report.html",
        {"client": client, "sections": sections, "requests": _requests(client)},
    )


@tenant_view(Perm.PERSONAL_DATA)
@require_http_methods(["GET", "POST"])
def client_erase(request: TenantRequest, client_id: int) -> HttpResponse:
    """The erasure request: what goes, what is kept and why, the request's reason; then erase_client."""
    client = get_for_tenant_or_404(Client.objects.select_related("tenant"), request.tenant, pk=client_id)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            personal_data.erase_client(client, by=request.membership, reason=form.cleaned_data["reason"])
        except (ValidationError, ActorRefused) as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("The client's personal data is erased. Their orders and documents are kept, anonymised."),
            )
            return redirect("orders:client_detail", tenant_slug=request.tenant.slug, client_id=client.pk)
        client.refresh_from_db()
    return render(
        request,
        "orders/client_erase.html",
        {
            "client": client,
            "form": form,
            "problem": personal_data.erasure_problem(client),
            "holders": personal_data.holders(),
            "requests": _requests(client),
        },
    )


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def personal_data_settings(request: TenantRequest) -> HttpResponse:
    """The center's retention rule: anonymise clients inactive for N years (0: never)."""
    instance = PersonalDataSettings.for_tenant(request.tenant)
    form = PersonalDataSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        rule.tenant = request.tenant
        rule.updated_by = request.user
        rule.save()
        messages.success(request, _("Retention setting saved."))
        return redirect("orders:personal_data_settings", tenant_slug=request.tenant.slug)
    return render(request, "orders/personal_data_settings.html", {"form": form})
