"""URLs of the tenant itself, mounted under /<tenant_slug>/ by servicedesk/urls.py."""

from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path("members/<int:membership_id>/", views.member_edit, name="member_edit"),
    path("invitations/<int:invitation_id>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("locations/", views.locations, name="locations"),
    path("locations/new/", views.location_edit, name="location_new"),
    path("locations/<int:location_id>/", views.location_edit, name="location_edit"),
    path("settings/", views.tenant_settings, name="settings"),
]
