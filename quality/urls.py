"""Quality URLs, mounted at the root like the orders app's: the client's feedback page lives beside the
status page under /s/<token>/ and the warranty card's page under /w/<token>/ (no account), the staff pages
under /<tenant_slug>/."""

from django.urls import include, path

from servicedesk.tenancy import converters  # noqa: F401  (registers <tenant:...>)

from . import audit_views, checklist_views, complaint_views, views, warranty_views

app_name = "quality"

tenant_urlpatterns = [
    path("quality/dashboard/", views.dashboard_page, name="dashboard"),
    path(
        "quality/dashboard/export/", views.dashboard_export, name="dashboard_export"
    ),  # ?table=...&<filters>
    path("quality/feedback/", views.feedback_list, name="feedback_list"),
    path("quality/hours/", views.business_hours, name="business_hours"),
    path("quality/hours/<int:location_id>/", views.location_hours, name="location_hours"),
    path(
        "quality/hours/days/<int:calendar_day_id>/delete/",
        views.calendar_day_delete,
        name="calendar_day_delete",
    ),
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
    path(
        "orders/<int:order_number>/checklist/<int:checklist_item_id>/", checklist_views.answer, name="answer"
    ),
    # Complaints
    path("orders/<int:order_number>/complaint/", complaint_views.complaint_new, name="complaint_new"),
    path("quality/complaints/", complaint_views.complaint_list, name="complaint_list"),
    path("quality/complaints/<int:complaint_id>/", complaint_views.complaint_detail, name="complaint_detail"),
    path(
        "quality/complaints/<int:complaint_id>/handle/",
        complaint_views.complaint_handle,
        name="complaint_handle",
    ),
    path(
        "quality/complaints/<int:complaint_id>/compensate/",
        complaint_views.complaint_compensate,
        name="complaint_compensate",
    ),
    # Warranty claims
    path("orders/<int:order_number>/warranty-claim/", warranty_views.claim_new, name="claim_new"),
    path("quality/warranty/", warranty_views.claim_list, name="claim_list"),
    path("quality/warranty/<int:claim_id>/", warranty_views.claim_detail, name="claim_detail"),
    path(
        "quality/warranty/<int:claim_id>/<slug:decision>/", warranty_views.claim_decide, name="claim_decide"
    ),
    # Internal audits
    path("quality/audits/", audit_views.audit_list, name="audit_list"),
    path("quality/audits/draw/", audit_views.audit_draw, name="audit_draw"),
    path("quality/audits/<int:audit_id>/", audit_views.audit_detail, name="audit_detail"),
    path("quality/audits/<int:audit_id>/findings/", audit_views.finding_add, name="finding_add"),
    path("quality/findings/<int:finding_id>/close/", audit_views.finding_close, name="finding_close"),
    path("quality/settings/", audit_views.aftersales_settings, name="aftersales_settings"),
]

urlpatterns = [
    path("s/<str:token>/feedback/", views.public_feedback, name="feedback"),
    path("w/<str:token>/", warranty_views.warranty_public, name="warranty_public"),
    path("<tenant:tenant_slug>/", include(tenant_urlpatterns)),
]
