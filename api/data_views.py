"""The API's personal-data requests and the center's full export (docs/integrations.md), through the web's
own service functions and rules:

- a client's data report and erasure: orders.personal_data (data_report, erase_client), behind
  Perm.PERSONAL_DATA; the erasure's request is checked by the web's ErasureForm;
- the full export: api.full_export (request_full_export, record_download), the owner's
  (Perm.TENANT_SETTINGS, as the web page).

Refusals are the web's sentences (api.errors): an erasure refused (open orders, already erased) answers
422 "refused" and stays recorded as refused, as on the web; an export asked for while one is being built
answers 409 "running"; a file not ready 409 "not_ready", one past its 24 hours 410 "expired".
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from orders import personal_data
from orders.forms import ErasureForm
from orders.models import Client, PersonalDataRequest
from servicedesk.tenancy.access import get_for_tenant_or_404
from servicedesk.tenancy.roles import Perm

from . import full_export, full_export_views
from .endpoints import endpoint
from .errors import body
from .inputs import form_data, form_serializer
from .models import CenterExport
from .views import ERRORS, WRITE_ERRORS

LISTED = 20  # exports listed, newest first (the web page's number)


class DataSectionSerializer(serializers.Serializer):
    title = serializers.CharField()
    rows = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    kept_after_erasure = serializers.CharField(
        help_text="What of it an erasure keeps, and why ('' if nothing)"
    )


class DataReportSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    service_center = serializers.CharField()
    generated_at = serializers.DateTimeField()
    sections = serializers.DictField(
        child=DataSectionSerializer(), help_text="By app: orders, notifications ..."
    )


class DataRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonalDataRequest
        fields = ["id", "client", "kind", "status", "reason", "detail", "requested_by_name", "created_at"]


class CenterExportSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text="The ZIP's address while it can be downloaded")

    class Meta:
        model = CenterExport
        fields = [
            "id",
            "state",
            "size",
            "counts",
            "failure",
            "created_at",
            "ready_at",
            "expires_at",
            "download",
        ]

    def get_download(self, export: CenterExport) -> str | None:
        if not export.is_downloadable:
            return None
        from django.urls import reverse

        return reverse("api:export_download", args=[export.pk])


ErasureRequest = form_serializer("Erasure", ErasureForm)


# --- A client's personal data -----------------------------------------------------------------------


@extend_schema(
    summary="Everything held on a client (the data report); recorded as a request",
    responses={200: DataReportSerializer, **ERRORS},
)
@endpoint({"GET": Perm.PERSONAL_DATA})
def client_data_report(request, client_id: int):
    client = get_for_tenant_or_404(Client.objects.select_related("tenant"), request.tenant, pk=client_id)
    sections = personal_data.data_report(client, by=request.membership)
    return Response(personal_data.report_json(client, sections))


@extend_schema(
    summary="Erase a client's personal data on their request (orders and documents kept, anonymised)",
    request=ErasureRequest,
    responses={200: DataRequestSerializer, **WRITE_ERRORS},
)
@endpoint({"POST": Perm.PERSONAL_DATA})
def client_erasure(request, client_id: int):
    client = get_for_tenant_or_404(Client.objects.select_related("tenant"), request.tenant, pk=client_id)
    reason = form_data(request, ErasureForm)["reason"]
    try:
        done = personal_data.erase_client(client, by=request.membership, reason=reason)
    except ValidationError as refusal:
        # Answered here, not by the handler: the refusal's record (erase_client wrote it) is kept.
        return Response(body("refused", " ".join(refusal.messages)), status=422)
    return Response(DataRequestSerializer(done).data)


@extend_schema(
    summary="A client's personal-data requests (reports, erasure), newest first",
    responses={200: DataRequestSerializer(many=True), **ERRORS},
)
@endpoint({"GET": Perm.PERSONAL_DATA})
def client_data_requests(request, client_id: int):
    client = get_for_tenant_or_404(Client, request.tenant, pk=client_id)
    found = PersonalDataRequest.objects.for_tenant(request.tenant).filter(client_id=client.pk)[:50]
    return Response(DataRequestSerializer(found, many=True).data)


# --- The center's full export -----------------------------------------------------------------------


@extend_schema(
    methods=["GET"],
    summary="The center's full exports, newest first (the owner's)",
    responses={200: CenterExportSerializer(many=True), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="Ask for the center's full export (a ZIP built in the background; follow it by its id)",
    request=None,
    responses={
        202: CenterExportSerializer,
        **ERRORS,
        409: OpenApiResponse(description="running: an export of this center is being prepared already"),
    },
)
@endpoint({"GET": Perm.TENANT_SETTINGS, "POST": Perm.TENANT_SETTINGS})
def export_list(request):
    if request.method == "POST":
        try:
            export = full_export.request_full_export(request.membership)
        except full_export.ExportRefused as refused:
            return Response(body("running", str(refused)), status=status.HTTP_409_CONFLICT)
        return Response(CenterExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
    exports = CenterExport.objects.for_tenant(request.tenant).order_by("-id")[:LISTED]
    return Response(CenterExportSerializer(exports, many=True).data)


@extend_schema(
    summary="A full export: its state, and its download while it lasts",
    responses={200: CenterExportSerializer, **ERRORS},
)
@endpoint({"GET": Perm.TENANT_SETTINGS})
def export_detail(request, export_id: int):
    export = get_for_tenant_or_404(CenterExport, request.tenant, pk=export_id)
    return Response(CenterExportSerializer(export).data)


@extend_schema(
    summary="The export's ZIP (for 24 hours after it is ready); the download is recorded in the audit log",
    responses={
        (200, "application/zip"): OpenApiTypes.BINARY,
        **ERRORS,
        409: OpenApiResponse(description="not_ready: still being built, or it failed"),
        410: OpenApiResponse(description="expired: past its 24 hours, the file is deleted"),
    },
)
@endpoint({"GET": Perm.TENANT_SETTINGS})
def export_download(request, export_id: int):
    export = get_for_tenant_or_404(CenterExport, request.tenant, pk=export_id)
    if export.is_running or export.state == CenterExport.State.FAILED:
        reason = full_export.unavailable(export, request.tenant)
        return Response(body("not_ready", reason or ""), status=status.HTTP_409_CONFLICT)
    reason = full_export.unavailable(export, request.tenant)
    try:
        handle = None if reason else export.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        handle = None
    if handle is None:
        reason = full_export.unavailable(export, request.tenant, missing=True)
        return Response(body("expired", reason or ""), status=status.HTTP_410_GONE)
    return full_export_views.download(request, export, handle)
