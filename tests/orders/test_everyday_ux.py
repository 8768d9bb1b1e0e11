"""Issue 14: the timeline in the reader's language, one date format per language, the client's phone by one
rule, the Work menu's label, people's names in choices, one intake receipt."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from orders import services
from orders.models import EventKind, OrderEvent, Payment, ServiceFormat
from orders.models import OrderStatus as S
from orders.timeline import record_event
from servicedesk.formats import format_date, format_datetime
from servicedesk.tenancy.roles import Role

from .conftest import membership, order_url

pytestmark = pytest.mark.django_db
migration = importlib.import_module("orders.migrations.0014_event_texts_as_data")


def _said(event: OrderEvent, language: str) -> str:
    with translation.override(language):
        return OrderEvent.objects.get(pk=event.pk).display_text


# --- 1. The timeline speaks the reader's language ---------------------------------------------------
def test_a_payment_recorded_in_russian_reads_in_english_and_the_other_way(make_order, users_a, tenant_a):
    order = make_order(S.READY)
    reception = membership(tenant_a, users_a[Role.RECEPTION])
    with translation.override("ru"):
        services.add_payment(order, amount=Decimal("100"), method=Payment.Method.CASH, by=reception)
    event = order.events.get(kind=EventKind.PAYMENT)
    assert event.message == ""  # nothing a person wrote; the words are data
    assert _said(event, "en") == "Payment: 100.00 (Cash)"
    assert _said(event, "ru") == "Оплата: 100,00 (Наличные)"
    with translation.override("en"):
        services.add_payment(order, amount=Decimal("5"), method=Payment.Method.CARD, by=reception)
    card = order.events.filter(kind=EventKind.PAYMENT).latest("id")
    assert _said(card, "ru") == "Оплата: 5,00 (Карта)"


def test_an_estimate_keeps_the_comment_as_written_and_the_words_in_the_readers_language(
    make_order, users_a, tenant_a
):
    order = make_order(S.DIAGNOSTICS)
    tech = membership(tenant_a, users_a[Role.TECHNICIAN])
    order.technician = tech
    order.save(update_fields=["technician"])
    with translation.override("ru"):
        services.set_estimate(
            order, amount=Decimal("1500"), comment="Замена экрана", by=tech, expected_version=order.version
        )
    event = order.events.get(kind=EventKind.ESTIMATE)
    assert _said(event, "en") == "Estimate: 1,500.00. Замена экрана"
    assert _said(event, "ru").replace("\xa0", " ") == "Смета: 1 500,00. Замена экрана"


def test_the_order_page_shows_the_timeline_in_the_readers_language(
    make_order, member_client, users_a, tenant_a
):
    order = make_order(S.NEW)
    with translation.override("ru"):
        record_event(
            order,
            EventKind.LINK,
            text={"msgid": "Public link replaced; the old one no longer works.", "args": {}},
        )
    page = member_client(Role.MANAGER).get(order_url("detail", order), HTTP_ACCEPT_LANGUAGE="en")
    assert "Public link replaced; the old one no longer works." in page.content.decode()


def test_an_old_event_that_could_not_be_parsed_shows_its_stored_text(make_order):
    order = make_order(S.NEW)
    event = record_event(order, EventKind.SLA, message="Срок: риск")
    assert _said(event, "en") == "Срок: риск"


@pytest.mark.parametrize(
    ("kind", "message", "data", "english", "russian", "left"),
    [
        (
            "payment",
            "Оплата: 100.00 (Наличные)",
            {},
            "Payment: 100.00 (Cash)",
            "Оплата: 100,00 (Наличные)",
            "",
        ),
        ("payment", "Refund: 20.00 (Card)", {}, "Refund: 20.00 (Card)", "Возврат: 20,00 (Карта)", ""),
        ("estimate", "Смета: 900.00. Без гарантии", {}, "Estimate: 900.00", "Смета: 900,00", "Без гарантии"),
        ("line_item", "Удалено: Экран", {}, "Removed: Экран", "Удалено: Экран", ""),
        ("created", "Order taken in at Main.", {}, "Order taken in at Main.", "Заказ принят: Main.", ""),
        ("photo", "Cracked corner", {}, "Photo added", "Добавлено фото", "Cracked corner"),
        ("edited", "приоритет", {"fields": ["priority"]}, "priority", None, ""),
    ],
)
def test_the_migration_converts_known_texts_in_either_language(kind, message, data, english, russian, left):
    said, rest = migration.convert(kind, message, data)
    stored = {**data, "text": said}
    from orders.event_text import describe

    with translation.override("en"):
        assert describe(stored, "") == english
    if russian is not None:
        with translation.override("ru"):
            assert describe(stored, "").replace("\xa0", " ") == russian
    assert rest == left


def test_the_migration_leaves_a_persons_note_and_unknown_texts_alone():
    assert migration.convert("note", "Client called back", {}) is None
    assert migration.convert("payment", "something else entirely", {}) is None


# --- 4. Dates: one format and one date-time format per language -------------------------------------
def test_one_date_and_one_date_time_format_per_language():
    moment = datetime(2026, 11, 30, 22, 37, tzinfo=ZoneInfo("UTC"))
    with timezone.override("UTC"):
        with translation.override("en"):
            assert (format_date(date(2026, 11, 30)), format_datetime(moment)) == (
                "30 Nov 2026",
                "30 Nov 2026, 22:37",
            )
        with translation.override("ru"):
            assert (format_date(date(2026, 11, 30)), format_datetime(moment)) == (
                "30.11.2026",
                "30.11.2026 22:37",
            )


def test_the_short_formats_are_the_same_as_the_long_ones():
    from django.utils import formats

    for language in ("en", "ru"):
        with translation.override(language):
            assert formats.get_format("SHORT_DATE_FORMAT") == formats.get_format("DATE_FORMAT")
            assert formats.get_format("SHORT_DATETIME_FORMAT") == formats.get_format("DATETIME_FORMAT")


# --- 11. The client's phone: one rule -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "assigned", "on_site", "full"),
    [
        (Role.RECEPTION, False, False, True),
        (Role.MANAGER, False, False, True),
        (Role.TECHNICIAN, True, True, True),  # on the way to the client
        (Role.TECHNICIAN, True, False, False),  # in the shop: the office calls
        (Role.TECHNICIAN, False, True, False),  # someone else's visit
    ],
)
def test_who_sees_the_clients_phone(make_order, tenant_a, users_a, role, assigned, on_site, full):
    me = membership(tenant_a, users_a[role])
    order = make_order(S.PLANNED, format=ServiceFormat.ON_SITE if on_site else ServiceFormat.IN_SHOP)
    if assigned:
        order.technician = me
    elif order.technician_id == me.pk:
        order.technician = None
    order.client.phone = "+79161234567"
    assert services.sees_client_phone(me, order) is full
    shown = services.client_phone_for(me, order)
    assert shown == ("+7 916 123-45-67" if full else "+7 *** ***-**-67")


def test_the_order_page_masks_the_phone_for_a_technician_on_an_in_shop_job(
    make_order, member_client, tenant_a
):
    order = make_order(S.IN_PROGRESS)
    order.client.phone = "+79161234567"
    order.client.save(update_fields=["phone"])
    page = member_client(Role.TECHNICIAN).get(order_url("detail", order)).content.decode()
    assert "+7 *** ***-**-67" in page and "tel:+79161234567" not in page
    office = member_client(Role.RECEPTION).get(order_url("detail", order)).content.decode()
    assert "tel:+79161234567" in office


# --- 11. The Work menu has a visible label at every width -------------------------------------------
def test_the_work_menu_has_a_visible_label(make_order, member_client, tenant_a):
    page = member_client(Role.MANAGER).get(reverse("orders:list", args=[tenant_a.slug])).content.decode()
    start = page.index('data-testid="nav-work"')
    link = page[start : page.index("</a>", start)]
    assert "Work" in link and "visually-hidden" not in link and "d-lg-none" not in link


# --- 2. People's names wherever a person is chosen ------------------------------------------------------
def test_the_feedback_pages_technician_filter_names_people(member_client, tenant_a, users_a):
    page = (
        member_client(Role.MANAGER)
        .get(reverse("quality:feedback_list", args=[tenant_a.slug]))
        .content.decode()
    )
    technician = users_a[Role.TECHNICIAN]
    assert f">{technician.full_name}</option>" in page
    assert " @ " not in page


# --- 8. One intake receipt ------------------------------------------------------------------------------
def test_the_order_page_offers_no_html_receipt(make_order, member_client):
    order = make_order(S.NEW)
    page = member_client(Role.RECEPTION).get(order_url("detail", order)).content.decode()
    assert order_url("receipt", order) not in page
