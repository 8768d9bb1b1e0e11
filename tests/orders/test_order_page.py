"""The order page and its actions, through the views: buttons per role, refusals, money, photos, notes,
the public link, editing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.lifecycle import available_actions
from orders.models import EventKind, LineItem, Order, OrderEvent, OrderPhoto, OrderStatus, Payment
from servicedesk.tenancy.roles import Role
from tests.factories import LineItemFactory, OrderFactory, OrderPhotoFactory, ServiceTypeFactory
from tests.helpers import text_of

from .conftest import order_url, photo_upload

S = OrderStatus
pytestmark = pytest.mark.django_db


def buttons(response) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', response.content.decode()))


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_exactly_the_actions_it_may_take(role, status, make_order, staff_a, member_client):
    order = make_order(status)
    response = member_client(role).get(order_url("detail", order))
    assert response.status_code == 200
    assert buttons(response) == {t.action for t in available_actions(order, staff_a[role])}


def test_reception_does_not_see_workshop_actions(make_order, member_client):
    response = member_client(Role.RECEPTION).get(order_url("detail", make_order(S.PLANNED)))
    assert "start_diagnostics" not in buttons(response) and "start_work" not in buttons(response)
    assert buttons(response) == {"cancel", "hold"}


def test_a_technician_sees_execution_buttons_only_on_own_orders(make_order, member_client, other_tech_a):
    technician = member_client(Role.TECHNICIAN)
    assert buttons(technician.get(order_url("detail", make_order(S.PLANNED)))) == {
        "start_diagnostics",
        "start_work",
    }
    not_mine = make_order(S.PLANNED, technician=other_tech_a)
    response = technician.get(order_url("detail", not_mine))
    assert buttons(response) == set()
    assert "No actions for your role at this stage." in text_of(response)


def test_an_action_through_the_view_moves_the_order(make_order, member_client):
    order = make_order(S.PLANNED)
    response = member_client(Role.TECHNICIAN).post(
        order_url("transition", order, "start_diagnostics"), {"version": 1}, follow=True
    )
    assert response.redirect_chain[-1][0] == order_url("detail", order)
    order.refresh_from_db()
    assert order.status == S.DIAGNOSTICS
    assert f"Order #{order.number}: Diagnostics." in text_of(response)


def test_an_action_the_role_may_not_take_is_refused_with_a_message(make_order, member_client):
    order = make_order(S.PLANNED)
    response = member_client(Role.RECEPTION).post(
        order_url("transition", order, "start_diagnostics"), {"version": 1}, follow=True
    )
    assert "Your role (Reception) may not do this." in text_of(response)
    order.refresh_from_db()
    assert (order.status, order.version) == (S.PLANNED, 1)


def test_an_action_impossible_now_is_refused_with_a_message(make_order, member_client):
    order = make_order(S.NEW)
    response = member_client(Role.OWNER).post(
        order_url("transition", order, "hand_over"), {"version": 1}, follow=True
    )
    assert "is not possible while the order is “New”" in text_of(response)
    order.refresh_from_db()
    assert order.status == S.NEW


def test_a_reason_is_asked_for_through_the_view_too(make_order, member_client):
    order = make_order(S.NEW)
    response = member_client(Role.RECEPTION).post(
        order_url("transition", order, "cancel"), {"version": 1, "reason": " "}, follow=True
    )
    assert "Give a reason" in text_of(response)
    order.refresh_from_db()
    assert order.status == S.NEW


@pytest.mark.parametrize(
    "data", [{}, {"version": "abc"}, {"version": ""}], ids=["no version", "letters", "blank"]
)
def test_an_incomplete_action_form_is_refused_without_a_500(data, make_order, member_client):
    order = make_order(S.NEW)
    response = member_client(Role.MANAGER).post(order_url("transition", order, "plan"), data, follow=True)
    assert response.status_code == 200
    assert "The form was incomplete" in text_of(response)
    order.refresh_from_db()
    assert order.status == S.NEW


def test_an_unknown_action_is_404(make_order, member_client):
    order = make_order(S.NEW)
    assert (
        member_client(Role.OWNER).post(order_url("transition", order, "teleport"), {"version": 1}).status_code
        == 404
    )


def test_a_get_on_an_action_is_not_allowed(make_order, member_client):
    order = make_order(S.NEW)
    assert member_client(Role.OWNER).get(order_url("transition", order, "plan")).status_code == 405


def test_hand_over_with_money_due_needs_the_managers_waiver(make_order, member_client):
    order = make_order(S.READY, total_amount=Decimal("800"))
    reception = member_client(Role.RECEPTION)
    assert "hand_over" not in buttons(reception.get(order_url("detail", order)))
    response = reception.post(
        order_url("transition", order, "hand_over"), {"version": 1, "waive_payment": "1"}, follow=True
    )
    assert "Only a manager may hand over with money still due." in text_of(response)
    manager = member_client(Role.MANAGER)
    page = manager.get(order_url("detail", order))
    assert 'name="waive_payment"' in page.content.decode()
    manager.post(order_url("transition", order, "hand_over"), {"version": 1, "waive_payment": "1"})
    order.refresh_from_db()
    assert order.status == S.HANDED_OVER


# --- Money -------------------------------------------------------------------------------------------


def money_cells(response) -> tuple[str, str]:
    html = response.content.decode()
    total = re.search(r'data-testid="total">([^<]+)<', html).group(1)
    due = re.search(r'data-testid="due">([^<]+)<', html).group(1)
    return total, due


def test_line_items_and_payments_update_the_totals(make_order, member_client):
    order = make_order(S.IN_PROGRESS)
    technician, reception = member_client(Role.TECHNICIAN), member_client(Role.RECEPTION)

    technician.post(
        order_url("line_add", order),
        {"kind": "work", "description": "Screen replacement", "quantity": "1", "unit_price": "3000"},
    )
    technician.post(
        order_url("line_add", order),
        {"kind": "part", "description": "Screen", "quantity": "2", "unit_price": "750.50"},
    )
    order.refresh_from_db()
    assert (order.total_amount, order.paid_amount, order.amount_due) == (
        Decimal("4501.00"),
        0,
        Decimal("4501.00"),
    )
    work = LineItem.objects.get(order=order, kind="work")
    assert work.performed_by == order.technician

    reception.post(
        order_url("payment_add", order), {"kind": "payment", "method": "card", "amount": "4000", "note": ""}
    )
    order.refresh_from_db()
    assert (order.paid_amount, order.amount_due) == (Decimal("4000"), Decimal("501.00"))
    page = reception.get(order_url("detail", order))
    total, due = money_cells(page)
    assert "4" in total and "501.00" in due

    reception.post(
        order_url("payment_add", order), {"kind": "refund", "method": "cash", "amount": "500", "note": ""}
    )
    technician.post(order_url("line_remove", order, LineItem.objects.get(order=order, kind="part").pk))
    order.refresh_from_db()
    assert (order.total_amount, order.paid_amount, order.amount_due) == (Decimal("3000"), Decimal("3500"), 0)
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds.count(EventKind.LINE_ITEM) == 3 and kinds.count(EventKind.PAYMENT) == 2


def test_a_refund_of_more_than_was_paid_is_refused(make_order, member_client):
    order = make_order(S.READY, total_amount=Decimal("1000"))
    reception = member_client(Role.RECEPTION)
    reception.post(order_url("payment_add", order), {"kind": "payment", "method": "cash", "amount": "300"})
    response = reception.post(
        order_url("payment_add", order), {"kind": "refund", "method": "cash", "amount": "300.01"}, follow=True
    )
    assert "Cannot refund more than was paid" in text_of(response)
    order.refresh_from_db()
    assert order.paid_amount == Decimal("300")
    assert Payment.objects.filter(order=order).count() == 1


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "", "1e400", "99999999999999"])
def test_a_bad_payment_amount_is_a_message_not_a_500(amount, make_order, member_client):
    order = make_order(S.READY)
    response = member_client(Role.RECEPTION).post(
        order_url("payment_add", order), {"kind": "payment", "method": "cash", "amount": amount}, follow=True
    )
    assert response.status_code == 200 and "Amount:" in text_of(response)
    assert Payment.objects.filter(order=order).count() == 0


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": "0", "unit_price": "5"},
        {"quantity": "1", "unit_price": "-1"},
        {"quantity": "x", "unit_price": "1"},
        {"quantity": "1", "unit_price": ""},
    ],
)
def test_a_bad_line_item_is_a_message_not_a_500(line, make_order, member_client):
    order = make_order(S.IN_PROGRESS)
    response = member_client(Role.TECHNICIAN).post(
        order_url("line_add", order), {"kind": "work", "description": "Work", **line}, follow=True
    )
    assert response.status_code == 200
    assert LineItem.objects.filter(order=order).count() == 0


def test_a_technician_cannot_take_payments(make_order, member_client):
    order = make_order(S.READY)
    response = member_client(Role.TECHNICIAN).post(
        order_url("payment_add", order), {"kind": "payment", "method": "cash", "amount": "100"}
    )
    assert response.status_code == 403
    assert Payment.objects.count() == 0


def test_a_closed_order_takes_no_more_work(make_order, member_client):
    order = make_order(S.HANDED_OVER)
    response = member_client(Role.OWNER).post(
        order_url("line_add", order),
        {"kind": "work", "description": "More", "quantity": "1", "unit_price": "5"},
        follow=True,
    )
    assert "A closed order cannot be changed." in text_of(response)
    assert LineItem.objects.filter(order=order).count() == 0


def test_another_orders_line_cannot_be_removed_through_this_one(make_order, member_client):
    order, other = make_order(S.IN_PROGRESS), make_order(S.IN_PROGRESS)
    line = LineItemFactory(order=other)
    assert member_client(Role.OWNER).post(order_url("line_remove", order, line.pk)).status_code == 404
    assert LineItem.objects.filter(pk=line.pk).exists()


# --- Estimate, assignment, edit ----------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["12abc", "-1", ""])
def test_a_bad_estimate_is_a_message(amount, make_order, member_client):
    order = make_order(S.DIAGNOSTICS)
    response = member_client(Role.TECHNICIAN).post(
        order_url("estimate", order), {"version": 1, "amount": amount}, follow=True
    )
    assert response.status_code == 200 and "Estimate:" in text_of(response)
    order.refresh_from_db()
    assert order.estimate == Decimal("1000") and order.version == 1


def test_the_estimate_is_set_and_recorded(make_order, member_client):
    order = make_order(S.DIAGNOSTICS)
    member_client(Role.TECHNICIAN).post(
        order_url("estimate", order), {"version": 1, "amount": "2500", "comment": "Screen and labour"}
    )
    order.refresh_from_db()
    assert (order.estimate, order.version) == (Decimal("2500"), 2)
    event = OrderEvent.objects.get(order=order, kind=EventKind.ESTIMATE)
    assert "Screen and labour" in event.display_text and event.is_public


def test_reception_may_not_change_the_estimate(make_order, member_client):
    # The quote is the workshop's (ORDERS_WORK); reception records it only at intake.
    order = make_order(S.NEW)
    response = member_client(Role.RECEPTION).post(
        order_url("estimate", order), {"version": 1, "amount": "10"}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.estimate, order.version) == (Decimal("1000"), 1)


def test_assignment_through_the_view(make_order, member_client, other_tech_a, location_a):
    order = make_order(S.NEW, technician=None)
    response = member_client(Role.MANAGER).post(
        order_url("assign", order),
        {"version": 1, "technician": other_tech_a.pk, "workshop": location_a.pk},
        follow=True,
    )
    assert "Assignment saved." in text_of(response)
    order.refresh_from_db()
    assert (order.technician, order.version) == (other_tech_a, 2)
    assert OrderEvent.objects.filter(order=order, kind=EventKind.ASSIGNED).count() == 1


def test_another_tenants_technician_cannot_be_assigned(make_order, member_client, users_b, tenant_b):
    from servicedesk.tenancy.models import Membership

    theirs = Membership.objects.get(tenant=tenant_b, user=users_b[Role.TECHNICIAN])
    order = make_order(S.NEW, technician=None)
    response = member_client(Role.MANAGER).post(
        order_url("assign", order), {"version": 1, "technician": theirs.pk}, follow=True
    )
    assert response.status_code == 200 and "Technician:" in text_of(response)
    order.refresh_from_db()
    assert order.technician is None and order.version == 1


def test_a_visit_ending_before_it_starts_is_refused(make_order, member_client):
    order = make_order(S.NEW, format="on_site")
    response = member_client(Role.MANAGER).post(
        order_url("assign", order),
        {
            "version": 1,
            "technician": order.technician_id,
            "visit_address": "Lenina 1",
            "visit_start": "2030-01-01T10:00",
            "visit_end": "2030-01-01T09:00",
        },
        follow=True,
    )
    assert "The visit must end after it starts." in text_of(response)


def test_editing_a_closed_order_is_a_form_error_not_a_500(make_order, member_client):
    order = make_order(S.HANDED_OVER)
    response = member_client(Role.RECEPTION).post(
        order_url("edit", order), {"version": 1, "problem": "Changed later", "priority": 1}
    )
    assert response.status_code == 200
    assert "A closed order cannot be changed." in text_of(response)
    order.refresh_from_db()
    assert order.problem == "Does not turn on"


def form_values(response) -> dict:
    """The values a browser would send back from the page's form (inputs, selects, textareas)."""
    html = response.content.decode()
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    # A browser drops the newline that follows <textarea>.
    values.update(
        (name, text.removeprefix("\n"))
        for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html)
    )
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        values[name] = selected.group(1) if selected else ""
    values.pop("csrfmiddlewaretoken", None)
    return values


def test_edit_records_only_what_changed(make_order, member_client):
    order = make_order(S.NEW)  # promised at now + 3 days, with seconds: the form shows minutes only
    reception = member_client(Role.RECEPTION)
    data = form_values(reception.get(order_url("edit", order)))
    assert data["version"] == "1" and data["problem"] == "Does not turn on"

    reception.post(order_url("edit", order), {**data, "problem": "Cracked", "priority": "3"})

    event = OrderEvent.objects.get(order=order, kind=EventKind.EDITED)
    assert event.data["fields"] == ["priority", "problem"]  # and the words, as data (orders/event_text.py)
    order.refresh_from_db()
    assert (order.problem, order.priority, order.version) == ("Cracked", 3, 2)


def test_saving_the_edit_form_unchanged_changes_nothing(make_order, member_client):
    order = make_order(S.NEW)
    reception = member_client(Role.RECEPTION)
    response = reception.post(order_url("edit", order), form_values(reception.get(order_url("edit", order))))
    assert response.status_code == 302
    assert not OrderEvent.objects.filter(order=order).exists()
    assert Order.objects.get(pk=order.pk).promised_at == order.promised_at


# --- Notes, photos, public link ----------------------------------------------------------------------


def test_notes_internal_and_public(make_order, member_client):
    order = make_order(S.IN_PROGRESS)
    technician = member_client(Role.TECHNICIAN)
    technician.post(order_url("note_add", order), {"text": "Internal remark"})
    technician.post(order_url("note_add", order), {"text": "Waiting for your call", "public": "on"})
    response = technician.post(order_url("note_add", order), {"text": "   "}, follow=True)
    assert response.status_code == 200
    notes = list(
        OrderEvent.objects.filter(order=order, kind=EventKind.NOTE).values_list("message", "is_public")
    )
    assert notes == [("Internal remark", False), ("Waiting for your call", True)]


def test_photo_upload_and_serving(make_order, member_client, tenant_b):
    order = make_order(S.IN_PROGRESS)
    technician = member_client(Role.TECHNICIAN)
    response = technician.post(
        order_url("photo_add", order),
        {"photos": [photo_upload(), photo_upload("b.png")], "caption": "Back cover"},
        follow=True,
    )
    assert "Photos added." in text_of(response)
    photos = list(OrderPhoto.objects.filter(order=order))
    assert len(photos) == 2 and photos[0].caption == "Back cover"
    assert (
        photos[0].image.name.startswith(f"orders/{order.tenant_id}/")
        and "photo.png" not in photos[0].image.name
    )

    served = technician.get(order_url("photo", order, photos[0].pk))
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert served["Cache-Control"] == "private, max-age=3600"
    assert (
        order_url("photo", order, photos[0].pk) in technician.get(order_url("detail", order)).content.decode()
    )


def test_another_tenants_photo_is_404(make_order, member_client, tenant_b):
    order = make_order(S.IN_PROGRESS)
    theirs_order = OrderFactory(tenant=tenant_b, service_type=ServiceTypeFactory(tenant=tenant_b))
    theirs = OrderPhotoFactory(tenant=tenant_b, order=theirs_order, image=photo_upload())
    owner = member_client(Role.OWNER)
    assert owner.get(order_url("photo", order, theirs.pk)).status_code == 404
    # Nor through a different order of the same tenant.
    mine = OrderPhotoFactory(tenant=order.tenant, order=order, image=photo_upload())
    other = make_order(S.NEW)
    assert owner.get(order_url("photo", other, mine.pk)).status_code == 404


def test_a_photo_whose_file_is_gone_is_404(make_order, member_client):
    order = make_order(S.IN_PROGRESS)
    photo = OrderPhotoFactory(tenant=order.tenant, order=order, image=photo_upload())
    photo.image.storage.delete(photo.image.name)
    assert member_client(Role.OWNER).get(order_url("photo", order, photo.pk)).status_code == 404


def test_a_bad_photo_upload_is_a_message(make_order, member_client, settings):
    order = make_order(S.IN_PROGRESS)
    response = member_client(Role.TECHNICIAN).post(
        order_url("photo_add", order),
        {"photos": photo_upload("x.jpg", b"not an image", "image/jpeg")},
        follow=True,
    )
    assert "is not a photo" in text_of(response)
    assert OrderPhoto.objects.count() == 0


def test_replacing_the_public_link_kills_the_old_one(make_order, member_client, client):
    order = make_order(S.IN_PROGRESS)
    old = order.public_token
    assert client.get(reverse("orders:public_status", args=[old])).status_code == 200

    response = member_client(Role.RECEPTION).post(order_url("public_link_replace", order), follow=True)

    assert "the old one no longer works" in text_of(response)
    order.refresh_from_db()
    assert order.public_token != old and len(order.public_token) >= 43
    assert client.get(reverse("orders:public_status", args=[old])).status_code == 404
    assert client.get(reverse("orders:public_status", args=[order.public_token])).status_code == 200
    assert OrderEvent.objects.filter(order=order, kind=EventKind.LINK).exists()


def test_a_technician_cannot_replace_the_public_link(make_order, member_client):
    order = make_order(S.IN_PROGRESS)
    assert member_client(Role.TECHNICIAN).post(order_url("public_link_replace", order)).status_code == 403
    assert Order.objects.get(pk=order.pk).public_token == order.public_token


def test_one_intake_receipt_the_old_print_page_leads_to_the_numbered_pdf(make_order, member_client):
    order = make_order(S.NEW)
    response = member_client(Role.RECEPTION).get(order_url("receipt", order))
    assert response.status_code == 302
    assert response["Location"] == order_url("detail", order) + "#documents"
    page = member_client(Role.RECEPTION).get(order_url("detail", order))
    assert order_url("receipt", order) not in page.content.decode()


def test_an_order_number_of_another_tenant_is_404(make_order, member_client, tenant_b):
    order = make_order(S.NEW)
    OrderFactory(tenant=tenant_b, service_type=ServiceTypeFactory(tenant=tenant_b))
    response = member_client(Role.OWNER, tenant_b).get(
        order_url("detail", order).replace("/alpha/", "/beta/").replace(f"/{order.number}/", "/999/")
    )
    assert response.status_code == 404
