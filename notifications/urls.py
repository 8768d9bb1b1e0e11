"""URLs of the notifications app, mounted under /<tenant_slug>/ (every view is wrapped in tenant_view)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:notification_id>/resend/", views.resend, name="resend"),
    path("notifications/<int:notification_id>/decide/", views.decide, name="decide"),
    path("notifications/settings/", views.notification_settings, name="settings"),
    # ?kind=<kind>&lang=<language>: no object ids in the path (the texts are per tenant, not objects).
    path("notifications/texts/", views.template_edit, name="template_edit"),
]
