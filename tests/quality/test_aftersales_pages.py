"""The after-sales pages: each role at the door, the forms end to end, constant query counts, the NPS question."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import LineItem, Order
from quality import complaints
from quality.models import AfterSalesSettings, Audit, AuditFinding, Complaint, Feedback, WarrantyClaim
from servicedesk.tenancy.roles import Role
from tests.factories import AuditFactory, AuditFindingFactory
from tests.orders.test_query_counts import assert_same_count, queries_of

from .aftersales import handed_over, member

pytestmark = pytest.mark.django_db


def url(name: str, tenant, *args) -> str:
    return reverse(f"quality:{name}", args=[tenant.slug, *args])


def _complaint(tenant) -> Complaint:
    return complaints.open_complaint(
        handed_over(tenant), description="Still noisy", source="phone", by=member(tenant, Role.RECEPTION)
    )


# --- The door -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("complaint_list", {Role.OWNER, Role.MANAGER}),
        ("claim_list", {Role.OWNER, Role.MANAGER, Role.RECEPTION}),
        ("audit_list", {Role.OWNER, Role.MANAGER}),
        ("aftersales_settings", {Role.OWNER, Role.MANAGER}),
    ],
)
def test_each_role_at_the_lists(tenant_a, users_a, member_client, name, allowed):
    for role in Role:
        status = member_client(role).get(url(name, tenant_a)).status_code
        assert status == (200 if role in allowed else 403), (role, status)


def test_each_role_at_an_orders_after_sales_forms(tenant_a, users_a, member_client):
    order = handed_over(tenant_a)
    for role in Role:
        client = member_client(role)
        complaint = client.get(url("complaint_new", tenant_a, order.number)).status_code
        claim = client.get(url("claim_new", tenant_a, order.number)).status_code
        expected = 403 if role == Role.TECHNICIAN else 200
        assert (complaint, claim) == (expected, expected), role


# --- Complaints -----------------------------------------------------------------------------------


def test_reception_records_a_complaint_and_goes_back_to_the_order(tenant_a, users_a, member_client):
    order = handed_over(tenant_a)
    response = member_client(Role.RECEPTION).post(
        url("complaint_new", tenant_a, order.number),
        {"source": "phone", "description": "Screen flickers again"},
    )
    assert response.status_code == 302 and response.url == reverse(
        "orders:detail", args=[tenant_a.slug, order.number]
    )
    complaint = Complaint.objects.get()
    assert (complaint.source, complaint.description, complaint.order_id) == (
        "phone",
        "Screen flickers again",
        order.pk,
    )
    page = member_client(Role.RECEPTION).get(response.url).content.decode()
    assert 'data-testid="order-complaints"' in page and f"C-{complaint.pk}" in page


def test_a_manager_handles_compensates_and_tells_the_client(
    tenant_a, users_a, member_client, django_capture_on_commit_callbacks
):
    complaint = _complaint(tenant_a)
    manager = member_client(Role.MANAGER)
    detail = url("complaint_detail", tenant_a, complaint.pk)
    assert "Still noisy" in manager.get(detail).content.decode()
    response = manager.post(
        url("complaint_compensate", tenant_a, complaint.pk),
        {"version": complaint.version, "kind": "discount", "amount": "200"},
    )
    assert response.status_code == 302
    assert LineItem.objects.get(kind=LineItem.Kind.DISCOUNT).amount == Decimal("-200.00")
    complaint.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            url("complaint_handle", tenant_a, complaint.pk),
            {
                "version": complaint.version,
                "handler": member(tenant_a, Role.MANAGER).pk,
                "status": "resolved",
                "resolution": "200 off the bill, with our apologies.",
                "tell_client": "on",
            },
            follow=True,
        )
    page = response.content.decode()
    assert "The client will be told" in page and 'data-testid="complaint-resolution"' in page
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.client_told_at is not None
    assert "200 off the bill" in page


def test_a_stale_complaint_form_is_refused_with_a_message(tenant_a, users_a, member_client):
    complaint = _complaint(tenant_a)
    response = member_client(Role.MANAGER).post(
        url("complaint_handle", tenant_a, complaint.pk),
        {"version": complaint.version + 5, "status": "in_progress"},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "open"


def test_the_complaint_list_filters_and_costs_the_same_at_two_sizes(
    tenant_a, users_a, member_client, django_assert_num_queries
):
    manager = member_client(Role.MANAGER)
    list_url = url("complaint_list", tenant_a)
    first = _complaint(tenant_a)
    expected = queries_of(manager, list_url)
    for _ in range(4):
        _complaint(tenant_a)
    Complaint.objects.filter(pk=first.pk).update(due_at=timezone.now() - timedelta(hours=1))
    response = assert_same_count(manager, list_url, expected, django_assert_num_queries)
    rows = re.compile(r'href="/alpha/quality/complaints/\d+/"')
    assert len(rows.findall(response.content.decode())) == 5
    overdue = manager.get(list_url, {"state": "overdue"}).content.decode()
    assert len(rows.findall(overdue)) == 1
    junk = manager.get(list_url, {"state": "bogus"}, follow=True)
    assert junk.status_code == 200 and "not understood" in junk.content.decode()


# --- Warranty claims ------------------------------------------------------------------------------


def test_reception_opens_a_claim_from_the_order_and_lands_on_the_new_order(tenant_a, users_a, member_client):
    order = handed_over(tenant_a)
    page = (
        member_client(Role.RECEPTION)
        .get(reverse("orders:detail", args=[tenant_a.slug, order.number]))
        .content.decode()
    )
    assert 'data-testid="claim-button"' in page and 'data-testid="coverage"' in page
    form = (
        member_client(Role.RECEPTION)
        .get(url("claim_new", tenant_a, order.number) + "?source=device")
        .content.decode()
    )
    assert 'data-testid="claim-inside"' in form and 'value="device"' in form
    response = member_client(Role.RECEPTION).post(
        url("claim_new", tenant_a, order.number),
        {"source": "device", "problem": "No sound", "override_reason": ""},
    )
    claim = WarrantyClaim.objects.get()
    assert (claim.source, claim.status) == ("device", "accepted")
    assert response.status_code == 302 and response.url == reverse(
        "orders:detail", args=[tenant_a.slug, claim.order.number]
    )
    new_page = member_client(Role.RECEPTION).get(response.url).content.decode()
    assert 'data-testid="return-of"' in new_page


def test_reception_confirms_a_clients_request(tenant_a, users_a, member_client):
    from quality import warranty

    order = handed_over(tenant_a)
    request = warranty.request_claim(order, problem="Fan is loud")
    reception = member_client(Role.RECEPTION)
    listing = reception.get(url("claim_list", tenant_a)).content.decode()
    assert "Fan is loud" in listing and 'data-testid="comebacks"' not in listing  # rates are for managers
    assert (
        'data-testid="comebacks"'
        in member_client(Role.MANAGER).get(url("claim_list", tenant_a)).content.decode()
    )
    assert (
        'data-testid="confirm-claim"'
        in reception.get(url("claim_detail", tenant_a, request.pk)).content.decode()
    )
    response = reception.post(url("claim_decide", tenant_a, request.pk, "confirm"))
    request.refresh_from_db()
    assert request.status == "accepted"
    assert response.url == reverse("orders:detail", args=[tenant_a.slug, request.order.number])
    assert reception.post(url("claim_decide", tenant_a, request.pk, "nonsense")).status_code == 404


def test_the_claim_list_costs_the_same_at_two_sizes(
    tenant_a, users_a, member_client, django_assert_num_queries
):
    from quality import warranty

    manager = member_client(Role.MANAGER)
    warranty.open_claim(handed_over(tenant_a), problem="x", by=member(tenant_a, Role.RECEPTION))
    expected = queries_of(manager, url("claim_list", tenant_a))
    for _ in range(3):
        order = handed_over(tenant_a)
        warranty.open_claim(order, problem="y", by=member(tenant_a, Role.RECEPTION))
        warranty.request_claim(order, problem="z")
    assert_same_count(manager, url("claim_list", tenant_a), expected, django_assert_num_queries)


# --- Audits ---------------------------------------------------------------------------------------


def test_a_manager_audits_an_order_through_the_pages(tenant_a, users_a, member_client):
    order = handed_over(tenant_a)
    audit = AuditFactory(
        tenant=tenant_a,
        order=order,
        week=timezone.localdate(),
        technician=order.technician,
        suggested={"consent_recorded": True},
        answers={"consent_recorded": True},
    )
    manager = member_client(Role.MANAGER)
    page = manager.get(url("audit_detail", tenant_a, audit.pk)).content.decode()
    assert 'data-testid="check-consent_recorded"' in page
    response = manager.post(
        url("finding_add", tenant_a, audit.pk),
        {
            "severity": "major",
            "description": "No photos",
            "corrective_action": "Photograph at intake",
            "responsible": member(tenant_a, Role.RECEPTION).pk,
            "due_date": "2030-01-15",
        },
    )
    assert response.status_code == 302
    finding = AuditFinding.objects.get()
    assert (finding.severity, finding.responsible_id) == ("major", member(tenant_a, Role.RECEPTION).pk)
    response = manager.post(
        url("audit_detail", tenant_a, audit.pk),
        {
            "version": Audit.objects.get().version,
            "documents_complete": "no",
            "consent_recorded": "yes",
            "photos_present": "no",
            "timeline_complete": "yes",
            "price_matches_estimate": "",
            "notes": "ok",
            "complete": "1",
        },
        follow=True,
    )
    assert "score 50.0%" in response.content.decode()
    audit.refresh_from_db()
    assert (audit.status, audit.score) == ("done", Decimal("50.0"))
    assert audit.answers == {
        "documents_complete": False,
        "consent_recorded": True,
        "photos_present": False,
        "timeline_complete": True,
        "price_matches_estimate": None,
    }
    manager.post(url("finding_close", tenant_a, finding.pk), {"note": "Done", "next": "list"})
    finding.refresh_from_db()
    assert finding.status == "closed"


def test_the_audit_list_costs_the_same_at_two_sizes(
    tenant_a, users_a, member_client, django_assert_num_queries
):
    manager = member_client(Role.MANAGER)

    def add():
        order = handed_over(tenant_a)
        audit = AuditFactory(
            tenant=tenant_a,
            order=order,
            week=timezone.localdate(),
            technician=order.technician,
            auditor=member(tenant_a, Role.MANAGER),
        )
        AuditFindingFactory(tenant=tenant_a, audit=audit, description="x", responsible=order.technician)
        done = AuditFactory(
            tenant=tenant_a,
            order=handed_over(tenant_a),
            week=timezone.localdate(),
            status="done",
            score=Decimal("80"),
            completed_at=timezone.now(),
        )
        return done

    add()
    expected = queries_of(manager, url("audit_list", tenant_a))
    for _ in range(3):
        add()
    assert_same_count(manager, url("audit_list", tenant_a), expected, django_assert_num_queries)


def test_the_draw_button(tenant_a, users_a, member_client):
    response = member_client(Role.MANAGER).post(url("audit_draw", tenant_a), follow=True)
    assert "Nothing new to draw" in response.content.decode()
    assert member_client(Role.RECEPTION).post(url("audit_draw", tenant_a)).status_code == 403


# --- Settings and the NPS question ------------------------------------------------------------------


def test_the_nps_question_is_asked_when_the_center_turns_it_on(tenant_a, users_a, member_client, client):
    order = handed_over(tenant_a)
    feedback_url = reverse("quality:feedback", args=[order.public_token])
    assert 'data-testid="recommend"' not in client.get(feedback_url).content.decode()
    response = member_client(Role.MANAGER).post(
        url("aftersales_settings", tenant_a),
        {
            "ask_recommendation": "on",
            "complaint_days": "5",
            "audits_enabled": "on",
            "audit_sample_size": "2",
            "audit_group": "technician",
            "audit_manager": "",
        },
    )
    assert response.status_code == 302
    assert AfterSalesSettings.for_tenant(tenant_a).complaint_days == 5
    assert 'data-testid="recommend"' in client.get(feedback_url).content.decode()
    client.post(feedback_url, {"rating": "5", "comment": "", "recommend": "9"})
    assert Feedback.objects.get().recommend == 9
    page = (
        member_client(Role.MANAGER)
        .get(reverse("quality:feedback_list", args=[tenant_a.slug]))
        .content.decode()
    )
    assert 'data-testid="nps"' in page


def test_nps_is_promoters_minus_detractors(tenant_a, users_a):
    """Answers 10, 9, 8, 6, 0 and one without: 2 promoters, 1 passive, 2 detractors of 5: NPS 0.
    With one more 10: 3 - 2 of 6 = 17 (16.7 rounded)."""
    from quality import services

    for answer in (10, 9, 8, 6, 0, None):
        services.leave_feedback(handed_over(tenant_a), rating=5, recommend=answer)
    result = services.nps(Feedback.objects.filter(tenant=tenant_a))
    assert (result.answers, result.promoters, result.passives, result.detractors, result.score) == (
        5,
        2,
        1,
        2,
        0,
    )
    services.leave_feedback(handed_over(tenant_a), rating=5, recommend=10)
    assert services.nps(Feedback.objects.filter(tenant=tenant_a)).score == 17
    assert services.nps(Feedback.objects.none()).score is None


@pytest.mark.parametrize("answer", [-1, 11, "9", True, 9.5])
def test_a_recommendation_outside_0_to_10_is_refused(tenant_a, users_a, answer):
    from django.core.exceptions import ValidationError

    from quality import services

    with pytest.raises(ValidationError, match="0 to 10"):
        services.leave_feedback(handed_over(tenant_a), rating=5, recommend=answer)
    assert not Feedback.objects.exists()


def test_settings_refuse_out_of_range_values(tenant_a, users_a, member_client):
    response = member_client(Role.MANAGER).post(
        url("aftersales_settings", tenant_a),
        {"complaint_days": "0", "audit_sample_size": "99", "audit_group": "technician"},
    )
    assert response.status_code == 200
    assert not AfterSalesSettings.objects.exists()
    assert Order.objects.count() == 0
