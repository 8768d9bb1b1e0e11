"""Panels on the order page, contributed by the apps built on orders (like listeners, for the screen).

orders/ draws the order itself; the work log and parts, documents, notifications, quality checks ... are
other apps' panels. Each app registers its panels in AppConfig.ready(); the order page renders them in
their `position` order, so orders/ templates name no downstream app:

    register_panel(Panel("documents", "documents/_panel.html", documents_panel, position=200))

A panel's context function receives the request (request.tenant, request.membership) and the order and
returns the template's context, or None to leave the panel out (e.g. the role may not see it). It must
cost a fixed number of queries whatever the order's history (the order page's query count is tested).

Columns: "main" and "side" on the order page; "job_card" on each order's card in a technician's My jobs
(many cards per page: such a panel must read only what the page preloaded, e.g. prepare_guards()).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from servicedesk.tenancy.access import TenantRequest

from .models import Order

PanelContext = Callable[[TenantRequest, Order], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: PanelContext
    position: int = 100
    column: Literal["main", "side", "job_card"] = "main"


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    """Register (or replace, by name: AppConfig.ready() may run twice in tests) an order-page panel."""
    _panels[panel.name] = panel
    return panel


def panels(column: str = "main") -> list[Panel]:
    return sorted((p for p in _panels.values() if p.column == column), key=lambda p: (p.position, p.name))


def render_panel(panel: Panel | str, request: TenantRequest, order: Order) -> str:
    """One panel as HTML ("" when it leaves itself out), rendered with the request (csrf_token, perms_)."""
    panel = _panels[panel] if isinstance(panel, str) else panel
    extra = panel.context(request, order)
    if extra is None:
        return ""
    context = {"order": order, "tenant": request.tenant, "membership": request.membership, **extra}
    return render_to_string(panel.template, context, request=request)


def render_panels(request: TenantRequest, order: Order, column: str = "main") -> SafeString:
    """The column's panels as HTML, in their order."""
    return mark_safe("\n".join(render_panel(panel, request, order) for panel in panels(column)))  # noqa: S308
