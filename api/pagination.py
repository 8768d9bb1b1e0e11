"""Cursor pages for the API: the web lists' keyset pagination (servicedesk/pagination.py), as JSON.

{"next": "<the URL of the next page, or null>", "results": [...]}. ?limit=1..200 (default API_PAGE_SIZE);
a malformed or forged cursor gives the first page, as on the web.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from servicedesk.pagination import SortKey, keyset_page

MAX_LIMIT = 200

PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's `next`"),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"Rows per page, 1-{MAX_LIMIT}"),
]


def page_size(request) -> int:
    raw = request.query_params.get("limit", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 4:
        return max(1, min(int(raw), MAX_LIMIT))
    return settings.API_PAGE_SIZE


def paginated(request, queryset, keys: list[SortKey], serializer_class, **context) -> Response:
    page = keyset_page(queryset, keys, request.query_params.get("cursor") or None, page_size(request))
    next_url = None
    if page.next_cursor:
        params = request.query_params.copy()
        params["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(request.path + "?" + params.urlencode())
    data = serializer_class(page.rows, many=True, context={"request": request, **context}).data
    return Response({"next": next_url, "results": data})


_pages: dict[str, type[serializers.Serializer]] = {}


def page_of(serializer_class) -> type[serializers.Serializer]:
    """The schema of a page of `serializer_class` rows."""
    name = serializer_class.__name__.removesuffix("Serializer") + "Page"
    if name not in _pages:
        _pages[name] = type(
            name,
            (serializers.Serializer,),
            {
                "next": serializers.URLField(
                    allow_null=True, help_text="The next page, or null on the last one"
                ),
                "results": serializer_class(many=True),
            },
        )
    return _pages[name]
