"""Celery tasks of the documents app: batches of documents, and e-mailing a document to the client.

Every task carries tenant_id and scopes its queries by it again. The e-mail task sends with Django's
mail (the notifications outbox has no attachments yet) and retries with backoff on any send error.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation

from .models import Document
from .services import issue_batch

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, max_retries=0)
def issue_documents_task(tenant_id: int, order_numbers: list[int], kind: str, language: str, membership_id: int) -> dict:
    result = issue_batch(tenant_id, order_numbers, kind, language, membership_id)
    logger.info("Batch of %s for tenant %s: %s issued, %s refused", kind, tenant_id, len(result.issued), len(result.refused))
    return {"issued": result.issued, "refused": {str(k): v for k, v in result.refused.items()}}


EMAIL_TEXT = {
    "en": ("{title} {number}", "Hello {client},\n\nplease find attached the {title_lower} {number} for your order #{order}.\n\n{tenant}\n{phone}"),
    "ru": ("{title} № {number}", "Здравствуйте, {client}!\n\nВо вложении — {title_lower} № {number} по вашему заказу № {order}.\n\n{tenant}\n{phone}"),
}


@shared_task(bind=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=8)
def email_document_task(self, tenant_id: int, document_id: int, recipient: str) -> None:
    document = (
        Document.objects.for_tenant(tenant_id).select_related("order__client", "tenant").filter(pk=document_id).first()
    )
    if document is None:
        logger.warning("Document %s of tenant %s is gone; not e-mailed", document_id, tenant_id)
        return
    from .variables import TITLES

    language = document.language
    title = TITLES.get(language, TITLES["en"])[document.kind]
    subject_t, body_t = EMAIL_TEXT.get(language, EMAIL_TEXT["en"])
    values = {
        "title": title, "title_lower": title[:1].lower() + title[1:], "number": document.display_number,
        "order": document.order.number, "client": document.order.client.name, "tenant": document.tenant.name,
        "phone": document.tenant.phone,
    }
    with translation.override(language):
        message = EmailMessage(
            subject=subject_t.format(**values) + f" · {document.tenant.name}",
            body=body_t.format(**values).strip(),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            reply_to=[document.tenant.email] if document.tenant.email else None,
        )
        with document.file.open("rb") as handle:
            message.attach(document.filename, handle.read(), "application/pdf")
        message.send()
