"""factory-boy factories for the api models: keys, webhook endpoints and deliveries, imports, full exports.

ApiKeyFactory makes its key through api.keys.create_key, as the owner's screen does (the row keeps only
the key's hash); the key itself is left on `.key`, e.g. `ApiKeyFactory(tenant=t, role=Role.RECEPTION).key`.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from api import keys
from api.models import ApiKey, CenterExport, ImportJob, WebhookDelivery, WebhookEndpoint, WebhookEvent
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from .tenancy import TenantFactory


def _owner(tenant) -> Membership | None:
    return Membership.objects.filter(tenant=tenant, role=Role.OWNER).order_by("id").first()


class ApiKeyFactory(DjangoModelFactory):
    """A key of `tenant` with `role`, made by `by` (the center's first owner unless given)."""

    class Meta:
        model = ApiKey

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Key {n}")
    role = Role.RECEPTION
    expires_at = None
    by = factory.LazyAttribute(lambda key: _owner(key.tenant))

    @classmethod
    def _create(cls, model_class, *args, tenant, name, role, expires_at, by, **kwargs):
        api_key, key = keys.create_key(tenant, name=name, role=role, expires_at=expires_at, by=by)
        api_key.key = key  # type: ignore[attr-defined]  # shown once, never stored
        return api_key


class WebhookEndpointFactory(DjangoModelFactory):
    """An endpoint for every event, on a loopback address: refused at send time, so no test reaches a
    network unless it stubs the sender."""

    class Meta:
        model = WebhookEndpoint

    tenant = factory.SubFactory(TenantFactory)
    url = factory.Sequence(lambda n: f"https://127.0.0.1:9/hook-{n}")
    events = factory.LazyFunction(lambda: list(WebhookEvent.values))


class WebhookDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    tenant = factory.SelfAttribute("endpoint.tenant")
    source_key = factory.Sequence(lambda n: f"test:{n}")
    event_id = factory.Sequence(lambda n: f"evt_test{n}")
    event_type = WebhookEvent.ORDER_CREATED


class ImportJobFactory(DjangoModelFactory):
    """An uploaded clients CSV (one row: name and phone), mapped and waiting to be run."""

    class Meta:
        model = ImportJob

    tenant = factory.SubFactory(TenantFactory)
    original_name = factory.Sequence(lambda n: f"clients-{n}.csv")
    file_format = "csv"
    headers = factory.LazyFunction(lambda: ["Name", "Phone"])
    preview = factory.LazyFunction(lambda: [["Imported Client", "+7 916 700-00-00"]])
    row_count = factory.LazyAttribute(lambda job: len(job.preview))
    mapping = factory.LazyFunction(lambda: {"name": 0, "phone": 1})
    file = factory.LazyAttribute(
        lambda job: ContentFile(
            "\n".join(",".join(row) for row in [job.headers, *job.preview]).encode() + b"\n", name="upload"
        )
    )


class CenterExportFactory(DjangoModelFactory):
    """A full export, ready to download for a day (a stand-in, empty ZIP)."""

    class Meta:
        model = CenterExport

    tenant = factory.SubFactory(TenantFactory)
    state = CenterExport.State.READY
    file = factory.LazyFunction(lambda: ContentFile(b"PK\x05\x06" + b"\x00" * 18, name="export.zip"))
    size = 22
    counts = factory.LazyFunction(lambda: {"clients": 0})
    ready_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda export: export.ready_at + timedelta(hours=24))
