"""URLs of the documents app, mounted under /<tenant_slug>/ (every view is wrapped in tenant_view)."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("orders/<int:order_number>/documents/issue/", views.issue, name="issue"),
    path("documents/", views.archive, name="archive"),
    path("documents/<int:document_id>/", views.document_file, name="file"),
    path("documents/<int:document_id>/email/", views.email, name="email"),
    path("documents/settings/", views.paper_settings, name="settings"),
    path("documents/templates/", views.template_list, name="templates"),
    path("documents/templates/edit/", views.template_edit, name="template_edit"),
    path("documents/privacy/", views.privacy, name="privacy"),
    path("documents/privacy/publish/", views.privacy_publish, name="privacy_publish"),
]
