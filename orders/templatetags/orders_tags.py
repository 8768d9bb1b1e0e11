from django import template

from orders.presentation import language_label
from servicedesk.money_format import format_amount, format_money
from servicedesk.tenancy.countries import legal_line

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
    """1234.5|money:"RUB" -> '1 234,50 ₽' (ru), 'RUB 1,234.50' (en); without a currency the number alone.
    The page's language formats it (servicedesk.money_format, as e-mails and PDFs do)."""
    if value is None or value == "":
        return "—"
    return format_money(value, currency) if currency else format_amount(value)


register.filter("language_label", language_label)


@register.filter
def legal_ids(tenant) -> str:
    """ "INN 7700000000, OGRN 1027700000000", "NPWP ..., NIB ...": what the center's country calls them."""
    return legal_line(
        tenant.country, {"tax_id": tenant.tax_id, "registration_number": tenant.registration_number}
    )


@register.simple_tag(takes_context=True)
def order_panels(context, column: str = "main", order=None):
    """{% order_panels "main" %}: the panels other apps registered for the order page (orders/panels.py);
    {% order_panels "job_card" order=o %} those for an order's card on a technician's My jobs."""
    from orders.panels import render_panels

    return render_panels(context["request"], order or context["order"], column)
