"""The center's own message texts and quiet hours: saved here, not in the views, so each change is
written to the audit log (tenancy.audit) in its transaction with what it was before."""

from __future__ import annotations

from django.db import transaction

from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Membership, Tenant

from .models import MessageTemplate, NotificationSettings

TEXT_FIELDS = ("email_subject", "email_body", "sms_body")


@transaction.atomic
def save_texts(
    tenant: Tenant,
    kind: str,
    language: str,
    *,
    email_subject: str,
    email_body: str,
    sms_body: str,
    by: Membership,
) -> MessageTemplate:
    """The center's text of one kind in one language (already checked by the form's safe template
    language). Before: the center's earlier text, or None where the shipped one was in use."""
    stored = (
        MessageTemplate.objects.for_tenant(tenant)
        .select_for_update()
        .filter(kind=kind, language=language)
        .first()
    )
    before = snapshot(stored, TEXT_FIELDS) if stored else dict.fromkeys(TEXT_FIELDS)
    template, _created = MessageTemplate.objects.update_or_create(
        tenant=tenant,
        kind=kind,
        language=language,
        defaults={
            "email_subject": email_subject,
            "email_body": email_body,
            "sms_body": sms_body,
            "updated_by": by.user,
        },
    )
    changed = changes(before, snapshot(template, TEXT_FIELDS))
    if changed["after"]:
        record(
            by,
            Action.MSG_TEMPLATE_SAVED,
            f"{kind}/{language}",
            {"kind": kind, "language": language, **changed},
        )
    return template


@transaction.atomic
def reset_texts(tenant: Tenant, kind: str, language: str, *, by: Membership) -> None:
    """Back to the shipped text; the audit log keeps the center's text that is dropped."""
    stored = MessageTemplate.objects.for_tenant(tenant).filter(kind=kind, language=language).first()
    if stored is None:
        return
    stored.delete()
    record(
        by,
        Action.MSG_TEMPLATE_RESET,
        f"{kind}/{language}",
        {
            "kind": kind,
            "language": language,
            **changes(snapshot(stored, TEXT_FIELDS), dict.fromkeys(TEXT_FIELDS)),
        },
    )


@transaction.atomic
def save_quiet_hours(row: NotificationSettings, *, by: Membership) -> NotificationSettings:
    """Store the quiet hours as changed in `row` (the form filled it)."""
    stored = NotificationSettings.objects.for_tenant(row.tenant_id).select_for_update().first()
    before = snapshot(stored or NotificationSettings(tenant_id=row.tenant_id))
    row.save()
    changed = changes(before, snapshot(row))
    if changed["after"]:
        record(by, Action.QUIET_HOURS_CHANGED, "", changed)
    return row
