"""Checklist summaries on pages of other apps: the order page's panel and the technician's job cards.

They read what orders.lifecycle.prepare_guards() loaded for the page's orders (no queries of their own
then), so my jobs keeps a constant number of queries."""

from __future__ import annotations

from django import template

from quality import checklists, checks

register = template.Library()


@register.inclusion_tag("quality/_order_panel_body.html", takes_context=True)
def quality_order_panel(context) -> dict:
    order, membership = context.get("order"), context.get("membership")
    if order is None or membership is None:
        return {"order": None}
    state = checklists.state_of(order)
    return {
        "order": order, "tenant": context.get("tenant"), "state": state, "checks": checks.order_checks(order),
        "request": context.get("request"),
    }


@register.inclusion_tag("quality/_job_checklist.html", takes_context=True)
def job_checklist(context, order) -> dict:
    state = checklists.state_of(order)
    current = state.current if state else None
    return {"order": order, "tenant": context.get("tenant"), "state": state, "current": current,
            "missing": current.missing if current else []}
