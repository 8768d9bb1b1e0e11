"""Quality URLs, mounted at the root like the orders app's: the client's feedback page lives beside the
status page under /s/<token>/ (no account), the managers' pages under /<tenant_slug>/."""

from django.urls import include, path

from . import views

app_name = "quality"

tenant_urlpatterns = [
    path("quality/feedback/", views.feedback_list, name="feedback_list"),
]

urlpatterns = [
    path("s/<str:token>/feedback/", views.public_feedback, name="feedback"),
    path("<slug:tenant_slug>/", include(tenant_urlpatterns)),
]
