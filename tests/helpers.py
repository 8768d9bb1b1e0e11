"""Small helpers shared by the tests."""

from __future__ import annotations

import html
import re


def text_of(response) -> str:
    """The page as text with HTML entities decoded, for `assert "..." in text_of(response)`."""
    return html.unescape(response.content.decode())


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def links_in(message_body: str) -> list[str]:
    return re.findall(r"https?://\S+", message_body)


def render_order_panel(name: str, order, membership, path: str = "/") -> str:
    """One app's panel of the order page, as that member would see it (orders.panels)."""
    from django.contrib.sessions.backends.base import SessionBase
    from django.test import RequestFactory

    from orders.panels import render_panel

    request = RequestFactory().get(path)
    request.user, request.session = membership.user, SessionBase()
    request.tenant, request.membership = membership.tenant, membership
    return render_panel(name, request, order)
