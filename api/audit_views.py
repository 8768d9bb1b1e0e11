"""The owner's audit log page: newest first, filtered by action, 50 a page (keyset on id). Each entry is
told as a line people read ("Role of Olga changed: Reception → Manager"); the page sits in api, above
every app, so it may name each app's models to label their fields."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from documents.models import DocumentSettings, DocumentTemplate
from documents.models import Kind as DocumentKind
from notifications.models import Kind as MessageKind
from notifications.models import MessageTemplate, NotificationSettings
from orders.models import ServiceType
from quality.models import QualitySettings, SlaPolicy
from servicedesk.tenancy.access import TenantRequest, tenant_view
from servicedesk.tenancy.models import AuditEntry, Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role
from stock.models import Part, StockLevel
from technicians.models import TechnicianProfile

from .models import WebhookEndpoint

PAGE = 50
Action = AuditEntry.Action

# The filter's groups, in the order an owner looks for them.
GROUPS: list[tuple[Any, list[str]]] = [
    (
        gettext_lazy("Staff"),
        [
            Action.INVITATION_SENT,
            Action.INVITATION_REVOKED,
            Action.INVITATION_ACCEPTED,
            Action.ROLE_CHANGED,
            Action.MEMBER_DEACTIVATED,
            Action.MEMBER_REACTIVATED,
        ],
    ),
    (
        gettext_lazy("Settings"),
        [
            Action.SETTINGS_CHANGED,
            Action.LOCATION_CREATED,
            Action.LOCATION_CHANGED,
            Action.HOURS_CHANGED,
            Action.PAPERS_CHANGED,
            Action.QUIET_HOURS_CHANGED,
            Action.QUALITY_CHANGED,
            Action.SLA_CREATED,
            Action.SLA_CHANGED,
            Action.SLA_DELETED,
            Action.CHECKLIST_CREATED,
            Action.CHECKLIST_CHANGED,
            Action.CHECKLIST_RETIRED,
        ],
    ),
    (
        gettext_lazy("Templates"),
        [
            Action.DOC_TEMPLATE_SAVED,
            Action.DOC_TEMPLATE_RESET,
            Action.MSG_TEMPLATE_SAVED,
            Action.MSG_TEMPLATE_RESET,
        ],
    ),
    (
        gettext_lazy("Catalogue and prices"),
        [
            Action.SERVICE_CREATED,
            Action.SERVICE_CHANGED,
            Action.SERVICE_ARCHIVED,
            Action.SERVICE_RESTORED,
            Action.CATALOGUE_APPLIED,
            Action.PART_CREATED,
            Action.PART_CHANGED,
            Action.STOCK_MIN_CHANGED,
            Action.TECHNICIAN_CHANGED,
        ],
    ),
    (
        gettext_lazy("Data and integrations"),
        [
            Action.EXPORT,
            Action.IMPORT_UPLOADED,
            Action.IMPORT_CHECKED,
            Action.IMPORT_STARTED,
            Action.API_KEY_CREATED,
            Action.API_KEY_REVOKED,
            Action.WEBHOOK_CREATED,
            Action.WEBHOOK_CHANGED,
            Action.WEBHOOK_DELETED,
            Action.WEBHOOK_RESUMED,
            Action.WEBHOOK_SECRET,
        ],
    ),
]
assert sorted(a for _label, actions in GROUPS for a in actions) == sorted(Action.values)

# Whose fields an entry's before/after names: their labels and choices make the line readable.
MODELS: dict[str, type[models.Model]] = {
    Action.ROLE_CHANGED: Membership,
    Action.SETTINGS_CHANGED: Tenant,
    Action.LOCATION_CREATED: Location,
    Action.LOCATION_CHANGED: Location,
    Action.PAPERS_CHANGED: DocumentSettings,
    Action.DOC_TEMPLATE_SAVED: DocumentTemplate,
    Action.DOC_TEMPLATE_RESET: DocumentTemplate,
    Action.MSG_TEMPLATE_SAVED: MessageTemplate,
    Action.MSG_TEMPLATE_RESET: MessageTemplate,
    Action.QUIET_HOURS_CHANGED: NotificationSettings,
    Action.QUALITY_CHANGED: QualitySettings,
    Action.SLA_CREATED: SlaPolicy,
    Action.SLA_CHANGED: SlaPolicy,
    Action.SLA_DELETED: SlaPolicy,
    Action.SERVICE_CREATED: ServiceType,
    Action.SERVICE_CHANGED: ServiceType,
    Action.SERVICE_ARCHIVED: ServiceType,
    Action.SERVICE_RESTORED: ServiceType,
    Action.PART_CREATED: Part,
    Action.PART_CHANGED: Part,
    Action.STOCK_MIN_CHANGED: StockLevel,
    Action.TECHNICIAN_CHANGED: TechnicianProfile,
    Action.WEBHOOK_CHANGED: WebhookEndpoint,
}
# Fields the log keeps that are not a model's own column.
EXTRA_LABELS = {
    "service_types": gettext_lazy("used for"),
    "week": gettext_lazy("opening hours"),
    "skills": gettext_lazy("skills"),
    "items": gettext_lazy("checks"),
}
LONG = 60  # a template's text is cut in the line (the whole of it stays in the entry)


def _label(model: type[models.Model] | None, name: str) -> str:
    if name in EXTRA_LABELS:
        return capfirst(str(EXTRA_LABELS[name]))
    try:
        field = model._meta.get_field(name) if model else None
    except Exception:  # noqa: BLE001 - a field since removed: its name is still better than nothing
        return name
    return capfirst(str(field.verbose_name)) if isinstance(field, models.Field) else name


def _value(model: type[models.Model] | None, name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_value(model, name, item) for item in value) or "—"
    try:
        field = model._meta.get_field(name) if model else None
    except Exception:  # noqa: BLE001
        field = None
    if isinstance(field, models.Field) and field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        value = labels.get(str(value), value)
    text = str(value).replace("\n", " ")
    return text if len(text) <= LONG else text[: LONG - 1] + "…"


def _fields(model: type[models.Model] | None, values: dict[str, Any]) -> str:
    return "; ".join(f"{_label(model, name)}: {_value(model, name, value)}" for name, value in values.items())


def _template_name(entry: AuditEntry) -> str:
    kinds = DocumentKind if entry.action.startswith("doc_") else MessageKind
    kind, language = entry.data.get("kind", ""), entry.data.get("language", "")
    kind_label = dict(kinds.choices).get(kind, kind)
    language_label = str(dict(settings.LANGUAGES).get(language, language))
    return f"{kind_label}, {language_label}"


def describe(entry: AuditEntry) -> tuple[str, str]:
    """(what, details) as the page shows them."""
    data: dict[str, Any] = entry.data or {}
    model = MODELS.get(entry.action)
    what = entry.target
    if entry.action in {Action.INVITATION_SENT, Action.INVITATION_REVOKED}:
        role = Role(data["role"]).label if data.get("role") in Role.values else data.get("role", "")
        line = (
            _("%(email)s invited as %(role)s")
            if entry.action == Action.INVITATION_SENT
            else _("Invitation to %(email)s as %(role)s withdrawn")
        )
        return what, line % {"email": entry.target, "role": role}
    if entry.action == Action.INVITATION_ACCEPTED:
        role = Role(data["role"]).label if data.get("role") in Role.values else data.get("role", "")
        return what, _("%(email)s joined as %(role)s") % {"email": entry.target, "role": role}
    if entry.action == Action.STOCK_MIN_CHANGED:
        what = f"{entry.target}, {data.get('location', '')}"
    if entry.action.startswith("checklist."):
        what = _("%(service)s, version %(version)s") % {
            "service": entry.target,
            "version": data.get("version", ""),
        }
    if entry.action == Action.ROLE_CHANGED:
        return what, _("Role of %(name)s changed: %(before)s → %(after)s") % {
            "name": entry.target,
            "before": _value(Membership, "role", data.get("before", {}).get("role")),
            "after": _value(Membership, "role", data.get("after", {}).get("role")),
        }
    if entry.action == Action.MEMBER_DEACTIVATED:
        return what, _("%(name)s can no longer open this service center") % {"name": entry.target}
    if entry.action == Action.MEMBER_REACTIVATED:
        return what, _("%(name)s is active again") % {"name": entry.target}
    if entry.action == Action.CATALOGUE_APPLIED:
        count = data.get("added", 0)
        return what, ngettext("%(count)s service added", "%(count)s services added", count) % {"count": count}
    if entry.action.startswith(("doc_template.", "msg_template.")):
        what = _template_name(entry)
    if entry.action in {Action.PAPERS_CHANGED, Action.QUIET_HOURS_CHANGED, Action.QUALITY_CHANGED}:
        what = what or str(model._meta.verbose_name if model else "")
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        return what, "; ".join(
            f"{_label(model, name)}: {_value(model, name, before.get(name))} → {_value(model, name, value)}"
            for name, value in after.items()
        )
    if isinstance(after, dict):  # added: what it was made with
        return what, _fields(
            model, {name: value for name, value in after.items() if value not in ("", None, [])}
        )
    if isinstance(before, dict):  # deleted: what it was
        return what, _fields(model, before)
    return what, json.dumps(data, ensure_ascii=False) if data else ""


@tenant_view(Perm.TENANT_SETTINGS)
@require_GET
def audit_list(request: TenantRequest) -> HttpResponse:
    entries = AuditEntry.objects.for_tenant(request.tenant).select_related("actor")
    action = request.GET.get("action", "")
    if action in Action.values:
        entries = entries.filter(action=action)
    else:
        action = ""
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 19:
        entries = entries.filter(pk__lt=int(before))
    page = list(entries.order_by("-id")[: PAGE + 1])
    older = page[PAGE - 1].pk if len(page) > PAGE else None
    labels = dict(Action.choices)
    groups = [(label, [(value, labels[value]) for value in values]) for label, values in GROUPS]
    rows = [(entry, *describe(entry)) for entry in page[:PAGE]]
    return render(
        request,
        "api/audit.html",
        {"rows": rows, "older": older, "action": action, "groups": groups},
    )
