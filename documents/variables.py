"""The documented variables of document templates: their schema, and the context built for an order.

SCHEMA is the single list: the template editor prints it, docs/documents.md describes it, the sandbox
refuses any path not in it, and a test checks that build_context() provides exactly these keys.
The context is plain data (dicts, lists, strings, Decimals, dates), never model instances.

Apps downstream of orders add variables of their own with `register_variables` (in AppConfig.ready()),
so documents never imports them: quality adds `checklist`, the order's checklist answers.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from servicedesk.money_format import currency_symbol
from servicedesk.tenancy.countries import legal_line

from .words import amount_in_words


@dataclass(frozen=True)
class Leaf:
    description: object


@dataclass(frozen=True)
class Seq:
    description: object
    fields: dict
    element: str = ""  # the loop variable the editor's list names the fields with, e.g. "line"


L = Leaf
_ = gettext_lazy

LINE = {
    "kind": L(_("“work” or “part”")),
    "kind_label": L(_("Work / Part or material, in the document's language")),
    "description": L(_("What was done or used")),
    "quantity": L(_("Quantity (use |qty)")),
    "unit_price": L(_("Price per unit (use |money)")),
    "amount": L(_("Quantity × price (use |money)")),
    "covered": L(_("True when the line is covered by the warranty of an earlier order (no charge)")),
    "warranty_end": L(_("Warranty of this line until: a part's own period, else the service's (use |date)")),
}

SCHEMA: dict = {
    "document": {
        "number": L(_("Document number, e.g. A-2026-00012 (“PREVIEW” in previews)")),
        "title": L(_("Document title in its language, e.g. Completion act")),
        "kind": L(_("intake_receipt, service_contract, completion_act or warranty_card")),
        "date": L(_('Date of issue (use |date:"d.m.Y")')),
        "version": L(_("1 for the first issue, 2 for a re-issue ...")),
        "language": L(_("The document's language code: en, ru ...")),
    },
    "tenant": {
        "name": L(_("Service center's name")),
        "legal_name": L(_("Legal name (falls back to the name)")),
        "tax_id": L(_("Tax number (INN)")),
        "kpp": L(_("KPP")),
        "registration_number": L(_("Registration number (OGRN)")),
        "legal_ids": L(
            _(
                "The registration numbers the center's country asks for, named in the document's language: "
                "INN, KPP, OGRN in Russia; NPWP, NIB in Indonesia; a tax and a company number elsewhere"
            )
        ),
        "country": L(_("The center's country code (ISO 3166-1), e.g. RU, ID")),
        "legal_address": L(_("Legal address")),
        "phone": L(_("Phone")),
        "email": L(_("E-mail")),
        "website": L(_("Website")),
        "bank_name": L(_("Bank")),
        "bank_bik": L(_("Bank identifier (BIC)")),
        "bank_account": L(_("Account number")),
        "bank_correspondent_account": L(_("Correspondent account")),
        "signer_name": L(_("Who signs for the center")),
        "signer_title": L(_("The signer's title")),
        "signer_basis": L(_("Acts on the basis of")),
        "logo": L(_("Logo image address for <img src> (empty if none)")),
        "signature": L(_("Signature image address (empty if none)")),
        "stamp": L(_("Stamp image address (empty if none)")),
        "receipt_terms": L(_("Standard intake terms (document details page)")),
        "contract_terms": L(_("Standard contract terms (document details page)")),
        "currency": L(_("Currency code, e.g. RUB")),
    },
    "order": {
        "number": L(_("Order number")),
        "created_at": L(_("Taken in (date and time)")),
        "promised_at": L(_("Promised by (date and time)")),
        "service": L(_("Service type")),
        "service_description": L(_("Service type's description")),
        "format": L(_("Format: in the shop, on-site ...")),
        "status": L(_("Current status")),
        "problem": L(_("The problem in the client's words")),
        "terms": L(_("Agreed terms of this order")),
        "estimate": L(_("Estimate (empty if none)")),
        "intake_location": L(_("Where it was received")),
        "intake_address": L(_("Address of that location")),
        "intake_phone": L(_("Phone of that location")),
        "technician": L(_("Assigned technician's name")),
        "visit_address": L(_("On-site visit address")),
        "visit_start": L(_("Visit from")),
        "visit_end": L(_("Visit until")),
        "handed_over_at": L(_("Handed over (date and time), empty before")),
        "public_url": L(_("The client's status page address")),
        "qr_code": L(_("QR code of the status page, an image address for <img src>")),
    },
    "client": {
        "name": L(_("Client's name")),
        "phone": L(_("Client's phone")),
        "email": L(_("Client's e-mail")),
        "consent_at": L(_("When the client consented to personal-data processing")),
        "consent_version": L(_("Privacy policy version the client consented to")),
    },
    "item": {
        "present": L(_("True when the order has an item")),
        "description": L(_("Kind, brand and model in one line")),
        "kind": L(_("Kind: phone, laptop ...")),
        "brand": L(_("Brand")),
        "model": L(_("Model")),
        "serial": L(_("Serial number / IMEI / VIN")),
        "condition": L(_("Condition on intake")),
        "accessories": L(_("Accessories left with it")),
    },
    "lines": Seq(_("Every work and part: {% for line in lines %}"), LINE, element="line"),
    "works": Seq(_("Only the works"), LINE),
    "parts": Seq(_("Only the parts and materials"), LINE),
    "discounts": Seq(_("Only the discounts (every line that is neither a work nor a part)"), LINE),
    "totals": {
        "works": L(_("Sum of works")),
        "parts": L(_("Sum of parts")),
        "discounts": L(_("Sum of discounts (negative)")),
        "total": L(_("Total")),
        "prepayment": L(_("Prepaid at intake")),
        "paid": L(_("Paid so far (payments less refunds)")),
        "due": L(_("Still to pay")),
        "credit": L(_("Paid more than the total: to return to the client")),
        "approved": L(_("The amount the client approved (empty if none)")),
        "has_approval": L(_("True when the client approved an amount")),
        "override_reason": L(_("Why a manager accepted a bill above the approved amount (empty if not)")),
        "in_words": L(_("Total in words, in the document's language")),
        "currency": L(_("Currency sign in the document's language, e.g. ₽, Rp, $")),
    },
    "warranty": {
        "days": L(_("Warranty period in days")),
        "start": L(_("Warranty start: the handover date")),
        "end": L(_("Warranty end")),
        "return_of": L(
            _("For a warranty claim or rework: the number of the original order (its warranty applies)")
        ),
        "url": L(_("The client's warranty page: report a problem under warranty")),
        "qr_code": L(_("QR code of the warranty page, an image address for <img src>")),
    },
    "privacy": {
        "version": L(_("Privacy policy version in force")),
        "title": L(_("Its title")),
    },
}


def flat_schema(schema: dict | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """[("order.number", "Order number"), ("lines", "..."), ("line.amount", ...)] for the editor and docs."""
    rows: list[tuple[str, str]] = []
    for name, node in (schema or SCHEMA).items():
        path = f"{prefix}{name}"
        if isinstance(node, Leaf):
            rows.append((path, str(node.description)))
        elif isinstance(node, Seq):
            rows.append((path, str(node.description)))
            rows += (
                [(f"{node.element}.{field}", str(leaf.description)) for field, leaf in node.fields.items()]
                if node.element
                else []
            )
        else:
            rows += flat_schema(node, f"{path}.")
    return rows


# --- Variables of other apps ----------------------------------------------------------------------
@dataclass(frozen=True)
class Provider:
    """Variables another app provides: `build(order, language)` gives the plain data of one order,
    `sample(language)` made-up data for previews."""

    node: Leaf | Seq | dict
    build: Callable[..., object]
    sample: Callable[[str], object]


_providers: dict[str, Provider] = {}


def register_variables(
    name: str, node: Leaf | Seq | dict, *, build: Callable[..., object], sample: Callable[[str], object]
) -> None:
    """Add a top-level variable `name` to every document's context (and to SCHEMA, so the editor lists it
    and the sandbox accepts it). Called from the providing app's AppConfig.ready()."""
    if name in SCHEMA and name not in _providers:
        raise ValueError(f"{name!r} is already a document variable")
    _providers[name] = Provider(node, build, sample)
    SCHEMA[name] = node


def _provided(order, language: str) -> dict:
    with translation.override(language):
        return {name: provider.build(order, language) for name, provider in _providers.items()}


def _provided_samples(language: str) -> dict:
    with translation.override(language):
        return {name: provider.sample(language) for name, provider in _providers.items()}


# --- Building the context -------------------------------------------------------------------------


def _legal_ids(tenant, paper, language: str) -> str:
    """ "ИНН 7700000000, КПП 770101001, ОГРН 1027700000000", "NPWP 01.234.567.8-901.000, NIB 9120...":
    the country's registration numbers (tenancy.countries) that the center filled in."""
    values = {
        "tax_id": tenant.tax_id,
        "kpp": getattr(paper, "kpp", ""),
        "registration_number": tenant.registration_number,
    }
    return legal_line(tenant.country, values, language)


# Printed words that must be right in each document language whatever the UI translations say.
LINE_KIND_LABELS = {
    "en": {"work": "Work", "part": "Part or material", "discount": "Discount"},
    "ru": {"work": "Работа", "part": "Запчасть, материал", "discount": "Скидка"},
    "id": {"work": "Jasa", "part": "Suku cadang, bahan", "discount": "Diskon"},
}
TITLES = {
    "en": {
        "intake_receipt": "Intake receipt",
        "service_contract": "Service contract",
        "completion_act": "Completion act",
        "warranty_card": "Warranty card",
    },
    "ru": {
        "intake_receipt": "Квитанция о приёме",
        "service_contract": "Договор оказания услуг",
        "completion_act": "Акт выполненных работ",
        "warranty_card": "Гарантийный талон",
    },
    "id": {
        "intake_receipt": "Tanda terima servis",
        "service_contract": "Perjanjian servis",
        "completion_act": "Berita acara penyelesaian pekerjaan",
        "warranty_card": "Kartu garansi",
    },
}


# The signer's title when none is given in the document's language.
SIGNER_TITLE_FALLBACK = {"en": "Authorised signatory", "ru": "Уполномоченное лицо", "id": "Pejabat berwenang"}
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def signer_title(paper, language: str) -> str:
    """The signer's title in the document's language: a Russian document prints `signer_title`; others print
    `signer_title_en`, else `signer_title` if it is not written in Cyrillic, else a neutral English title
    (an English act once printed "Генеральный директор")."""
    title = (paper.signer_title or "").strip()
    if language == "ru":
        return title
    english = (getattr(paper, "signer_title_en", "") or "").strip()
    if english:
        return english
    if title and not _CYRILLIC.search(title):
        return title
    return SIGNER_TITLE_FALLBACK.get(language, SIGNER_TITLE_FALLBACK["en"]) if paper.signer_name else ""


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (crisp at any print size, a few KB)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def public_url(order) -> str:
    try:
        path = reverse("orders:public_status", args=[order.public_token])
    except NoReverseMatch:
        path = f"/s/{order.public_token}/"
    return settings.SITE_URL + path


def media_ref(field) -> str:
    """How a template addresses a tenant's uploaded image: /media/<name>, served to WeasyPrint only by
    documents.rendering's fetcher, which checks the tenant."""
    return f"/media/{field.name}" if field else ""


def _local(value: datetime | None, tz) -> datetime | None:
    return timezone.localtime(value, tz) if value else None


def _line(line, labels: dict, warranty_start: date | None = None, warranty_end: date | None = None) -> dict:
    own = getattr(line, "warranty_days", None)
    return {
        "kind": line.kind,
        "kind_label": labels.get(line.kind, line.kind),
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "covered": bool(getattr(line, "covered", False)),
        "warranty_end": (warranty_start + timedelta(days=own)) if own and warranty_start else warranty_end,
        "amount": line.amount,
    }


def build_context(
    order, *, kind: str, language: str, number: str, version: int, issued_at: datetime, paper, privacy: dict
) -> dict:
    """The context of one document of one order. `paper` is the tenant's DocumentSettings.

    The order must come with client, item, service_type, intake_location, technician__user and
    tenant loaded; lines and payments are read here (two queries).
    """
    from zoneinfo import ZoneInfo

    from orders.models import LineItem, Payment

    tenant = order.tenant
    tz = ZoneInfo(tenant.time_zone)
    labels = LINE_KIND_LABELS.get(language, LINE_KIND_LABELS["en"])
    title = TITLES.get(language, TITLES["en"])[kind]
    handed_over_at = _local(order.closed_at, tz) if order.status == "handed_over" else None
    warranty_days = order.service_type.warranty_days
    warranty_start = handed_over_at.date() if handed_over_at else timezone.localtime(issued_at, tz).date()
    warranty_end = order.warranty_until or (warranty_start + timedelta(days=warranty_days))
    with translation.override(language):
        status = order.get_status_display()
        format_label = order.get_format_display()
        lines = [
            _line(line, labels, warranty_start, warranty_end)
            for line in order.line_items.all().order_by("created_at", "id")
        ]
    payments = list(order.payments.all())
    approval = order.estimates.filter(state="approved").order_by("-version").only("override_reason").first()
    override_reason = approval.override_reason if approval else ""
    prepayment = sum((p.amount for p in payments if p.kind == Payment.Kind.PREPAYMENT), Decimal("0"))
    works = [line for line in lines if line["kind"] == LineItem.Kind.WORK]
    parts = [line for line in lines if line["kind"] == LineItem.Kind.PART]
    discounts = [line for line in lines if line["kind"] not in (LineItem.Kind.WORK, LineItem.Kind.PART)]
    total = sum((line["amount"] for line in lines), Decimal("0"))
    paid = order.paid_amount
    item = order.item
    client = order.client
    technician = order.technician
    url = public_url(order)
    warranty_page = _warranty_page(order) if kind == "warranty_card" else url
    return {
        "document": {
            "number": number,
            "title": title,
            "kind": kind,
            "date": timezone.localtime(issued_at, tz).date(),
            "version": version,
            "language": language,
        },
        "tenant": {
            "name": tenant.name,
            "legal_name": tenant.legal_name or tenant.name,
            "tax_id": tenant.tax_id,
            "kpp": paper.kpp,
            "registration_number": tenant.registration_number,
            "legal_ids": _legal_ids(tenant, paper, language),
            "country": tenant.country,
            "legal_address": tenant.legal_address,
            "phone": tenant.phone,
            "email": tenant.email,
            "website": tenant.website,
            "bank_name": paper.bank_name,
            "bank_bik": paper.bank_bik,
            "bank_account": paper.bank_account,
            "bank_correspondent_account": paper.bank_correspondent_account,
            "signer_name": paper.signer_name,
            "signer_title": signer_title(paper, language),
            "signer_basis": paper.signer_basis,
            "logo": media_ref(paper.logo),
            "signature": media_ref(paper.signature),
            "stamp": media_ref(paper.stamp),
            "receipt_terms": paper.receipt_terms,
            "contract_terms": paper.contract_terms,
            "currency": tenant.currency,
        },
        "order": {
            "number": order.number,
            "created_at": _local(order.created_at, tz),
            "promised_at": _local(order.promised_at, tz),
            "service": order.service_type.name,
            "service_description": order.service_type.description,
            "format": format_label,
            "status": status,
            "problem": order.problem,
            "terms": order.terms,
            "estimate": order.estimate,
            "intake_location": order.intake_location.name,
            "intake_address": order.intake_location.address,
            "intake_phone": order.intake_location.phone or tenant.phone,
            "technician": (technician.user.get_full_name() or str(technician.user)) if technician else "",
            "visit_address": order.visit_address,
            "visit_start": _local(order.visit_start, tz),
            "visit_end": _local(order.visit_end, tz),
            "handed_over_at": handed_over_at,
            "public_url": url,
            "qr_code": qr_data_uri(url),
        },
        "client": {
            "name": client.name,
            "phone": _format_phone(client.phone),
            "email": client.email,
            "consent_at": _local(client.consent_at, tz),
            "consent_version": client.consent_version,
        },
        "item": {
            "present": item is not None,
            "description": str(item) if item else "",
            "kind": item.kind if item else "",
            "brand": item.brand if item else "",
            "model": item.model if item else "",
            "serial": item.serial if item else "",
            "condition": order.item_condition,
            "accessories": order.item_accessories,
        },
        "lines": lines,
        "works": works,
        "parts": parts,
        "discounts": discounts,
        "totals": {
            "works": sum((line["amount"] for line in works), Decimal("0")),
            "parts": sum((line["amount"] for line in parts), Decimal("0")),
            "discounts": sum((line["amount"] for line in discounts), Decimal("0")),
            "total": total,
            "prepayment": prepayment,
            "paid": paid,
            "due": max(total - paid, Decimal("0")),
            "credit": max(paid - total, Decimal("0")) if total or not order.is_open else Decimal("0"),
            "approved": order.approved_amount if order.approved_amount is not None else "",
            "has_approval": order.approved_amount is not None,
            "override_reason": override_reason,
            "in_words": amount_in_words(total, tenant.currency, language),
            "currency": currency_symbol(tenant.currency, language),
        },
        "warranty": {
            "days": warranty_days,
            "start": warranty_start,
            "end": warranty_end,
            "return_of": order.warranty_of.number if order.warranty_of_id else "",
            "url": warranty_page,
            "qr_code": qr_data_uri(warranty_page),
        },
        "privacy": privacy,
        **_provided(order, language),
    }


# The path of the client's warranty page of an order: the quality app, above this one, sets it in its
# AppConfig.ready() (a page alive for the whole warranty, unlike the status link). Unset: the status page.
warranty_page_path: Callable[[Any], str] | None = None


def _warranty_page(order) -> str:
    if warranty_page_path is None:
        return public_url(order)
    return settings.SITE_URL + warranty_page_path(order)


def _format_phone(e164: str) -> str:
    from orders.services import format_phone

    return format_phone(e164) if e164 else ""


def sample_context(tenant, *, kind: str, language: str, paper, privacy: dict) -> dict:
    """Made-up order data for template previews: every variable filled, nothing read from orders."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tenant.time_zone)
    now = timezone.localtime(timezone.now(), tz)
    ru = language == "ru"
    labels = LINE_KIND_LABELS.get(language, LINE_KIND_LABELS["en"])
    title = TITLES.get(language, TITLES["en"])[kind]
    sample_lines = [
        ("work", "Диагностика" if ru else "Diagnostics", Decimal("1"), Decimal("500.00")),
        ("part", "Дисплейный модуль" if ru else "Display module", Decimal("1"), Decimal("6900.00")),
        ("work", "Замена дисплея" if ru else "Display replacement", Decimal("1"), Decimal("1500.00")),
        ("part", "Термопаста" if ru else "Thermal paste", Decimal("0.5"), Decimal("300.00")),
    ]
    lines = [
        {
            "kind": k,
            "kind_label": labels[k],
            "description": d,
            "quantity": q,
            "unit_price": p,
            "amount": (q * p).quantize(Decimal("0.01")),
            "covered": False,
            "warranty_end": now.date()
            + timedelta(days=180 if d in {"Дисплейный модуль", "Display module"} else 90),
        }
        for k, d, q, p in sample_lines
    ]
    works = [line for line in lines if line["kind"] == "work"]
    parts = [line for line in lines if line["kind"] == "part"]
    discounts = [line for line in lines if line["kind"] not in ("work", "part")]
    total = sum((line["amount"] for line in lines), Decimal("0"))
    url = settings.SITE_URL + "/s/sample-token/"
    return {
        "document": {
            "number": "ОБРАЗЕЦ" if ru else "PREVIEW",
            "title": title,
            "kind": kind,
            "date": now.date(),
            "version": 1,
            "language": language,
        },
        "tenant": {
            "name": tenant.name,
            "legal_name": tenant.legal_name or tenant.name,
            "tax_id": tenant.tax_id,
            "kpp": paper.kpp,
            "registration_number": tenant.registration_number,
            "legal_ids": _legal_ids(tenant, paper, language),
            "country": tenant.country,
            "legal_address": tenant.legal_address,
            "phone": tenant.phone,
            "email": tenant.email,
            "website": tenant.website,
            "bank_name": paper.bank_name,
            "bank_bik": paper.bank_bik,
            "bank_account": paper.bank_account,
            "bank_correspondent_account": paper.bank_correspondent_account,
            "signer_name": paper.signer_name,
            "signer_title": signer_title(paper, language),
            "signer_basis": paper.signer_basis,
            "logo": media_ref(paper.logo),
            "signature": media_ref(paper.signature),
            "stamp": media_ref(paper.stamp),
            "receipt_terms": paper.receipt_terms,
            "contract_terms": paper.contract_terms,
            "currency": tenant.currency,
        },
        "order": {
            "number": 1024,
            "created_at": now - timedelta(days=3),
            "promised_at": now + timedelta(days=2),
            "service": "Ремонт смартфона" if ru else "Smartphone repair",
            "service_description": "",
            "format": "В мастерской" if ru else "In the shop",
            "status": "Готов к выдаче" if ru else "Ready for pickup",
            "problem": "Разбит экран, не работает сенсор" if ru else "Cracked screen, touch does not respond",
            "terms": "",
            "estimate": Decimal("9000.00"),
            "intake_location": "Main office",
            "intake_address": tenant.legal_address,
            "intake_phone": tenant.phone,
            "technician": "Ivan Petrov",
            "visit_address": "",
            "visit_start": None,
            "visit_end": None,
            "handed_over_at": now,
            "public_url": url,
            "qr_code": qr_data_uri(url),
        },
        "client": {
            "name": "Анна Смирнова" if ru else "Anna Smith",
            "phone": "+7 916 123-45-67",
            "email": "anna@example.com",
            "consent_at": now - timedelta(days=3),
            "consent_version": privacy["version"],
        },
        "item": {
            "present": True,
            "description": "Phone Apple iPhone 12",
            "kind": "Phone",
            "brand": "Apple",
            "model": "iPhone 12",
            "serial": "356789101234567",
            "condition": "Царапины на корпусе" if ru else "Scratches on the back",
            "accessories": "Чехол" if ru else "Case",
        },
        "lines": lines,
        "works": works,
        "parts": parts,
        "discounts": discounts,
        "totals": {
            "works": sum((line["amount"] for line in works), Decimal("0")),
            "parts": sum((line["amount"] for line in parts), Decimal("0")),
            "discounts": Decimal("0"),  # the sample has no discount lines
            "total": total,
            "prepayment": Decimal("1000.00"),
            "paid": Decimal("1000.00"),
            "due": total - Decimal("1000.00"),
            "credit": Decimal("0"),
            "approved": total,
            "has_approval": True,
            "override_reason": "",
            "in_words": amount_in_words(total, tenant.currency, language),
            "currency": currency_symbol(tenant.currency, language),
        },
        "warranty": {
            "days": 90,
            "start": now.date(),
            "end": now.date() + timedelta(days=90),
            "return_of": "",
            "url": settings.SITE_URL + "/w/sample-token/",
            "qr_code": qr_data_uri(settings.SITE_URL + "/w/sample-token/"),
        },
        "privacy": privacy,
        **_provided_samples(language),
    }


def date_only(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def sample_act_context(tenant, *, language: str, lines: int, paper, privacy: dict) -> dict:
    """The preview's sample completion act with `lines` lines (the sample's lines repeated, quantities 1-3) and
    its totals worked out again: what bench/render_documents.py renders and tests/documents/test_fast_act.py
    checks."""
    from .models import Kind

    context = sample_context(
        tenant, kind=Kind.COMPLETION_ACT, language=language, paper=paper, privacy=privacy
    )
    sample = context["lines"]
    rows = []
    for i in range(lines):
        row = dict(sample[i % len(sample)])
        row["description"] = f"{row['description']} #{i + 1}"
        row["quantity"] = Decimal(1 + i % 3)
        row["amount"] = (row["quantity"] * row["unit_price"]).quantize(Decimal("0.01"))
        rows.append(row)
    total = sum((row["amount"] for row in rows), Decimal("0"))
    context["lines"] = rows
    context["works"] = [row for row in rows if row["kind"] == "work"]
    context["parts"] = [row for row in rows if row["kind"] != "work"]
    context["totals"].update(
        works=sum((row["amount"] for row in context["works"]), Decimal("0")),
        parts=sum((row["amount"] for row in context["parts"]), Decimal("0")),
        total=total,
        due=total - context["totals"]["paid"],
        in_words=amount_in_words(total, tenant.currency, language),
    )
    return context
