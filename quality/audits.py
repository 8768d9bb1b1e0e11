"""Internal audits: every week a random sample of the orders handed over that week (N per technician or
per service type, the center's setting) is drawn and assigned to a manager, never the same order twice.

The audit's own checklist (models.AUDIT_CHECKS) is pre-filled with what the system can tell (documents
issued, consent on file, photos, a complete timeline, the bill within the approved estimate); the
auditor confirms or corrects each answer. Findings carry a severity, a corrective action, a person and a
due date, and are tracked to closed. The score is the share of checks answered "yes".

The draw is random but reproducible: the generator is seeded with the center and the week (tests pass
their own seed), and the candidates are ordered by id before sampling.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders import money
from orders.event_text import say
from orders.models import EventKind, Order, OrderEvent, OrderPhoto, OrderStatus, Payment
from orders.permissions import check_actor
from orders.timeline import record_event
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, Role

from .models import AUDIT_CHECKS, AfterSalesSettings, Audit, AuditFinding

A = Audit.Status
HANDOVER_DOCUMENTS = frozenset({"completion_act", "warranty_card"})


class AuditChanged(Exception):
    def __init__(self) -> None:
        super().__init__(
            _("This audit was changed by someone else meanwhile. Reload the page and try again.")
        )


# --- What the system can tell ---------------------------------------------------------------------


def suggest(order: Order) -> dict[str, bool | None]:
    """The checklist as far as the records say (three queries); None where the system cannot tell."""
    events = list(
        OrderEvent.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).values_list(
            "kind", "to_status", "data"
        )
    )
    issued = {
        data.get("kind")
        for kind, _to, data in events
        if kind == EventKind.DOCUMENT and isinstance(data, dict)
    }
    payments = Payment.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).count()
    kinds = [kind for kind, _to, _data in events]
    timeline = (
        EventKind.CREATED in kinds
        and any(kind == EventKind.STATUS and to == OrderStatus.HANDED_OVER for kind, to, _data in events)
        and kinds.count(EventKind.PAYMENT) >= payments
    )
    if order.approved_amount is None:
        price = True if order.total_amount == 0 else None
    else:
        price = money.bill_problem(order) is None
    return {
        "documents_complete": HANDOVER_DOCUMENTS <= issued,
        "consent_recorded": order.client.consent_at is not None,
        "photos_present": OrderPhoto.objects.filter(tenant_id=order.tenant_id, order_id=order.pk).exists(),
        "timeline_complete": timeline,
        "price_matches_estimate": price,
    }


def score_of(answers: dict) -> Decimal | None:
    """% of the answered checks answered "yes" (one decimal), None when nothing is answered."""
    answered = [answers.get(key) for key in AUDIT_CHECKS if answers.get(key) is not None]
    if not answered:
        return None
    return (Decimal(100) * sum(1 for value in answered if value) / len(answered)).quantize(Decimal("0.1"))


# --- The weekly draw ------------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the week of `day`."""
    return day - timedelta(days=day.weekday())


def _week_bounds(tenant: Tenant, monday: date) -> tuple[datetime, datetime]:
    tz = tenant.tz
    start = datetime.combine(monday, time.min, tzinfo=tz)
    return start, datetime.combine(monday + timedelta(days=7), time.min, tzinfo=tz)


def default_auditor(tenant: Tenant | int, settings: AfterSalesSettings) -> Membership | None:
    if settings.audit_manager_id:
        chosen = Membership.objects.filter(
            pk=settings.audit_manager_id, tenant_id=settings.tenant_id, is_active=True
        ).first()
        if chosen is not None:
            return chosen
    managers = Membership.objects.filter(
        tenant_id=settings.tenant_id, is_active=True, role__in=[Role.MANAGER, Role.OWNER]
    )
    return managers.filter(role=Role.MANAGER).order_by("id").first() or managers.order_by("id").first()


def draw_sample(
    tenant: Tenant,
    monday: date,
    *,
    seed: int | str | None = None,
    size: int | None = None,
    group: str | None = None,
) -> list[Audit]:
    """Draw the week's audits: of the orders handed over in the week starting `monday` (the center's
    calendar) and never audited, `size` at random per technician (or per service type). Once per week: a
    week that has audits already draws nothing. `seed` defaults to the center and the week."""
    settings = AfterSalesSettings.for_tenant(tenant)
    size = settings.audit_sample_size if size is None else size
    group = group or settings.audit_group
    if size < 1:
        raise ValueError("The sample has at least one order per group.")
    monday = week_start(monday)
    if Audit.objects.for_tenant(tenant).filter(week=monday).exists():
        return []
    start, end = _week_bounds(tenant, monday)
    field = "service_type_id" if group == AfterSalesSettings.AuditGroup.SERVICE_TYPE else "technician_id"
    candidates = list(
        Order.objects.for_tenant(tenant)
        .filter(status=OrderStatus.HANDED_OVER, closed_at__gte=start, closed_at__lt=end)
        .exclude(audits__isnull=False)
        .order_by("id")
        .values_list("id", field)
    )
    groups: dict[int | None, list[int]] = {}
    for order_id, key in candidates:
        groups.setdefault(key, []).append(order_id)
    rng = random.Random(f"{tenant.pk}:{monday.isoformat()}" if seed is None else seed)
    chosen: list[int] = []
    for key in sorted(groups, key=lambda k: (k is None, k or 0)):
        ids = groups[key]
        chosen += rng.sample(ids, min(size, len(ids)))
    auditor = default_auditor(tenant, settings)
    audits = []
    orders = (
        Order.objects.for_tenant(tenant)
        .filter(pk__in=chosen)
        .select_related("client", "tenant")
        .order_by("id")
    )
    for order in orders:
        suggested = suggest(order)
        try:
            with transaction.atomic():
                audits.append(
                    Audit.objects.create(
                        tenant=tenant,
                        order=order,
                        week=monday,
                        auditor=auditor,
                        technician_id=order.technician_id,
                        service_type_id=order.service_type_id,
                        suggested=suggested,
                        answers=dict(suggested),
                    )
                )
        except IntegrityError:  # drawn meanwhile by another run: never twice
            continue
    return audits


def draw_due_samples(now: datetime | None = None) -> int:
    """The periodic task's work: for every active center with audits on, draw last week's sample (on the
    center's calendar) unless drawn already. Returns the number of audits made."""
    now = now or timezone.now()
    made = 0
    disabled = set(
        AfterSalesSettings.objects.filter(audits_enabled=False).values_list("tenant_id", flat=True)
    )
    for tenant in Tenant.objects.filter(is_active=True).exclude(pk__in=disabled).order_by("id").iterator():
        last_week = week_start(tenant.local_date(now)) - timedelta(days=7)
        made += len(draw_sample(tenant, last_week))
    return made


# --- Doing the audit ------------------------------------------------------------------------------


def _update(audit: Audit, expected_version: int, **fields) -> None:
    changed = Audit.objects.filter(pk=audit.pk, tenant_id=audit.tenant_id, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if not changed:
        raise AuditChanged()
    for name, value in fields.items():
        setattr(audit, name, value)
    audit.version = expected_version + 1


def clean_answers(answers: dict) -> dict[str, bool | None]:
    unknown = set(answers) - set(AUDIT_CHECKS)
    if unknown:
        raise ValueError(f"Unknown checks: {sorted(unknown)}")
    if any(value not in (True, False, None) for value in answers.values()):
        raise ValueError("An answer is True, False or None.")
    return {key: answers.get(key) for key in AUDIT_CHECKS}


def save_answers(
    audit: Audit, *, by: Membership, answers: dict, notes: str, expected_version: int, complete: bool = False
) -> Audit:
    """Record the auditor's answers (the audit is then in progress); `complete` closes it with its score."""
    check_actor(by, Perm.AUDITS, tenant_id=audit.tenant_id)
    if audit.status == A.DONE:
        raise ValidationError(_("This audit is done; its answers are kept as they were."))
    answers = clean_answers(answers)
    notes = (notes or "").replace("\x00", "").strip()[:5000]
    fields: dict = {"answers": answers, "notes": notes, "status": A.IN_PROGRESS}
    if audit.auditor_id is None:
        fields["auditor"] = by
    if complete:
        score = score_of(answers)
        if score is None:
            raise ValidationError(_("Answer at least one check before completing the audit."))
        fields.update(status=A.DONE, score=score, completed_at=timezone.now())
    with transaction.atomic():
        _update(audit, expected_version, **fields)
        if complete:
            open_findings = audit.findings.filter(status=AuditFinding.Status.OPEN).count()
            record_event(
                audit.order,
                EventKind.AUDIT,
                actor=by.user,
                text=say(
                    gettext_noop("Internal audit %(ref)s done: score %(score)s%%, open findings: %(open)s"),
                    ref=audit,
                    score=str(audit.score),
                    open=open_findings,
                ),
                data={"audit": audit.pk, "score": str(audit.score)},
            )
    return audit


def add_finding(
    audit: Audit,
    *,
    by: Membership,
    severity: str,
    description: str,
    corrective_action: str = "",
    responsible: Membership | None = None,
    due_date: date | None = None,
) -> AuditFinding:
    check_actor(by, Perm.AUDITS, tenant_id=audit.tenant_id)
    description = (description or "").replace("\x00", "").strip()
    if not description:
        raise ValidationError(_("Describe the finding."))
    if severity not in AuditFinding.Severity.values:
        raise ValidationError(_("Unknown severity."))
    if responsible is not None and responsible.tenant_id != audit.tenant_id:
        raise ValidationError(_("Unknown person."))
    finding = AuditFinding.objects.create(
        tenant_id=audit.tenant_id,
        audit=audit,
        severity=severity,
        description=description[:2000],
        corrective_action=(corrective_action or "").replace("\x00", "").strip()[:2000],
        responsible=responsible,
        due_date=due_date,
        created_by=by.user,
    )
    if audit.status == A.OPEN:
        Audit.objects.filter(pk=audit.pk, status=A.OPEN).update(
            status=A.IN_PROGRESS, version=F("version") + 1
        )
    return finding


def close_finding(finding: AuditFinding, *, by: Membership, note: str) -> AuditFinding:
    """The corrective action is done: closed, with what was done."""
    check_actor(by, Perm.AUDITS, tenant_id=finding.tenant_id)
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError(_("Write what was done."))
    updated = AuditFinding.objects.filter(
        pk=finding.pk, tenant_id=finding.tenant_id, status=AuditFinding.Status.OPEN
    ).update(
        status=AuditFinding.Status.CLOSED,
        closed_at=timezone.now(),
        closed_by=by.user,
        closing_note=note[:1000],
    )
    if not updated:
        raise ValidationError(_("This finding is already closed."))
    finding.refresh_from_db()
    return finding


# --- Figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    technician_id: int | None
    name: str
    audits: int
    average: Decimal | None


def audit_scores(tenant, *, since: datetime, until: datetime) -> list[ScoreRow]:
    """The average audit score per technician of the audits completed in [since, until): one query."""
    rows = (
        Audit.objects.for_tenant(tenant)
        .filter(status=A.DONE, completed_at__gte=since, completed_at__lt=until)
        .values("technician", "technician__user__full_name")
        .annotate(audits=Count("id"), average=Avg("score"))
        .order_by("-average", "technician__user__full_name")
    )
    return [
        ScoreRow(
            row["technician"],
            row["technician__user__full_name"] or "—",
            row["audits"],
            None if row["average"] is None else Decimal(str(row["average"])).quantize(Decimal("0.1")),
        )
        for row in rows
    ]


def open_findings(tenant) -> QuerySet[AuditFinding]:
    return AuditFinding.objects.for_tenant(tenant).filter(status=AuditFinding.Status.OPEN)
