"""Quality template filters: durations as people read them."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def format_working(delta: timedelta | int | None) -> str:
    """'4 h', '1 h 30 min', '45 min' (a number is seconds)."""
    if delta is None:
        return "—"
    seconds = delta if isinstance(delta, int) else int(delta.total_seconds())
    minutes = max(seconds, 0) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}


@register.filter
def working(value) -> str:
    """A timedelta or seconds as working time."""
    return format_working(value)


@register.filter
def minutes_text(value) -> str:
    """A policy's minutes as working time ('—' when the target is not measured)."""
    return "—" if value is None else format_working(timedelta(minutes=value))
