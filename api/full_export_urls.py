"""The owner's full export of the center, mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import full_export_views as views

app_name = "full_export"

urlpatterns = [
    path("settings/export/", views.export_page, name="page"),
    path("settings/export/status/", views.export_status, name="status"),
    path("settings/export/<int:export_id>/download/", views.export_download, name="download"),
]
