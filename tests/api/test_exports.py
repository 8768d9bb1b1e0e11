"""Exports: the order list with its filters, clients and payments as CSV (streamed, in chunks) and Excel,
each for the roles that see that list; formulas never run; Excel capped."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from orders.models import OrderStatus, Payment
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, OrderFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _xlsx(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_orders_export_keeps_the_list_s_filters(tenant_a, tenant_b, member_client, settings):
    settings.EXPORT_CHUNK = 2
    client = ClientFactory(tenant=tenant_a, name='=HYPERLINK("http://evil")', phone="+79169990001")
    wanted = [OrderFactory(tenant=tenant_a, client=client, status=OrderStatus.NEW) for _ in range(3)]
    OrderFactory(tenant=tenant_a, status=OrderStatus.IN_PROGRESS)
    OrderFactory(tenant=tenant_b, status=OrderStatus.NEW)
    owner = member_client(Role.OWNER)
    url = reverse("exports:orders", args=[tenant_a.slug])
    with CaptureQueriesContext(connection) as queries:
        response = owner.get(url, {"view": "", "status": "new", "format": "csv"})
        rows = _csv(response)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert rows[0][:6] == ["Number", "Created", "Status", "Client", "Phone", "E-mail"]
    assert [int(row[0]) for row in rows[1:]] == [order.number for order in wanted]
    assert rows[1][3] == '\'=HYPERLINK("http://evil")' and rows[1][4] == "+79169990001"
    # Read in chunks of two: 2 + 1 rows, then an empty chunk ends it.
    order_selects = [
        q for q in queries.captured_queries if 'FROM "orders_order"' in q["sql"] and "LIMIT 2" in q["sql"]
    ]
    assert len(order_selects) == 3
    # Excel: the same rows, numbers as numbers, the formula as text.
    sheet = _xlsx(owner.get(url, {"view": "", "status": "new", "format": "xlsx"}))
    assert [row[0] for row in sheet[1:]] == [order.number for order in wanted]
    assert sheet[1][3] == '=HYPERLINK("http://evil")'


def test_the_technician_exports_orders_without_contacts(tenant_a, member_client, users_a):
    OrderFactory(tenant=tenant_a, status=OrderStatus.NEW)
    rows = _csv(
        member_client(Role.TECHNICIAN).get(reverse("exports:orders", args=[tenant_a.slug]), {"view": ""})
    )
    assert "Phone" not in rows[0] and "E-mail" not in rows[0] and len(rows) == 2


def test_orders_export_defaults_to_the_list_s_view(tenant_a, member_client):
    OrderFactory(tenant=tenant_a, status=OrderStatus.NEW)
    OrderFactory(tenant=tenant_a, status=OrderStatus.CANCELLED)
    rows = _csv(member_client(Role.MANAGER).get(reverse("exports:orders", args=[tenant_a.slug])))
    assert len(rows) == 2  # "All open", as the page shows first


def test_bad_filters_and_formats_answer_400(tenant_a, member_client):
    owner = member_client(Role.OWNER)
    url = reverse("exports:orders", args=[tenant_a.slug])
    assert owner.get(url, {"format": "pdf"}).status_code == 400
    response = owner.get(url, {"created_after": "0001-01-01"})
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert (
        owner.get(
            reverse("exports:payments", args=[tenant_a.slug]), {"since": "2026-02-01", "until": "2026-01-01"}
        ).status_code
        == 400
    )


def test_clients_export(tenant_a, tenant_b, member_client, settings):
    ClientFactory(tenant=tenant_a, name="Anna Petrova", phone="+79169990002")
    ClientFactory(tenant=tenant_b, name="Other Center")
    rows = _csv(member_client(Role.RECEPTION).get(reverse("exports:clients", args=[tenant_a.slug])))
    assert [row[1] for row in rows[1:]] == ["Anna Petrova"]
    settings.EXPORT_XLSX_MAX_ROWS = 0
    response = member_client(Role.OWNER).get(
        reverse("exports:clients", args=[tenant_a.slug]), {"format": "xlsx"}
    )
    assert response.status_code == 400 and "too many for Excel" in response.content.decode()


def test_payments_of_a_period_with_refunds_negative(tenant_a, member_client):
    order = OrderFactory(tenant=tenant_a)
    now = timezone.now()
    PaymentFactory(order=order, amount=Decimal("500.00"), created_at=now)
    PaymentFactory(order=order, amount=Decimal("200.00"), kind=Payment.Kind.REFUND, created_at=now)
    PaymentFactory(order=order, amount=Decimal("999.00"), created_at=now - timedelta(days=40))
    today = tenant_a.local_date()
    sheet = _xlsx(
        member_client(Role.MANAGER).get(
            reverse("exports:payments", args=[tenant_a.slug]),
            {"since": (today - timedelta(days=1)).isoformat(), "until": today.isoformat(), "format": "xlsx"},
        )
    )
    assert sorted(row[5] for row in sheet[1:]) == [-200, 500]


@pytest.mark.parametrize(
    ("role", "orders", "clients", "payments"),
    [
        (Role.OWNER, 200, 200, 200),
        (Role.MANAGER, 200, 200, 200),
        (Role.RECEPTION, 200, 200, 403),
        (Role.TECHNICIAN, 200, 403, 403),
    ],
)
def test_who_may_export_what(tenant_a, member_client, role, orders, clients, payments):
    client = member_client(role)
    assert client.get(reverse("exports:orders", args=[tenant_a.slug])).status_code == orders
    assert client.get(reverse("exports:clients", args=[tenant_a.slug])).status_code == clients
    assert client.get(reverse("exports:payments", args=[tenant_a.slug])).status_code == payments
