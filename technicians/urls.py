"""URLs of the technicians app, mounted under /<tenant_slug>/ (every view is wrapped in tenant_view)."""

from django.urls import path

from . import views

app_name = "technicians"

urlpatterns = [
    # Planning
    path("planning/", views.planning_board, name="board"),
    path("planning/<int:order_number>/", views.plan_order, name="plan"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:membership_id>/route/", views.route_sheet, name="route_sheet"),
    path("technicians/", views.technician_list, name="technicians"),
    path("technicians/<int:membership_id>/", views.technician_edit, name="technician_edit"),
    # Execution
    path("my-jobs/", views.my_jobs, name="my_jobs"),
    path("my-jobs/timer/stop/", views.timer_stop, name="timer_stop"),
    path("my-jobs/settings/", views.my_jobs_settings, name="my_jobs_settings"),
    path("jobs/<int:order_number>/action/", views.job_action, name="job_action"),
    path("jobs/<int:order_number>/timer/", views.timer, name="timer"),
    path("jobs/<int:order_number>/note/", views.job_note, name="job_note"),
    path("jobs/<int:order_number>/work-log/", views.worklog_add, name="worklog_add"),
    path("jobs/<int:order_number>/labour/", views.bill_labour, name="bill_labour"),
    path("jobs/<int:order_number>/parts/reserve/", views.parts_reserve, name="parts_reserve"),
    path("jobs/<int:order_number>/parts/use/", views.parts_use, name="parts_use"),
    path(
        "jobs/<int:order_number>/parts/<int:reservation_id>/release/",
        views.parts_release,
        name="parts_release",
    ),
    path("hours/", views.hours, name="hours"),
]
