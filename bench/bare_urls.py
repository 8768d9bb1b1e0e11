"""The bench process's URLs (bench/pages.py sets ROOT_URLCONF to this module): the project's own, plus a bare
view, so the bare view runs behind the project's full middleware stack and is the floor a page is compared
with. Never part of the served application."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("__bare__", bare),
    path("", include("servicedesk.urls")),
]
