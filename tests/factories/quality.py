"""factory-boy factories for the quality models: feedback, business hours and days, standards and goals,
service-level policies and clocks, dashboard rollups, checklists, complaints, warranty claims and audits.

A checklist is saved through quality.checklists.save_checklist (ChecklistVersionFactory), as the editor
does: its version number and items come from the service, never written here. SLA clocks and rollups are
normally derived (quality.clocks, quality.rollups.recompute); their factories are for tests that need one
row in a given state without the timeline behind it.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from quality import checklists
from quality.models import (
    AfterSalesSettings,
    Audit,
    AuditFinding,
    BusinessHours,
    CalendarDay,
    ChecklistVersion,
    Complaint,
    DailyRollup,
    Feedback,
    Goal,
    ItemKind,
    QualitySettings,
    SlaClock,
    SlaPause,
    SlaPolicy,
    Standard,
    WarrantyClaim,
)
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from .orders import OrderFactory, ServiceTypeFactory
from .tenancy import LocationFactory, TenantFactory


class FeedbackFactory(DjangoModelFactory):
    """The client's rating of an order (5 stars unless `rating` is given)."""

    class Meta:
        model = Feedback

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    rating = 5


class BusinessHoursFactory(DjangoModelFactory):
    """Opening hours of a location on one weekday (Monday 09:00-18:00 unless given)."""

    class Meta:
        model = BusinessHours

    tenant = factory.SubFactory(TenantFactory)
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))
    weekday = 0
    opens = time(9)
    closes = time(18)


class CalendarDayFactory(DjangoModelFactory):
    """A day of the center's own calendar: closed at every location unless `location` and `kind` say more."""

    class Meta:
        model = CalendarDay

    tenant = factory.SubFactory(TenantFactory)
    date = factory.Sequence(lambda n: date(2030, 1, 1) + timedelta(days=n))


class StandardFactory(DjangoModelFactory):
    class Meta:
        model = Standard

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Standard {n}")
    metric = "reception_wait"
    value = Decimal("5")


class GoalFactory(DjangoModelFactory):
    """A goal whose baseline was the month before last and which runs from a month ago to two months on."""

    class Meta:
        model = Goal

    tenant = factory.SubFactory(TenantFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    metric = "time_to_ready"
    baseline_start = factory.LazyAttribute(lambda goal: goal.tenant.local_date() - timedelta(days=60))
    baseline_end = factory.LazyAttribute(lambda goal: goal.tenant.local_date() - timedelta(days=31))
    baseline_value = Decimal("40")
    change_percent = Decimal("-15")
    target_value = Decimal("34")
    starts_on = factory.LazyAttribute(lambda goal: goal.tenant.local_date() - timedelta(days=30))
    deadline = factory.LazyAttribute(lambda goal: goal.tenant.local_date() + timedelta(days=60))


class SlaPolicyFactory(DjangoModelFactory):
    """A service-level policy (the general ones come from quality.clocks.ensure_policies)."""

    class Meta:
        model = SlaPolicy

    tenant = factory.SubFactory(TenantFactory)


class SlaClockFactory(DjangoModelFactory):
    """A clock of an order; pass target, state, budget_seconds, started_at and due_at for the case at hand."""

    class Meta:
        model = SlaClock

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    budget_seconds = 3600
    started_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda clock: clock.started_at + timedelta(seconds=clock.budget_seconds))


class SlaPauseFactory(DjangoModelFactory):
    class Meta:
        model = SlaPause

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    started_at = factory.LazyFunction(timezone.now)


class DailyRollupFactory(DjangoModelFactory):
    """One day's figures of a location and service (quality.rollups writes these from the orders)."""

    class Meta:
        model = DailyRollup

    tenant = factory.SubFactory(TenantFactory)
    day = factory.LazyAttribute(lambda rollup: rollup.tenant.local_date())
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))
    service_type = factory.SubFactory(ServiceTypeFactory, tenant=factory.SelfAttribute("..tenant"))


class ChecklistVersionFactory(factory.Factory):
    """A service's checklist, saved as its next version through quality.checklists.save_checklist.

    ChecklistVersionFactory(service_type=..., items=[checklists.ItemData(...), ...], by=manager)
    """

    class Meta:
        model = ChecklistVersion

    service_type = factory.SubFactory(ServiceTypeFactory)
    items = factory.LazyFunction(
        lambda: [checklists.ItemData(checklists.Stage.QUALITY, ItemKind.TICK, "Works")]
    )
    # Who saves it: the center's first manager unless given (saving needs the catalogue permission).
    by = factory.LazyAttribute(
        lambda version: (
            Membership.objects.filter(tenant=version.service_type.tenant, role=Role.MANAGER)
            .order_by("id")
            .first()
        )
    )

    @classmethod
    def _create(cls, model_class, *args, service_type, items, by, **kwargs):
        current = checklists.current_version(service_type)
        return checklists.save_checklist(
            service_type, items, by=by, expected_version=current.number if current else 0
        )


class ComplaintFactory(DjangoModelFactory):
    """An open complaint about an order, its answer due in ten days."""

    class Meta:
        model = Complaint

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    description = factory.Sequence(lambda n: f"Complaint {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class WarrantyClaimFactory(DjangoModelFactory):
    """A claim on a handed-over order (`original`), inside its warranty period."""

    class Meta:
        model = WarrantyClaim

    original = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("original.tenant")
    first_order = factory.SelfAttribute("original")
    problem = factory.Sequence(lambda n: f"Warranty problem {n}")
    inside_period = True
    period_until = factory.SelfAttribute("original.warranty_until")


class AuditFactory(DjangoModelFactory):
    """An internal audit of an order, drawn for this week."""

    class Meta:
        model = Audit

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    week = factory.LazyFunction(lambda: timezone.now().date())


class AuditFindingFactory(DjangoModelFactory):
    class Meta:
        model = AuditFinding

    audit = factory.SubFactory(AuditFactory)
    tenant = factory.SelfAttribute("audit.tenant")
    description = factory.Sequence(lambda n: f"Finding {n}")


class AfterSalesSettingsFactory(DjangoModelFactory):
    """A center's after-sales settings row (one per center; without it the defaults apply)."""

    class Meta:
        model = AfterSalesSettings

    tenant = factory.SubFactory(TenantFactory)


class QualitySettingsFactory(DjangoModelFactory):
    class Meta:
        model = QualitySettings

    tenant = factory.SubFactory(TenantFactory)
