"""factory-boy factories for the orders models. Pass `tenant` (and the objects of that tenant) explicitly.

OrderFactory takes its number from the tenant's real counter (orders.services.next_order_number), so
factory orders and orders taken in through the screens share one gapless sequence.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from orders.models import (
    Client,
    Item,
    LineItem,
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    ServiceFormat,
    ServiceType,
)
from orders.services import next_order_number
from servicedesk.tenancy.models import Location

from ..factories import LocationFactory, TenantFactory


class ServiceTypeFactory(DjangoModelFactory):
    class Meta:
        model = ServiceType

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    formats = factory.LazyFunction(lambda: [ServiceFormat.IN_SHOP, ServiceFormat.ON_SITE])
    needs_item = True
    base_price = Decimal("1500")
    warranty_days = 90
    target_days = 3


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Client{n} Surname{n}")
    phone = factory.Sequence(lambda n: f"+7916{n:07d}")
    email = factory.Sequence(lambda n: f"client{n}@example.test")
    consent_at = factory.LazyFunction(timezone.now)
    consent_version = "2026-01"


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    tenant = factory.SubFactory(TenantFactory)
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = "Phone"
    brand = "Apple"
    model = "iPhone 13"
    serial = factory.Sequence(lambda n: f"SN{n:08d}")


def _location_of(order) -> Location:
    existing = Location.objects.filter(tenant=order.tenant).order_by("id").first()
    return existing or LocationFactory(tenant=order.tenant)


class OrderFactory(DjangoModelFactory):
    """An order of `tenant`; status, technician etc. are set directly (no events but none are implied).

    For an order with a real timeline, take it in with orders.services.take_in and move it with transition().
    """

    class Meta:
        model = Order

    tenant = factory.SubFactory(TenantFactory)
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    item = factory.SubFactory(
        ItemFactory, tenant=factory.SelfAttribute("..tenant"), client=factory.SelfAttribute("..client")
    )
    service_type = factory.SubFactory(ServiceTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    intake_location = factory.LazyAttribute(_location_of)
    workshop = factory.SelfAttribute("intake_location")
    format = ServiceFormat.IN_SHOP
    problem = "Does not turn on"
    status = OrderStatus.NEW
    promised_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.setdefault("number", next_order_number(kwargs["tenant"]))
        return super()._create(model_class, *args, **kwargs)


class OrderEventFactory(DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    kind = "note"
    message = factory.Sequence(lambda n: f"Note {n}")
    is_public = True


class LineItemFactory(DjangoModelFactory):
    class Meta:
        model = LineItem

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    kind = LineItem.Kind.WORK
    description = factory.Sequence(lambda n: f"Work {n}")
    quantity = Decimal("1")
    unit_price = Decimal("100")


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    kind = Payment.Kind.PAYMENT
    amount = Decimal("100")
