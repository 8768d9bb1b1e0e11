"""What quality holds on a client (ratings, complaints, warranty claims), for their data report and their
erasure (orders.personal_data)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Client
from orders.personal_data import DataHolder, Erasing, Row, scrub_rows

from .models import Complaint, Feedback, WarrantyClaim


def collect(client: Client) -> list[Row]:
    tenant_id = client.tenant_id
    rows: list[Row] = []
    for feedback in (
        Feedback.objects.for_tenant(tenant_id).filter(order__client_id=client.pk).select_related("order")
    ):
        rows.append(
            {
                _("What"): _("Rating of order #%(number)s") % {"number": feedback.order.number},
                _("When"): feedback.created_at,
                _("Rating"): feedback.rating,
                _("Would recommend, 0-10"): feedback.recommend,
                _("Comment"): feedback.comment,
            }
        )
    for complaint in (
        Complaint.objects.for_tenant(tenant_id).filter(order__client_id=client.pk).select_related("order")
    ):
        rows.append(
            {
                _("What"): _("Complaint about order #%(number)s") % {"number": complaint.order.number},
                _("When"): complaint.opened_at,
                _("What the client says"): complaint.description,
                _("Status"): complaint.get_status_display(),
                _("Resolution"): complaint.resolution,
            }
        )
    for claim in (
        WarrantyClaim.objects.for_tenant(tenant_id)
        .filter(original__client_id=client.pk)
        .select_related("original")
    ):
        rows.append(
            {
                _("What"): _("Warranty claim on order #%(number)s") % {"number": claim.original.number},
                _("Problem"): claim.problem,
                _("Status"): claim.get_status_display(),
            }
        )
    return rows


def erase(erasing: Erasing) -> int:
    """A rating's comment is the client's own words: it goes whole (the rating stays, for the technicians'
    statistics). Complaints and claims are records of the center's obligations: they stay, without the
    client's name and contacts."""
    client = erasing.client
    tenant_id = client.tenant_id
    changed = (
        Feedback.objects.for_tenant(tenant_id)
        .filter(order__client_id=client.pk)
        .exclude(comment="")
        .update(comment=erasing.mark)
    )
    changed += scrub_rows(
        Complaint.objects.for_tenant(tenant_id).filter(order__client_id=client.pk),
        ["description", "resolution"],
        erasing,
    )
    changed += scrub_rows(
        WarrantyClaim.objects.for_tenant(tenant_id).filter(original__client_id=client.pk),
        ["problem", "override_reason", "refusal_reason"],
        erasing,
    )
    return changed


HOLDER = DataHolder(
    key="quality",
    label=gettext_lazy("Ratings, complaints and warranty claims"),
    collect=collect,
    erase=erase,
    kept=gettext_lazy(
        "Kept: ratings (without comments), complaints and warranty claims with their decisions, without the "
        "client's name and contacts."
    ),
    position=50,
)
