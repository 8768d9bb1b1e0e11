"""The owner's import pages, mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import import_views as views

app_name = "imports"

urlpatterns = [
    path("settings/import/", views.import_list, name="list"),
    path("settings/import/<int:import_id>/", views.import_detail, name="detail"),
]
