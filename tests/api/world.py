"""The API part of the cross-tenant `world` (tests/conftest.py): API keys, feedback, webhooks, imports,
ready full exports and the item of A's world order. B gets one of each, A two."""

from __future__ import annotations

from types import SimpleNamespace

from api.models import WebhookDelivery
from orders.models import Order
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ApiKeyFactory,
    CenterExportFactory,
    FeedbackFactory,
    ImportJobFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)


def _fill(tenant, count: int) -> SimpleNamespace:
    owner = Membership.objects.get(tenant=tenant, role=Role.OWNER, user__email=f"owner@{tenant.slug}.test")
    api_keys = [
        ApiKeyFactory(tenant=tenant, name=f"World key {n}", role=Role.RECEPTION, by=owner)
        for n in range(count)
    ]
    orders = list(Order.objects.filter(tenant=tenant).order_by("id")[:count])
    feedback = [
        FeedbackFactory(order=order, rating=4, comment="World feedback", technician=order.technician)
        for order in orders
    ]
    # Webhook endpoints on a loopback address: refused at send time, so the walkers never reach a network.
    endpoints = [
        WebhookEndpointFactory(tenant=tenant, url=f"https://127.0.0.1:9/hook-{n}") for n in range(count)
    ]
    deliveries = [
        WebhookDeliveryFactory(
            endpoint=endpoints[-1],
            source_key=f"world:{n}",
            event_id=f"evt_world{n}",
            payload={"id": f"evt_world{n}", "type": "order.created", "data": {}},
            state=WebhookDelivery.State.FAILED,
        )
        for n in range(count)
    ]
    imports = [
        ImportJobFactory(
            tenant=tenant,
            original_name=f"clients-{n}.csv",
            preview=[["World Client", f"+7 916 700-00-0{n}"]],
        )
        for n in range(count)
    ]
    # Full exports, ready to download (a stand-in ZIP), so the owner's download answers 200.
    center_exports = CenterExportFactory.create_batch(count, tenant=tenant)
    return SimpleNamespace(
        center_export=center_exports[-1],
        import_job=imports[-1],
        api_key=api_keys[-1],
        feedback=feedback[-1],
        webhook_endpoint=endpoints[-1],
        webhook_delivery=deliveries[-1],
    )


def add_api(tenant_b, tenant_a, *, order_a: Order) -> SimpleNamespace:
    _fill(tenant_b, 1)
    made = _fill(tenant_a, 2)
    made.item = order_a.item
    return made
