"""URLs of the technicians app, mounted under /<tenant_slug>/ (every view is wrapped in tenant_view)."""

from django.urls import path  # noqa: F401

app_name = "technicians"

urlpatterns: list = []
