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


def form_values(response, containing: str | None = None) -> dict:
    """The values a browser would send back from the page's form (inputs, selects, textareas): the first form
    whose HTML has `containing` in it (e.g. 'name="tax_id"'), else the whole page. An unchecked checkbox sends nothing, a select with
    nothing selected its first option."""
    page = response.content.decode()
    if containing is not None:
        forms = re.findall(r"<form\b.*?</form>", page, re.S)
        page = next(form for form in forms if containing in form)
    values: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or (re.search(r'type="(checkbox|radio)"', tag) and " checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = (
            html.unescape(value.group(1)) if value else ("on" if " checked" in tag else "")
        )
    # A browser drops the newline that follows <textarea>.
    values.update(
        (name, html.unescape(text.removeprefix("\n")))
        for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    )
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    values.pop("csrfmiddlewaretoken", None)
    return values
