"""Timeline texts become data (orders/event_text.py): parse what can be parsed from the stored texts.

Until now an event's text was written in the language of the moment ("Оплата: 100.00 (Наличные)" in an
English center's timeline). Each kind's known texts, in English or Russian, are matched and turned into
`data["text"]` (the msgid and its arguments); `message` keeps only what a person wrote (an estimate's
comment, a photo's caption, a release reason). The old text stays in `data["legacy_message"]` (and the
reverse migration puts it back). Texts that match nothing stay as they were: they are shown as stored.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import migrations
from django.utils import translation

BATCH = 2000

# Labels as they were written, English and Russian, back to their msgid.
PAYMENT_KINDS = {"Prepayment": "Prepayment", "Payment": "Payment", "Refund": "Refund"}
PAYMENT_METHODS = {"Cash": "Cash", "Card": "Card", "Bank transfer": "Bank transfer", "Online": "Online"}
LINE_KINDS = {"Work": "Work", "Part or material": "Part or material", "Discount": "Discount"}
ORDER_FIELDS = {
    "problem": "problem in the client's words",
    "priority": "priority",
    "promised_at": "promised by",
    "item_condition": "condition on intake",
    "item_accessories": "accessories left with it",
    "terms": "agreed terms",
}

# kind -> [(msgid, {argument: how to keep it}, what may follow: "" nothing, "message" a person's words)]
PATTERNS: dict[str, list[tuple[str, dict[str, object], str]]] = {
    "payment": [
        (
            "%(kind)s: %(amount)s (%(method)s)",
            {"kind": PAYMENT_KINDS, "amount": "money", "method": PAYMENT_METHODS},
            "",
        )
    ],
    "line_item": [
        (
            "%(kind)s: %(description)s × %(quantity)s = %(amount)s",
            {"kind": LINE_KINDS, "amount": "money"},
            "",
        ),
        ("%(kind)s: %(description)s = %(amount)s", {"kind": LINE_KINDS, "amount": "money"}, ""),
        ("Removed: %(what)s", {}, ""),
    ],
    "estimate": [("Estimate: %(amount)s", {"amount": "money"}, "message")],
    "created": [("Order taken in at %(location)s.", {}, "return")],
    "link": [("Public link replaced; the old one no longer works.", {}, "")],
    "photo": [("Photo added", {}, "")],
    "document": [
        ("Issued: %(title)s %(number)s (version %(version)s, %(language)s)", {}, ""),
        ("%(number)s e-mailed to the client (%(email)s)", {}, ""),
    ],
    "feedback": [("Rated %(rating)s of 5", {}, "comment")],
    "parts": [
        ("Parts arrived and were reserved: %(part)s × %(qty)s", {}, ""),
        ("Reserved %(part)s × %(qty)s", {}, ""),
        ("Released %(part)s × %(qty)s", {}, "reason"),
    ],
    "note": [("Walk-in client, ticket %(ticket)s: waited %(minutes)s min at reception.", {}, "")],
}
RETURN = "A return of order #%(number)s."


def _regex(template: str) -> str:
    out, pos = [], 0
    for match in re.finditer(r"%\((\w+)\)s", template):
        out.append(re.escape(template[pos : match.start()]))
        out.append(f"(?P<{match.group(1)}>.+?)")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return "".join(out).replace("%%", "%")


def _translations(msgid: str) -> list[str]:
    found = [msgid]
    with translation.override("ru"):
        ru = translation.gettext(msgid)
    if ru and ru != msgid:
        found.append(ru)
    return found


def _labels(table: dict[str, str]) -> dict[str, str]:
    both = dict(table)
    with translation.override("ru"):
        for shown, msgid in table.items():
            both[translation.gettext(msgid)] = msgid
    return both


def _money(value: str) -> dict | None:
    try:
        return {"money": str(Decimal(value.replace("\xa0", "").replace(" ", "").replace(",", ".")))}
    except InvalidOperation:
        return None


def _say(msgid: str, args: dict) -> dict:
    return {"msgid": msgid, "args": args}


def convert(kind: str, message: str, data: dict) -> tuple[dict, str] | None:
    """(the stored text, what remains of the message) or None if the text is not one of ours."""
    if kind == "edited" and isinstance(data.get("fields"), list):
        labels = [{"t": ORDER_FIELDS[name]} if name in ORDER_FIELDS else name for name in data["fields"]]
        return {"join": ", ", "parts": labels}, ""
    if kind == "note" and "visit" not in data:
        return None  # a person's note: it is what they wrote
    for msgid, spec, tail in PATTERNS.get(kind, []):
        for template in _translations(msgid):
            if tail == "return":
                returns = "|".join(
                    _regex(t).replace("?P<number>", f"?P<return{i}>")
                    for i, t in enumerate(_translations(RETURN))
                )
                pattern = rf"^{_regex(template)}(?: (?:{returns}))?$"
            elif tail in {"message", "comment"}:
                pattern = rf"^{_regex(template)}(?:[.:] (?P<_rest>.*))?$"
            elif tail == "reason":
                pattern = rf"^{_regex(template)}(?: \((?P<_rest>.*)\))?$"
            else:
                pattern = rf"^{_regex(template)}$"
            match = re.match(pattern, message, re.S)
            if not match:
                continue
            groups = match.groupdict()
            rest = groups.pop("_rest", None) or ""
            args: dict = {}
            ok = True
            returned = next((v for k, v in groups.items() if k.startswith("return") and v), None)
            for name, value in groups.items():
                if name.startswith("return"):
                    continue
                how = spec.get(name)
                if how == "money":
                    args[name] = _money(value)
                    ok = ok and args[name] is not None
                elif isinstance(how, dict):
                    msg = _labels(how).get(value)
                    args[name] = {"t": msg}
                    ok = ok and msg is not None
                elif value is not None:
                    args[name] = value
            if not ok:
                continue
            said = _say(msgid, args)
            if returned:
                said = {"join": " ", "parts": [said, _say(RETURN, {"number": returned})]}
            if kind == "photo":
                return said, ""
            return said, rest
    if kind == "photo" and message:
        return _say("Photo added", {}), message  # a caption: the person's words
    return None


def forwards(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    last = 0
    while True:
        rows = list(OrderEvent.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        changed = []
        for event in rows:
            last = event.pk
            data = event.data if isinstance(event.data, dict) else {}
            if "text" in data or event.kind == "status":
                continue
            result = convert(event.kind, event.message or "", data)
            if result is None:
                continue
            said, rest = result
            event.data = {**data, "text": said, "legacy_message": event.message}
            event.message = rest
            changed.append(event)
        OrderEvent.objects.bulk_update(changed, ["data", "message"])


def backwards(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    for event in OrderEvent.objects.filter(data__has_key="legacy_message").iterator():
        data = dict(event.data)
        event.message = data.pop("legacy_message")
        data.pop("text", None)
        event.data = data
        event.save(update_fields=["data", "message"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0013_merged_kinds")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
