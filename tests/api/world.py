"""The API part of the cross-tenant `world` (tests/conftest.py): API keys, feedback, webhooks, imports,
ready full exports and the item of A's world order. B gets one of each, A two."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.utils import timezone

from api.models import CenterExport, ImportJob, WebhookDelivery, WebhookEndpoint, WebhookEvent
from orders.models import Order
from quality.models import Feedback
from servicedesk.tenancy.roles import Role


def _fill(tenant, count: int) -> SimpleNamespace:
    from tests.api.conftest import make_key

    api_keys = [make_key(tenant, Role.RECEPTION, name=f"World key {n}")[0] for n in range(count)]
    orders = list(Order.objects.filter(tenant=tenant).order_by("id")[:count])
    feedback = [
        Feedback.objects.create(
            tenant=tenant, order=order, rating=4, comment="World feedback", technician=order.technician
        )
        for order in orders
    ]
    # Webhook endpoints on a loopback address: refused at send time, so the walkers never reach a network.
    endpoints = [
        WebhookEndpoint.objects.create(
            tenant=tenant, url=f"https://127.0.0.1:9/hook-{n}", events=list(WebhookEvent.values)
        )
        for n in range(count)
    ]
    deliveries = [
        WebhookDelivery.objects.create(
            tenant=tenant,
            endpoint=endpoints[-1],
            source_key=f"world:{n}",
            event_id=f"evt_world{n}",
            event_type=WebhookEvent.ORDER_CREATED,
            payload={"id": f"evt_world{n}", "type": "order.created", "data": {}},
            state=WebhookDelivery.State.FAILED,
        )
        for n in range(count)
    ]
    imports = []
    for n in range(count):
        job = ImportJob(
            tenant=tenant,
            original_name=f"clients-{n}.csv",
            file_format="csv",
            headers=["Name", "Phone"],
            preview=[["World Client", "+7 916 700-00-0{n}"]],
            row_count=1,
            mapping={"name": 0, "phone": 1},
        )
        job.file.save(
            "upload", ContentFile(f"Name,Phone\nWorld Client,+7 916 700-00-0{n}\n".encode()), save=False
        )
        job.save()
        imports.append(job)
    # Full exports, ready to download (a stand-in ZIP), so the owner's download answers 200.
    now = timezone.now()
    center_exports = []
    for _n in range(count):
        export = CenterExport(
            tenant=tenant,
            state=CenterExport.State.READY,
            size=22,
            counts={"clients": 0},
            ready_at=now,
            expires_at=now + timedelta(hours=24),
        )
        export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
        export.save()
        center_exports.append(export)
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
