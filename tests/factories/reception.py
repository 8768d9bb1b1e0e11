"""factory-boy factories for the reception models: desks and the visits waiting at them."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from reception.models import Purpose, ReceptionDesk, Visit, VisitSource

from .tenancy import LocationFactory, TenantFactory


class ReceptionDeskFactory(DjangoModelFactory):
    class Meta:
        model = ReceptionDesk

    tenant = factory.SubFactory(TenantFactory)
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))


class VisitFactory(DjangoModelFactory):
    """A visit waiting at the location today (the center's date); pass `ticket` when the number matters."""

    class Meta:
        model = Visit

    tenant = factory.SubFactory(TenantFactory)
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))
    day = factory.LazyAttribute(lambda visit: visit.tenant.local_date())
    ticket = factory.Sequence(lambda n: n + 1)
    purpose = Purpose.DROP_OFF
    source = VisitSource.DESK
