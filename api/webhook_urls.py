"""The owner's webhook pages, mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import webhook_views as views

app_name = "webhooks"

urlpatterns = [
    path("settings/webhooks/", views.endpoint_list, name="list"),
    path("settings/webhooks/<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("settings/webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("settings/webhooks/<int:endpoint_id>/resume/", views.endpoint_resume, name="resume"),
    path("settings/webhooks/<int:endpoint_id>/secret/", views.endpoint_rotate, name="rotate"),
    path(
        "settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
        views.delivery_resend,
        name="resend",
    ),
]
