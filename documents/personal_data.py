"""What the documents archive holds on a client, for their data report and their erasure
(orders.personal_data).

Issued documents never change (documents.models.Document) and must be kept for the legal retention period
(settings.DOCUMENT_RETENTION_YEARS after the year of issue): an erasure keeps the PDFs as issued. The
archive's rows name no client (the archive shows the client through the order, which the erasure
anonymises), so nothing in them is masked; the report says until when each one is kept.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Client
from orders.personal_data import DataHolder, Erasing, Row, document_retention_until

from .models import Document


def collect(client: Client) -> list[Row]:
    documents = (
        Document.objects.for_tenant(client.tenant_id)
        .filter(order__client_id=client.pk)
        .select_related("order")
        .order_by("issued_at", "id")
    )
    return [
        {
            _("Document"): f"{document.get_kind_display()} {document.display_number}"
            + (f" v{document.version}" if document.version > 1 else ""),
            _("Order"): f"#{document.order.number}",
            _("Issued"): document.issued_at,
            _("Kept until"): document_retention_until(document.issued_at),
        }
        for document in documents
    ]


def erase(erasing: Erasing) -> int:
    """Nothing to mask: the rows hold no personal data and the PDFs are kept as issued (see above)."""
    return 0


HOLDER = DataHolder(
    key="documents",
    label=gettext_lazy("Issued documents"),
    collect=collect,
    erase=erase,
    kept=gettext_lazy(
        "Kept as issued until the end of their legal retention period (the date beside each): receipts, "
        "contracts, completion acts and warranty cards are accounting and consumer-law records. The "
        "archive lists them under the anonymised client."
    ),
    position=40,
)
