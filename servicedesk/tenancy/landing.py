"""Where a member lands after log-in (the `home` view): the first registered landing that answers for them,
else the center's front page (orders:dashboard). Apps register theirs in AppConfig.ready(), so the tenancy
layer names none of them (quality: managers and owners of a center with history land on its dashboard)."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from .models import Membership

Landing = Callable[[Membership], str | None]  # the member's landing address, or None: not theirs

_landings: list[Landing] = []


def register_landing(landing: Landing) -> Landing:
    """Add a landing (idempotent: AppConfig.ready() may run twice in tests)."""
    if landing not in _landings:
        _landings.append(landing)
    return landing


def landing_url(membership: Membership) -> str:
    for landing in _landings:
        url = landing(membership)
        if url:
            return url
    return reverse("orders:dashboard", kwargs={"tenant_slug": membership.tenant.slug})
