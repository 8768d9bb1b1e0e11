"""Quality URLs, mounted at the root like the orders app's: the client's feedback page lives beside the
status page under /s/<token>/ (no account), the managers' pages under /<tenant_slug>/."""

from django.urls import include, path

from . import checklist_views, views

app_name = "quality"

tenant_urlpatterns = [
    path("quality/feedback/", views.feedback_list, name="feedback_list"),
    path("quality/hours/", views.business_hours, name="business_hours"),
    path("quality/hours/<int:location_id>/", views.location_hours, name="location_hours"),
    path("quality/hours/days/<int:calendar_day_id>/delete/", views.calendar_day_delete, name="calendar_day_delete"),
    path("quality/checklists/", checklist_views.checklist_list, name="checklists"),
    path("quality/checklists/<int:service_type_id>/", checklist_views.checklist_edit, name="checklist_edit"),
    path("orders/<int:order_number>/checklist/", checklist_views.order_checklist, name="order_checklist"),
    path("orders/<int:order_number>/checklist/<int:item_id>/", checklist_views.answer, name="answer"),
]

urlpatterns = [
    path("s/<str:token>/feedback/", views.public_feedback, name="feedback"),
    path("<slug:tenant_slug>/", include(tenant_urlpatterns)),
]
