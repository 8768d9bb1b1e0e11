"""A client's personal data: the report of everything held on them, erasure on their request, retention.

Every app that keeps something about a client registers a `DataHolder` in its AppConfig.ready() (orders
registers its own below, like the setup checklist's steps): `collect` lists what it holds on the client,
for the report; `erase` masks its own rows for that client and says how many it changed. orders/ never
imports them (notifications: the outbox; documents: the archive; quality: ratings and complaints;
reception: the queue's visits).

The mutations, one function each: `data_report` and `erase_client` (staff, checked with check_actor), and
`anonymise_inactive` (the center's retention setting, run by a periodic task). Each writes a
PersonalDataRequest, the record of the request, in the transaction of what it records.

What an erasure keeps: the client row (anonymised: "Erased client #12"), the orders with their money
(lines, payments, totals) and the issued documents, which the center must keep for the legal retention
period (settings.DOCUMENT_RETENTION_YEARS; docs/integrations.md, "Personal data requests").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .event_text import describe
from .models import (
    Client,
    Estimate,
    EstimateLine,
    Item,
    LineItem,
    Order,
    OrderEvent,
    OrderPhoto,
    Payment,
    PersonalDataRequest,
    PersonalDataSettings,
    new_public_token,
    open_q,
)
from .permissions import check_actor

StrOrPromise = str | Promise
Row = dict[str, Any]  # a label -> a value (text, number, Decimal, date or datetime)


@dataclass
class Erasing:
    """One erasure in progress: the client (still with its data) and what to look for in free text.

    `scrub(text)` masks the client's name (whole and each word of it), phone (however it was typed) and
    e-mail wherever they appear; `mark` replaces a text that is the client's own words as a whole.
    """

    client: Client
    now: datetime
    mark: str  # "[erased]", in the center's language
    anonymous_name: str  # "Erased client #12", in the center's language
    patterns: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def of(cls, client: Client, *, now: datetime, mark: str, anonymous_name: str) -> Erasing:
        # Longest first: the e-mail before the words of the name it may contain, the full name before its words.
        patterns: list[re.Pattern[str]] = []
        if client.email:
            patterns.append(re.compile(re.escape(client.email), re.IGNORECASE))
        digits = re.sub(r"\D", "", client.phone)
        if len(digits) >= 5:
            # The number's last ten digits (the national number) with any separators people type between them:
            # "+7 916 123-45-67", "8 (916) 1234567" and "79161234567" are the same phone.
            tail = digits[-10:]
            patterns.append(re.compile(r"[\s\-().]*".join(tail)))
        name = client.name.strip()
        if name:
            patterns.append(re.compile(re.escape(name), re.IGNORECASE))
            for word in name.split():
                if len(word) >= 3:  # "Li" alone would mask half the text; the full name is masked above
                    patterns.append(re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE))
        return cls(client=client, now=now, mark=mark, anonymous_name=anonymous_name, patterns=patterns)

    def scrub(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub(self.mark, text)
        return text

    def scrub_data(self, value: Any) -> Any:
        """The same through JSON data (an event's stored text and its arguments)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_data(item) for item in value]
        return value


@dataclass(frozen=True)
class DataHolder:
    key: str  # the app: "orders", "notifications" ... (the report's JSON keys)
    label: StrOrPromise  # the report's section title
    collect: Callable[[Client], list[Row]]  # what it holds on the client (a bounded number of queries)
    erase: Callable[[Erasing], int]  # mask its rows of the client; the number of rows changed
    kept: StrOrPromise = ""  # what an erasure keeps here and why: the report and the erasure page say it
    position: int = 100


_HOLDERS: dict[str, DataHolder] = {}


def register_data_holder(holder: DataHolder) -> DataHolder:
    """Register (or replace, by key: AppConfig.ready() may run twice in tests) an app's part."""
    _HOLDERS[holder.key] = holder
    return holder


def holders() -> list[DataHolder]:
    return sorted(_HOLDERS.values(), key=lambda h: (h.position, h.key))


def document_retention_until(issued: datetime | date) -> date:
    """The last day an issued document must be kept: the end of the year DOCUMENT_RETENTION_YEARS after the
    year it was issued in (Russia's accounting documents: five years after the reporting year)."""
    return date(issued.year + settings.DOCUMENT_RETENTION_YEARS, 12, 31)


# --- The report ------------------------------------------------------------------------------------


@dataclass
class ReportSection:
    key: str
    label: str
    rows: list[dict[str, str]]
    kept: str


def _plain(value: Any, tenant: Tenant) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value, tenant.tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def collect_report(client: Client) -> list[ReportSection]:
    """Everything held on the client, app by app, as text (no recording: see data_report)."""
    tenant = client.tenant
    return [
        ReportSection(
            key=holder.key,
            label=str(holder.label),
            rows=[
                {str(label): _plain(value, tenant) for label, value in row.items()}
                for row in holder.collect(client)
            ],
            kept=str(holder.kept),
        )
        for holder in holders()
    ]


def data_report(client: Client, *, by: Membership) -> list[ReportSection]:
    """The client's data report, recorded as a request (who produced it, when)."""
    check_actor(by, Perm.PERSONAL_DATA, tenant_id=client.tenant_id)
    sections = collect_report(client)
    PersonalDataRequest.objects.create(
        tenant_id=client.tenant_id,
        client=client,
        kind=PersonalDataRequest.Kind.REPORT,
        detail={section.key: len(section.rows) for section in sections},
        requested_by=by.user,
        requested_by_name=str(by.user)[:150],
    )
    return sections


def report_json(client: Client, sections: list[ReportSection]) -> dict[str, Any]:
    """The report as the client may receive it (a JSON file): plain labels and values."""
    return {
        "client": client.pk,
        "service_center": client.tenant.legal_name or client.tenant.name,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "sections": {
            section.key: {"title": section.label, "rows": section.rows, "kept_after_erasure": section.kept}
            for section in sections
        },
    }


# --- Erasure ---------------------------------------------------------------------------------------


def erasure_problem(client: Client) -> str | None:
    """Why the client cannot be erased now, or None."""
    if client.erased_at is not None:
        return _("This client's personal data has already been erased.")
    numbers = list(
        Order.objects.for_tenant(client.tenant_id)
        .filter(client_id=client.pk)
        .filter(open_q())
        .order_by("number")
        .values_list("number", flat=True)[:10]
    )
    if numbers:
        return _(
            "The client has open orders (%(numbers)s). Hand them over or cancel them first: finishing the "
            "work needs the client's contacts."
        ) % {"numbers": ", ".join(f"#{number}" for number in numbers)}
    return None


def erase_client(client: Client, *, by: Membership, reason: str) -> PersonalDataRequest:
    """Erase the client's personal data on their request: every registered holder masks its rows, in one
    transaction under the client's lock. A refusal (open orders, already erased) is recorded and raised as
    ValidationError; a member without the permission gets ActorRefused."""
    check_actor(by, Perm.PERSONAL_DATA, tenant_id=client.tenant_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say what the request was: who asked, how and when."))
    try:
        return _erase(client, kind=PersonalDataRequest.Kind.ERASURE, reason=reason, by=by)
    except ValidationError as refusal:
        PersonalDataRequest.objects.create(
            tenant_id=client.tenant_id,
            client=client,
            kind=PersonalDataRequest.Kind.ERASURE,
            status=PersonalDataRequest.Status.REFUSED,
            reason=reason,
            detail={"refused": refusal.messages},
            requested_by=by.user,
            requested_by_name=str(by.user)[:150],
        )
        raise


def _erase(client: Client, *, kind: str, reason: str, by: Membership | None) -> PersonalDataRequest:
    tenant = Tenant.objects.get(pk=client.tenant_id)
    with transaction.atomic():
        # Locked: no second erasure, edit or intake pick works on the client's data meanwhile.
        client = Client.objects.for_tenant(tenant).select_for_update().get(pk=client.pk)
        client.tenant = tenant
        problem = erasure_problem(client)
        if problem:
            raise ValidationError(problem)
        # What is written in place of the data is in the center's language, as its records are.
        with translation.override(tenant.language):
            erasing = Erasing.of(
                client,
                now=timezone.now(),
                mark=_("[erased]"),
                anonymous_name=_("Erased client #%(id)s") % {"id": client.pk},
            )
        detail = {holder.key: holder.erase(erasing) for holder in holders()}
        return PersonalDataRequest.objects.create(
            tenant=tenant,
            client=client,
            kind=kind,
            reason=reason,
            detail=detail,
            requested_by=by.user if by else None,
            requested_by_name=str(by.user)[:150] if by else "",
            created_at=erasing.now,
        )


# --- Retention -------------------------------------------------------------------------------------


def inactive_since(years: int, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now - timedelta(days=365 * years + years // 4)


def inactive_clients(tenant: Tenant, years: int, *, limit: int) -> list[int]:
    """Ids of clients (at most `limit`, oldest first) with no activity for `years`: created before the
    cutoff, with no order open, taken in or closed since, and none still under warranty."""
    cutoff = inactive_since(years)
    recent = Order.objects.filter(tenant_id=tenant.pk, client_id=OuterRef("pk")).filter(
        open_q()
        | Q(created_at__gte=cutoff)
        | Q(closed_at__gte=cutoff)
        | Q(warranty_until__gte=tenant.local_date())
    )
    return list(
        Client.objects.for_tenant(tenant)
        .filter(erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(Exists(recent))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def anonymise_inactive(tenant: Tenant, *, limit: int | None = None) -> int:
    """Anonymise up to `limit` clients the center's retention setting has expired; how many it did."""
    years = PersonalDataSettings.for_tenant(tenant).anonymise_after_years
    if not years:
        return 0
    done = 0
    limit = limit or settings.PERSONAL_DATA_RETENTION_BATCH
    with translation.override(tenant.language):
        reason = _("No activity for %(years)s years (the center's retention setting).") % {"years": years}
    for client_id in inactive_clients(tenant, years, limit=limit):
        client = Client(pk=client_id, tenant_id=tenant.pk)
        try:
            _erase(client, kind=PersonalDataRequest.Kind.RETENTION, reason=reason, by=None)
        except ValidationError:
            continue  # an order was taken in for them meanwhile: active again
        done += 1
    return done


def anonymise_inactive_everywhere() -> dict[str, int]:
    """The periodic task: every active center that set a retention period, a bounded batch each."""
    counts: dict[str, int] = {}
    rules = (
        PersonalDataSettings.objects.filter(anonymise_after_years__gt=0, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant_id")
    )
    for rule in rules:
        counts[rule.tenant.slug] = anonymise_inactive(rule.tenant)
    return counts


# --- orders' own part ------------------------------------------------------------------------------


def _collect_orders(client: Client) -> list[Row]:
    tenant_id = client.tenant_id
    rows: list[Row] = [
        {
            _("What"): _("Client"),
            _("Name"): client.name,
            _("Phone"): client.phone,
            _("E-mail"): client.email,
            _("Notes (staff only)"): client.notes,
            _("Preferred language"): client.language,
            _("E-mail updates"): client.notify_email,
            _("SMS updates"): client.notify_sms,
            _("Consent given"): client.consent_at,
            _("Privacy text version"): client.consent_version,
            _("Client since"): client.created_at,
            _("Personal data erased"): client.erased_at,
        }
    ]
    for item in Item.objects.for_tenant(tenant_id).filter(client_id=client.pk).order_by("pk"):
        rows.append(
            {
                _("What"): _("Item"),
                _("Item"): str(item),
                _("Serial number"): item.serial,
                _("Added"): item.created_at,
            }
        )
    orders = list(
        Order.objects.for_tenant(tenant_id)
        .filter(client_id=client.pk)
        .select_related("service_type")
        .order_by("created_at", "id")
    )
    for order in orders:
        rows.append(
            {
                _("What"): _("Order #%(number)s") % {"number": order.number},
                _("Taken in"): order.created_at,
                _("Service"): order.service_type.name,
                _("Status"): order.get_status_display(),
                _("Problem"): order.problem,
                _("Condition on intake"): order.item_condition,
                _("Visit address"): order.visit_address,
                _("Total"): order.total_amount,
                _("Paid"): order.paid_amount,
                _("Warranty until"): order.warranty_until,
            }
        )
    notes = (
        OrderEvent.objects.for_tenant(tenant_id)
        .filter(order__client_id=client.pk)
        .exclude(message="")
        .select_related("order")
        .order_by("created_at", "id")
    )
    for event in notes:
        rows.append(
            {
                _("What"): _("Order #%(number)s, timeline") % {"number": event.order.number},
                _("When"): event.created_at,
                _("Text"): describe(event.data, event.message),
            }
        )
    photos = OrderPhoto.objects.for_tenant(tenant_id).filter(order__client_id=client.pk).count()
    if photos:
        rows.append({_("What"): _("Photos of the items"), _("Count"): photos})
    for request in PersonalDataRequest.objects.for_tenant(tenant_id).filter(client_id=client.pk):
        rows.append(
            {
                _("What"): _("Personal data request"),
                _("When"): request.created_at,
                _("Request"): request.get_kind_display(),
                _("Status"): request.get_status_display(),
            }
        )
    return rows


def _erase_orders(erasing: Erasing) -> int:
    client, tenant_id = erasing.client, erasing.client.tenant_id
    client.name = erasing.anonymous_name
    # Unique per center and never a number anyone has: the same person coming back is a new client.
    client.phone = f"erased-{client.pk}"
    client.email = ""
    client.notes = ""
    client.language = ""
    client.notify_email = client.notify_sms = False
    client.consent_at = None
    client.consent_version = ""
    client.erased_at = erasing.now
    client.save(
        update_fields=[
            "name",
            "phone",
            "email",
            "notes",
            "language",
            "notify_email",
            "notify_sms",
            "consent_at",
            "consent_version",
            "erased_at",
        ]
    )
    changed = 1
    # Serial numbers, IMEIs and VINs lead back to the owner; the kind, brand and model do not.
    changed += (
        Item.objects.for_tenant(tenant_id).filter(client_id=client.pk).exclude(serial="").update(serial="")
    )
    for order in Order.objects.for_tenant(tenant_id).filter(client_id=client.pk).order_by("pk"):
        # The problem is in the client's words; the address is where they live. The lines, payments and
        # totals stay: they are the financial record. The status link stops working (the token changes).
        Order.objects.filter(pk=order.pk).update(
            problem=erasing.mark,
            visit_address="",
            item_condition=erasing.scrub(order.item_condition),
            item_accessories=erasing.scrub(order.item_accessories),
            terms=erasing.scrub(order.terms),
            public_token=new_public_token(),
            public_token_expires_at=erasing.now,
            version=F("version") + 1,
        )
        changed += 1
    events = OrderEvent.objects.for_tenant(tenant_id).filter(order__client_id=client.pk).order_by("pk")
    for event in events.iterator(chunk_size=500):
        # What the client wrote themselves (a comment on the status page) goes whole; staff notes lose the
        # client's name and contacts.
        message = erasing.mark if event.by_client and event.message else erasing.scrub(event.message)
        data = erasing.scrub_data(event.data)
        if message != event.message or data != event.data:
            OrderEvent.objects.filter(pk=event.pk).update(message=message, data=data)
            changed += 1
    mine = Q(order__client_id=client.pk)
    free_texts: list[tuple[QuerySet, list[str]]] = [
        (Estimate.objects.for_tenant(tenant_id).filter(mine), ["comment", "override_reason"]),
        (
            EstimateLine.objects.for_tenant(tenant_id).filter(estimate__order__client_id=client.pk),
            ["description"],
        ),
        (LineItem.objects.for_tenant(tenant_id).filter(mine), ["description"]),
        (Payment.objects.for_tenant(tenant_id).filter(mine), ["note"]),
        (OrderPhoto.objects.for_tenant(tenant_id).filter(mine), ["caption"]),
    ]
    for rows, fields in free_texts:
        changed += scrub_rows(rows, fields, erasing)
    return changed


def scrub_rows(queryset: QuerySet, fields: list[str], erasing: Erasing) -> int:
    """Mask the client's name and contacts in these text fields of these rows; the rows changed."""
    changed = 0
    for row in queryset.order_by("pk").values("pk", *fields).iterator(chunk_size=500):
        cleaned = {name: erasing.scrub(row[name] or "") for name in fields}
        if any(cleaned[name] != (row[name] or "") for name in fields):
            queryset.model._base_manager.filter(pk=row["pk"]).update(**cleaned)
            changed += 1
    return changed


register_data_holder(
    DataHolder(
        key="orders",
        label=gettext_lazy("Client, items, orders and their timeline"),
        collect=_collect_orders,
        erase=_erase_orders,
        kept=gettext_lazy(
            "Kept, anonymised: the client row (“Erased client #…”), the orders with their work, parts, "
            "payments and totals (the center's financial records), the items' kind, brand and model, "
            "and the photos of the items' condition. Erased: name, phone, e-mail, notes, consent, serial "
            "numbers, the problem in the client's words, visit addresses, the client's comments, and the "
            "client's name and contacts in every note; the status page link stops working."
        ),
        position=10,
    )
)
