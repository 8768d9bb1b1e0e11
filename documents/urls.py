"""URLs of the documents app, mounted under /<tenant_slug>/ (every view is wrapped in tenant_view)."""

from django.urls import path  # noqa: F401

app_name = "documents"

urlpatterns: list = []
