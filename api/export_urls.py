"""Exports of lists (CSV, Excel), mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import export_views as views

app_name = "exports"

urlpatterns = [
    path("export/orders/", views.orders_export, name="orders"),
    path("export/clients/", views.clients_export, name="clients"),
    path("export/payments/", views.payments_export, name="payments"),
]
