"""factory-boy factories for the notifications models: outbox rows and the centers' message templates.

A notification a test expects to be *sent* comes from the order's events (the listeners write the outbox);
NotificationFactory writes a row directly, for tests of the outbox itself (resending, purging, the pages).
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from notifications.models import Channel, Kind, MessageTemplate, Notification, NotificationSettings

from .orders import OrderFactory
from .tenancy import TenantFactory


class NotificationFactory(DjangoModelFactory):
    """A pending e-mail to the order's client, "ready for pickup"."""

    class Meta:
        model = Notification

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    source_key = factory.Sequence(lambda n: f"test:{n}")
    kind = Kind.READY_FOR_PICKUP
    channel = Channel.EMAIL
    recipient = factory.LazyAttribute(lambda row: row.order.client.email or "client@example.test")
    language = "en"
    body = "Your order is ready."


class MessageTemplateFactory(DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    tenant = factory.SubFactory(TenantFactory)
    kind = Kind.READY_FOR_PICKUP
    language = "en"
    email_subject = "Ready"
    email_body = "Your order is ready."


class NotificationSettingsFactory(DjangoModelFactory):
    """A center's notification settings row (one per center; without it the defaults apply)."""

    class Meta:
        model = NotificationSettings

    tenant = factory.SubFactory(TenantFactory)
