"""Reception URLs, mounted at the root like the orders app's: staff pages under /<tenant_slug>/reception/,
the client's pages under /q/ (no account; "q" is a reserved tenant slug)."""

from django.urls import include, path

from servicedesk.tenancy import converters  # noqa: F401  (registers <tenant:...>)

from . import public, views

app_name = "reception"

tenant_urlpatterns = [
    path("reception/", views.queue_home, name="home"),
    path("reception/<int:location_id>/", views.board, name="board"),
    path("reception/<int:location_id>/check-in/", views.check_in, name="check_in"),
    path("reception/<int:location_id>/qr/", views.desk_qr, name="desk_qr"),
    path("reception/<int:location_id>/desk/", views.desk_settings, name="desk_settings"),
    path("reception/visits/<int:visit_id>/intake/", views.intake, name="intake"),
    path("reception/visits/<int:visit_id>/start-intake/", views.start_intake, name="start_intake"),
    path("reception/visits/<int:visit_id>/served/", views.serve, name="serve"),
    path("reception/visits/<int:visit_id>/left/", views.left, name="left"),
]

urlpatterns = [
    path("q/ticket/<str:token>/", public.ticket, name="ticket"),
    path("q/ticket/<str:token>/leave/", public.ticket_leave, name="ticket_leave"),
    path("q/<str:token>/", public.checkin, name="checkin"),
    path("<tenant:tenant_slug>/", include(tenant_urlpatterns)),
]
