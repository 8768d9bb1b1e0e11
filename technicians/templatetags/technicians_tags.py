"""{% technicians_order_panel %}: the work log and parts panel on the order page, in a fixed number of queries."""

from django import template

register = template.Library()


@register.inclusion_tag("technicians/_order_panel_body.html", takes_context=True)
def technicians_order_panel(context) -> dict:
    from technicians.views import order_panel_context

    order, membership, tenant = context.get("order"), context.get("membership"), context.get("tenant")
    if order is None or membership is None or tenant is None:
        return {"order": None}
    panel = order_panel_context(order, membership, tenant)
    panel["request"] = context.get("request")
    panel["csrf_token"] = context.get("csrf_token")
    return panel
