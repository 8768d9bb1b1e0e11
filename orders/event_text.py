"""What an order event says, stored as data and put into words in the reader's language.

An event's system text is kept untranslated in `OrderEvent.data["text"]`: the English msgid (marked with
gettext_noop so makemessages finds it) and its arguments, each kept as data:

    record_event(order, EventKind.PAYMENT, text=say(gettext_noop("%(kind)s: %(amount)s (%(method)s)"),
                 kind=payment.Kind.PAYMENT.label, amount=Decimal("100"), method=...))

Arguments: a lazy translation (a choice's label, a field's verbose name) is kept as its msgid and
translated when read; a Decimal is an amount of money; a datetime a moment shown on the reader's clock in
the reader's format; a nested `say(...)` or `joined(...)` is rendered in turn; anything else is kept as
its plain text (names, numbers, codes). `OrderEvent.message` holds only what a person wrote (a note, a
reason, a caption, a comment) and is shown as written. Events written before this rule have no
`data["text"]`: their stored message is shown as it was (migration 00xx converted what it could parse).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

logger = logging.getLogger(__name__)

Text = dict[str, Any]


def _arg(value: Any) -> Any:
    if isinstance(value, dict):  # already a say(...) or joined(...)
        return value
    if isinstance(value, Promise):
        args: tuple[Any, ...] = tuple(getattr(value, "_args", ()))
        if len(args) == 1 and isinstance(args[0], str):
            return {"t": args[0]}
        if len(args) == 2 and all(isinstance(a, str) for a in args):
            return {"t": args[1], "ctx": args[0]}
        return str(value)
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, Decimal):
        return {"money": str(value)}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, int | float):
        return value
    return str(value)


def say(msgid: str, **args: Any) -> Text:
    """The stored form of a system text: an untranslated msgid (mark it with gettext_noop) and its args."""
    return {"msgid": msgid, "args": {name: _arg(value) for name, value in args.items()}}


def joined(separator: str, parts: list[Any]) -> Text:
    """Several parts (texts or plain values) joined by a separator (punctuation, never words)."""
    return {"join": separator, "parts": [_arg(part) for part in parts]}


def _money(value: str) -> str:
    from .templatetags.orders_tags import money

    try:
        return money(Decimal(value))
    except (InvalidOperation, ValueError):
        return value


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value  # numbers stay numbers for "%(h)d"
    if "msgid" in value or "join" in value:
        return render(value)
    if "t" in value:
        return pgettext(value["ctx"], value["t"]) if value.get("ctx") else gettext(value["t"])
    if "money" in value:
        return _money(value["money"])
    if "dt" in value:
        from servicedesk.formats import format_datetime

        return format_datetime(timezone.localtime(datetime.fromisoformat(value["dt"])))
    if "d" in value:
        from servicedesk.formats import format_date

        return format_date(date.fromisoformat(value["d"]))
    return ""


def render(stored: Text) -> str:
    """Put a stored text into words in the active language."""
    if "join" in stored:
        return str(stored["join"]).join(str(_value(part)) for part in stored.get("parts", []))
    template = gettext(stored["msgid"]) if stored.get("msgid") else ""
    args = {name: _value(value) for name, value in (stored.get("args") or {}).items()}
    try:
        return template % args if args else template
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder: the English text
        logger.warning("Event text %r does not fit its arguments", stored.get("msgid"))
        return stored["msgid"] % args


def describe(data: Any, message: str) -> str:
    """An event's text for the reader: its system text in their language, then what a person wrote."""
    stored = data.get("text") if isinstance(data, dict) else None
    if not isinstance(stored, dict):
        return message  # written before texts were data, and not convertible: as it was stored
    try:
        said = render(stored)
    except Exception:  # a malformed row must not break the order page
        logger.exception("Unreadable event text")
        return message
    if said and message:
        return f"{said} {message}" if said.endswith((".", ":")) else f"{said}. {message}"
    return said or message
