"""A client's personal data (issue 13): the data report, erasure on request, the retention setting.

The client of these tests is Ivan Petrov, +7 916 123-45-67, ivan@example.test, taken in at the desk like
any client: the intake sends him messages (the outbox), staff write notes naming him, a receipt is issued,
he rates the order and once took a ticket in the queue. After the erasure none of it may be found.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from documents.models import Document
from notifications.models import Audience, Notification, State
from orders import personal_data, services
from orders.forms import ClientForm
from orders.models import (
    Client,
    Item,
    Order,
    OrderEvent,
    OrderStatus,
    PersonalDataRequest,
    PersonalDataSettings,
)
from orders.permissions import ActorRefused
from orders.tasks import anonymise_inactive_clients
from quality.models import Feedback
from reception.models import Visit
from servicedesk.tenancy.roles import Role
from tests.factories import (
    ClientFactory,
    DocumentFactory,
    FeedbackFactory,
    OrderFactory,
    PersonalDataSettingsFactory,
    VisitFactory,
)

from .conftest import tenant_url

NAME, PHONE, EMAIL = "Ivan Petrov", "+79161234567", "ivan@example.test"
# How the client's data may look anywhere: as typed, as stored, as printed.
TRACES = ["Ivan", "Petrov", "ivan@example.test", "9161234567", "916 123-45-67", "916) 123-45-67"]


def client_url(name: str, client: Client) -> str:
    return reverse(f"orders:{name}", args=[client.tenant.slug, client.pk])


@pytest.fixture
def ivan(tenant_a, location_a, staff_a, member_client, intake_post) -> Client:
    """Ivan, taken in at the desk, his order handed over, with everything the apps keep on a client."""
    response = member_client(Role.RECEPTION).post(
        tenant_url("intake", tenant_a),
        intake_post(problem="Does not turn on; Ivan asks to call him on 8 (916) 123-45-67 first"),
    )
    assert response.status_code == 302
    order = Order.objects.for_tenant(tenant_a).get()
    client = order.client
    assert (client.name, client.phone, client.email) == (NAME, PHONE, EMAIL)
    services.add_note(
        order,
        text="Ivan Petrov called from +7 916 123-45-67, wants the receipt at ivan@example.test",
        public=False,
        by=staff_a[Role.RECEPTION],
    )
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.HANDED_OVER, closed_at=timezone.now(), visit_address="Lenina 1, flat 5"
    )
    DocumentFactory(order=order)
    FeedbackFactory(tenant=tenant_a, order=order, rating=5, comment="Thanks! Ivan Petrov")
    VisitFactory(
        tenant=tenant_a,
        location=location_a,
        day=date.today(),
        ticket=1,
        name="Ivan",
        phone=PHONE,
        order=order,
    )
    # A message still waiting to go out (e.g. in quiet hours) must never go after the erasure.
    Notification.objects.filter(order=order, audience=Audience.CLIENT).update(state=State.PENDING)
    return Client.objects.select_related("tenant").get(pk=client.pk)


def erase(member_client, role, client, **data):
    post = {"reason": "Written request at the desk, 3 March", "confirm": "on", **data}
    return member_client(role).post(client_url("client_erase", client), post)


# --- Erasure -------------------------------------------------------------------------------------


def test_erasure_leaves_no_personal_data_in_the_client_rows(ivan, member_client):
    order = Order.objects.get(client=ivan)
    old_token = order.public_token
    response = erase(member_client, Role.MANAGER, ivan)
    assert response.status_code == 302 and response.url == client_url("client_detail", ivan)

    client = Client.objects.get(pk=ivan.pk)
    assert client.name == f"Erased client #{ivan.pk}"
    assert client.phone == f"erased-{ivan.pk}"
    assert client.email == "" and client.notes == "" and client.language == ""
    assert client.consent_at is None and client.consent_version == ""
    assert client.notify_email is False and client.notify_sms is False
    assert client.erased_at is not None
    item = Item.objects.get(client=ivan)
    assert (item.kind, item.brand, item.model, item.serial) == ("Phone", "Apple", "iPhone 13", "")
    order.refresh_from_db()
    assert order.problem == "[erased]"
    assert order.visit_address == ""
    assert order.item_condition == "Scratches"  # the device's condition is no personal data
    # The money stays: it is the center's financial record.
    assert order.total_amount == Order.objects.get(pk=order.pk).total_amount
    assert order.paid_amount == Decimal("1000")
    # The status page link no longer works.
    assert order.public_token != old_token
    assert (
        member_client(Role.MANAGER).get(reverse("orders:public_status", args=[old_token])).status_code == 404
    )
    assert (
        member_client(Role.MANAGER)
        .get(reverse("orders:public_status", args=[order.public_token]))
        .status_code
        == 404
    )


def test_erasure_leaves_no_personal_data_in_events(ivan, member_client):
    erase(member_client, Role.MANAGER, ivan)
    events = list(OrderEvent.objects.filter(order__client=ivan))
    assert len(events) >= 2  # taken in, the note
    note = next(event for event in events if event.kind == "note")
    assert note.message == "[erased] called from +7 [erased], wants the receipt at [erased]"
    for event in events:
        stored = event.message + json.dumps(event.data, ensure_ascii=False)
        assert not [trace for trace in TRACES if trace in stored], stored


def test_erasure_leaves_no_personal_data_in_the_outbox(ivan, member_client):
    messages = Notification.objects.filter(order__client=ivan)
    assert messages.filter(audience=Audience.CLIENT).count() >= 2  # the intake's e-mail and SMS
    assert any(EMAIL in m.recipient or PHONE in m.recipient for m in messages)
    erase(member_client, Role.MANAGER, ivan)
    for message in Notification.objects.filter(order__client=ivan):
        assert message.subject == "[erased]" and message.body == "[erased]" and message.body_html == ""
        assert message.attachment == "" and message.attachment_name == ""
        if message.audience == Audience.CLIENT:
            assert message.recipient == f"erased-{message.pk}"
        assert message.state != State.PENDING
    assert Notification.objects.filter(order__client=ivan, state=State.FAILED).exists()


def test_erasure_keeps_the_documents_and_their_index_names_nobody(ivan, member_client, tenant_a):
    document = Document.objects.get(order__client=ivan)
    erase(member_client, Role.MANAGER, ivan)
    kept = Document.objects.get(pk=document.pk)
    assert (kept.sha256, kept.number, kept.file.name) == (
        document.sha256,
        document.number,
        document.file.name,
    )
    archive = member_client(Role.OWNER).get(reverse("documents:archive", args=[tenant_a.slug]))
    page = archive.content.decode()
    assert f"Erased client #{ivan.pk}" in page
    assert not [trace for trace in TRACES if trace in page]


def test_erasure_masks_ratings_and_queue_visits(ivan, member_client):
    erase(member_client, Role.MANAGER, ivan)
    feedback = Feedback.objects.get(order__client=ivan)
    assert (feedback.rating, feedback.comment) == (5, "[erased]")
    visit = Visit.objects.get(order__client=ivan)
    assert (visit.name, visit.phone) == ("", "")


def test_no_row_of_the_center_holds_the_client_after_erasure(ivan, member_client, tenant_a):
    """Every tenant-owned row, every text column: the hand-written checks above, swept wide."""
    from django.apps import apps

    erase(member_client, Role.MANAGER, ivan)
    found = []
    for model in apps.get_models():
        if not any(f.name == "tenant" for f in model._meta.concrete_fields):
            continue
        for row in model._base_manager.filter(tenant=tenant_a).values():
            text = json.dumps(row, default=str, ensure_ascii=False)
            found += [f"{model.__name__}: {trace}" for trace in TRACES if trace in text]
    assert not found


def test_the_erasure_is_recorded(ivan, member_client, users_a):
    erase(member_client, Role.OWNER, ivan)
    record = PersonalDataRequest.objects.get(client=ivan, kind=PersonalDataRequest.Kind.ERASURE)
    assert record.status == PersonalDataRequest.Status.DONE
    assert record.requested_by == users_a[Role.OWNER]
    assert record.reason == "Written request at the desk, 3 March"
    assert set(record.detail) == {"orders", "notifications", "documents", "quality", "reception"}
    assert record.detail["documents"] == 0  # kept as issued
    page = member_client(Role.OWNER).get(client_url("client_detail", ivan)).content.decode()
    assert "Personal data erased on" in page and 'data-testid="client-erase"' not in page


def test_open_orders_refuse_the_erasure(member_client, tenant_a, make_order):
    order = make_order(OrderStatus.IN_PROGRESS)
    client = order.client
    response = erase(member_client, Role.MANAGER, client)
    assert response.status_code == 200
    assert f"The client has open orders (#{order.number})" in response.content.decode()
    assert Client.objects.get(pk=client.pk).erased_at is None
    refused = PersonalDataRequest.objects.get(client=client)
    assert refused.status == PersonalDataRequest.Status.REFUSED


def test_a_second_erasure_is_refused(ivan, member_client):
    erase(member_client, Role.MANAGER, ivan)
    response = erase(member_client, Role.MANAGER, ivan)
    assert response.status_code == 200 and "was erased on" in response.content.decode()
    assert PersonalDataRequest.objects.filter(client=ivan, status="done").count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": ""}, "This field is required."),
        ({"reason": "   "}, "This field is required."),
        ({"reason": "x" * 1001}, "at most 1000 characters"),
        ({"reason": "a\x00b"}, "Null characters are not allowed."),
        ({"confirm": ""}, "Confirm that the request comes from the client."),
    ],
)
def test_bad_input_is_a_form_error(ivan, member_client, data, error):
    response = erase(member_client, Role.MANAGER, ivan, **data)
    assert response.status_code == 200 and error in response.content.decode()
    assert Client.objects.get(pk=ivan.pk).name == NAME


def test_the_service_wants_a_reason(ivan, manager_a):
    with pytest.raises(ValidationError):
        personal_data.erase_client(ivan, by=manager_a, reason="  ")
    assert Client.objects.get(pk=ivan.pk).erased_at is None


# --- Who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, False), (Role.TECHNICIAN, False)],
)
def test_who_may_see_the_report_and_erase(ivan, member_client, role, may):
    report = member_client(role).get(client_url("client_data_report", ivan))
    page = member_client(role).get(client_url("client_erase", ivan))
    response = erase(member_client, role, ivan)
    if may:
        assert report.status_code == 200 and page.status_code == 200 and response.status_code == 302
        assert Client.objects.get(pk=ivan.pk).erased_at is not None
    else:
        assert {report.status_code, page.status_code, response.status_code} == {403}
        assert Client.objects.get(pk=ivan.pk).name == NAME
        assert not PersonalDataRequest.objects.exists()
        detail = member_client(role).get(client_url("client_detail", ivan)).content.decode()
        assert 'data-testid="client-erase"' not in detail


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_the_service_refuses_other_roles(ivan, staff_a, role):
    with pytest.raises(ActorRefused):
        personal_data.erase_client(ivan, by=staff_a[role], reason="asked")
    with pytest.raises(ActorRefused):
        personal_data.data_report(ivan, by=staff_a[role])


def test_another_centers_client_is_not_found(ivan, member_client, tenant_b, users_b):
    for name in ("client_data_report", "client_erase"):
        in_b = reverse(f"orders:{name}", args=[tenant_b.slug, ivan.pk])
        assert member_client(Role.OWNER, tenant_b).get(in_b).status_code == 404
    erase_in_b = reverse("orders:client_erase", args=[tenant_b.slug, ivan.pk])
    assert (
        member_client(Role.OWNER, tenant_b).post(erase_in_b, {"reason": "x", "confirm": "on"}).status_code
        == 404
    )
    assert Client.objects.get(pk=ivan.pk).name == NAME


# --- The report ----------------------------------------------------------------------------------


def test_the_report_lists_what_each_app_holds(ivan, member_client, settings):
    settings.DOCUMENT_RETENTION_YEARS = 5
    response = member_client(Role.MANAGER).get(client_url("client_data_report", ivan))
    page = response.content.decode()
    document = Document.objects.get(order__client=ivan)
    for expected in [
        NAME,
        PHONE,
        EMAIL,
        "356789104512345",  # the item's serial
        "Lenina 1, flat 5",  # the visit address
        "wants the receipt at ivan@example.test",  # the note
        "Order received",  # a message of the outbox
        document.display_number,
        f"{document.issued_at.year + 5}-12-31",  # kept until
        "Thanks! Ivan Petrov",  # the rating's comment
        "Visits to the reception queue",
    ]:
        assert expected in page, expected
    record = PersonalDataRequest.objects.get(client=ivan)
    assert record.kind == PersonalDataRequest.Kind.REPORT
    assert record.detail["documents"] == 1 and record.detail["reception"] == 1


def test_the_report_downloads_as_json(ivan, member_client):
    response = member_client(Role.OWNER).get(client_url("client_data_report", ivan) + "?format=json")
    assert response["Content-Disposition"] == f'attachment; filename="client-{ivan.pk}-data.json"'
    report = json.loads(response.content)
    assert report["client"] == ivan.pk
    assert set(report["sections"]) == {"orders", "notifications", "documents", "quality", "reception"}
    client_row = report["sections"]["orders"]["rows"][0]
    assert (client_row["Name"], client_row["Phone"], client_row["E-mail"]) == (NAME, PHONE, EMAIL)
    assert report["sections"]["quality"]["rows"][0]["Comment"] == "Thanks! Ivan Petrov"


def test_an_erased_client_is_neither_found_nor_taken_in_again(ivan, member_client, tenant_a, manager_a):
    erase(member_client, Role.MANAGER, ivan)
    assert list(services.find_clients(tenant_a, "Erased")) == []
    assert list(services.find_clients(tenant_a, "erased-")) == []
    edit = member_client(Role.MANAGER).get(client_url("client_edit", ivan))
    assert edit.status_code == 302
    # The API and imports edit clients through the same form.
    erased = Client.objects.get(pk=ivan.pk)
    form = ClientForm({"name": NAME, "phone": PHONE, "email": EMAIL}, instance=erased, tenant=tenant_a)
    assert not form.is_valid()
    assert form.non_field_errors() == ["This client's personal data was erased; the client cannot be edited."]
    order = Order.objects.get(client=ivan)
    with pytest.raises(ValidationError, match="take the order in as a new client"):
        services.take_in(
            tenant_a,
            services.IntakeData(
                client=erased,
                client_name="",
                client_phone="",
                client_email="",
                consent=True,
                service_type=order.service_type,
                format=order.format,
                intake_location=order.intake_location,
                problem="Again",
            ),
            by=manager_a,
        )
    # The order page shows no phone for the erased client.
    page = member_client(Role.MANAGER).get(reverse("orders:detail", args=[tenant_a.slug, order.number]))
    assert '<div data-testid="client-phone"></div>' in page.content.decode()


# --- Retention -----------------------------------------------------------------------------------


def _client_with_order(tenant, *, years_ago: float, status=OrderStatus.HANDED_OVER, warranty_until=None):
    then = timezone.now() - timedelta(days=365 * years_ago)
    client = ClientFactory(tenant=tenant, created_at=then - timedelta(days=30))
    order = OrderFactory(tenant=tenant, client=client, status=status, warranty_until=warranty_until)
    closed = then if status in (OrderStatus.HANDED_OVER, OrderStatus.CANCELLED) else None
    Order.objects.filter(pk=order.pk).update(created_at=then - timedelta(days=3), closed_at=closed)
    return client


def test_retention_anonymises_only_old_inactive_clients_of_centers_that_set_it(tenant_a, tenant_b):
    PersonalDataSettingsFactory(tenant=tenant_a, anonymise_after_years=3)
    old = _client_with_order(tenant_a, years_ago=4)
    recent = _client_with_order(tenant_a, years_ago=1)
    old_but_open = _client_with_order(tenant_a, years_ago=4, status=OrderStatus.IN_PROGRESS)
    under_warranty = _client_with_order(
        tenant_a, years_ago=4, warranty_until=timezone.now().date() + timedelta(days=30)
    )
    old_in_b = _client_with_order(tenant_b, years_ago=10)  # B keeps the default: never

    assert anonymise_inactive_clients() == {"alpha": 1}

    assert Client.objects.get(pk=old.pk).name == f"Erased client #{old.pk}"
    for kept in (recent, old_but_open, under_warranty, old_in_b):
        assert Client.objects.get(pk=kept.pk).erased_at is None, kept.name
    record = PersonalDataRequest.objects.get(client=old)
    assert record.kind == PersonalDataRequest.Kind.RETENTION
    assert record.requested_by is None and record.reason.startswith("No activity for 3 years")
    # Nothing left to do on the next run.
    assert anonymise_inactive_clients() == {"alpha": 0}


def test_retention_works_in_bounded_batches(tenant_a, settings):
    settings.PERSONAL_DATA_RETENTION_BATCH = 2
    PersonalDataSettingsFactory(tenant=tenant_a, anonymise_after_years=2)
    for _ in range(3):
        _client_with_order(tenant_a, years_ago=5)
    assert anonymise_inactive_clients() == {"alpha": 2}
    assert anonymise_inactive_clients() == {"alpha": 1}
    assert Client.objects.filter(erased_at__isnull=True).count() == 0


def test_the_retention_setting_page(member_client, tenant_a):
    url = tenant_url("personal_data_settings", tenant_a)
    assert member_client(Role.MANAGER).get(url).status_code == 403
    owner = member_client(Role.OWNER)
    for junk in ("-1", "abc", "51", "99999999999999999999"):
        response = owner.post(url, {"anonymise_after_years": junk})
        assert response.status_code == 200 and "is-invalid" in response.content.decode(), junk
    assert not PersonalDataSettings.objects.exists()
    assert owner.post(url, {"anonymise_after_years": "3"}).status_code == 302
    assert PersonalDataSettings.for_tenant(tenant_a).anonymise_after_years == 3
