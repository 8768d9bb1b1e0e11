from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()

STATUS_COLORS = {
    "new": "primary",
    "planned": "info",
    "diagnostics": "info",
    "awaiting_approval": "warning",
    "awaiting_parts": "warning",
    "in_progress": "primary",
    "quality_check": "secondary",
    "ready": "success",
    "handed_over": "dark",
    "cancelled": "danger",
    "on_hold": "secondary",
}
PRIORITY_COLORS = {0: "secondary", 1: "light", 2: "warning", 3: "danger"}


@register.filter
def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "secondary")


@register.filter
def priority_color(priority: int) -> str:
    return PRIORITY_COLORS.get(priority, "light")


@register.filter
def money(value, currency: str = "") -> str:
    """1234.5 -> '1 234.50 RUB' with the locale's separators."""
    if value is None or value == "":
        return "—"
    text = number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()


@register.simple_tag(takes_context=True)
def order_panels(context, column: str = "main", order=None):
    """{% order_panels "main" %}: the panels other apps registered for the order page (orders/panels.py);
    {% order_panels "job_card" order=o %} those for an order's card on a technician's My jobs."""
    from orders.panels import render_panels

    return render_panels(context["request"], order or context["order"], column)
