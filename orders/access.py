"""How other apps' views reach an order: one scoped fetch by number, one way back to its page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect

from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404

from .models import Order

# What an order's pages and cards show of it: fetched with the order, never one query per field.
ORDER_RELATED = (
    "client",
    "item",
    "service_type",
    "intake_location",
    "workshop",
    "technician__user",
    "created_by",
    "warranty_of",
)


def order_or_404(request: TenantRequest, number: int) -> Order:
    """The center's order with this number, else 404 (another center's number is simply unknown)."""
    order = get_for_tenant_or_404(Order.objects.select_related(*ORDER_RELATED), request.tenant, number=number)
    order.tenant = request.tenant  # spares a query wherever the order's tenant is read
    return order


def to_order(request: TenantRequest, order: Order) -> HttpResponse:
    return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=order.number)
