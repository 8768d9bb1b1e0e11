"""Internal audits: the weekly sample (random but reproducible, never an order twice, N per group), the
checklist pre-filled from the records, the score, findings tracked to closed, scores per technician."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from orders.models import EventKind, OrderStatus
from orders.permissions import ActorRefused
from quality import audits
from quality.models import Audit, AuditFinding
from servicedesk.tenancy.roles import Role
from tests.factories import (
    AfterSalesSettingsFactory,
    AuditFactory,
    MembershipFactory,
    OrderEventFactory,
    OrderFactory,
    OrderPhotoFactory,
    ServiceTypeFactory,
    UserFactory,
)

from .aftersales import handed_over, member

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 2)  # a Monday


@pytest.fixture
def techs(tenant_a, users_a):
    second = MembershipFactory(
        tenant=tenant_a, role=Role.TECHNICIAN, user=UserFactory(full_name="Boris Second")
    )
    return member(tenant_a, Role.TECHNICIAN), second


def _closed(tenant, technician, when: datetime, status=OrderStatus.HANDED_OVER, service=None):
    return OrderFactory(
        tenant=tenant,
        technician=technician,
        status=status,
        closed_at=when,
        service_type=service or ServiceTypeFactory(tenant=tenant),
    )


@pytest.fixture
def week_orders(tenant_a, techs):
    """Handed over in the week of 2 March (center's calendar): four by the first technician, two by the second;
    besides, one the Sunday before, one the Monday after and one cancelled in the week: never candidates."""
    tz = ZoneInfo(tenant_a.time_zone)
    first, second = techs
    inside = [_closed(tenant_a, first, datetime(2026, 3, 2 + n, 12, tzinfo=tz)) for n in range(4)]
    inside += [
        _closed(tenant_a, second, datetime(2026, 3, 2, 0, 0, tzinfo=tz)),
        _closed(tenant_a, second, datetime(2026, 3, 8, 23, 59, tzinfo=tz)),
    ]
    _closed(tenant_a, first, datetime(2026, 3, 1, 23, 59, tzinfo=tz))
    _closed(tenant_a, first, datetime(2026, 3, 9, 0, 0, tzinfo=tz))
    _closed(tenant_a, second, datetime(2026, 3, 4, 12, tzinfo=tz), status=OrderStatus.CANCELLED)
    return inside


def _picked(audit_rows) -> list[int]:
    return sorted(a.order_id for a in audit_rows)


# --- The draw --------------------------------------------------------------------------------------


def test_the_sample_is_n_per_technician_of_the_weeks_handovers(tenant_a, users_a, techs, week_orders):
    drawn = audits.draw_sample(tenant_a, WEEK, seed="test", size=2)
    first, second = techs
    assert len(drawn) == 4
    assert sum(1 for a in drawn if a.technician_id == first.pk) == 2
    assert sum(1 for a in drawn if a.technician_id == second.pk) == 2  # both of the second's
    assert set(_picked(drawn)) <= {o.pk for o in week_orders}
    assert {a.week for a in drawn} == {WEEK}
    assert {a.auditor_id for a in drawn} == {member(tenant_a, Role.MANAGER).pk}
    assert all(a.status == "open" and a.answers == a.suggested for a in drawn)


def test_the_sample_is_reproducible_with_the_same_seed(tenant_a, users_a, week_orders):
    first = _picked(audits.draw_sample(tenant_a, WEEK, seed=42, size=1))
    Audit.objects.all().delete()
    assert _picked(audits.draw_sample(tenant_a, WEEK, seed=42, size=1)) == first
    Audit.objects.all().delete()
    # Without a seed: the center and the week seed it, so a rerun draws the same again.
    default = _picked(audits.draw_sample(tenant_a, WEEK, size=1))
    Audit.objects.all().delete()
    assert (
        _picked(audits.draw_sample(tenant_a, WEEK + timedelta(days=3), size=1)) == default
    )  # any day of the week


def test_different_seeds_draw_differently_at_least_once(tenant_a, users_a, week_orders):
    draws = set()
    for seed in range(12):
        draws.add(tuple(_picked(audits.draw_sample(tenant_a, WEEK, seed=seed, size=1))))
        Audit.objects.all().delete()
    assert len(draws) > 1  # 4 x 2 = 8 possible samples: twelve seeds all alike would be no random draw


def test_a_week_is_drawn_once_and_an_order_never_twice(tenant_a, users_a, week_orders):
    first = audits.draw_sample(tenant_a, WEEK, seed=1, size=1)
    assert len(first) == 2
    assert audits.draw_sample(tenant_a, WEEK, seed=1, size=1) == []  # the week has its sample
    # Were the week drawn again (its audits filed under another week), the audited orders stay out.
    Audit.objects.filter(pk__in=[a.pk for a in first]).update(week=WEEK - timedelta(days=7))
    again = audits.draw_sample(tenant_a, WEEK, seed=1, size=10)
    assert len(again) == 4
    assert not set(_picked(again)) & set(_picked(first))
    assert Audit.objects.count() == 6 == len({a.order_id for a in Audit.objects.all()})


def test_the_sample_may_be_per_service_type(tenant_a, users_a, techs):
    tz = ZoneInfo(tenant_a.time_zone)
    first, second = techs
    phones, laptops = ServiceTypeFactory(tenant=tenant_a), ServiceTypeFactory(tenant=tenant_a)
    for n in range(3):
        _closed(tenant_a, first if n % 2 else second, datetime(2026, 3, 3, 10 + n, tzinfo=tz), service=phones)
    _closed(tenant_a, first, datetime(2026, 3, 3, 15, tzinfo=tz), service=laptops)
    drawn = audits.draw_sample(tenant_a, WEEK, seed=7, size=2, group="service_type")
    assert sorted(a.service_type_id for a in drawn) == sorted([phones.pk, phones.pk, laptops.pk])


def test_the_settings_give_the_size_and_the_grouping(tenant_a, users_a, week_orders):
    AfterSalesSettingsFactory(
        tenant=tenant_a, audit_sample_size=3, audit_manager=member(tenant_a, Role.OWNER)
    )
    drawn = audits.draw_sample(tenant_a, WEEK, seed=3)
    assert len(drawn) == 5  # 3 of the first's four, both of the second's
    assert {a.auditor_id for a in drawn} == {member(tenant_a, Role.OWNER).pk}


@pytest.mark.clock("2026-03-11 09:00")  # a Wednesday: last week is that of 2 March
def test_the_periodic_task_draws_last_weeks_sample_once_per_center(
    tenant_a, tenant_b, users_a, users_b, week_orders
):
    from quality.tasks import draw_audit_samples

    tz = ZoneInfo(tenant_b.time_zone)
    _closed(tenant_b, member(tenant_b, Role.TECHNICIAN), datetime(2026, 3, 5, 12, tzinfo=tz))
    made = draw_audit_samples.delay().get()
    assert made == 2 + 2 + 1  # A: 2 per technician (size 2 by default); B: its one order
    assert set(Audit.objects.values_list("week", flat=True)) == {WEEK}
    assert draw_audit_samples.delay().get() == 0
    AfterSalesSettingsFactory(tenant=tenant_b, audits_enabled=False)
    Audit.objects.filter(tenant=tenant_b).delete()
    assert audits.draw_due_samples() == 0  # B turned the draw off


# --- The checklist ---------------------------------------------------------------------------------


def test_the_checklist_is_pre_filled_from_the_records(tenant_a, users_a):
    order = handed_over(tenant_a)  # consent on file, a status event to handed over, a payment row
    suggested = audits.suggest(order)
    assert suggested == {
        "documents_complete": False,
        "consent_recorded": True,
        "photos_present": False,
        "timeline_complete": False,
        "price_matches_estimate": True,
    }
    # The factory order has no "created" event and its payment no event: add them as intake would.
    OrderEventFactory(tenant=tenant_a, order=order, kind=EventKind.CREATED)
    OrderEventFactory(tenant=tenant_a, order=order, kind=EventKind.PAYMENT)
    for kind in ("completion_act", "warranty_card"):
        OrderEventFactory(tenant=tenant_a, order=order, kind=EventKind.DOCUMENT, data={"kind": kind})
    OrderPhotoFactory(tenant=tenant_a, order=order, image="orders/x.jpg")
    assert audits.suggest(order) == dict.fromkeys(suggested, True)
    order.client.consent_at = None
    order.client.save()
    order.approved_amount = Decimal("100")  # billed 1500
    order.approved_amount, order.total_amount = Decimal("100"), Decimal("1500")
    assert audits.suggest(order)["consent_recorded"] is False
    assert audits.suggest(order)["price_matches_estimate"] is False
    order.approved_amount = None
    assert audits.suggest(order)["price_matches_estimate"] is None  # nothing approved: cannot tell


def test_the_score_is_the_share_of_yes_among_the_answered():
    assert audits.score_of(
        {
            "documents_complete": True,
            "consent_recorded": True,
            "photos_present": False,
            "timeline_complete": None,
            "price_matches_estimate": True,
        }
    ) == Decimal("75.0")
    assert audits.score_of({"documents_complete": False}) == Decimal("0.0")
    assert audits.score_of(
        {"documents_complete": True, "photos_present": True, "consent_recorded": False}
    ) == Decimal("66.7")
    assert audits.score_of({}) is None


def _audit(tenant) -> Audit:
    order = handed_over(tenant)
    return AuditFactory(
        tenant=tenant, order=order, week=WEEK, technician=order.technician, service_type=order.service_type
    )


def test_answering_and_completing_an_audit(tenant_a, users_a):
    audit = _audit(tenant_a)
    manager = member(tenant_a, Role.MANAGER)
    answers = {
        "documents_complete": True,
        "consent_recorded": True,
        "photos_present": False,
        "timeline_complete": None,
        "price_matches_estimate": True,
    }
    audits.save_answers(
        audit, by=manager, answers=answers, notes="Photos missing", expected_version=audit.version
    )
    assert (audit.status, audit.score, audit.auditor_id) == ("in_progress", None, manager.pk)
    with pytest.raises(audits.AuditChanged):
        audits.save_answers(audit, by=manager, answers=answers, notes="", expected_version=audit.version - 1)
    audits.save_answers(
        audit,
        by=manager,
        answers=answers,
        notes="Photos missing",
        expected_version=audit.version,
        complete=True,
    )
    audit.refresh_from_db()
    assert (audit.status, audit.score, audit.notes) == ("done", Decimal("75.0"), "Photos missing")
    assert audit.completed_at is not None
    event = audit.order.events.get(kind=EventKind.AUDIT)
    assert event.data == {
        "audit": audit.pk,
        "score": "75.0",
        "text": {
            "msgid": "Internal audit %(ref)s done: score %(score)s%%, open findings: %(open)s",
            "args": {"ref": f"A-{audit.pk}", "score": "75.0", "open": 0},
        },
    }
    assert event.display_text == f"Internal audit A-{audit.pk} done: score 75.0%, open findings: 0"
    with translation.override("ru"):
        assert (
            event.display_text
            == f"Внутренний аудит A-{audit.pk} завершён: оценка 75.0%, открытых замечаний: 0"
        )
    with pytest.raises(ValidationError, match="done"):
        audits.save_answers(audit, by=manager, answers=answers, notes="", expected_version=audit.version)


def test_an_audit_needs_an_answer_to_complete(tenant_a, users_a):
    audit = _audit(tenant_a)
    with pytest.raises(ValidationError, match="at least one"):
        audits.save_answers(
            audit,
            by=member(tenant_a, Role.MANAGER),
            answers={},
            notes="",
            expected_version=audit.version,
            complete=True,
        )
    with pytest.raises(ValueError):
        audits.save_answers(
            audit,
            by=member(tenant_a, Role.MANAGER),
            answers={"colour": True},
            notes="",
            expected_version=audit.version,
        )


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_only_managers_audit(tenant_a, users_a, role):
    audit = _audit(tenant_a)
    by = member(tenant_a, role)
    with pytest.raises(ActorRefused):
        audits.save_answers(audit, by=by, answers={}, notes="", expected_version=audit.version)
    with pytest.raises(ActorRefused):
        audits.add_finding(audit, by=by, severity="minor", description="x")


# --- Findings --------------------------------------------------------------------------------------


def test_a_finding_is_tracked_to_closed(tenant_a, users_a):
    audit = _audit(tenant_a)
    manager, tech = member(tenant_a, Role.MANAGER), member(tenant_a, Role.TECHNICIAN)
    finding = audits.add_finding(
        audit,
        by=manager,
        severity="major",
        description="No photos at intake",
        corrective_action="Photograph every device at intake",
        responsible=tech,
        due_date=date(2030, 1, 15),
    )
    audit.refresh_from_db()
    assert audit.status == "in_progress"
    assert list(audits.open_findings(tenant_a)) == [finding]
    with pytest.raises(ValidationError, match="Write what was done"):
        audits.close_finding(finding, by=manager, note="")
    audits.close_finding(finding, by=manager, note="Briefed the reception")
    assert (finding.status, finding.closing_note, finding.closed_by) == (
        "closed",
        "Briefed the reception",
        manager.user,
    )
    assert not audits.open_findings(tenant_a).exists()
    with pytest.raises(ValidationError, match="already closed"):
        audits.close_finding(finding, by=manager, note="again")


def test_a_finding_needs_a_description_a_severity_and_a_colleague(tenant_a, tenant_b, users_a, users_b):
    audit = _audit(tenant_a)
    manager = member(tenant_a, Role.MANAGER)
    with pytest.raises(ValidationError):
        audits.add_finding(audit, by=manager, severity="minor", description=" ")
    with pytest.raises(ValidationError):
        audits.add_finding(audit, by=manager, severity="fatal", description="x")
    with pytest.raises(ValidationError):
        audits.add_finding(
            audit, by=manager, severity="minor", description="x", responsible=member(tenant_b, Role.MANAGER)
        )
    assert not AuditFinding.objects.exists()


# --- Scores per technician ---------------------------------------------------------------------------


@pytest.mark.clock("2026-03-10 12:00")
def test_audit_score_per_technician_and_period(tenant_a, users_a, techs, clock):
    """The first technician: 75 and 100 -> 87.5; the second: 50. An audit done in April is another period."""
    first, second = techs
    manager = member(tenant_a, Role.MANAGER)
    for technician, answers in [
        (first, [True, True, True, False]),
        (first, [True] * 4),
        (second, [True, False]),
    ]:
        audit = _audit(tenant_a)
        Audit.objects.filter(pk=audit.pk).update(technician=technician)
        audit.refresh_from_db()
        audits.save_answers(
            audit,
            by=manager,
            answers=dict(zip(audits.AUDIT_CHECKS, answers, strict=False)),
            notes="",
            expected_version=audit.version,
            complete=True,
        )
    clock.set("2026-04-02 12:00")
    late = _audit(tenant_a)
    audits.save_answers(
        late,
        by=manager,
        answers={"documents_complete": False},
        notes="",
        expected_version=late.version,
        complete=True,
    )
    tz = ZoneInfo(tenant_a.time_zone)
    march = audits.audit_scores(
        tenant_a, since=datetime(2026, 3, 1, tzinfo=tz), until=datetime(2026, 4, 1, tzinfo=tz)
    )
    assert [(row.name, row.audits, row.average) for row in march] == [
        (first.user.full_name, 2, Decimal("87.5")),
        ("Boris Second", 1, Decimal("50.0")),
    ]
    april = audits.audit_scores(
        tenant_a, since=datetime(2026, 4, 1, tzinfo=tz), until=datetime(2026, 5, 1, tzinfo=tz)
    )
    assert [(row.audits, row.average) for row in april] == [(1, Decimal("0.0"))]
