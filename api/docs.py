"""The API's documentation page: Swagger UI from drf-spectacular-sidecar's files, served by us (no CDN),
started by our own static script (no inline script or style: the CSP stays `'self'`)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def docs_page(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html")
