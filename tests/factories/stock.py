"""factory-boy factories for the stock models: parts, the services a part fits, stock levels and movements.

Stock a test counts on comes through the service (stock.services.receive / reserve), as the screens do:
make the part here, then receive it. StockLevelFactory and StockMovementFactory are for tests that need a
level or a journal line the services would not write (a report over an old journal, a broken row).
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from stock.models import Part, PartServiceType, StockLevel, StockMovement

from .orders import ServiceTypeFactory
from .tenancy import LocationFactory, TenantFactory


class PartFactory(DjangoModelFactory):
    class Meta:
        model = Part

    tenant = factory.SubFactory(TenantFactory)
    sku = factory.Sequence(lambda n: f"P-{n}")
    name = factory.Sequence(lambda n: f"Part {n}")


class PartServiceTypeFactory(DjangoModelFactory):
    """A service the part fits (orders.catalogues.set_service_links writes these from the screens)."""

    class Meta:
        model = PartServiceType
        django_get_or_create = ("tenant", "part", "service_type")  # a part fits a service once

    part = factory.SubFactory(PartFactory)
    tenant = factory.SelfAttribute("part.tenant")
    service_type = factory.SubFactory(ServiceTypeFactory, tenant=factory.SelfAttribute("..tenant"))


class StockLevelFactory(DjangoModelFactory):
    class Meta:
        model = StockLevel

    part = factory.SubFactory(PartFactory)
    tenant = factory.SelfAttribute("part.tenant")
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))


class StockMovementFactory(DjangoModelFactory):
    class Meta:
        model = StockMovement

    part = factory.SubFactory(PartFactory)
    tenant = factory.SelfAttribute("part.tenant")
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = StockMovement.Kind.RECEIPT
