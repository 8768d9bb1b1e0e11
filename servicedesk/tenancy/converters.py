"""`<tenant:tenant_slug>`: a center's address in its pages' URLs (/<tenant_slug>/...).

A slug that is none of the reserved words (settings.RESERVED_TENANT_SLUGS: a center cannot take one, see
tenancy.models.validate_not_reserved), so /s/<token>/, /q/<token>/, /w/<token>/, /accounts/... never enter
the tenant pages' patterns. With a plain `<slug:...>` the client's status page (/s/<token>/) was matched
against the quality and reception apps' 50 tenant patterns (as the pages of a center "s") before the orders
app's own pattern: 50 us of its 0.8 ms (issue 12, "Fast pages"). What a URL means is unchanged: no center is
called "s", so those patterns never led anywhere but a 404.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import register_converter
from django.urls.converters import SlugConverter


def _regex(reserved: frozenset[str] | set[str]) -> str:
    words = "|".join(re.escape(word) for word in sorted(reserved))
    # A slug, unless it is exactly a reserved word (one followed by more slug characters is a slug).
    return rf"(?!(?:{words})(?![-a-zA-Z0-9_]))[-a-zA-Z0-9_]+"


class TenantSlugConverter(SlugConverter):
    regex = _regex(settings.RESERVED_TENANT_SLUGS)


register_converter(TenantSlugConverter, "tenant")
