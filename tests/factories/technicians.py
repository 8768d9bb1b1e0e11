"""factory-boy factories for the technicians models: profiles, skills, work logged and planned slots."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from servicedesk.tenancy.roles import Role
from technicians.models import TechnicianProfile, TechnicianSkill, WorkLog, WorkSlot

from .orders import OrderFactory, ServiceTypeFactory
from .tenancy import MembershipFactory, TenantFactory


class TechnicianProfileFactory(DjangoModelFactory):
    """The profile of a technician's membership (a new technician of `tenant` unless `membership` is given)."""

    class Meta:
        model = TechnicianProfile

    tenant = factory.SubFactory(TenantFactory)
    membership = factory.SubFactory(
        MembershipFactory, tenant=factory.SelfAttribute("..tenant"), role=Role.TECHNICIAN
    )


class TechnicianSkillFactory(DjangoModelFactory):
    class Meta:
        model = TechnicianSkill

    profile = factory.SubFactory(TechnicianProfileFactory)
    tenant = factory.SelfAttribute("profile.tenant")
    service_type = factory.SubFactory(ServiceTypeFactory, tenant=factory.SelfAttribute("..tenant"))


class WorkLogFactory(DjangoModelFactory):
    """Work on an order, by the order's technician unless `technician` is given; open (no end) by default."""

    class Meta:
        model = WorkLog

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    technician = factory.SelfAttribute("order.technician")
    started_at = factory.LazyFunction(timezone.now)


class WorkSlotFactory(DjangoModelFactory):
    """A planned slot (technicians.planning.plan writes these from the board); pass start and end."""

    class Meta:
        model = WorkSlot

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    start = factory.LazyFunction(timezone.now)
    end = factory.LazyAttribute(lambda slot: slot.start + timedelta(hours=1))
