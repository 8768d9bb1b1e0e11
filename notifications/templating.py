"""The safe template language of message texts: `{{ variable }}` and nothing else.

Managers edit the texts clients receive, so the language can do exactly one thing: put a documented
value in place of `{{ order.number }}`. No tags, no filters, no attribute access beyond the fixed
names below: there is nothing to reach the database, settings or other tenants with. Texts are
checked when saved (`validate`), and rendering never evaluates anything (`render` is one regex pass;
a value containing `{{ ... }}` is printed as is, never expanded again).

E-mails go out as plain text plus an HTML alternative; in the HTML every value and every piece of
literal text is escaped, so neither a client's name nor a manager's text can inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

# name -> description shown next to the editor. The only names a text may use.
VARIABLES: dict[str, object] = {
    "order.number": _("Order number"),
    "order.item": _("The item: kind, brand, model"),
    "order.service": _("The service"),
    "order.problem": _("The problem as the client described it"),
    "order.promised_at": _("Promised by (date and time)"),
    "order.estimate": _("The estimate, with currency"),
    "order.total": _("Total of work and parts"),
    "order.amount_due": _("Amount still to pay"),
    "order.warranty_until": _("Warranty end date"),
    "status": _("Current status"),
    "client.name": _("Client's name"),
    "public_url": _("The client's status page link"),
    "feedback_url": _("Where the client leaves feedback"),
    "tenant.name": _("Service center's name"),
    "tenant.phone": _("Service center's phone"),
    "tenant.email": _("Service center's e-mail"),
    "tenant.website": _("Service center's website"),
    "pickup.name": _("Where to pick up: location name"),
    "pickup.address": _("Where to pick up: address"),
    "pickup.opening_hours": _("Where to pick up: opening hours"),
    "pickup.phone": _("Where to pick up: phone"),
    "visit.date": _("On-site visit: date"),
    "visit.time": _("On-site visit: time slot"),
    "visit.address": _("On-site visit: address"),
    "technician.name": _("Assigned technician"),
    "recipient.name": _("Staff alerts: the staff member's name"),
    "order_url": _("Staff alerts: the order's page"),
    "document.title": _("Document e-mails: the document's title"),
    "document.number": _("Document e-mails: the document's number"),
    "feedback.rating": _("Low-rating alerts: the client's rating, 1 to 5"),
    "feedback.comment": _("Low-rating alerts: the client's comment"),
    "sla.target": _("Service-level alerts: the target (time to plan, time to ready, on-site arrival)"),
    "sla.due_at": _("Service-level alerts: the deadline (date and time)"),
    "complaint.resolution": _("Complaint answers: what was decided"),
}
URL_VARIABLES = frozenset({"public_url", "feedback_url", "order_url"})

VARIABLE_RE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
# Anything that looks like template syntax but is not a plain {{ name }}: tags, comments, filters ...
TAG_RE = re.compile(r"\{%|%\}|\{#|#\}")


def validate(text: str) -> None:
    """Raise ValidationError (one message per problem) unless `text` uses only known {{ variables }}."""
    problems: list = []
    if TAG_RE.search(text):
        problems.append(
            _("Template tags and comments ({% … %}, {# … #}) are not allowed; use only {{ variable }}.")
        )
    unknown = sorted({name for name in VARIABLE_RE.findall(text) if name not in VARIABLES})
    if unknown:
        problems.append(
            ValidationError(
                _("Unknown variable(s): %(names)s. Use only the variables listed beside the form."),
                params={"names": ", ".join("{{ " + name + " }}" for name in unknown)},
            )
        )
    leftover = VARIABLE_RE.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        problems.append(
            _(
                "Write variables as {{ name }} with nothing else inside the braces (no filters, no spaces in names)."
            )
        )
    if problems:
        raise ValidationError(problems)


def _kept_lines(text: str, context: dict[str, str]) -> list[str]:
    """The lines worth sending: a line whose variables are all empty (a visit line of an in-shop order,
    an estimate not given yet) is left out, so texts need no conditions."""
    kept = []
    for line in text.split("\n"):
        names = VARIABLE_RE.findall(line)
        if names and not any(str(context.get(name, "")).strip() for name in names):
            continue
        kept.append(line)
    return kept


def render(text: str, context: dict[str, str]) -> str:
    """Plain text: each {{ name }} replaced by its value (unknown names, refused at save, become "")."""
    return "\n".join(
        VARIABLE_RE.sub(lambda match: str(context.get(match.group(1), "")), line)
        for line in _kept_lines(text, context)
    )


def render_html(text: str, context: dict[str, str]) -> str:
    """HTML for an e-mail: literal text and values escaped, links clickable, paragraphs kept."""
    text = "\n".join(_kept_lines(text, context))
    parts: list[str] = []
    position = 0
    for match in VARIABLE_RE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        name = match.group(1)
        value = escape(str(context.get(name, "")))
        if name in URL_VARIABLES and value.startswith(("https://", "http://")):
            value = f'<a href="{value}">{value}</a>'
        parts.append(value)
        position = match.end()
    parts.append(escape(text[position:]))
    # linebreaks() only adds <p>/<br>; its input is already escaped (autoescape=False keeps our <a>).
    return mark_safe(linebreaks("".join(parts), autoescape=False))


def one_line(text: str) -> str:
    """Subjects are one line (a newline in a header is refused by the mail library)."""
    return " ".join(text.split())[:255]


@dataclass(frozen=True)
class SmsSize:
    characters: int
    parts: int
    unicode: bool


_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def sms_size(text: str) -> SmsSize:
    """How many SMS parts a text takes: 160/153 characters in GSM-7, 70/67 with Cyrillic (UCS-2)."""
    unicode = any(ch not in _GSM7 for ch in text)
    single, multi = (70, 67) if unicode else (160, 153)
    length = len(text)
    parts = 0 if length == 0 else 1 if length <= single else -(-length // multi)
    return SmsSize(length, parts, unicode)
