"""Pages: the outbox list with resend, message texts with preview, quiet hours, the order page's panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import (
    Channel,
    Kind,
    MessageTemplate,
    Notification,
    NotificationSettings,
    State,
)
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import NotificationFactory
from tests.helpers import render_order_panel, text_of

from .conftest import take_in

pytestmark = pytest.mark.django_db


def _fail(row: Notification, error="SMTPServerDisconnected: gone") -> None:
    Notification.objects.filter(pk=row.pk).update(state=State.FAILED, attempts=6, last_error=error)


@pytest.fixture
def failed_row(tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = Notification.objects.get(order=order, channel=Channel.EMAIL)
    _fail(row)
    mail.outbox.clear()
    return row


# --- The outbox list -------------------------------------------------------------------------------


def test_list_shows_failed_first_with_the_error(member_client, failed_row):
    response = member_client(Role.MANAGER).get(reverse("notifications:list", args=["alpha"]))
    assert response.status_code == 200
    page = text_of(response)
    assert "SMTPServerDisconnected: gone" in page and failed_row.recipient in page
    assert 'data-state="failed"' in page and 'data-state="sent"' not in page  # the failed tab opens first
    everything = text_of(
        member_client(Role.MANAGER).get(reverse("notifications:list", args=["alpha"]) + "?state=all")
    )
    assert 'data-state="sent"' in everything


@pytest.mark.parametrize("state", ["pending", "sent", "all", "bogus", ""])
def test_list_tabs_and_bad_input(member_client, failed_row, state):
    url = reverse("notifications:list", args=["alpha"])
    assert member_client(Role.OWNER).get(url, {"state": state, "before": "x1"}).status_code == 200
    assert member_client(Role.OWNER).get(url, {"state": state, "before": "9" * 40}).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.OWNER, 200), (Role.MANAGER, 200), (Role.RECEPTION, 403), (Role.TECHNICIAN, 403)],
)
def test_list_roles(member_client, tenant_a, role, status):
    assert member_client(role).get(reverse("notifications:list", args=["alpha"])).status_code == status


def test_list_never_shows_another_tenants_rows(member_client, tenant_a, tenant_b, users_b):
    take_in(tenant_b, email="bob-secret@example.test")
    page = text_of(
        member_client(Role.MANAGER).get(reverse("notifications:list", args=["alpha"]) + "?state=all")
    )
    assert "bob-secret@example.test" not in page


def test_list_query_count_is_constant(member_client, tenant_a, users_a, django_assert_num_queries):
    client = member_client(Role.MANAGER)
    url = reverse("notifications:list", args=["alpha"]) + "?state=all"
    take_in(tenant_a)
    client.get(url)  # warm up (session, translations)
    with django_assert_num_queries(5) as small:  # the session from the cache (servicedesk/sessions.py)
        assert client.get(url).status_code == 200
    for n in range(12):
        take_in(tenant_a, email=f"c{n}@example.test")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert text_of(response).count("data-state=") == 26


def test_list_pages_with_a_keyset(member_client, tenant_a, users_a):
    for n in range(30):
        take_in(tenant_a, email=f"c{n}@example.test")  # 60 rows
    client = member_client(Role.MANAGER)
    first = client.get(reverse("notifications:list", args=["alpha"]) + "?state=all")
    assert first.context["next_url"]
    second = client.get(reverse("notifications:list", args=["alpha"]) + first.context["next_url"])
    ids_1 = {row.pk for row in first.context["rows"]}
    ids_2 = {row.pk for row in second.context["rows"]}
    assert len(ids_1) == 50 and len(ids_2) == 10 and not ids_1 & ids_2
    assert not second.context["next_url"]


# --- Resend ----------------------------------------------------------------------------------------


def test_resend_a_failed_row_queues_it_and_it_is_delivered(
    member_client, failed_row, django_capture_on_commit_callbacks
):
    url = reverse("notifications:resend", args=["alpha", failed_row.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client(Role.MANAGER).post(url)
    assert response.status_code == 302 and response.url == reverse("notifications:list", args=["alpha"])
    failed_row.refresh_from_db()
    assert (failed_row.state, failed_row.attempts, failed_row.last_error) == (State.SENT, 1, "")
    assert len(mail.outbox) == 1


def test_resend_a_sent_row_sends_a_copy(member_client, tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    row = Notification.objects.get(order=order, channel=Channel.EMAIL)
    next_url = reverse("orders:detail", args=["alpha", order.number])
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client(Role.MANAGER).post(
            reverse("notifications:resend", args=["alpha", row.pk]), {"next": next_url}
        )
    assert response.url == next_url
    copy = Notification.objects.get(resent_from=row)
    assert (copy.state, copy.source_key, copy.body, copy.recipient) == (
        State.SENT,
        f"resend:{row.pk}:1",
        row.body,
        row.recipient,
    )
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        member_client(Role.MANAGER).post(reverse("notifications:resend", args=["alpha", row.pk]))
    assert Notification.objects.filter(resent_from=row).count() == 2


def test_resend_refuses_queued_rows_and_opted_out_clients(member_client, tenant_a, users_a, failed_row):
    queued = Notification.objects.get(order=failed_row.order, channel=Channel.SMS)
    Notification.objects.filter(pk=queued.pk).update(state=State.PENDING)
    client = member_client(Role.MANAGER)
    response = client.post(reverse("notifications:resend", args=["alpha", queued.pk]), follow=True)
    assert "still queued" in text_of(response)
    failed_row.order.client.notify_email = False
    failed_row.order.client.save()
    response = client.post(reverse("notifications:resend", args=["alpha", failed_row.pk]), follow=True)
    assert "opted out" in text_of(response)
    failed_row.refresh_from_db()
    assert failed_row.state == State.FAILED


def test_resend_ignores_a_foreign_next_url(member_client, failed_row):
    response = member_client(Role.MANAGER).post(
        reverse("notifications:resend", args=["alpha", failed_row.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("notifications:list", args=["alpha"])


def test_resend_roles_and_tenants(member_client, client_for, users_b, failed_row):
    url = reverse("notifications:resend", args=["alpha", failed_row.pk])
    assert member_client(Role.RECEPTION).post(url).status_code == 403
    assert member_client(Role.MANAGER).get(url).status_code == 405
    b_manager = client_for(users_b[Role.MANAGER])
    assert b_manager.post(url).status_code == 404
    assert b_manager.post(reverse("notifications:resend", args=["beta", failed_row.pk])).status_code == 404
    failed_row.refresh_from_db()
    assert failed_row.state == State.FAILED


# --- Quiet hours and message texts ----------------------------------------------------------------


def test_settings_page_saves_quiet_hours(member_client, tenant_a):
    url = reverse("notifications:settings", args=["alpha"])
    client = member_client(Role.MANAGER)
    page = text_of(client.get(url))
    assert "Ready for pickup" in page and tenant_a.time_zone in page
    response = client.post(url, {"quiet_from": "22:30", "quiet_to": "08:00"})
    assert response.status_code == 302
    prefs = NotificationSettings.for_tenant(tenant_a)
    assert (prefs.quiet_from.hour, prefs.quiet_from.minute, prefs.quiet_to.hour) == (22, 30, 8)


def test_settings_page_bad_input(member_client, tenant_a):
    response = member_client(Role.MANAGER).post(
        reverse("notifications:settings", args=["alpha"]), {"quiet_from": "25:99", "quiet_to": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"quiet_from", "quiet_to"}


def test_settings_page_creates_the_row_for_a_new_tenant(member_client, tenant_a):
    NotificationSettings.objects.filter(tenant=tenant_a).delete()
    member_client(Role.OWNER).post(
        reverse("notifications:settings", args=["alpha"]), {"quiet_from": "21:00", "quiet_to": "09:00"}
    )
    assert NotificationSettings.objects.filter(tenant=tenant_a).count() == 1


def _edit_url(kind="ready_for_pickup", lang="en") -> str:
    return reverse("notifications:template_edit", args=["alpha"]) + f"?kind={kind}&lang={lang}"


def test_text_editor_shows_the_default_with_a_preview(member_client, tenant_a, users_a):
    order = take_in(tenant_a)
    response = member_client(Role.MANAGER).get(_edit_url())
    assert response.status_code == 200
    assert (
        response.context["form"].initial["email_subject"] == "Order #{{ order.number }} is ready for pickup"
    )
    assert response.context["preview_email"].subject == f"Order #{order.number} is ready for pickup"
    page = text_of(response)
    assert "{{ pickup.opening_hours }}" in page  # the documented variables


def test_text_editor_preview_does_not_save(member_client, tenant_a):
    response = member_client(Role.MANAGER).post(
        _edit_url(),
        {
            "action": "preview",
            "email_subject": "Ready: {{ order.number }}",
            "email_body": "Come to {{ pickup.address }}",
            "sms_body": "Ready {{ order.number }}",
        },
    )
    assert response.status_code == 200
    assert response.context["preview_email"].subject == "Ready: 1042"  # made-up values without orders
    assert not MessageTemplate.objects.exists()


def test_text_editor_refuses_unknown_variables_and_tags(member_client, tenant_a):
    response = member_client(Role.MANAGER).post(
        _edit_url(),
        {
            "action": "save",
            "email_subject": "Hi {{ client.phone }}",
            "email_body": "{% debug %}",
            "sms_body": "{{ order.number|upper }}",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "{{ client.phone }}" in errors["email_subject"][0]
    assert "Template tags" in errors["email_body"][0]
    assert "no filters" in errors["sms_body"][0]
    assert response.context["preview_email"] is None
    assert not MessageTemplate.objects.exists()


def test_text_editor_saves_and_resets(member_client, tenant_a, users_a, django_capture_on_commit_callbacks):
    client = member_client(Role.MANAGER)
    response = client.post(
        _edit_url("order_received"),
        {
            "action": "save",
            "email_subject": "Got it #{{ order.number }}",
            "email_body": "Thanks, {{ client.name }}!",
            "sms_body": "Got #{{ order.number }}",
        },
    )
    assert response.status_code == 302
    saved = MessageTemplate.objects.get(tenant=tenant_a, kind=Kind.ORDER_RECEIVED, language="en")
    assert saved.updated_by == users_a[Role.MANAGER]
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    assert mail.outbox[-1].subject == f"Got it #{order.number}"
    assert "own text" in text_of(client.get(reverse("notifications:settings", args=["alpha"])))
    client.post(_edit_url("order_received"), {"action": "reset"})
    assert not MessageTemplate.objects.exists()


def test_text_editor_for_staff_alerts_has_no_sms(member_client, tenant_a):
    response = member_client(Role.MANAGER).get(_edit_url("order_overdue", "ru"))
    assert "sms_body" not in response.context["form"].fields
    assert response.context["form"].initial["email_subject"] == "Просрочен заказ №{{ order.number }}"
    response = member_client(Role.MANAGER).post(
        _edit_url("order_overdue", "ru"),
        {"action": "save", "email_subject": "Просрочка {{ order.number }}", "email_body": "{{ order_url }}"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "query", ["?kind=nope&lang=en", "?kind=ready_for_pickup&lang=de", "", "?kind=&lang="]
)
def test_text_editor_unknown_kind_or_language_is_404(member_client, tenant_a, query):
    url = reverse("notifications:template_edit", args=["alpha"]) + query
    assert member_client(Role.MANAGER).get(url).status_code == 404


def test_text_editor_needs_the_permission(member_client, tenant_a):
    assert member_client(Role.RECEPTION).get(_edit_url()).status_code == 403
    assert member_client(Role.TECHNICIAN).post(_edit_url(), {"action": "reset"}).status_code == 403


def test_overrides_are_per_tenant(member_client, tenant_a, tenant_b, users_b):
    member_client(Role.MANAGER, tenant_b).post(
        reverse("notifications:template_edit", args=["beta"]) + "?kind=ready_for_pickup&lang=en",
        {"action": "save", "email_subject": "B only", "email_body": "B", "sms_body": "B"},
    )
    assert MessageTemplate.objects.get().tenant == tenant_b
    response = member_client(Role.MANAGER).get(_edit_url())
    assert response.context["form"].initial["email_subject"] != "B only"


# --- The order page's panel ------------------------------------------------------------------------


def _render_panel(order, role: Role, user, membership=None):
    membership = membership or Membership.objects.get(tenant=order.tenant, user=user, role=role)
    return render_order_panel("notifications", order, membership, path=f"/alpha/orders/{order.number}/")


def test_panel_lists_rows_with_state_and_resend(tenant_a, users_a, failed_row):
    html = _render_panel(failed_row.order, Role.MANAGER, users_a[Role.MANAGER])
    assert 'data-state="failed"' in html and 'data-state="sent"' in html
    assert f"resend-{failed_row.pk}" in html and "SMTPServerDisconnected" in html
    assert failed_row.recipient in html


def test_panel_for_a_technician_masks_contacts_and_has_no_resend(tenant_a, users_a, failed_row):
    html = _render_panel(failed_row.order, Role.TECHNICIAN, users_a[Role.TECHNICIAN])
    assert "resend-" not in html
    assert failed_row.recipient not in html and "a***@example.test" in html
    phone = failed_row.order.client.phone
    assert phone not in html and phone[-2:] in html


def test_panel_shows_held_sms(tenant_a, users_a):
    order = take_in(tenant_a)
    Notification.objects.filter(order=order, channel=Channel.SMS).update(
        next_attempt_at=timezone.now() + timedelta(hours=5)
    )
    assert 'data-state="held"' in _render_panel(order, Role.MANAGER, users_a[Role.MANAGER])


def test_panel_is_one_query_at_any_size(tenant_a, users_a, django_assert_num_queries):
    order = take_in(tenant_a)
    manager = Membership.objects.select_related("user", "tenant").get(
        tenant=tenant_a, user=users_a[Role.MANAGER]
    )
    with django_assert_num_queries(1):
        small = _render_panel(order, Role.MANAGER, None, manager)
    for n in range(20):
        NotificationFactory(
            tenant=tenant_a,
            order=order,
            source_key=f"x:{n}",
            kind=Kind.AWAITING_PARTS,
            channel=Channel.EMAIL,
            recipient="a@example.test",
            language="en",
            body="x",
        )
    with django_assert_num_queries(1):
        big = _render_panel(order, Role.MANAGER, None, manager)
    assert small.count("notification-item") == 2 and big.count("notification-item") == 22


def test_order_page_shows_the_panel(member_client, tenant_a, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(tenant_a)
    response = member_client(Role.RECEPTION).get(reverse("orders:detail", args=["alpha", order.number]))
    assert response.status_code == 200
    page = text_of(response)
    assert 'data-testid="notifications-panel"' in page and "Order received" in page
    assert "resend-" not in page  # reception may not resend (matrix: managers)
