"""The quality app's panel on the order page (registered in QualityConfig.ready()): the order's checklist,
stage by stage, and its quality checks. Reads what orders.lifecycle.prepare_guards() loaded for the page;
a fixed number of queries."""

from __future__ import annotations

from django.http import HttpRequest

from orders.models import Order

from . import checklists, checks


def checklist_panel(request: HttpRequest, order: Order) -> dict | None:
    state = checklists.state_of(order)
    order_checks = checks.order_checks(order)
    if state is None and not order_checks:
        return None  # an order without a checklist that was never checked: nothing to show
    return {"state": state, "checks": order_checks}
