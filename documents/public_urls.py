"""The client's documents under the status page's token (no tenant in the URL, no account)."""

from django.urls import path

from . import public

app_name = "documents_public"

urlpatterns = [
    path("s/<str:token>/documents/<slug:kind>/", public.public_document, name="public_document"),
]
