"""Quality figures as people read them: metrics ("4.2 min", "87 %", "4.6 ★") and working time ("1 h 30 min")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from ..metrics import Unit

register = template.Library()

DECIMALS: dict[str, int] = {Unit.MINUTES: 1, Unit.HOURS: 1, Unit.PERCENT: 0, Unit.DAYS: 0, Unit.STARS: 1}


@register.filter
def in_unit(value: float | Decimal | None, unit: str) -> str:
    """The value with its unit; an em dash when there is none."""
    if value is None:
        return "—"
    places = DECIMALS.get(unit, 1)
    number = number_format(
        round(float(value), places), decimal_pos=places if places and float(value) % 1 else 0
    )
    if unit == Unit.PERCENT:
        return f"{number} %"
    if unit == Unit.STARS:
        return f"{number} ★"
    if unit == Unit.MINUTES:
        return f"{number} {pgettext('unit', 'min')}"
    if unit == Unit.HOURS:
        return f"{number} {pgettext('unit', 'working h')}"
    if unit == Unit.DAYS:
        return f"{number} {pgettext('unit', 'days')}"
    return number


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{number_format(round(value))} %"


@register.filter
def signed(value: Decimal | float) -> str:
    """-15 -> "−15 %", 10 -> "+10 %"."""
    number = float(value)
    text = number_format(abs(number), decimal_pos=0 if number == int(number) else 2)
    return f"{'−' if number < 0 else '+'}{text} %"


@register.simple_tag
def target_sentence(standard, metric) -> str:
    """ "at most 5 min for 90 % of clients" / "at least 95 %"."""
    text = f"{standard.get_comparison_display()} {in_unit(standard.value, metric.unit)}"
    if standard.share is not None:
        text += " " + _("for %(share)s of %(items)s") % {
            "share": percent(float(standard.share)),
            "items": metric.items,
        }
    return text


def format_working(delta: timedelta | int | None, rounded: bool = False) -> str:
    """Working time (a number is seconds): exact for one order's clock ('4 h', '1 h 30 min', '45 min'), or
    rounded for figures over many orders ('< 1 min', '40 min', '2.5 h', '31 h'); '—' when unknown."""
    if delta is None:
        return "—"
    seconds = delta if isinstance(delta, int) else int(delta.total_seconds())
    if rounded:
        if seconds < 60:
            return _("< 1 min")
        if seconds < 3600:
            return _("%(n)s min") % {"n": round(seconds / 60)}
        hours = seconds / 3600
        return _("%(n)s h") % {"n": _number(hours, 1 if hours < 10 else 0)}
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


# --- The managers' dashboard: plain string formatting with the language's decimal separator read once per
# language (Django's number_format looks the formats up on every call; the dashboard formats hundreds).


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
    """Working time over many orders, rounded (the dashboard's medians and percentiles)."""
    return format_working(seconds, rounded=True)


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
