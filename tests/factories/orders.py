"""factory-boy factories for the orders models: service types, clients, items, orders, their events, lines,
payments, photos and estimates. Pass `tenant` (and the objects of that tenant) explicitly; the rows hanging
off an order take their tenant from it.

OrderFactory takes its number from the tenant's real counter (orders.services.next_order_number), so
factory orders and orders taken in through the screens share one gapless sequence; it writes the status it
is given directly and records no events (a row in a state, for tests of what reads it). IntakeOrderFactory
takes the order in through orders.services.take_in and walks it through the real lifecycle: use it when
the timeline, the notifications or the listeners' work matter.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from orders.models import (
    Client,
    Estimate,
    EstimateLine,
    Item,
    LineItem,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    Payment,
    PersonalDataSettings,
    ServiceFormat,
    ServiceType,
)
from orders.services import next_order_number
from servicedesk.tenancy.models import Location, Membership
from servicedesk.tenancy.roles import Role

from .tenancy import LocationFactory, TenantFactory


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
    return existing or LocationFactory.create(tenant=order.tenant)


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
        if "number" not in kwargs:  # a given number takes none from the counter
            kwargs["number"] = next_order_number(kwargs["tenant"])
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


def _png(name: str = "photo.png") -> ContentFile:
    """A tiny real PNG (8x8, red), as tests/orders/conftest.photo_upload() uploads."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=name)


class OrderPhotoFactory(DjangoModelFactory):
    """A photo of an order, stored under settings.MEDIA_ROOT (pass `image=` for another file)."""

    class Meta:
        model = OrderPhoto

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    image = factory.LazyFunction(_png)


class EstimateFactory(DjangoModelFactory):
    class Meta:
        model = Estimate

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    version = factory.Sequence(lambda n: n + 1)
    amount = Decimal("1000")


class EstimateLineFactory(DjangoModelFactory):
    class Meta:
        model = EstimateLine

    estimate = factory.SubFactory(EstimateFactory)
    tenant = factory.SelfAttribute("estimate.tenant")
    description = factory.Sequence(lambda n: f"Estimate line {n}")
    unit_price = Decimal("100")


class PersonalDataSettingsFactory(DjangoModelFactory):
    """A center's personal-data retention row (one per center; without it the defaults apply)."""

    class Meta:
        model = PersonalDataSettings

    tenant = factory.SubFactory(TenantFactory)


def _member(tenant, role: str) -> Membership:
    """The tenant's first member with the role (the one who acts unless the test names someone)."""
    member = Membership.objects.filter(tenant=tenant, role=role).select_related("user").order_by("id").first()
    assert member is not None, f"{tenant} has no {role}: pass one"
    return member


class IntakeOrderFactory(factory.Factory):
    """An order taken in through orders.services.take_in, reception's path: the client found or made, the
    item, the prepayment, the number from the tenant's counter and the intake event, all as the screens do.

    With `status`, it is then walked there through the real lifecycle (orders.demo.walk_to: every
    transition and what each needs first) by the center's first manager and technician unless `manager`,
    `technician` and `workshop` are given. Any field of orders.services.IntakeData may be passed.

        IntakeOrderFactory(tenant=tenant_a, client_name="Anna Smirnova", status=OrderStatus.READY)
    """

    class Meta:
        model = Order

    class Params:
        # IntakeOrderFactory(..., without_item=True): nothing brought in (a consultation, a visit).
        without_item = factory.Trait(item_kind="", item_brand="", item_model="")

    tenant = factory.SubFactory(TenantFactory)
    by = factory.LazyAttribute(lambda intake: _member(intake.tenant, Role.RECEPTION))
    client = None
    client_name = factory.Sequence(lambda n: f"Intake Client {n}")
    client_phone = factory.Sequence(lambda n: f"+7915{n:07d}")
    client_email = ""
    consent = True
    service_type = factory.SubFactory(ServiceTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    format = ServiceFormat.IN_SHOP
    intake_location = factory.LazyAttribute(_location_of)
    problem = "Does not turn on"
    item_kind = "Phone"
    item_brand = "Apple"
    item_model = "iPhone 13"
    # Where to walk it (None: left new), and who walks it there.
    status = None
    manager = None
    technician = None
    workshop = None

    @classmethod
    def _create(cls, model_class, *args, tenant, by, status, manager, technician, workshop, **fields):
        from orders import services
        from orders.demo import walk_to

        order = services.take_in(tenant, services.IntakeData(**fields), by=by)
        if status is not None and status != OrderStatus.NEW:
            order = walk_to(
                order,
                status,
                manager=manager or _member(tenant, Role.MANAGER),
                technician=technician or _member(tenant, Role.TECHNICIAN),
                reception=by,
                workshop=workshop or order.intake_location,
            )
        return order
