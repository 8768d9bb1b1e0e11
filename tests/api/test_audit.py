"""The audit log: each audited action writes one entry naming who did it (exports with their filters,
imports, API keys, webhooks: before and after); only the owner reads it, filtered by action."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api import imports, keys, webhooks
from servicedesk.tenancy.models import AuditEntry, Membership
from servicedesk.tenancy.roles import Role

# Celery tasks run in-process, also in the PostgreSQL + Redis pass (tests/conftest.py, celery_eager).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def owner_a(tenant_a, users_a) -> Membership:
    return Membership.objects.get(tenant=tenant_a, user=users_a[Role.OWNER])


def _entries(tenant) -> list[tuple]:
    return list(AuditEntry.objects.filter(tenant=tenant).order_by("id").values_list("action", "target"))


def test_each_audited_action_writes_one_entry(
    tenant_a, tenant_b, owner_a, users_a, member_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    api_key, _key = keys.create_key(tenant_a, name="Website", role="reception", expires_at=None, by=owner_a)
    keys.revoke_key(api_key, by=owner_a)
    keys.revoke_key(api_key, by=owner_a)  # already revoked: nothing happens, nothing recorded
    endpoint = webhooks.create_endpoint(
        tenant_a, url="https://93.184.216.34/a", events=["order.created"], by=owner_a
    )
    webhooks.update_endpoint(endpoint, url="https://93.184.216.34/b", events=["order.created"], by=owner_a)
    webhooks.rotate_secret(endpoint, by=owner_a)
    webhooks.delete_endpoint(endpoint, by=owner_a)
    job = imports.upload(
        tenant_a, SimpleUploadedFile("c.csv", b"Name,Phone\nAnna,+79165550501\n"), by=owner_a
    )
    imports.start(job, dry_run=True, by=owner_a)
    manager = member_client(Role.MANAGER)
    manager.get(reverse("exports:orders", args=[tenant_a.slug]), {"status": "new", "format": "xlsx"})
    assert _entries(tenant_a) == [
        ("api_key.created", "Website"),
        ("api_key.revoked", "Website"),
        ("webhook.created", "https://93.184.216.34/a"),
        ("webhook.changed", "https://93.184.216.34/b"),
        ("webhook.secret", "https://93.184.216.34/b"),
        ("webhook.deleted", "https://93.184.216.34/b"),
        ("import.uploaded", "c.csv"),
        ("import.checked", "c.csv"),
        ("export", "orders"),
    ]
    changed = AuditEntry.objects.get(action="webhook.changed")
    assert (
        changed.data["before"]["url"] == "https://93.184.216.34/a"
        and changed.data["after"]["url"] == "https://93.184.216.34/b"
    )
    assert changed.actor == users_a[Role.OWNER] and changed.actor_name == users_a[Role.OWNER].full_name
    secret = AuditEntry.objects.get(action="webhook.secret")
    assert "whsec_" not in str(secret.data)
    export = AuditEntry.objects.get(action="export")
    assert export.actor == users_a[Role.MANAGER] and export.data == {
        "format": "xlsx",
        "query": {"status": "new", "format": "xlsx"},
    }
    assert _entries(tenant_b) == []


def test_the_owner_reads_the_log_filtered(tenant_a, owner_a, member_client):
    keys.create_key(tenant_a, name="Bot", role="reception", expires_at=None, by=owner_a)
    webhooks.create_endpoint(tenant_a, url="https://93.184.216.34/a", events=["order.created"], by=owner_a)
    owner = member_client(Role.OWNER)
    url = reverse("audit:list", args=[tenant_a.slug])
    page = owner.get(url).content.decode()
    assert ">Bot</td>" in page and "https://93.184.216.34/a" in page
    page = owner.get(url, {"action": "webhook.created"}).content.decode()
    assert "https://93.184.216.34/a" in page and ">Bot</td>" not in page
    for role in (Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN):
        assert member_client(role).get(url).status_code == 403
