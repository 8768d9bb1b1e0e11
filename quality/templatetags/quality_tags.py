"""{% job_checklist order %}: the checklist's summary on a technician's job card (my jobs).

It reads what orders.lifecycle.prepare_guards() loaded for the page's orders (no queries of its own then),
so my jobs keeps a constant number of queries."""

from __future__ import annotations

from django import template

from quality import checklists

register = template.Library()


@register.inclusion_tag("quality/_job_checklist.html", takes_context=True)
def job_checklist(context, order) -> dict:
    state = checklists.state_of(order)
    current = state.current if state else None
    return {"order": order, "tenant": context.get("tenant"), "state": state, "current": current,
            "missing": current.missing if current else []}
