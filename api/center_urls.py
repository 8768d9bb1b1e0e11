"""The owner's API key pages, mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import key_views

app_name = "api_keys"

urlpatterns = [
    path("settings/api-keys/", key_views.key_list, name="list"),
    path("settings/api-keys/<int:api_key_id>/revoke/", key_views.key_revoke, name="revoke"),
]
