"""Staff pages of orders: list, intake, order page and its actions, clients, catalogue."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.images import image_response
from servicedesk.pagecache import cached_page
from servicedesk.pagination import SortKey, bounded_count, keyset_page, query_without_cursor
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.privacy import consent_is_current
from servicedesk.tenancy.roles import Perm, has_perm
from servicedesk.tenancy.starter import STARTER_CATALOGUES
from servicedesk.web import say_form_errors

from . import catalogues, money, services, setup, visits
from .access import order_or_404, to_order
from .dashboard import dashboard_context
from .filters import PRESETS, OrderFilter
from .forms import (
    AssignForm,
    ClientForm,
    EstimateForm,
    IntakeForm,
    LineItemForm,
    NoteForm,
    OrderEditForm,
    PaymentForm,
    PhotoForm,
    ServiceTypeForm,
    TransitionForm,
    intake_data,
)
from .item_views import picked_item_context
from .lifecycle import (
    TRANSITIONS,
    OrderChanged,
    TransitionRefused,
    available_actions,
    prepare_guards,
    transition,
)
from .models import Client, Estimate, LineItem, Order, OrderEvent, ServiceType
from .permissions import ActorRefused, actor_problem
from .presentation import language_label, order_qr_data_uri, public_status_url

PAGE_SIZE = 50
SORTS: dict[str, tuple[str | Promise, list[SortKey]]] = {
    "-created": (gettext_lazy("Newest first"), [SortKey("created_at", True), SortKey("id", True)]),
    "created": (gettext_lazy("Oldest first"), [SortKey("created_at", False), SortKey("id", False)]),
    "promised": (gettext_lazy("Promised date"), [SortKey("promised_at", False), SortKey("id", False)]),
    "sla": (gettext_lazy("Next SLA deadline"), [SortKey("sla_due_at", False), SortKey("id", False)]),
    "-priority": (
        gettext_lazy("Priority"),
        [SortKey("priority", True), SortKey("created_at", True), SortKey("id", True)],
    ),
    "-number": (gettext_lazy("Number"), [SortKey("number", True)]),
}


LIST_COLUMNS = [
    "tenant_id",
    "number",
    "status",
    "priority",
    "promised_at",
    "sla_state",
    "sla_due_at",
    "total_amount",
    "paid_amount",
    "created_at",
    "client__name",
    "item__kind",
    "item__brand",
    "item__model",
    "service_type__name",
    "technician__user__full_name",
]


# --- The center's front page -----------------------------------------------------------------------
@tenant_view(Perm.DASHBOARD)
@require_GET
@cached_page
def dashboard(request: TenantRequest) -> HttpResponse:
    context = dashboard_context(request.tenant, request.membership)
    context["setup"] = setup.checklist(request.tenant, request.membership)
    if context["setup"] is not None:
        context["setup_complete"] = all(state.done for state in context["setup"])
        context["starter_catalogues"] = STARTER_CATALOGUES
    return render(request, "orders/dashboard.html", context)


# --- List ------------------------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_VIEW)
@require_GET
@cached_page
def order_list(request: TenantRequest) -> HttpResponse:
    base = Order.objects.for_tenant(request.tenant)
    params = request.GET.copy()
    if "view" not in params and not any(k for k in params if k not in {"sort", "cursor"}):
        # Technicians start on their own jobs; the office on all open orders.
        params["view"] = "mine" if request.membership.role == "technician" else "open"
    filterset = OrderFilter(params, queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()
    sort = request.GET.get("sort", "-created")
    if sort not in SORTS:
        sort = "-created"
    # Only the columns a row shows (orders.presentation.order_row_values) and the sort keys: converting every
    # column of six tables for 50 rows was a third of the list's time (issue 12).
    qs = qs.select_related("client", "item", "service_type", "technician__user").only(*LIST_COLUMNS)
    page = keyset_page(qs, SORTS[sort][1], request.GET.get("cursor"), PAGE_SIZE)
    count, more = bounded_count(filterset.qs if filterset.is_valid() else base.none())
    query = query_without_cursor(params)
    context = {
        "filterset": filterset,
        "page": page,
        "orders": page.rows,
        "count": count,
        "count_more": more,
        "sort": sort,
        "sorts": [(key, label) for key, (label, _keys) in SORTS.items()],
        "presets": PRESETS,
        "current_view": params.get("view", ""),
        "query": query,
    }
    template = (
        "orders/_order_rows.html"
        if request.htmx and request.htmx.target == "order-rows"
        else "orders/order_list.html"
    )
    return render(request, template, context)


# --- Intake ----------------------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_CREATE)
@require_http_methods(["GET", "POST"])
def intake(request: TenantRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None, request.FILES or None, tenant=request.tenant, warn_hours=True)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            order = take_in_from_form(request, form)
        messages.success(request, _("Order #%(number)s is taken in.") % {"number": order.number})
        return to_order(request, order)
    return render(request, "orders/intake.html", intake_context(request, form))


def take_in_from_form(request: TenantRequest, form: IntakeForm) -> Order:
    """Take in the order a valid intake form describes, with its photos (call inside a transaction). Other
    pages that open the intake form (the reception queue) save it through here too."""
    data = form.cleaned_data
    order = services.take_in(
        request.tenant,
        intake_data(data),
        by=request.membership,
    )
    for upload in data["photos"]:
        services.add_photo(order, image=upload, caption=_("At intake"), by=request.membership)
    return order


def intake_context(request: TenantRequest, form: IntakeForm, picked_client: Client | None = None) -> dict:
    """The intake page's context (orders/intake.html): the form, item suggestions, the picked client and
    the device picked again (its earlier visits and warranty)."""
    cleaned = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    if picked_client is None:
        picked_client = cleaned.get("client")
    picked_item = cleaned.get("item")
    return {
        "form": form,
        "suggested_kinds": SUGGESTED_ITEM_KINDS,
        "picked_client": picked_client,
        "consent_current": consent_is_current(picked_client),
        "picked_item": picked_item,
        "picked": picked_item_context(request, picked_item) if picked_item else {},
    }


SUGGESTED_ITEM_KINDS = [
    gettext_lazy("Phone"),
    gettext_lazy("Laptop"),
    gettext_lazy("Tablet"),
    gettext_lazy("Desktop computer"),
    gettext_lazy("Monitor"),
    gettext_lazy("TV"),
    gettext_lazy("Washing machine"),
    gettext_lazy("Refrigerator"),
    gettext_lazy("Dishwasher"),
    gettext_lazy("Coffee machine"),
    gettext_lazy("Vacuum cleaner"),
    gettext_lazy("Car"),
    gettext_lazy("Printer"),
]


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def client_search(request: TenantRequest) -> HttpResponse:
    query = request.GET.get("client_phone") or request.GET.get("client_name") or request.GET.get("q", "")
    clients = services.find_clients(request.tenant, query)
    return render(request, "orders/_client_matches.html", {"clients": clients, "query": query})


@tenant_view(Perm.ORDERS_CREATE)
@require_GET
def client_pick(request: TenantRequest, client_id: int) -> HttpResponse:
    client = get_for_tenant_or_404(Client, request.tenant, pk=client_id)
    recent = (
        Order.objects.for_tenant(request.tenant)
        .filter(client=client)
        .select_related("service_type", "item")[:5]
    )
    return render(
        request,
        "orders/_client_picked.html",
        {"client": client, "recent": recent, "consent_current": consent_is_current(client)},
    )


# --- Order page and actions ------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_VIEW)
@require_GET
@cached_page
def order_detail(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    order.tenant = request.tenant
    membership = request.membership
    events = OrderEvent.objects.filter(tenant=request.tenant, order=order).select_related("actor")
    prepare_guards([order])  # what other apps' guards need, read once (their panels use it too)
    actions = available_actions(order, membership)
    bill_problem = money.bill_problem(order) if order.is_open else None
    context = {
        "order": order,
        "events": events,
        "line_items": LineItem.objects.filter(tenant=request.tenant, order=order).select_related(
            "performed_by__user"
        ),
        "payments": order.payments.filter(tenant=request.tenant).select_related("received_by"),
        "photos": order.photos.filter(tenant=request.tenant),
        "actions": actions,
        "version": order.version,
        "can_plan": has_perm(membership.role, Perm.ORDERS_PLAN),
        # The role's permission and, for a technician, the assignment: the same rule the services apply.
        "can_work": actor_problem(membership, Perm.ORDERS_WORK, order) is None,
        "can_handover": has_perm(membership.role, Perm.ORDERS_HANDOVER),
        "can_edit": has_perm(membership.role, Perm.ORDERS_CREATE),
        "can_waive": has_perm(membership.role, Perm.ORDERS_WAIVE_PAYMENT),
        "can_see_client": has_perm(membership.role, Perm.CLIENTS_VIEW),
        # Several forms share field names (kind, amount, version): prefixed ids keep the page's ids unique.
        "assign_form": AssignForm(
            tenant=request.tenant,
            auto_id="id_assign_%s",
            initial={
                "version": order.version,
                "technician": order.technician_id,
                "workshop": order.workshop_id,
                "visit_address": order.visit_address,
                "visit_start": order.visit_start,
                "visit_end": order.visit_end,
            },
        ),
        "estimate_form": EstimateForm(
            auto_id="id_estimate_%s",
            initial={
                "version": order.version,
                # Billed above the approval: propose the bill as the new amount to ask the client for.
                "amount": order.total_amount if bill_problem else order.estimate,
            },
        ),
        "estimates": Estimate.objects.filter(tenant=request.tenant, order=order)
        .select_related("decided_by")
        .prefetch_related("lines")
        .order_by("-version"),
        "bill_problem": bill_problem,
        "can_override": has_perm(membership.role, Perm.ORDERS_OVERRIDE_ESTIMATE),
        # The actions a manager may take past the bill's ceiling: their form asks for the override and a reason.
        "override_actions": {"finish_work", "pass_check"} if bill_problem else set(),
        "line_form": LineItemForm(auto_id="id_line_%s"),
        "payment_form": PaymentForm(auto_id="id_payment_%s", initial={"amount": order.amount_due or None}),
        "note_form": NoteForm(),
        "photo_form": PhotoForm(),
        "public_url": public_status_url(order),
        "qr": order_qr_data_uri(order),
        "phone_display": services.client_phone_for(membership, order),
        "phone_visible": services.sees_client_phone(membership, order),
    }
    return render(request, "orders/order_detail.html", context)


@tenant_view(Perm.ORDERS_VIEW)
@require_POST
def order_transition(request: TenantRequest, order_number: int, action: str) -> HttpResponse:
    order = order_or_404(request, order_number)
    if action not in TRANSITIONS:
        raise Http404("Unknown action.")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Reload the page and try again."))
        return to_order(request, order)
    try:
        transition(
            order,
            action,
            by=request.membership,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            waive_payment=form.cleaned_data["waive_payment"],
            override_estimate=form.cleaned_data["override_estimate"],
        )
    except (TransitionRefused, OrderChanged) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Order #%(number)s: %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    if request.POST.get("next") == "my_jobs":
        return redirect("technicians:my_jobs", tenant_slug=request.tenant.slug)
    return to_order(request, order)


@tenant_view(Perm.ORDERS_PLAN)
@require_POST
def order_assign(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = AssignForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        say_form_errors(request, form)
        return to_order(request, order)
    data = form.cleaned_data
    booked = order.visit_start
    try:
        services.assign(
            order,
            technician=data["technician"],
            workshop=data["workshop"],
            by=request.membership,
            expected_version=data["version"],
            visit_address=data["visit_address"],
            visit_start=data["visit_start"],
            visit_end=data["visit_end"],
        )
    except (ValidationError, ActorRefused, OrderChanged) as problem:
        messages.error(request, " ".join(getattr(problem, "messages", [str(problem)])))
    else:
        messages.success(request, _("Assignment saved."))
        if not visits.same_slot(order.visit_start, booked):
            # Saved (this form has no confirmation step), and said: the planning board asks first.
            outside = visits.hours_warning(
                order.workshop or order.intake_location, order.visit_start, order.visit_end
            )
            if outside:
                messages.warning(request, outside)
    return to_order(request, order)


def _unchanged(sent, stored) -> bool:
    if isinstance(sent, datetime) and isinstance(stored, datetime):
        # The form shows minutes only: a time sent back untouched has lost its seconds, not changed.
        return sent == stored.replace(second=0, microsecond=0)
    return sent == stored


@tenant_view(Perm.ORDERS_CREATE)
@require_http_methods(["GET", "POST"])
def order_edit(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    initial = {
        field: getattr(order, field)
        for field in [
            "problem",
            "priority",
            "promised_at",
            "item_condition",
            "item_accessories",
            "terms",
            "version",
        ]
    }
    form = OrderEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        changed = {key: value for key, value in data.items() if not _unchanged(value, getattr(order, key))}
        try:
            if changed:
                services.edit_order(order, changes=changed, by=request.membership, expected_version=version)
        except (OrderChanged, ValidationError, ActorRefused) as problem:
            form.add_error(None, " ".join(getattr(problem, "messages", [str(problem)])))
        else:
            messages.success(request, _("Order saved."))
            return to_order(request, order)
    return render(request, "orders/order_edit.html", {"order": order, "form": form})


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def order_estimate(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = EstimateForm(request.POST)
    if not form.is_valid():
        say_form_errors(request, form)
        return to_order(request, order)
    try:
        services.set_estimate(
            order,
            amount=form.cleaned_data["amount"],
            lines=form.cleaned_data["lines"],
            comment=form.cleaned_data["comment"],
            by=request.membership,
            expected_version=form.cleaned_data["version"],
        )
    except (ValidationError, ActorRefused, OrderChanged) as problem:
        messages.error(request, " ".join(getattr(problem, "messages", [str(problem)])))
    else:
        messages.success(request, _("Estimate saved."))
    return to_order(request, order)


@tenant_view(Perm.ORDERS_WORK)  # the bill is the workshop's; the office takes payments (orders.services)
@require_POST
def line_add(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = LineItemForm(request.POST)
    if not form.is_valid():
        say_form_errors(request, form)
        return to_order(request, order)
    data = form.cleaned_data
    try:
        services.add_line_item(
            order,
            kind=data["kind"],
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            by=request.membership,
            performed_by=order.technician if data["kind"] == LineItem.Kind.WORK else None,
            # Only a return under warranty offers the box; elsewhere it means nothing.
            covered=data["covered"] if order.warranty_of_id else None,
        )
    except (ValidationError, ActorRefused) as problem:
        messages.error(request, " ".join(problem.messages))
    return to_order(request, order)


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def line_remove(request: TenantRequest, order_number: int, line_id: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    line = get_for_tenant_or_404(LineItem, request.tenant, pk=line_id, order=order)
    line.order = order
    try:
        services.remove_line_item(line, by=request.membership)
    except (ValidationError, ActorRefused) as problem:
        messages.error(request, " ".join(problem.messages))
    return to_order(request, order)


@tenant_view(Perm.ORDERS_HANDOVER)
@require_POST
def payment_add(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        say_form_errors(request, form)
        return to_order(request, order)
    data = form.cleaned_data
    try:
        services.add_payment(
            order,
            amount=data["amount"],
            method=data["method"],
            kind=data["kind"],
            note=data["note"],
            by=request.membership,
        )
    except (ValidationError, ActorRefused) as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, _("Payment recorded."))
    return to_order(request, order)


@tenant_view(Perm.ORDERS_VIEW)
@require_POST
def note_add(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                order,
                text=form.cleaned_data["text"],
                public=form.cleaned_data["public"],
                by=request.membership,
            )
        except (ValidationError, ActorRefused) as problem:
            messages.error(request, " ".join(problem.messages))
    else:
        say_form_errors(request, form)
    return to_order(request, order)


@tenant_view(Perm.ORDERS_VIEW)
@require_POST
def photo_add(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            for upload in form.cleaned_data["photos"]:
                services.add_photo(
                    order, image=upload, caption=form.cleaned_data["caption"], by=request.membership
                )
        except ActorRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Photos added."))
    else:
        say_form_errors(request, form)
    return to_order(request, order)


@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def photo(request: TenantRequest, order_number: int, photo_id: int) -> HttpResponse:
    """Photos are served through this scoped view, never from a public media URL: with the type read
    from the bytes, nosniff, inline only if it is an image. ?size=display gives the display copy (made
    now for a photo stored before copies existed), anything else the original."""
    order = order_or_404(request, order_number)
    item = get_for_tenant_or_404(order.photos.all(), request.tenant, pk=photo_id)
    wanted = item.image
    if request.GET.get("size") == "display" and services.ensure_display_copy(item):
        wanted = item.display
    try:
        response = image_response(wanted, filename=f"photo-{order.number}-{item.pk}")
    except (FileNotFoundError, OSError, ValueError):  # ValueError: no file attached at all
        raise Http404("Photo file missing.") from None
    response["Cache-Control"] = "private, max-age=3600"
    return response


@tenant_view(Perm.ORDERS_CREATE)
@require_POST
def public_link_replace(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    services.replace_public_link(order, by=request.membership)
    messages.success(request, _("A new public link was made; the old one no longer works."))
    return to_order(request, order)


@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def receipt(request: TenantRequest, order_number: int) -> HttpResponse:
    """The old HTML print page. One intake receipt exists: the numbered PDF of the documents panel, so old
    links and bookmarks land there."""
    order = order_or_404(request, order_number)
    return HttpResponseRedirect(
        reverse("orders:detail", args=[request.tenant.slug, order.number]) + "#documents"
    )


# --- Clients ---------------------------------------------------------------------------------------
@tenant_view(Perm.CLIENTS_VIEW)
@require_GET
@cached_page
def client_list(request: TenantRequest) -> HttpResponse:
    qs: QuerySet[Client] = Client.objects.for_tenant(request.tenant)
    query = request.GET.get("q", "").strip()
    if query:
        qs = services.find_clients(request.tenant, query, limit=200)
        page = None
        clients = list(qs)
    else:
        page = keyset_page(
            qs, [SortKey("name", False), SortKey("id", False)], request.GET.get("cursor"), PAGE_SIZE
        )
        clients = page.rows
    # Clients with no language of their own hear the center's (Client.preferred_language).
    center_language = language_label(request.tenant.language)
    return render(
        request,
        "orders/client_list.html",
        {"clients": clients, "page": page, "query": query, "center_language": center_language},
    )


@tenant_view(Perm.CLIENTS_VIEW)
@require_GET
@cached_page
def client_detail(request: TenantRequest, client_id: int) -> HttpResponse:
    client = get_for_tenant_or_404(Client, request.tenant, pk=client_id)
    orders = (
        Order.objects.for_tenant(request.tenant)
        .filter(client=client)
        .select_related("item", "service_type", "technician__user")[:200]
    )
    items = client.items.filter(tenant=request.tenant).annotate(order_count=Count("orders"))
    return render(
        request,
        "orders/client_detail.html",
        {
            "client": client,
            "orders": orders,
            "items": items,
            "phone_display": services.format_phone(client.phone),
        },
    )


@tenant_view(Perm.CLIENTS_VIEW)
@require_http_methods(["GET", "POST"])
def client_edit(request: TenantRequest, client_id: int) -> HttpResponse:
    client = get_for_tenant_or_404(Client, request.tenant, pk=client_id)
    if client.erased_at is not None:
        # Anonymised for good (orders.personal_data): there is nothing to edit, and nobody to write to.
        messages.error(request, _("This client's personal data was erased; the client cannot be edited."))
        return redirect("orders:client_detail", tenant_slug=request.tenant.slug, client_id=client.pk)
    form = ClientForm(request.POST or None, instance=client, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Client saved."))
        return redirect("orders:client_detail", tenant_slug=request.tenant.slug, client_id=client.pk)
    return render(request, "orders/client_form.html", {"form": form, "client": client})


# --- Catalogue -------------------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def catalogue(request: TenantRequest) -> HttpResponse:
    service_types = ServiceType.objects.for_tenant(request.tenant).order_by("-is_active", "name")
    return render(
        request,
        "orders/catalogue.html",
        {"service_types": service_types, "starter_catalogues": STARTER_CATALOGUES},
    )


@tenant_view(Perm.CATALOGUE_MANAGE)
@require_http_methods(["GET", "POST"])
def service_type_edit(request: TenantRequest, service_type_id: int | None = None) -> HttpResponse:
    instance = (
        get_for_tenant_or_404(ServiceType, request.tenant, pk=service_type_id) if service_type_id else None
    )
    form = ServiceTypeForm(request.POST or None, instance=instance, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        catalogues.save_service_type(form.save(commit=False), by=request.membership)
        messages.success(request, _("Service saved."))
        return redirect("orders:catalogue", tenant_slug=request.tenant.slug)
    return render(request, "orders/service_type_form.html", {"form": form, "service_type": instance})
