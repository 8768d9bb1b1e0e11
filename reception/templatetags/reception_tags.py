from django import template

from orders.services import format_phone

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """+79035550123 -> +7 903 555-01-23."""
    return format_phone(e164) if e164 else ""
