"""The REST API, /api/v1/ (docs/integrations.md). Plain function views, like the web's.

Each view: the door (`endpoint({method: perm})`), the center's rows only (`for_tenant`, 404 for another
center's ids), input through the web's form (api.inputs), the write through the web's service function
(orders.services, orders.lifecycle, documents.services), the answer through api.serializers. Refusals
are the services' own sentences (api.errors).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.response import Response

from documents import services as document_services
from documents.forms import KindLanguageForm
from documents.models import Document, Kind
from orders import services
from orders.filters import OrderFilter
from orders.forms import (
    AssignForm,
    ClientForm,
    EstimateForm,
    IntakeForm,
    LineItemForm,
    NoteForm,
    OrderEditForm,
    PaymentForm,
    ServiceTypeForm,
    TransitionForm,
    intake_data,
)
from orders.lifecycle import TRANSITIONS, transition
from orders.models import Client, Item, LineItem, Order, OrderEvent, Payment, ServiceType
from orders.views import SORTS
from quality.forms import FeedbackFilter
from quality.models import Feedback
from servicedesk.pagination import SortKey
from servicedesk.tenancy.access import get_for_tenant_or_404
from servicedesk.tenancy.roles import Perm, perms_for
from stock.forms import PartFilter, StockFilter
from stock.models import Part, StockLevel
from technicians import planning

from . import serializers as s
from .endpoints import endpoint
from .errors import Invalid
from .inputs import form_data, form_serializer, validated_form
from .pagination import PAGE_PARAMETERS, page_of, paginated

ERRORS = {
    code: OpenApiResponse(s.ErrorSerializer, description=text)
    for code, text in {
        400: "invalid: the data did not pass the form (fields: the sentences per field)",
        401: "unauthenticated: no key, or an unknown, revoked or expired one",
        403: "forbidden: the key's role may not do this",
        404: "not_found: no such row in this center",
        429: "throttled: too many requests for this key (Retry-After)",
    }.items()
}
WRITE_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        s.ErrorSerializer, description="changed: the order's version is not the current one"
    ),
    422: OpenApiResponse(s.ErrorSerializer, description="refused: the rule's reason, as the web shows it"),
}


def _filter_parameters(filterset_class) -> list[OpenApiParameter]:
    parameters = []
    for name, f in filterset_class.base_filters.items():
        kind = OpenApiTypes.STR
        if isinstance(f, django_filters.BooleanFilter):
            kind = OpenApiTypes.BOOL
        elif isinstance(f, django_filters.ModelChoiceFilter):
            kind = OpenApiTypes.INT
        elif isinstance(f, django_filters.DateFilter):
            kind = OpenApiTypes.DATE
        choices = [str(value) for value, _label in getattr(f, "extra", {}).get("choices", []) or []]
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                description=str(f.label or ""),
                enum=choices or None,
                many=isinstance(f, django_filters.MultipleChoiceFilter) or None,
            )
        )
    return parameters


def _filtered(request, filterset_class, queryset):
    """The web list's filterset on the center's rows; invalid filters answer 400 with the form's sentences."""
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise Invalid(
            {name: [str(e) for e in errors] for name, errors in filterset.form.errors.items()},
            {name: str(f.label or name) for name, f in filterset.filters.items()},
        )
    return filterset.qs


# --- The key itself -------------------------------------------------------------------------------
@extend_schema(
    summary="Who am I: the key's center, name, role and permissions",
    responses={200: s.KeyInfoSerializer, **ERRORS},
)
@endpoint({"GET": Perm.DASHBOARD})
def root(request):
    tenant, key = request.tenant, request.api_key
    return Response(
        {
            "center": tenant.name,
            "center_slug": tenant.slug,
            "time_zone": tenant.time_zone,
            "currency": tenant.currency,
            "key": key.name,
            "role": key.role,
            "permissions": sorted(perms_for(key.role)),
        }
    )


# --- Clients and items ----------------------------------------------------------------------------
ClientRequest = form_serializer("ClientChange", ClientForm, tenant=None)


@extend_schema(
    summary="Clients, by name",
    parameters=[
        OpenApiParameter(
            "q", OpenApiTypes.STR, description="Name or phone digits (up to 200 matches, no pages)"
        ),
        *PAGE_PARAMETERS,
    ],
    responses={200: page_of(s.ClientSerializer), **ERRORS},
)
@endpoint({"GET": Perm.CLIENTS_VIEW})
def client_list(request):
    query = request.query_params.get("q", "").strip()
    if query:
        found = services.find_clients(request.tenant, query, limit=200)
        return Response({"next": None, "results": s.ClientSerializer(found, many=True).data})
    return paginated(
        request,
        Client.objects.for_tenant(request.tenant),
        [SortKey("name", False), SortKey("id", False)],
        s.ClientSerializer,
    )


@extend_schema(methods=["GET"], summary="A client", responses={200: s.ClientSerializer, **ERRORS})
@extend_schema(
    methods=["PATCH"],
    summary="Change a client's details (as the client's page does)",
    request=ClientRequest,
    responses={200: s.ClientSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.CLIENTS_VIEW, "PATCH": Perm.CLIENTS_VIEW})
def client_detail(request, client_id: int):
    client = get_for_tenant_or_404(Client, request.tenant, pk=client_id)
    if request.method == "PATCH":
        validated_form(request, ClientForm, instance=client, tenant=request.tenant).save()
    return Response(s.ClientSerializer(client).data)


@extend_schema(
    summary="Items (devices, machines, cars) clients brought",
    parameters=[
        OpenApiParameter("client", OpenApiTypes.INT, description="Only this client's"),
        OpenApiParameter("serial", OpenApiTypes.STR, description="Serial number / IMEI / VIN, exactly"),
        *PAGE_PARAMETERS,
    ],
    responses={200: page_of(s.ItemSerializer), **ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW})
def item_list(request):
    items = Item.objects.for_tenant(request.tenant)
    client = request.query_params.get("client", "")
    if client:
        if not (client.isascii() and client.isdigit() and len(client) <= 18):
            raise Invalid({"client": [_("Enter a whole number.")]})
        items = items.filter(client_id=int(client))
    serial = request.query_params.get("serial", "").replace("\x00", "").strip()[:64]
    if serial:
        items = items.filter(serial__iexact=serial)
    return paginated(request, items, [SortKey("id", True)], s.ItemSerializer)


@extend_schema(summary="An item", responses={200: s.ItemSerializer, **ERRORS})
@endpoint({"GET": Perm.ORDERS_VIEW})
def item_detail(request, item_id: int):
    return Response(s.ItemSerializer(get_for_tenant_or_404(Item, request.tenant, pk=item_id)).data)


# --- Catalogue ------------------------------------------------------------------------------------
ServiceTypeRequest = form_serializer("ServiceTypeChange", ServiceTypeForm, tenant=None)


def _save_service_type(request, instance: ServiceType | None) -> ServiceType:
    return validated_form(request, ServiceTypeForm, instance=instance, tenant=request.tenant).save()


@extend_schema(
    methods=["GET"],
    summary="The service catalogue",
    responses={200: s.ServiceTypeSerializer(many=True), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="Add a service to the catalogue",
    request=ServiceTypeRequest,
    responses={201: s.ServiceTypeSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW, "POST": Perm.CATALOGUE_MANAGE})
def service_type_list(request):
    if request.method == "POST":
        created = _save_service_type(request, None)
        return Response(s.ServiceTypeSerializer(created).data, status=status.HTTP_201_CREATED)
    rows = ServiceType.objects.for_tenant(request.tenant).order_by("-is_active", "name")[:1000]
    return Response(s.ServiceTypeSerializer(rows, many=True).data)


@extend_schema(
    methods=["GET"], summary="A service of the catalogue", responses={200: s.ServiceTypeSerializer, **ERRORS}
)
@extend_schema(
    methods=["PATCH"],
    summary="Change a service",
    request=ServiceTypeRequest,
    responses={200: s.ServiceTypeSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW, "PATCH": Perm.CATALOGUE_MANAGE})
def service_type_detail(request, service_type_id: int):
    service_type = get_for_tenant_or_404(ServiceType, request.tenant, pk=service_type_id)
    if request.method == "PATCH":
        service_type = _save_service_type(request, service_type)
    return Response(s.ServiceTypeSerializer(service_type).data)


# --- Orders ---------------------------------------------------------------------------------------
ORDER_RELATED = ("client", "item", "service_type", "intake_location", "workshop", "technician__user")
IntakeRequest = form_serializer("Intake", IntakeForm, tenant=None)
OrderEditRequest = form_serializer("OrderEdit", OrderEditForm)
TransitionRequest = form_serializer("Transition", TransitionForm)
AssignRequest = form_serializer("Assign", AssignForm, tenant=None)
EstimateRequest = form_serializer("Estimate", EstimateForm)
LineRequest = form_serializer("Line", LineItemForm)
PaymentRequest = form_serializer("Payment", PaymentForm)
NoteRequest = form_serializer("Note", NoteForm)
IssueRequest = form_serializer("Issue", KindLanguageForm)


def _order(request, number: int) -> Order:
    order = get_for_tenant_or_404(Order.objects.select_related(*ORDER_RELATED), request.tenant, number=number)
    order.tenant = request.tenant
    return order


def _order_answer(request, number: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(
        s.OrderDetailSerializer(_order(request, number), context={"request": request}).data, status=code
    )


@extend_schema(
    methods=["GET"],
    summary="Orders: the web list's filters, newest first by default",
    parameters=[
        *_filter_parameters(OrderFilter),
        OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS)),
        *PAGE_PARAMETERS,
    ],
    responses={200: page_of(s.OrderSerializer), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="Take in an order (the intake form: client found by phone or new)",
    request=IntakeRequest,
    responses={201: s.OrderDetailSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_CREATE})
def order_list(request):
    if request.method == "POST":
        return _take_in(request)
    base = Order.objects.for_tenant(request.tenant)
    if request.query_params.get("view") == "mine":
        base = base.none()  # a key is nobody's technician: it has no jobs of its own
    qs = _filtered(request, OrderFilter, base).select_related(*ORDER_RELATED)
    sort = request.query_params.get("sort", "-created")
    if sort not in SORTS:
        raise Invalid({"sort": [_("Choose one of: %(values)s.") % {"values": ", ".join(SORTS)}]})
    return paginated(request, qs, SORTS[sort][1], s.OrderSerializer)


def _take_in(request) -> Response:
    data = form_data(request, IntakeForm, tenant=request.tenant)
    order = services.take_in(
        request.tenant,
        intake_data(data),
        by=request.membership,
    )
    return _order_answer(request, order.number, status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"],
    summary="An order, with the status actions this key may take now",
    responses={200: s.OrderDetailSerializer, **ERRORS},
)
@extend_schema(
    methods=["PATCH"],
    summary="Edit the intake details (send the order's `version`)",
    request=OrderEditRequest,
    responses={200: s.OrderDetailSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW, "PATCH": Perm.ORDERS_CREATE})
def order_detail(request, order_number: int):
    order = _order(request, order_number)
    if request.method == "PATCH":
        editable = ["problem", "priority", "promised_at", "item_condition", "item_accessories", "terms"]
        data = form_data(request, OrderEditForm, initial={name: getattr(order, name) for name in editable})
        version = data.pop("version")
        sent = set(request.data)  # only what the client sent can change (a default is the current value)
        changed = {key: value for key, value in data.items() if key in sent and value != getattr(order, key)}
        if changed:
            services.edit_order(order, changes=changed, by=request.membership, expected_version=version)
    return _order_answer(request, order_number)


@extend_schema(
    summary="Move the order: plan, start_work, hand_over, cancel ... (the web's buttons)",
    description="Send the order's `version` (from GET): a stale one answers 409. A refused action "
    "answers 422 with the reason the order page would show. Actions: " + ", ".join(TRANSITIONS),
    request=TransitionRequest,
    responses={200: s.OrderDetailSerializer, **WRITE_ERRORS},
)
@endpoint({"POST": Perm.ORDERS_VIEW})
def order_action(request, order_number: int, action: str):
    order = _order(request, order_number)
    if action not in TRANSITIONS:
        raise Http404("Unknown action.")
    data = form_data(request, TransitionForm)
    transition(
        order,
        action,
        by=request.membership,
        expected_version=data["version"],
        reason=data["reason"],
        waive_payment=data["waive_payment"],
        override_estimate=data["override_estimate"],
    )
    return _order_answer(request, order_number)


@extend_schema(
    summary="Assign the technician, workshop and visit slot",
    request=AssignRequest,
    responses={200: s.OrderDetailSerializer, **WRITE_ERRORS},
)
@endpoint({"POST": Perm.ORDERS_PLAN})
def order_assign(request, order_number: int):
    order = _order(request, order_number)
    current = {
        "technician": order.technician_id,
        "workshop": order.workshop_id,
        "visit_address": order.visit_address,
        "visit_start": order.visit_start,
        "visit_end": order.visit_end,
    }
    data = form_data(request, AssignForm, initial=current, tenant=request.tenant)
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
    return _order_answer(request, order_number)


@extend_schema(
    summary="A new estimate version: a total, or lines “description; quantity; price[; part]”",
    request=EstimateRequest,
    responses={200: s.OrderDetailSerializer, **WRITE_ERRORS},
)
@endpoint({"POST": Perm.ORDERS_WORK})
def order_estimate(request, order_number: int):
    order = _order(request, order_number)
    data = form_data(request, EstimateForm)
    services.set_estimate(
        order,
        amount=data["amount"],
        lines=data["lines"],
        comment=data["comment"],
        by=request.membership,
        expected_version=data["version"],
    )
    return _order_answer(request, order_number)


@extend_schema(
    methods=["GET"],
    summary="The order's lines (work, parts)",
    responses={200: s.LineItemSerializer(many=True), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="Add a line",
    request=LineRequest,
    responses={201: s.LineItemSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_WORK})
def order_lines(request, order_number: int):
    order = _order(request, order_number)
    if request.method == "POST":
        data = form_data(request, LineItemForm)
        line = services.add_line_item(
            order,
            kind=data["kind"],
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            by=request.membership,
            performed_by=order.technician if data["kind"] == LineItem.Kind.WORK else None,
        )
        return Response(s.LineItemSerializer(line).data, status=status.HTTP_201_CREATED)
    lines = LineItem.objects.filter(tenant=request.tenant, order=order).select_related("performed_by__user")
    return Response(s.LineItemSerializer(lines, many=True).data)


@extend_schema(summary="Remove a line", responses={204: None, **WRITE_ERRORS})
@endpoint({"DELETE": Perm.ORDERS_WORK})
def order_line(request, order_number: int, line_id: int):
    order = _order(request, order_number)
    line = get_for_tenant_or_404(LineItem, request.tenant, pk=line_id, order=order)
    line.order = order
    services.remove_line_item(line, by=request.membership)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    methods=["GET"],
    summary="The order's payments and refunds",
    responses={200: s.PaymentSerializer(many=True), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="Record a payment, prepayment or refund",
    request=PaymentRequest,
    responses={201: s.PaymentSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_HANDOVER})
def order_payments(request, order_number: int):
    order = _order(request, order_number)
    if request.method == "POST":
        data = form_data(request, PaymentForm)
        payment = services.add_payment(
            order,
            amount=data["amount"],
            method=data["method"],
            kind=data["kind"],
            note=data["note"],
            by=request.membership,
        )
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)
    payments = Payment.objects.filter(tenant=request.tenant, order=order).select_related("received_by")
    return Response(s.PaymentSerializer(payments, many=True).data)


@extend_schema(
    summary="Add a note: internal, or public (the client sees it on the status page)",
    request=NoteRequest,
    responses={201: s.EventSerializer, **WRITE_ERRORS},
)
@endpoint({"POST": Perm.ORDERS_VIEW})
def order_notes(request, order_number: int):
    order = _order(request, order_number)
    data = form_data(request, NoteForm)
    services.add_note(order, text=data["text"], public=data["public"], by=request.membership)
    event = (
        OrderEvent.objects.filter(tenant=request.tenant, order=order)
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="The order's timeline, oldest first", responses={200: s.EventSerializer(many=True), **ERRORS}
)
@endpoint({"GET": Perm.ORDERS_VIEW})
def order_timeline(request, order_number: int):
    order = _order(request, order_number)
    events = OrderEvent.objects.filter(tenant=request.tenant, order=order).select_related("actor")[:2000]
    return Response(s.EventSerializer(events, many=True).data)


@extend_schema(
    methods=["GET"],
    summary="The order's issued documents",
    responses={200: s.DocumentSerializer(many=True), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="Issue a document (receipt, contract, completion act, warranty card)",
    request=IssueRequest,
    responses={201: s.DocumentSerializer, **WRITE_ERRORS},
)
@endpoint({"GET": Perm.DOCUMENTS_ISSUE, "POST": Perm.DOCUMENTS_ISSUE})
def order_documents(request, order_number: int):
    order = _order(request, order_number)
    if request.method == "POST":
        data = form_data(request, KindLanguageForm, initial={"language": request.tenant.language})
        document = document_services.issue(order, data["kind"], data["language"], by=request.membership)
        document.order = order
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)
    documents = document_services.documents_of_order(order).select_related("order")
    return Response(s.DocumentSerializer(documents, many=True).data)


# --- Technicians, parts and stock ------------------------------------------------------------------
def _technicians(request):
    return planning.board_members(request.tenant)  # with profiles, workshops and skills, as the web's list


@extend_schema(
    summary="Technicians: who can be assigned, their skills and workshop",
    responses={200: s.TechnicianSerializer(many=True), **ERRORS},
)
@endpoint({"GET": Perm.ORDERS_PLAN})
def technician_list(request):
    members = list(_technicians(request).select_related("user")[:1000])
    return Response(s.TechnicianSerializer([(m, planning.profile_of(m)) for m in members], many=True).data)


@extend_schema(summary="A technician", responses={200: s.TechnicianSerializer, **ERRORS})
@endpoint({"GET": Perm.ORDERS_PLAN})
def technician_detail(request, membership_id: int):
    member = get_for_tenant_or_404(
        _technicians(request).select_related("user"), request.tenant, pk=membership_id
    )
    return Response(s.TechnicianSerializer((member, planning.profile_of(member))).data)


def _parts(request):
    levels = (
        StockLevel.objects.filter(tenant=request.tenant).select_related("location").order_by("location__name")
    )
    return Part.objects.for_tenant(request.tenant).prefetch_related(Prefetch("levels", queryset=levels))


@extend_schema(
    summary="Parts and materials, by name, with their stock per location",
    parameters=[*_filter_parameters(PartFilter), *PAGE_PARAMETERS],
    responses={200: page_of(s.PartSerializer), **ERRORS},
)
@endpoint({"GET": Perm.STOCK_VIEW})
def part_list(request):
    qs = _filtered(request, PartFilter, Part.objects.for_tenant(request.tenant))
    levels = (
        StockLevel.objects.filter(tenant=request.tenant).select_related("location").order_by("location__name")
    )
    qs = qs.prefetch_related(Prefetch("levels", queryset=levels))
    return paginated(request, qs, [SortKey("name", False), SortKey("id", False)], s.PartSerializer)


@extend_schema(summary="A part, with its stock per location", responses={200: s.PartSerializer, **ERRORS})
@endpoint({"GET": Perm.STOCK_VIEW})
def part_detail(request, part_id: int):
    part = get_for_tenant_or_404(_parts(request), request.tenant, pk=part_id)
    return Response(s.PartSerializer(part, context={"request": request}).data)


@extend_schema(
    summary="Stock levels (part x location), by part name",
    parameters=[*_filter_parameters(StockFilter), *PAGE_PARAMETERS],
    responses={200: page_of(s.StockLevelSerializer), **ERRORS},
)
@endpoint({"GET": Perm.STOCK_VIEW})
def stock_list(request):
    qs = _filtered(request, StockFilter, StockLevel.objects.for_tenant(request.tenant)).select_related(
        "part", "location"
    )
    return paginated(
        request, qs, [SortKey("part__name", False), SortKey("id", False)], s.StockLevelSerializer
    )


# --- Documents and feedback ------------------------------------------------------------------------
@extend_schema(
    summary="Issued documents, newest first",
    parameters=[
        OpenApiParameter("kind", OpenApiTypes.STR, enum=Kind.values),
        OpenApiParameter("order", OpenApiTypes.INT, description="Order number"),
        *PAGE_PARAMETERS,
    ],
    responses={200: page_of(s.DocumentSerializer), **ERRORS},
)
@endpoint({"GET": Perm.DOCUMENTS_ISSUE})
def document_list(request):
    documents = Document.objects.for_tenant(request.tenant).select_related("order")
    kind = request.query_params.get("kind", "")
    if kind:
        if kind not in Kind.values:
            raise Invalid({"kind": [_("Choose one of: %(values)s.") % {"values": ", ".join(Kind.values)}]})
        documents = documents.filter(kind=kind)
    number = request.query_params.get("order", "")
    if number:
        if not (number.isascii() and number.isdigit() and len(number) <= 9):
            raise Invalid({"order": [_("Enter a whole number.")]})
        documents = documents.filter(order__number=int(number))
    return paginated(
        request, documents, [SortKey("issued_at", True), SortKey("id", True)], s.DocumentSerializer
    )


@extend_schema(summary="A document's details", responses={200: s.DocumentSerializer, **ERRORS})
@endpoint({"GET": Perm.DOCUMENTS_ISSUE})
def document_detail(request, document_id: int):
    document = get_for_tenant_or_404(Document.objects.select_related("order"), request.tenant, pk=document_id)
    return Response(s.DocumentSerializer(document).data)


@extend_schema(
    summary="The stored PDF, exactly as issued",
    responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
)
@endpoint({"GET": Perm.DOCUMENTS_ISSUE})
def document_pdf(request, document_id: int):
    from documents.views import PDF_HEADERS

    document = get_for_tenant_or_404(Document.objects.select_related("order"), request.tenant, pk=document_id)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("The stored file is missing.") from None
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=document.filename
    )
    for header, value in PDF_HEADERS.items():
        response[header] = value
    return response


@extend_schema(
    summary="Clients' feedback, newest first",
    parameters=[*_filter_parameters(FeedbackFilter), *PAGE_PARAMETERS],
    responses={200: page_of(s.FeedbackSerializer), **ERRORS},
)
@endpoint({"GET": Perm.REPORTS_VIEW})
def feedback_list(request):
    qs = _filtered(request, FeedbackFilter, Feedback.objects.for_tenant(request.tenant))
    qs = qs.select_related("order", "technician__user")
    return paginated(request, qs, [SortKey("created_at", True), SortKey("id", True)], s.FeedbackSerializer)


# --- Unknown paths --------------------------------------------------------------------------------
@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def not_found(request, rest: str = ""):
    """Anything else under /api/: JSON, not the web's 404 page."""
    from django.urls import Resolver404, resolve

    hint = ""
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
            hint = " " + _("API paths end with a slash.")
        except Resolver404:
            pass
    return Response(
        {"code": "not_found", "detail": _("No such endpoint.") + hint}, status=status.HTTP_404_NOT_FOUND
    )
