"""Quality URLs, mounted at the root like the orders app's: the client's feedback page lives beside the
status page under /s/<token>/ (no account), the managers' pages under /<tenant_slug>/."""

from django.urls import include, path

from . import checklist_views, views

app_name = "quality"

tenant_urlpatterns = [
    path("quality/dashboard/", views.dashboard_page, name="dashboard"),
    path("quality/dashboard/export/", views.dashboard_export, name="dashboard_export"),  # ?table=...&<filters>
    path("quality/feedback/", views.feedback_list, name="feedback_list"),
    path("quality/hours/", views.business_hours, name="business_hours"),
    path("quality/hours/<int:location_id>/", views.location_hours, name="location_hours"),
    path("quality/hours/days/<int:calendar_day_id>/delete/", views.calendar_day_delete, name="calendar_day_delete"),
    path("quality/standards/", views.standards, name="standards"),
    path("quality/standards/new/", views.standard_edit, name="standard_new"),
    path("quality/standards/<int:standard_id>/", views.standard_edit, name="standard_edit"),
    path("quality/standards/<int:standard_id>/delete/", views.standard_delete, name="standard_delete"),
    path("quality/goals/new/", views.goal_new, name="goal_new"),
    path("quality/goals/<int:goal_id>/delete/", views.goal_delete, name="goal_delete"),
    path("quality/sla/", views.sla_policies, name="sla_policies"),
    path("quality/sla/<int:policy_id>/", views.sla_policy_edit, name="sla_policy_edit"),
    path("quality/sla/<int:policy_id>/delete/", views.sla_policy_delete, name="sla_policy_delete"),
    path("quality/checklists/", checklist_views.checklist_list, name="checklists"),
    path("quality/checklists/<int:service_type_id>/", checklist_views.checklist_edit, name="checklist_edit"),
    path("orders/<int:order_number>/checklist/", checklist_views.order_checklist, name="order_checklist"),
    path("orders/<int:order_number>/checklist/<int:checklist_item_id>/", checklist_views.answer, name="answer"),
]

urlpatterns = [
    path("s/<str:token>/feedback/", views.public_feedback, name="feedback"),
    path("<slug:tenant_slug>/", include(tenant_urlpatterns)),
]
