"""/api/v1/: mounted by servicedesk/urls.py. Paths end with a slash; the key selects the center."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import data_views, docs, views

app_name = "api"

urlpatterns = [
    path("v1/", views.root, name="root"),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", docs.docs_page, name="docs"),
    path("v1/clients/", views.client_list, name="clients"),
    path("v1/clients/<int:client_id>/", views.client_detail, name="client"),
    path(
        "v1/clients/<int:client_id>/personal-data/", data_views.client_data_report, name="client_data_report"
    ),
    path("v1/clients/<int:client_id>/erasure/", data_views.client_erasure, name="client_erasure"),
    path(
        "v1/clients/<int:client_id>/data-requests/",
        data_views.client_data_requests,
        name="client_data_requests",
    ),
    path("v1/items/", views.item_list, name="items"),
    path("v1/items/<int:item_id>/", views.item_detail, name="item"),
    path("v1/service-types/", views.service_type_list, name="service_types"),
    path("v1/service-types/<int:service_type_id>/", views.service_type_detail, name="service_type"),
    path("v1/orders/", views.order_list, name="orders"),
    path("v1/orders/<int:order_number>/", views.order_detail, name="order"),
    path("v1/orders/<int:order_number>/actions/<slug:action>/", views.order_action, name="order_action"),
    path("v1/orders/<int:order_number>/assign/", views.order_assign, name="order_assign"),
    path("v1/orders/<int:order_number>/estimate/", views.order_estimate, name="order_estimate"),
    path("v1/orders/<int:order_number>/lines/", views.order_lines, name="order_lines"),
    path("v1/orders/<int:order_number>/lines/<int:line_id>/", views.order_line, name="order_line"),
    path("v1/orders/<int:order_number>/payments/", views.order_payments, name="order_payments"),
    path("v1/orders/<int:order_number>/notes/", views.order_notes, name="order_notes"),
    path("v1/orders/<int:order_number>/timeline/", views.order_timeline, name="order_timeline"),
    path("v1/orders/<int:order_number>/documents/", views.order_documents, name="order_documents"),
    path("v1/technicians/", views.technician_list, name="technicians"),
    path("v1/technicians/<int:membership_id>/", views.technician_detail, name="technician"),
    path("v1/parts/", views.part_list, name="parts"),
    path("v1/parts/<int:part_id>/", views.part_detail, name="part"),
    path("v1/stock/", views.stock_list, name="stock"),
    path("v1/documents/", views.document_list, name="documents"),
    path("v1/documents/<int:document_id>/", views.document_detail, name="document"),
    path("v1/documents/<int:document_id>/pdf/", views.document_pdf, name="document_pdf"),
    path("v1/feedback/", views.feedback_list, name="feedback"),
    path("v1/exports/", data_views.export_list, name="exports"),
    path("v1/exports/<int:export_id>/", data_views.export_detail, name="export"),
    path("v1/exports/<int:export_id>/download/", data_views.export_download, name="export_download"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
