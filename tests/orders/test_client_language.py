"""The client's own language: their public status page opens in it until they pick another; staff pages
keep the staff member's language; the intake records it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from orders.models import OrderStatus as S
from servicedesk.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_the_status_page_opens_in_the_clients_language(make_order, client):
    order = make_order(S.NEW)
    assert order.tenant.language == "en"
    order.client.language = "ru"
    order.client.save(update_fields=["language"])
    url = reverse("orders:public_status", args=[order.public_token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert f"Заказ №\xa0{order.number}" in page.content.decode()
    assert page["Content-Language"] == "ru"


def test_the_clients_own_choice_on_the_page_wins(make_order, client):
    order = make_order(S.NEW)
    order.client.language = "ru"
    order.client.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("orders:public_status", args=[order.public_token]))
    assert f"Order No. {order.number}" in page.content.decode()


def test_without_a_language_the_page_speaks_the_centers(make_order, client):
    order = make_order(S.NEW)
    order.tenant.language = "ru"
    order.tenant.save(update_fields=["language"])
    page = client.get(reverse("orders:public_status", args=[order.public_token]), HTTP_ACCEPT_LANGUAGE="en")
    assert f"Заказ №\xa0{order.number}" in page.content.decode()


def test_staff_pages_keep_the_staff_members_language(make_order, member_client):
    order = make_order(S.NEW)
    order.client.language = "ru"
    order.client.save(update_fields=["language"])
    url = reverse("orders:detail", kwargs={"tenant_slug": order.tenant.slug, "order_number": order.number})
    page = member_client(Role.RECEPTION).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "en"
