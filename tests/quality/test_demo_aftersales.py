"""The demo center's after-sales: complaints (one resolved, one open), warranty claims linked to their
originals, a device with several visits, an audit in progress with findings. Running it again changes nothing."""

from __future__ import annotations

import pytest
from django.db.models import Count

from demo.seed import seed_demo
from orders.models import Item, Order
from quality.models import Audit, AuditFinding, Complaint, WarrantyClaim

pytestmark = pytest.mark.django_db


def counts(tenant) -> dict:
    return {
        model.__name__: model.objects.filter(tenant=tenant).count()
        for model in (Complaint, WarrantyClaim, Audit, AuditFinding, Order)
    }


def test_the_demo_has_after_sales_and_is_idempotent(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = seed_demo().tenant
    complaints = Complaint.objects.filter(tenant=tenant)
    assert complaints.filter(
        status="resolved", compensation="discount", client_told_at__isnull=False
    ).exists()
    assert complaints.filter(status__in=["open", "in_progress"], source="rating").exists()
    claims = WarrantyClaim.objects.filter(tenant=tenant)
    accepted = claims.get(status="accepted")
    assert accepted.order.warranty_of_id == accepted.original_id and accepted.order.status == "handed_over"
    assert accepted.order.warranty_until == accepted.original.warranty_until
    assert claims.filter(status="requested").exists()
    assert Item.objects.filter(tenant=tenant).annotate(n=Count("orders")).filter(n__gte=3).exists()
    audit = Audit.objects.get(tenant=tenant, status="in_progress")
    assert audit.findings.filter(status="open").exists() and audit.findings.filter(status="closed").exists()
    before = counts(tenant)
    seed_demo()
    assert counts(tenant) == before
