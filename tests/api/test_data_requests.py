"""The API's personal-data requests and full export (api/data_views.py): the same services as the web
pages (orders.personal_data, api.full_export), their refusals as JSON with the web's sentence. Who may
open each door is in test_resources.DOORS; other centers' ids in tests/test_cross_tenant.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from api.models import CenterExport
from orders.models import OrderStatus, PersonalDataRequest
from servicedesk.tenancy.models import AuditEntry
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivan(tenant_a):
    client = ClientFactory(
        tenant=tenant_a, name="Ivan Petrov", phone="+79161234567", email="ivan@example.test"
    )
    OrderFactory(tenant=tenant_a, client=client, status=OrderStatus.HANDED_OVER, closed_at=timezone.now())
    return client


def test_the_data_report_is_the_webs_and_is_recorded(api, ivan):
    response = api(Role.MANAGER).get(reverse("api:client_data_report", args=[ivan.pk]))
    assert response.status_code == 200
    report = response.json()
    assert report["client"] == ivan.pk
    assert report["sections"]["orders"]["rows"][0]["Name"] == "Ivan Petrov"
    recorded = PersonalDataRequest.objects.get(client=ivan)
    assert (recorded.kind, recorded.status) == ("report", "done")
    listed = api(Role.MANAGER).get(reverse("api:client_data_requests", args=[ivan.pk])).json()
    assert [(row["kind"], row["status"]) for row in listed] == [("report", "done")]


def test_erasure_needs_the_webs_request_and_confirmation(api, ivan):
    url = reverse("api:client_erasure", args=[ivan.pk])
    response = api(Role.MANAGER).post(url, {"reason": "Written request, 3 March"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert response.json()["fields"] == {"confirm": ["Confirm that the request comes from the client."]}
    assert not PersonalDataRequest.objects.exists()

    response = api(Role.MANAGER).post(url, {"reason": "Written request, 3 March", "confirm": True})
    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["status"]) == ("erasure", "done")
    ivan.refresh_from_db()
    assert ivan.erased_at is not None and "Ivan" not in ivan.name and ivan.email == ""


def test_a_refused_erasure_answers_the_webs_reason_and_stays_recorded(api, tenant_a, ivan):
    OrderFactory(tenant=tenant_a, client=ivan, status=OrderStatus.NEW)  # open: the erasure waits
    response = api(Role.OWNER).post(
        reverse("api:client_erasure", args=[ivan.pk]), {"reason": "By e-mail", "confirm": True}
    )
    assert response.status_code == 422 and response.json()["code"] == "refused"
    assert response.json()["detail"].startswith("The client has open orders (#")
    assert response.json()["detail"].endswith(
        "Hand them over or cancel them first: finishing the work needs the client's contacts."
    )
    refused = PersonalDataRequest.objects.get(client=ivan)
    assert (refused.kind, refused.status, refused.reason) == ("erasure", "refused", "By e-mail")
    ivan.refresh_from_db()
    assert ivan.erased_at is None and ivan.name == "Ivan Petrov"


def test_the_owner_asks_for_the_full_export_and_follows_it(api, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = api(Role.OWNER)
    asked = owner.post(reverse("api:exports"))
    assert asked.status_code == 202 and asked.json()["state"] == "queued" and asked.json()["download"] is None
    export_id = asked.json()["id"]
    again = owner.post(reverse("api:exports"))
    assert again.status_code == 409 and again.json() == {
        "code": "running",
        "detail": "An export of this center is being prepared already; wait until it is ready.",
    }
    waiting = owner.get(reverse("api:export_download", args=[export_id]))
    assert waiting.status_code == 409 and waiting.json() == {
        "code": "not_ready",
        "detail": "This export is still being prepared: download it when the list says it is ready.",
    }
    assert [row["id"] for row in owner.get(reverse("api:exports")).json()] == [export_id]

    # Built (as the task would), the ZIP is downloaded and the download is in the audit log.
    export = CenterExport.objects.get(pk=export_id)
    now = timezone.now()
    export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    export.state, export.ready_at, export.expires_at = (
        CenterExport.State.READY,
        now,
        now + timedelta(hours=24),
    )
    export.save()
    detail = owner.get(reverse("api:export", args=[export_id])).json()
    assert detail["state"] == "ready" and detail["download"] == f"/api/v1/exports/{export_id}/download/"
    download = owner.get(detail["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content).startswith(b"PK")
    steps = [entry.data.get("step") for entry in AuditEntry.objects.filter(tenant=tenant_a).order_by("id")]
    assert steps[-2:] == ["requested", "downloaded"]

    # Past its 24 hours: gone, with the page's sentence.
    CenterExport.objects.filter(pk=export_id).update(expires_at=now - timedelta(minutes=1))
    gone = owner.get(detail["download"])
    assert gone.status_code == 410 and gone.json()["code"] == "expired"
    assert gone.json()["detail"].startswith("This export expired on ")
    assert gone.json()["detail"].endswith(
        ": its file is deleted 24 hours after it is ready. Prepare a new one."
    )
