"""Formatting of the managers' dashboard's figures: working time, shares, ratings."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def worktime(seconds: int | None) -> str:
    """Working time as people read it: "under a minute", "40 min", "2.5 h", "31 h" ("—" when unknown)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("< 1 min")
    if seconds < 3600:
        return _("%(n)s min") % {"n": round(seconds / 60)}
    hours = seconds / 3600
    if hours < 10:
        return _("%(n)s h") % {"n": number_format(round(hours, 1), 1)}
    return _("%(n)s h") % {"n": number_format(round(hours), 0, force_grouping=True)}


@register.filter
def share(value: float | None) -> str:
    """0.8765 -> "88 %" ("—" when unknown)."""
    if value is None:
        return "—"
    return _("%(n)s %%") % {"n": round(100 * value)}


@register.filter
def hours_figure(value: float | None) -> str:
    if value is None:
        return "—"
    return number_format(round(value, 1), 1, force_grouping=True)


@register.filter
def rating(value: float | None) -> str:
    return "—" if value is None else number_format(round(value, 1), 1)
