"""Formatting of the managers' dashboard's figures: working time, shares, ratings.

Plain string formatting with the language's decimal separator read once per language: Django's
number_format looks the formats up on every call, and the dashboard formats a few hundred numbers.
"""

from __future__ import annotations

from django import template
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

_SEPARATORS: dict[str, tuple[str, str]] = {}


def _separators() -> tuple[str, str]:
    language = get_language() or ""
    found = _SEPARATORS.get(language)
    if found is None:
        found = _SEPARATORS[language] = (get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR"))
    return found


def _number(value: float, decimals: int) -> str:
    decimal, thousands = _separators()
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


@register.filter
def worktime(seconds: int | None) -> str:
    """Working time as people read it: "< 1 min", "40 min", "2.5 h", "31 h" ("—" when unknown)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("< 1 min")
    if seconds < 3600:
        return _("%(n)s min") % {"n": round(seconds / 60)}
    hours = seconds / 3600
    return _("%(n)s h") % {"n": _number(hours, 1 if hours < 10 else 0)}


@register.filter
def share(value: float | None) -> str:
    """0.8765 -> "88 %" ("—" when unknown)."""
    if value is None:
        return "—"
    return _("%(n)s %%") % {"n": round(100 * value)}


@register.filter
def hours_figure(value: float | None) -> str:
    return "—" if value is None else _number(value, 1)


@register.filter
def rating(value: float | None) -> str:
    return "—" if value is None else _number(value, 1)
