"""The owner's audit log page, mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import audit_views

app_name = "audit"

urlpatterns = [path("settings/audit/", audit_views.audit_list, name="list")]
