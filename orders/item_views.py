"""Staff pages of devices: the intake's search by serial / IMEI / VIN, a device's history of orders, and
corrections of its details (orders.items)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.privacy import consent_is_current
from servicedesk.tenancy.roles import Perm, has_perm

from . import items
from .forms import ItemForm
from .models import Item, Order
from .permissions import ActorRefused


def _item(request: TenantRequest, item_id: int) -> Item:
    return get_for_tenant_or_404(Item.objects.select_related("client"), request.tenant, pk=item_id)


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def item_search(request: TenantRequest) -> HttpResponse:
    """Intake: devices whose serial contains what is being typed (htmx, like the phone look-up)."""
    query = request.GET.get("item_serial") or request.GET.get("q", "")
    found = list(items.find_items(request.tenant, query))
    return render(
        request,
        "orders/_item_matches.html",
        {
            "found": found,
            "query": query[:64],
            "today": request.tenant.local_date(),
            "searched": len(items.normalise_serial(query)) >= items.MIN_SERIAL_QUERY,
        },
    )


def picked_item_context(request: TenantRequest, item: Item) -> dict:
    """What orders/_item_picked.html shows of a device picked at intake: its last visits and warranty."""
    visits = list(items.item_orders(item)[:10])
    warranty = items.latest_warranty(visits, request.tenant.local_date())
    return {"item": item, "visits": visits, "warranty": warranty, "claim_url": items.claim_url(warranty)}


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def item_pick(request: TenantRequest, item_id: int) -> HttpResponse:
    """Intake: this device is back. Its client comes with it; its earlier orders and warranty show."""
    item = _item(request, item_id)
    context = picked_item_context(request, item)
    return render(
        request,
        "orders/_item_picked.html",
        {
            **context,
            "client": item.client,
            "recent": context["visits"][:5],
            "consent_current": consent_is_current(item.client),
            "oob": True,
        },
    )


@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def item_detail(request: TenantRequest, item_id: int) -> HttpResponse:
    """The device's history: every order on it, newest first, with returns and the warranty in force."""
    item = _item(request, item_id)
    visits = list(items.item_orders(item)[:500])
    role = request.membership.role
    warranty = items.latest_warranty(visits, request.tenant.local_date())
    return render(
        request,
        "orders/item_detail.html",
        {
            "item": item,
            "warranty": warranty,
            "claim_url": items.claim_url(warranty),
            "visits": [(visit, items.claim_url(visit)) for visit in visits],
            "can_edit": has_perm(role, Perm.ORDERS_CREATE),
            "can_see_client": has_perm(role, Perm.CLIENTS_VIEW),
        },
    )


@tenant_view(Perm.ORDERS_CREATE)
@require_http_methods(["GET", "POST"])
def item_edit(request: TenantRequest, item_id: int) -> HttpResponse:
    """Correct the device's details; the change goes on the timeline of the order it is corrected from
    (?order=<number>), else of its latest order."""
    item = _item(request, item_id)
    number = (request.POST if request.method == "POST" else request.GET).get("order", "")
    order = None
    if number.isdigit() and len(number) < 10:
        order = Order.objects.for_tenant(request.tenant).filter(number=int(number), item=item).first()
    form = ItemForm(
        request.POST or None,
        instance=Item(
            tenant=request.tenant,
            client=item.client,
            kind=item.kind,
            brand=item.brand,
            model=item.model,
            serial=item.serial,
        ),
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in items.EDITABLE_FIELDS}
        try:
            changed = items.edit_item(item, changes=changes, by=request.membership, order=order)
        except (ValidationError, ActorRefused) as problem:
            form.add_error(None, " ".join(getattr(problem, "messages", [str(problem)])))
        else:
            messages.success(request, _("Item details saved.") if changed else _("Nothing changed."))
            if order is not None:
                return redirect("orders:detail", tenant_slug=request.tenant.slug, order_number=order.number)
            return redirect("orders:item_detail", tenant_slug=request.tenant.slug, item_id=item.pk)
    return render(request, "orders/item_form.html", {"form": form, "item": item, "order": order})
