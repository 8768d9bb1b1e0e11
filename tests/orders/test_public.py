"""The client's public status page /s/<token>/: 404s that reveal nothing, no personal data or internal
notes, private headers, the estimate answered once, a rate limit."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import EventKind, OrderEvent, OrderStatus
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory
from tests.helpers import text_of

S = OrderStatus
pytestmark = pytest.mark.django_db


def status_url(token: str) -> str:
    return f"/s/{quote(token, safe='')}/"


def decide_url(token: str, decision: str) -> str:
    return reverse("orders:public_decide", args=[token, decision])


# What the decision form of make_order's order carries: its estimate's version and amount.
SHOWN = {"estimate_version": "1", "estimate_amount": "1000.00"}


@pytest.fixture
def client_person(tenant_a):
    return ClientFactory(
        tenant=tenant_a, name="Ivan Sidorovsky", phone="+79161234567", email="ivan.sidorovsky@example.test"
    )


@pytest.fixture
def order(make_order, client_person, staff_a):
    order = make_order(
        S.AWAITING_APPROVAL, client=client_person, item=None, visit_address="Secret street 13, apt. 7"
    )
    services.add_note(
        order, text="INTERNAL-MARKER-7f3a the client seemed drunk", public=False, by=staff_a[Role.TECHNICIAN]
    )
    services.add_note(order, text="Your part has been ordered", public=True, by=staff_a[Role.TECHNICIAN])
    return order


def test_the_page_shows_the_order_in_plain_words(client, order):
    response = client.get(status_url(order.public_token))
    assert response.status_code == 200
    text = text_of(response)
    assert f"Order No. {order.number}" in text
    assert "Please approve or decline the estimate below." in text
    assert "Your part has been ordered" in text, "public notes are shown"
    assert "Ivan S." in text, "the name is masked"


def test_the_page_shows_no_personal_data_and_no_internal_notes(client, order):
    html = client.get(status_url(order.public_token)).content.decode()
    text = text_of(client.get(status_url(order.public_token)))
    for secret in [
        "Sidorovsky",
        "79161234567",
        "916 123",
        "ivan.sidorovsky",
        "@example.test",
        "INTERNAL-MARKER-7f3a",
        "drunk",
        "Secret street",
        order.client.email,
    ]:
        assert secret not in html and secret not in text, secret


def test_private_headers(client, order):
    response = client.get(status_url(order.public_token))
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]


GARBAGE = [
    "",
    "x",
    "a" * 31,
    "a" * 65,
    "a" * 500,
    "../../etc/passwd" + "a" * 30,
    "' OR 1=1 --" + "a" * 30,
    "\u0000" * 40,
    "😀" * 40,
    "%00" * 15,
]


@pytest.mark.parametrize("token", ["x", "short", "a" * 31], ids=["1", "5", "31"])
def test_a_short_token_is_404_without_touching_the_database(token, client, order, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(status_url(token))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "token", [*GARBAGE, secrets.token_urlsafe(32)], ids=[*(repr(t)[:20] for t in GARBAGE), "random-token"]
)
def test_wrong_and_garbage_tokens_are_404(token, client, order):
    if not token:
        assert client.get("/s//").status_code == 404
        return
    assert client.get(status_url(token)).status_code == 404
    assert client.post(status_url(token) + "approve/").status_code == 404


def test_an_almost_right_token_is_404(client, order):
    token = order.public_token
    assert client.get(status_url(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert (
        client.get(status_url(token.upper() if token != token.upper() else token.lower())).status_code == 404
    )


def page_without_per_request_bits(response, token: str) -> str:
    """The page with the echoed path and the (per-request masked) CSRF token blanked out."""
    html = response.content.decode().replace(token, "TOKEN")
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1CSRF", html)


def test_an_expired_link_gets_the_same_404_as_a_wrong_one(client, order):
    wrong_token = secrets.token_urlsafe(32)
    wrong = client.get(status_url(wrong_token))
    order.status = S.HANDED_OVER
    order.closed_at = timezone.now() - timedelta(days=31)
    order.public_token_expires_at = order.closed_at + timedelta(days=30)
    order.save()

    expired = client.get(status_url(order.public_token))

    assert expired.status_code == wrong.status_code == 404
    assert page_without_per_request_bits(expired, order.public_token) == page_without_per_request_bits(
        wrong, wrong_token
    )


def test_the_link_still_works_after_handover_until_it_expires(client, make_order, reception_a):
    from orders.lifecycle import transition

    order = make_order(S.READY)
    transition(order, "hand_over", by=reception_a, expected_version=order.version)
    response = client.get(status_url(order.public_token))
    assert response.status_code == 200 and "Handed over. Thank you!" in text_of(response)


def test_an_inactive_service_centers_links_are_404(client, order):
    order.tenant.is_active = False
    order.tenant.save()
    assert client.get(status_url(order.public_token)).status_code == 404


# --- The estimate ------------------------------------------------------------------------------------


def test_the_client_approves_once(client, order):
    page = client.get(status_url(order.public_token))
    assert 'data-testid="estimate-decision"' in page.content.decode()

    response = client.post(decide_url(order.public_token, "approve"), SHOWN, follow=True)

    assert response.status_code == 200 and "Thank you! We will start the work." in text_of(response)
    assert response["Cache-Control"] == "no-store"
    order.refresh_from_db()
    assert (order.status, order.estimate_state) == (S.IN_PROGRESS, "approved")
    decisions = OrderEvent.objects.filter(order=order, kind=EventKind.STATUS)
    assert [(e.action, e.by_client, e.actor_id) for e in decisions] == [("approve", True, None)]

    again = client.post(decide_url(order.public_token, "approve"), SHOWN, follow=True)

    assert "This estimate has already been answered." in text_of(again)
    assert OrderEvent.objects.filter(order=order, kind=EventKind.STATUS).count() == 1
    assert 'data-testid="estimate-decision"' not in again.content.decode()


def test_the_client_declines(client, order):
    response = client.post(decide_url(order.public_token, "decline"), SHOWN, follow=True)
    assert "We will prepare your item for pickup without the repair." in text_of(response)
    order.refresh_from_db()
    assert (order.status, order.estimate_state) == (S.QUALITY_CHECK, "declined")
    # Changing one's mind afterwards does nothing.
    client.post(decide_url(order.public_token, "approve"), SHOWN)
    order.refresh_from_db()
    assert order.status == S.QUALITY_CHECK


def test_the_form_carries_the_estimate_it_shows(client, order):
    page = client.get(status_url(order.public_token)).content.decode()
    assert page.count('name="estimate_version" value="1"') == 2  # approve and decline
    assert page.count('name="estimate_amount" value="1000.00"') == 2


def test_staff_changing_the_estimate_while_the_client_looks_refuses_the_old_answer(client, order, tech_a):
    client.get(status_url(order.public_token))  # the client sees 1,000.00 (version 1)
    services.set_estimate(order, amount=Decimal("1800"), by=tech_a, expected_version=order.version)

    response = client.post(decide_url(order.public_token, "approve"), SHOWN, follow=True)

    assert "The estimate has changed, please review it again." in text_of(response)
    order.refresh_from_db()
    assert (order.status, order.estimate, order.estimate_state) == (
        S.AWAITING_APPROVAL,
        Decimal("1800"),
        "pending",
    )
    assert order.approved_amount == Decimal("1000")  # still only what was agreed before
    # The page now shows version 2, and answering that one works.
    assert 'name="estimate_amount" value="1800.00"' in text_of(client.get(status_url(order.public_token)))
    client.post(
        decide_url(order.public_token, "approve"), {"estimate_version": "2", "estimate_amount": "1800.00"}
    )
    order.refresh_from_db()
    assert (order.status, order.approved_amount, order.total_amount) == (
        S.IN_PROGRESS,
        Decimal("1800"),
        Decimal("1800"),
    )


@pytest.mark.parametrize(
    "shown",
    [
        {"estimate_version": "1", "estimate_amount": "999.99"},  # another amount
        {"estimate_version": "2", "estimate_amount": "1000.00"},  # another version
        {"estimate_version": "1"},  # no amount
        {},  # nothing: an old page or a hand-made request
        {"estimate_version": "x", "estimate_amount": "NaN"},
        {"estimate_version": "99999999999999999999", "estimate_amount": "1e999999"},
    ],
    ids=["amount", "version", "no-amount", "nothing", "garbage", "huge"],
)
@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_an_answer_to_another_estimate_is_refused(shown, decision, client, order):
    response = client.post(decide_url(order.public_token, decision), shown, follow=True)
    assert response.status_code == 200
    assert "The estimate has changed, please review it again." in text_of(response)
    order.refresh_from_db()
    assert (order.status, order.estimate_state, order.version) == (S.AWAITING_APPROVAL, "pending", 1)
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.STATUS).exists()


def test_the_client_approves_the_lines_of_an_itemised_estimate(client, order, tech_a):
    services.set_estimate(
        order,
        by=tech_a,
        expected_version=order.version,
        lines=[
            services.EstimateLineData("part", "Screen", Decimal("1"), Decimal("3500")),
            services.EstimateLineData("work", "Labour", Decimal("1.5"), Decimal("1000")),
        ],
    )
    page = text_of(client.get(status_url(order.public_token)))
    assert "Screen" in page and "Labour" in page and "5,000.00" in page

    client.post(
        decide_url(order.public_token, "approve"), {"estimate_version": "2", "estimate_amount": "5000.00"}
    )

    order.refresh_from_db()
    lines = list(order.line_items.order_by("id").values_list("kind", "description", "amount"))
    assert lines == [("part", "Screen", Decimal("3500.00")), ("work", "Labour", Decimal("1500.00"))]
    assert (order.total_amount, order.approved_amount) == (Decimal("5000.00"), Decimal("5000.00"))


def test_no_decision_when_none_is_asked_for(client, make_order):
    order = make_order(S.IN_PROGRESS)
    assert (
        'data-testid="estimate-decision"' not in client.get(status_url(order.public_token)).content.decode()
    )
    response = client.post(decide_url(order.public_token, "approve"), SHOWN, follow=True)
    assert "already been answered" in text_of(response)
    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS


def test_an_unknown_decision_is_404(client, order):
    assert client.post(decide_url(order.public_token, "maybe")).status_code == 404
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL


def test_deciding_needs_a_post(client, order):
    assert client.get(decide_url(order.public_token, "approve")).status_code == 405
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL


def test_an_expired_link_cannot_decide(client, order):
    order.public_token_expires_at = timezone.now() - timedelta(seconds=1)
    order.save()
    assert client.post(decide_url(order.public_token, "approve"), SHOWN).status_code == 404
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL


# --- Rate limit --------------------------------------------------------------------------------------


def test_the_page_is_rate_limited_per_client_address(client, order, settings, steady_rate_window):
    settings.PUBLIC_PAGE_RATE = "3/m"
    url = status_url(order.public_token)
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]

    limited = client.get(url)

    assert limited.status_code == 429
    assert limited["Retry-After"] == "60" and limited["Cache-Control"] == "no-store"
    assert client.post(decide_url(order.public_token, "approve"), SHOWN).status_code == 429
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL
    # Another address is not affected.
    assert client.get(url, REMOTE_ADDR="10.9.8.7").status_code == 200


def test_guessing_tokens_counts_against_the_limit_too(client, order, settings, steady_rate_window):
    settings.PUBLIC_PAGE_RATE = "3/m"
    for _ in range(3):
        assert client.get(status_url(secrets.token_urlsafe(32))).status_code == 404
    assert client.get(status_url(order.public_token)).status_code == 429
