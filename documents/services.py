"""Issuing documents: which template, the number, the PDF, the archive row. And the privacy policy.

issue() is the one way a Document comes to exist:
1. checks the kind may be issued for the order now (why_not_issue),
2. in one transaction: locks the order row (issues of one order queue up), takes the next number of
   (tenant, kind, year) from its counter row (gapless: the UPDATE holds the row until commit, a failed
   issue rolls the counter back), or for a re-issue keeps the number and takes version + 1,
3. renders the template (tenant's own or the default) in the sandbox, then the PDF with the safe fetcher,
4. stores the PDF under media/documents/<tenant_id>/..., with its SHA-256, size and issuer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.event_text import say
from orders.models import EventKind, Order, OrderStatus
from orders.permissions import ActorRefused, check_actor
from orders.timeline import record_event
from servicedesk import counters
from servicedesk.metrics import DOCUMENTS_RENDERED
from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.privacy import current_policy
from servicedesk.tenancy.roles import Perm

from . import rendering, sandbox
from .models import Document, DocumentSettings, DocumentTemplate, Kind
from .variables import TITLES, build_context, sample_context

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "documents" / "defaults"
LANGUAGES = [code for code, _name in settings.LANGUAGES]

PAGE_WORDS = {"en": ("Page", "of"), "ru": ("Стр.", "из"), "id": ("Hal.", "dari")}


# --- Templates ------------------------------------------------------------------------------------
def default_template(kind: str, language: str) -> str:
    """The shipped default (templates/documents/defaults/<kind>.<language>.html)."""
    if kind not in Kind.values or language not in LANGUAGES:
        raise ValueError(f"No default template for {kind}/{language}")
    return (DEFAULTS_DIR / f"{kind}.{language}.html").read_text(encoding="utf-8")


def template_for(tenant: Tenant | int, kind: str, language: str) -> tuple[str, str]:
    """(source, "tenant" | "default"): the tenant's own version if it made one, else the default."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    own = (
        DocumentTemplate.objects.filter(tenant_id=tenant_id, kind=kind, language=language)
        .only("body")
        .first()
    )
    if own is not None:
        return own.body, "tenant"
    return default_template(kind, language), "default"


@transaction.atomic
def save_template(tenant: Tenant, kind: str, language: str, body: str, *, by: Membership) -> DocumentTemplate:
    """Validate (sandbox.validate raises TemplateRefused with the reason) and store the tenant's version.
    The audit log keeps the text before (None: the standard one was in use) and after."""
    sandbox.validate(body)
    before = (
        DocumentTemplate.objects.for_tenant(tenant)
        .select_for_update()
        .filter(kind=kind, language=language)
        .values_list("body", flat=True)
        .first()
    )
    template, _created = DocumentTemplate.objects.update_or_create(
        tenant=tenant,
        kind=kind,
        language=language,
        defaults={"body": body, "updated_by": by.user},
    )
    if before != body:
        record(
            by,
            Action.DOC_TEMPLATE_SAVED,
            f"{kind}/{language}",
            {"kind": kind, "language": language, "before": {"body": before}, "after": {"body": body}},
        )
    return template


@transaction.atomic
def reset_template(tenant: Tenant, kind: str, language: str, *, by: Membership) -> None:
    """Back to the shipped text; the audit log keeps the center's text that is dropped."""
    own = DocumentTemplate.objects.for_tenant(tenant).filter(kind=kind, language=language).first()
    if own is None:
        return
    own.delete()
    record(
        by,
        Action.DOC_TEMPLATE_RESET,
        f"{kind}/{language}",
        {"kind": kind, "language": language, "before": {"body": own.body}, "after": {"body": None}},
    )


@transaction.atomic
def save_paper_settings(paper: DocumentSettings, *, by: Membership) -> DocumentSettings:
    """Store the details printed on papers as changed in `paper` (the settings form filled it); the
    audit log gets what differs (pictures by their file name)."""
    stored = DocumentSettings.objects.for_tenant(paper.tenant_id).select_for_update().first()
    before = snapshot(stored) if stored else snapshot(DocumentSettings(tenant_id=paper.tenant_id))
    paper.updated_by = by.user
    paper.save()
    changed = changes(before, snapshot(paper))
    if changed["after"]:
        record(by, Action.PAPERS_CHANGED, "", changed)
    return paper


# --- Privacy policy -------------------------------------------------------------------------------
def privacy_context(tenant: Tenant | int) -> dict:
    policy = current_policy(tenant)
    if policy is None:
        return {"version": settings.PRIVACY_POLICY_VERSION, "title": ""}
    return {"version": policy.version, "title": policy.title}


# --- Numbering ------------------------------------------------------------------------------------
def series(kind: str, year: int) -> str:
    """Each kind of document is numbered from 1 every year: R-2026-00001, A-2026-00001 ..."""
    return f"document:{kind}:{year}"


def next_number(tenant: Tenant | int, kind: str, year: int) -> int:
    """The next number of this kind this year, gapless: call inside the transaction that stores it."""
    return counters.next_number(tenant, series(kind, year))


# --- Issuing --------------------------------------------------------------------------------------
def why_not_issue(order: Order, kind: str, *, has_lines: bool | None = None) -> str | None:
    """Why this kind cannot be issued for the order now, or None. has_lines=None asks the database."""
    if kind not in Kind.values:
        return _("Unknown document.")
    if order.status == OrderStatus.CANCELLED and kind != Kind.INTAKE_RECEIPT:
        return _("The order is cancelled.")
    if kind == Kind.COMPLETION_ACT:
        if order.status not in {OrderStatus.QUALITY_CHECK, OrderStatus.READY, OrderStatus.HANDED_OVER}:
            return _(
                "The completion act is issued once the work is done (quality check, ready or handed over)."
            )
        if not (has_lines if has_lines is not None else order.line_items.exists()):
            return _("Record the works and parts first: the act lists them.")
    if kind == Kind.WARRANTY_CARD and order.status not in {OrderStatus.READY, OrderStatus.HANDED_OVER}:
        return _("The warranty card is issued when the order is ready or handed over.")
    return None


def _order_for_document(order_id: int, tenant_id: int, *, lock: bool) -> Order:
    qs = Order.objects.filter(pk=order_id, tenant_id=tenant_id).select_related(
        "tenant",
        "client",
        "item",
        "service_type",
        "intake_location",
        "technician__user",
        "warranty_of",
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.get()


def page_css_for(number: str, language: str) -> str:
    page, of = PAGE_WORDS.get(language, PAGE_WORDS["en"])
    return rendering.page_css(footer_left=number, page_label=page, of_label=of)


def render_pdf(source: str, context: dict, *, tenant_id: int, language: str) -> rendering.Rendered:
    """Template body + context -> PDF (sandboxed template, safe fetcher).

    A refused template raises TemplateRefused; any other failure (WeasyPrint on odd HTML) is logged and
    raised as a ValidationError with a sentence for the user, never a 500.
    """
    body = sandbox.render(source, context, language=language)
    number = str(context["document"]["number"])
    try:
        with translation.override(language):
            return rendering.html_to_pdf(
                body,
                tenant_id=tenant_id,
                extra_css=page_css_for(number, language),
                title=f"{context['document']['title']} {number}",
                language=language,
            )
    except Exception:
        logger.exception("Rendering %s for tenant %s failed", number, tenant_id)
        raise ValidationError(
            _(
                "The document could not be rendered (the error is logged). If the center uses its own "
                "template for it, check that template with the preview."
            )
        ) from None


def issue(order: Order, kind: str, language: str, *, by: Membership) -> Document:
    """Issue (or re-issue as a new version) a document of the order. ValidationError if not possible."""
    check_actor(by, Perm.DOCUMENTS_ISSUE, order)
    if language not in LANGUAGES:
        raise ValidationError(_("Unknown language."))
    problem = why_not_issue(order, kind)
    if problem:
        raise ValidationError(problem)
    tenant_id = order.tenant_id
    source, template_source = template_for(tenant_id, kind, language)
    paper = DocumentSettings.for_tenant(tenant_id)
    privacy = privacy_context(tenant_id)
    issued_by_name = (by.user.get_full_name() or by.user.get_username())[:150]

    with transaction.atomic():
        locked = _order_for_document(order.pk, tenant_id, lock=True)
        now = timezone.now()
        previous = (
            Document.objects.filter(tenant_id=tenant_id, order=locked, kind=kind)
            .order_by("-version")
            .values("year", "number", "version")
            .first()
        )
        if previous:
            year, number, version = previous["year"], previous["number"], previous["version"] + 1
        else:
            from zoneinfo import ZoneInfo

            year = timezone.localtime(now, ZoneInfo(locked.tenant.time_zone)).year
            number, version = next_number(tenant_id, kind, year), 1
        document = Document(
            tenant_id=tenant_id,
            order=locked,
            kind=kind,
            year=year,
            number=number,
            version=version,
            language=language,
            template_source=template_source,
            issued_at=now,
            issued_by=by.user,
            issued_by_name=issued_by_name,
        )
        context = build_context(
            locked,
            kind=kind,
            language=language,
            number=document.display_number,
            version=version,
            issued_at=now,
            paper=paper,
            privacy=privacy,
        )
        with timezone.override(locked.tenant.time_zone):
            rendered = render_pdf(source, context, tenant_id=tenant_id, language=language)
        DOCUMENTS_RENDERED.labels(kind=kind).inc()
        document.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        document.size = len(rendered.pdf)
        document.pages = rendered.pages
        document.file.save("document.pdf", ContentFile(rendered.pdf), save=False)
        try:
            document.save()
            record_event(
                locked,
                EventKind.DOCUMENT,
                actor=by.user,
                text=say(
                    gettext_noop("Issued: %(title)s %(number)s (version %(version)s, %(language)s)"),
                    title=Kind(kind).label,
                    number=document.display_number,
                    version=version,
                    language=language,
                ),
                data={"document_id": document.pk, "kind": kind},
            )
        except Exception:
            document.file.storage.delete(document.file.name)  # the row is rolled back: drop its file
            raise
    order.refresh_from_db(fields=["version"])
    return document


def preview(tenant: Tenant, kind: str, language: str, source: str) -> bytes:
    """A template (the tenant's draft) rendered with sample data: nothing is numbered or stored."""
    paper = DocumentSettings.for_tenant(tenant)
    context = sample_context(
        tenant, kind=kind, language=language, paper=paper, privacy=privacy_context(tenant)
    )
    with timezone.override(tenant.time_zone):
        rendered = render_pdf(source, context, tenant_id=tenant.pk, language=language)
    if rendered.refused:  # what the editor's check missed, the fetcher refused: say so rather than hide it
        urls = ", ".join(
            f"“{url.removeprefix(rendering._ORIGIN)[:80]}”" for url in dict.fromkeys(rendered.refused)
        )
        raise ValidationError(
            _(
                "The document tried to load %(urls)s, which documents may not use: only images and styles given by "
                "the variables (e.g. {{ tenant.logo }}), data: URIs or the project's /static/ files."
            )
            % {"urls": urls}
        )
    return rendered.pdf


def documents_of_order(order: Order) -> QuerySet[Document]:
    """The order's documents, newest version of each kind first (one query)."""
    return (
        Document.objects.for_tenant(order.tenant_id)
        .filter(order_id=order.pk)
        .select_related("issued_by")
        .order_by("kind", "-version")
    )


def verify(document: Document) -> bool:
    """Does the stored PDF still hash to the recorded SHA-256?"""
    digest = hashlib.sha256()
    with document.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest() == document.sha256


@dataclass
class BatchResult:
    issued: list[int]
    refused: dict[int, str]


def issue_batch(
    tenant_id: int, order_numbers: list[int], kind: str, language: str, membership_id: int
) -> BatchResult:
    """Issue one kind for many orders (the Celery task calls this); each order in its own transaction."""
    membership = Membership.objects.select_related("user").get(
        pk=membership_id, tenant_id=tenant_id, is_active=True
    )
    result = BatchResult(issued=[], refused={})
    orders = Order.objects.for_tenant(tenant_id).filter(number__in=order_numbers)
    found = {o.number: o for o in orders}
    for position, number in enumerate(order_numbers):
        order = found.get(number)
        if order is None:
            result.refused[number] = _("No such order.")
            continue
        try:
            document = issue(order, kind, language, by=membership)
        except (ValidationError, ActorRefused) as error:
            result.refused[number] = "; ".join(error.messages)
        except SoftTimeLimitExceeded:  # the task's time is up: this order's transaction rolled back
            for left in order_numbers[position:]:
                result.refused[left] = _(
                    "Not issued: the batch ran out of time; issue the rest in another batch."
                )
            logger.warning("Batch of %s for tenant %s stopped at the time limit", kind, tenant_id)
            break
        else:
            result.issued.append(document.pk)
    return result


def document_title(document: Document) -> str:
    """The document's title in its own language: "Completion act", "Акт выполненных работ"."""
    return TITLES.get(document.language, TITLES["en"])[document.kind]


def email_to_client(document: Document, *, by: Membership) -> str:
    """E-mail the stored PDF to the client through the notifications outbox; returns the address.

    The timeline event and the outbox row commit together, so the e-mail is never lost (the outbox
    retries, and its relay sends it when the broker was down) and never sent twice.
    """
    from notifications.events import document_email

    check_actor(by, Perm.DOCUMENTS_ISSUE, document.order)
    client = document.order.client
    if not client.email:
        raise ValidationError(_("The client has no e-mail address. Add one on the client's page first."))
    if not client.notify_email:
        raise ValidationError(
            _("The client has opted out of e-mail. Change that on the client's page first.")
        )

    with transaction.atomic():
        event = record_event(
            document.order,
            EventKind.DOCUMENT,
            actor=by.user,
            text=say(
                gettext_noop("%(number)s e-mailed to the client (%(email)s)"),
                number=document.display_number,
                email=client.email,
            ),
            data={"document_id": document.pk},
        )
        document_email(
            event,
            recipient=client.email,
            language=document.language,
            title=document_title(document),
            number=document.display_number,
            attachment=document.file.name,
            attachment_name=document.filename,
        )
    return client.email
