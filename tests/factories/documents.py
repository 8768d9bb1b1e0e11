"""factory-boy factories for the documents models.

DocumentFactory archives a stand-in PDF (no rendering) under the tenant's real numbering
(documents.services.next_number, by the center's year), so issuing another document after it works
as in production. A document whose *content* a test reads is issued through documents.services instead.
"""

from __future__ import annotations

import hashlib

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from documents.models import Document, Kind
from documents.services import next_number
from servicedesk.tenancy.models import Membership

from .orders import OrderFactory

STAND_IN_PDF = b"%PDF-1.4\n% stand-in for the cross-tenant test\n%%EOF\n"


def _first_member(order) -> Membership | None:
    return Membership.objects.filter(tenant=order.tenant).select_related("user").first()


class DocumentFactory(DjangoModelFactory):
    """An archived intake receipt of `order`, issued by the center's first member."""

    class Meta:
        model = Document

    order = factory.SubFactory(OrderFactory)
    tenant = factory.SelfAttribute("order.tenant")
    kind = Kind.INTAKE_RECEIPT
    year = factory.LazyAttribute(lambda document: document.tenant.local_date().year)
    language = "en"
    sha256 = hashlib.sha256(STAND_IN_PDF).hexdigest()
    size = len(STAND_IN_PDF)
    template_source = "default"
    issued_by = factory.LazyAttribute(lambda document: getattr(_first_member(document.order), "user", None))
    issued_by_name = "Stand-in"
    file = factory.LazyFunction(lambda: ContentFile(STAND_IN_PDF, name="stand-in.pdf"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Numbered by the tenant's counter for the kind and year, as documents.services numbers them.
        if "number" not in kwargs:
            kwargs["number"] = next_number(kwargs["tenant"], kwargs["kind"], kwargs["year"])
        return super()._create(model_class, *args, **kwargs)
