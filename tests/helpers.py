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
