"""The owner's webhook pages: endpoints (add, edit, pause state, resume, delete, secret), each one's
delivery log with resend. Writes go through api/webhooks.py, which checks the actor."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orders.permissions import ActorRefused
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import webhooks
from .forms import WebhookEndpointForm
from .models import WebhookDelivery, WebhookEndpoint

LOG_PAGE = 50


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def endpoint_list(request: TenantRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint = webhooks.create_endpoint(
                request.tenant,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                by=request.membership,
            )
        except (ValidationError, ActorRefused) as problem:
            form.add_error(None, " ".join(problem.messages))
        else:
            messages.success(request, _("Webhook endpoint added. Copy its signing secret below."))
            return redirect("webhooks:detail", tenant_slug=request.tenant.slug, endpoint_id=endpoint.pk)
    endpoints = WebhookEndpoint.objects.for_tenant(request.tenant)[:100]
    return render(request, "api/webhooks.html", {"form": form, "endpoints": endpoints})


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_tenant_or_404(WebhookEndpoint, request.tenant, pk=endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhooks.update_endpoint(
                endpoint,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                by=request.membership,
            )
        except (ValidationError, ActorRefused) as problem:
            form.add_error(None, " ".join(problem.messages))
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("webhooks:detail", tenant_slug=request.tenant.slug, endpoint_id=endpoint.pk)
    deliveries = WebhookDelivery.objects.for_tenant(request.tenant).filter(endpoint=endpoint)
    state = request.GET.get("state", "")
    if state in WebhookDelivery.State.values:
        deliveries = deliveries.filter(state=state)
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 19:
        deliveries = deliveries.filter(pk__lt=int(before))
    page = list(deliveries.order_by("-id")[: LOG_PAGE + 1])
    more = len(page) > LOG_PAGE
    page = page[:LOG_PAGE]
    response = render(
        request,
        "api/webhook_detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "deliveries": page,
            "older": page[-1].pk if more else None,
            "state": state,
            "states": WebhookDelivery.State.choices,
        },
    )
    response["Cache-Control"] = "no-store"  # the page shows the signing secret
    return response


@tenant_view(Perm.TENANT_SETTINGS)
@require_POST
def endpoint_delete(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_tenant_or_404(WebhookEndpoint, request.tenant, pk=endpoint_id)
    webhooks.delete_endpoint(endpoint, by=request.membership)
    messages.success(request, _("Webhook endpoint deleted."))
    return redirect("webhooks:list", tenant_slug=request.tenant.slug)


@tenant_view(Perm.TENANT_SETTINGS)
@require_POST
def endpoint_resume(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_tenant_or_404(WebhookEndpoint, request.tenant, pk=endpoint_id)
    webhooks.resume_endpoint(endpoint, by=request.membership)
    messages.success(request, _("Webhook endpoint resumed."))
    return redirect("webhooks:detail", tenant_slug=request.tenant.slug, endpoint_id=endpoint.pk)


@tenant_view(Perm.TENANT_SETTINGS)
@require_POST
def endpoint_rotate(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_tenant_or_404(WebhookEndpoint, request.tenant, pk=endpoint_id)
    webhooks.rotate_secret(endpoint, by=request.membership)
    messages.success(request, _("A new signing secret is in force: give it to the receiver."))
    return redirect("webhooks:detail", tenant_slug=request.tenant.slug, endpoint_id=endpoint.pk)


@tenant_view(Perm.TENANT_SETTINGS)
@require_POST
def delivery_resend(request: TenantRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = get_for_tenant_or_404(WebhookEndpoint, request.tenant, pk=endpoint_id)
    delivery = get_for_tenant_or_404(WebhookDelivery, request.tenant, pk=delivery_id, endpoint=endpoint)
    try:
        webhooks.resend(delivery, by=request.membership)
    except webhooks.ResendRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Queued to be sent again."))
    return redirect("webhooks:detail", tenant_slug=request.tenant.slug, endpoint_id=endpoint.pk)
