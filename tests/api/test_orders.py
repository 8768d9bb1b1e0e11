"""Orders through the API: intake, the list's filters and cursor, status actions with the order's version,
assignment, lines, payments, notes, the timeline. Every write goes through the web's services, so the
refusals are the web's own sentences."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.models import Notification
from orders.models import EventKind, Order, OrderEvent, OrderStatus
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, OrderFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_a(tenant_a):
    return ServiceTypeFactory(tenant=tenant_a, name="Phone repair", formats=["in_shop"], target_days=3)


@pytest.fixture
def intake(service_a, location_a):
    def make(**changes):
        data = {
            "client_name": "Anna Petrova",
            "client_phone": "8 916 123-45-67",
            "client_email": "anna@example.test",
            "consent": True,
            "service_type": service_a.pk,
            "problem": "Cracked screen",
            "item_kind": "Phone",
            "item_brand": "Apple",
            "item_model": "iPhone 13",
            "item_serial": "IMEI-1",
        }
        data.update(changes)
        return {k: v for k, v in data.items() if v is not ...}

    return make


def test_intake_takes_the_order_in_through_the_service(api, intake, tenant_a, location_a, users_a):
    reception = api(Role.RECEPTION)
    response = reception.post(reverse("api:orders"), intake(estimate="3500.00", prepayment=1000))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1 and body["status"] == "new" and body["stage"] == "request"
    assert body["client"]["name"] == "Anna Petrova" and body["client"]["phone"] == "+79161234567"
    assert body["item"]["serial"] == "IMEI-1" and body["intake_location"]["name"] == "Alpha main office"
    assert body["approved_amount"] == "3500.00" and body["paid_amount"] == "1000.00"
    assert body["public_url"].startswith("http") and "/s/" in body["public_url"]
    assert body["actions"] == ["cancel"]  # "plan" waits for a technician
    order = Order.objects.get(tenant=tenant_a, number=1)
    created = OrderEvent.objects.get(order=order, kind=EventKind.CREATED)
    assert created.actor.full_name == "Reception key (API key)"
    assert created.display_text == "Order taken in at Alpha main office."
    # The outbox wrote the client's "order received" message in the same transaction.
    assert Notification.objects.filter(order=order).exists()
    # A second intake with the same phone finds the client; numbers have no gaps.
    second = reception.post(reverse("api:orders"), intake(client_name="", client_phone="+7 916 123 45 67"))
    assert second.status_code == 201 and second.json()["number"] == 2
    assert second.json()["client"]["id"] == body["client"]["id"]


def test_intake_errors_are_the_form_s_sentences(api, intake):
    reception = api(Role.RECEPTION)
    response = reception.post(reverse("api:orders"), intake(consent=False, client_phone="12", problem=...))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["problem"] == ["This field is required."]
    assert body["fields"]["client_phone"] == ["“12” is not a phone number."]
    assert "Problem in the client's words: This field is required." in body["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "payload, field, sentence",
    [
        ({"surprise": 1}, "non_field_errors", "Unknown fields: surprise."),
        ({"problem": {"a": 1}}, "problem", "Send a single value (text or a number)."),
        (
            {"service_type": 999999},
            "service_type",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        ({"promised_at": "2026-02-30T10:00"}, "promised_at", "Enter a valid date/time."),
        ({"format": "on_site"}, "format", "“Phone repair” is offered as: In the shop."),
    ],
)
def test_intake_refuses_bad_fields(api, intake, payload, field, sentence):
    response = api(Role.RECEPTION).post(reverse("api:orders"), intake(**payload))
    assert response.status_code == 400
    assert sentence in response.json()["fields"][field]


@pytest.mark.parametrize("body", ["[]", '"text"', "{not json", "null"])
def test_intake_wants_a_json_object(api, body):
    response = api(Role.RECEPTION).post(reverse("api:orders"), body)
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_a_technician_key_cannot_take_orders_in(api, intake):
    response = api(Role.TECHNICIAN).post(reverse("api:orders"), intake())
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "detail": "Your role (Technician) may not: Take in new orders.",
    }


def test_the_list_has_the_web_list_s_filters_and_a_cursor(api, tenant_a, tenant_b, users_b):
    orders = [OrderFactory(tenant=tenant_a, status=OrderStatus.NEW) for _ in range(3)]
    ready = OrderFactory(
        tenant=tenant_a, status=OrderStatus.READY, client=ClientFactory(tenant=tenant_a, name="Zoya Ready")
    )
    OrderFactory(tenant=tenant_b)
    owner = api(Role.OWNER)
    page = owner.get(reverse("api:orders"), {"limit": 2}).json()
    assert [o["number"] for o in page["results"]] == [ready.number, orders[2].number]
    page2 = owner.get(page["next"]).json()
    assert [o["number"] for o in page2["results"]] == [orders[1].number, orders[0].number]
    assert page2["next"] is None
    assert [o["number"] for o in owner.get(reverse("api:orders"), {"status": "ready"}).json()["results"]] == [
        ready.number
    ]
    assert [o["number"] for o in owner.get(reverse("api:orders"), {"q": "Zoya"}).json()["results"]] == [
        ready.number
    ]
    assert len(owner.get(reverse("api:orders"), {"stage": "request"}).json()["results"]) == 3
    assert [
        o["number"]
        for o in owner.get(reverse("api:orders"), {"sort": "-number", "limit": 1}).json()["results"]
    ] == [4]
    bad = owner.get(reverse("api:orders"), {"status": "bogus"})
    assert bad.status_code == 400 and "Select a valid choice." in bad.json()["fields"]["status"][0]
    assert owner.get(reverse("api:orders"), {"sort": "nonsense"}).status_code == 400
    assert (
        owner.get(reverse("api:orders"), {"cursor": "!!garbage!!"}).json()["results"][0]["number"]
        == ready.number
    )


def test_a_technician_key_sees_no_client_contacts(api, tenant_a):
    order = OrderFactory(tenant=tenant_a)
    body = api(Role.TECHNICIAN).get(reverse("api:order", args=[order.number])).json()
    assert body["client"] == {"id": order.client_id, "name": order.client.name}


def test_status_actions_answer_the_order_page_s_reasons(api, tenant_a, location_a, users_a):
    order = OrderFactory(tenant=tenant_a, technician=None)
    manager = api(Role.MANAGER)
    url = reverse("api:order_action", args=[order.number, "plan"])
    refused = manager.post(url, {"version": order.version})
    assert refused.status_code == 422
    assert refused.json() == {"code": "refused", "detail": "Assign a technician first."}
    tech = Membership.objects.get(tenant=tenant_a, user=users_a[Role.TECHNICIAN])
    assigned = manager.post(
        reverse("api:order_assign", args=[order.number]), {"version": order.version, "technician": tech.pk}
    )
    assert (
        assigned.status_code == 200 and assigned.json()["technician"]["name"] == "Technician of Alpha Repairs"
    )
    stale = manager.post(url, {"version": order.version})
    assert stale.status_code == 409
    assert stale.json() == {
        "code": "changed",
        "detail": "This order was changed by someone else meanwhile. Reload the page and try again.",
    }
    planned = manager.post(url, {"version": assigned.json()["version"]})
    assert planned.status_code == 200 and planned.json()["status"] == "planned"
    event = OrderEvent.objects.filter(order=order, kind=EventKind.STATUS).get()
    assert event.actor.full_name == "Manager key (API key)" and event.to_status == "planned"
    assert (
        manager.post(reverse("api:order_action", args=[order.number, "fly"]), {"version": 1}).status_code
        == 404
    )
    no_version = manager.post(url, {})
    assert no_version.status_code == 400 and no_version.json()["fields"]["version"] == [
        "This field is required."
    ]


def test_a_role_without_the_action_s_permission_is_refused_with_the_reason(api, tenant_a):
    order = OrderFactory(tenant=tenant_a)
    refused = api(Role.TECHNICIAN).post(
        reverse("api:order_action", args=[order.number, "cancel"]),
        {"version": order.version, "reason": "Client changed their mind"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Your role (Technician) may not do this."
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


def test_handover_waits_for_the_money(api, tenant_a, location_a, users_a):
    tech = Membership.objects.get(tenant=tenant_a, user=users_a[Role.TECHNICIAN])
    order = OrderFactory(
        tenant=tenant_a, status=OrderStatus.READY, technician=tech, approved_amount=Decimal("900")
    )
    owner = api(Role.OWNER)
    line = owner.post(
        reverse("api:order_lines", args=[order.number]),
        {"kind": "work", "description": "Screen replacement", "quantity": 1, "unit_price": "900"},
    )
    assert line.status_code == 201 and line.json()["amount"] == "900.00"
    version = owner.get(reverse("api:order", args=[order.number])).json()["version"]
    due = owner.post(reverse("api:order_action", args=[order.number, "hand_over"]), {"version": version})
    assert due.status_code == 422 and due.json()["detail"] == "900.00 is still due. Record the payment first."
    paid = api(Role.RECEPTION).post(
        reverse("api:order_payments", args=[order.number]),
        {"kind": "payment", "method": "card", "amount": "900"},
    )
    assert paid.status_code == 201 and paid.json()["received_by"] == "Reception key (API key)"
    version = owner.get(reverse("api:order", args=[order.number])).json()["version"]
    done = owner.post(reverse("api:order_action", args=[order.number, "hand_over"]), {"version": version})
    assert (
        done.status_code == 200
        and done.json()["status"] == "handed_over"
        and done.json()["amount_due"] == "0.00"
    )
    closed = owner.post(
        reverse("api:order_lines", args=[order.number]),
        {"kind": "work", "description": "More", "quantity": 1, "unit_price": "1"},
    )
    assert closed.status_code == 422 and closed.json()["detail"] == "A closed order cannot be changed."


def test_lines_payments_notes_and_the_timeline(api, tenant_a, users_a):
    tech = Membership.objects.get(tenant=tenant_a, user=users_a[Role.TECHNICIAN])
    order = OrderFactory(tenant=tenant_a, status=OrderStatus.IN_PROGRESS, technician=tech)
    owner = api(Role.OWNER)
    line = owner.post(
        reverse("api:order_lines", args=[order.number]),
        {"kind": "part", "description": "Battery", "quantity": "2", "unit_price": "450.50"},
    ).json()
    assert line["amount"] == "901.00"
    assert [
        row["description"] for row in owner.get(reverse("api:order_lines", args=[order.number])).json()
    ] == ["Battery"]
    # A technician key is assigned to no order: the service refuses it, as it refuses any unassigned technician.
    refused = api(Role.TECHNICIAN).delete(reverse("api:order_line", args=[order.number, line["id"]]))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the technician assigned to this order can do this."
    assert owner.delete(reverse("api:order_line", args=[order.number, line["id"]])).status_code == 204
    assert owner.get(reverse("api:order_lines", args=[order.number])).json() == []
    refund = api(Role.RECEPTION).post(
        reverse("api:order_payments", args=[order.number]),
        {"kind": "refund", "method": "cash", "amount": "5"},
    )
    assert refund.status_code == 422 and refund.json()["detail"] == "Cannot refund more than was paid (0.00)."
    note = api(Role.TECHNICIAN).post(
        reverse("api:order_notes", args=[order.number]), {"text": "Client called"}
    )
    assert (
        note.status_code == 201 and note.json()["message"] == "Client called" and not note.json()["is_public"]
    )
    public = api(Role.TECHNICIAN).post(
        reverse("api:order_notes", args=[order.number]), {"text": "Ready soon", "public": True}
    )
    assert (
        public.status_code == 403
        and public.json()["detail"] == "Only the technician assigned to this order can do this."
    )
    timeline = owner.get(reverse("api:order_timeline", args=[order.number])).json()
    assert [(e["kind"], e["actor"]) for e in timeline] == [
        ("line_item", "Owner key (API key)"),
        ("line_item", "Owner key (API key)"),
        ("note", "Technician key (API key)"),
    ]


def test_editing_the_intake_details_needs_the_version(api, tenant_a):
    order = OrderFactory(tenant=tenant_a)
    reception = api(Role.RECEPTION)
    changed = reception.patch(
        reverse("api:order", args=[order.number]), {"version": order.version, "priority": 3}
    )
    assert (
        changed.status_code == 200
        and changed.json()["priority"] == 3
        and changed.json()["problem"] == order.problem
    )
    stale = reception.patch(
        reverse("api:order", args=[order.number]), {"version": order.version, "priority": 0}
    )
    assert stale.status_code == 409
    assert OrderEvent.objects.get(order=order, kind=EventKind.EDITED).display_text == "priority"


def test_another_center_s_order_is_not_found(api, tenant_b, users_b):
    order_b = OrderFactory(tenant=tenant_b)
    owner = api(Role.OWNER)
    for url in [
        reverse("api:order", args=[order_b.number]),
        reverse("api:order_timeline", args=[order_b.number]),
    ]:
        response = owner.get(url)
        assert response.status_code == 404 and response.json() == {
            "code": "not_found",
            "detail": "Not found.",
        }
