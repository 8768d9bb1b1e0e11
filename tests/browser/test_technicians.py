"""Browser journey of a technician's day on a phone (375 px): my jobs, the timer, a part used, the job
moved to ready. Playwright drives Debian's chromium against the live server (see conftest.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import LineItem, OrderStatus
from stock import services as stock
from stock.models import StockLevel
from technicians.models import WorkLog
from tests.factories import PartFactory, PartServiceTypeFactory

from .conftest import DEMO_EMAILS, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_runs_a_job_from_a_phone(demo, make_order, page_for):
    from servicedesk.tenancy.roles import Role

    manager = demo.members[Role.MANAGER]
    order = make_order(
        "in_progress", estimate="8200"
    )  # the client agreed to the screen and the glue at intake
    screen = PartFactory(
        tenant=demo.tenant, sku="SCR-12", name="iPhone 12 screen", sale_price=Decimal("7900")
    )
    glue = PartFactory(tenant=demo.tenant, sku="GLUE-B7000", name="B-7000 glue", sale_price=Decimal("300"))
    for part in (screen, glue):
        PartServiceTypeFactory(tenant=demo.tenant, part=part, service_type=order.service_type)
        stock.receive(demo.tenant, part=part, location=demo.workshop, quantity=2, by=manager)
    order.tenant = demo.tenant
    stock.reserve(order, part=screen, quantity=1, by=manager)

    phone = page_for(PHONE)
    login(phone, DEMO_EMAILS["technician"], next="/demo/my-jobs/")
    expect(phone.locator("h1")).to_contain_text("My jobs")
    card = phone.get_by_test_id(f"job-{order.number}")
    expect(card).to_contain_text("Reserved: iPhone 12 screen × 1")

    # Start the timer: the banner says it runs, the card's button turns into "Stop timer".
    card.get_by_test_id("timer-start").click()
    expect(phone.get_by_test_id("running-banner")).to_contain_text(f"Timer running on #{order.number}")
    expect(card.get_by_test_id("timer-stop")).to_be_visible()

    # Use the reserved screen and, from the shelf, the glue.
    card.locator("summary", has_text="Use a part").click()
    card.locator("select[name=part]").select_option(label="iPhone 12 screen · SCR-12 (1)")
    card.get_by_test_id("use-part").click()
    expect(phone.locator("[role=alert].alert-success")).to_contain_text(
        f"Used 1 × iPhone 12 screen on order #{order.number}."
    )
    card.locator("summary", has_text="Use a part").click()
    card.locator("select[name=part]").select_option(label="B-7000 glue · GLUE-B7000 (2)")
    card.locator("input[name=quantity]").fill("1")
    card.get_by_test_id("use-part").click()
    expect(card.get_by_test_id("used-parts")).to_contain_text("B-7000 glue (GLUE-B7000) × 1")

    # Work done, to quality check: the timer stops by itself. Then checked, ready for pickup.
    card.get_by_test_id("action-finish_work").click()
    expect(phone.locator("[role=alert].alert-success")).to_contain_text(
        f"Order #{order.number}: Quality check."
    )
    expect(phone.get_by_test_id("running-banner")).to_have_count(0)
    phone.get_by_test_id(f"job-{order.number}").get_by_test_id("action-pass_check").click()
    expect(phone.locator("[role=alert].alert-success")).to_contain_text(
        f"Order #{order.number}: Ready for pickup."
    )
    expect(phone.get_by_test_id(f"job-{order.number}")).to_have_count(0)  # nothing left for the technician

    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_no_csp_errors(phone)

    order.refresh_from_db()
    assert order.status == OrderStatus.READY
    entry = WorkLog.objects.get(order=order)
    assert entry.ended_at is not None and entry.stopped_automatically
    assert StockLevel.objects.get(part=screen, location=demo.workshop).on_hand == 1
    assert StockLevel.objects.get(part=screen, location=demo.workshop).reserved == 0
    assert StockLevel.objects.get(part=glue, location=demo.workshop).on_hand == 1
    assert set(
        LineItem.objects.filter(order=order, kind=LineItem.Kind.PART).values_list("description", flat=True)
    ) == {"iPhone 12 screen (SCR-12)", "B-7000 glue (GLUE-B7000)"}


def test_manager_plans_a_visit_on_the_board(demo, make_order, page_for):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order, ServiceFormat

    order = make_order("new", service="Washing machine repair")
    Order.objects.filter(pk=order.pk).update(format=ServiceFormat.ON_SITE, visit_address="Mira ave. 5")
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)

    from .conftest import DESKTOP

    desk = page_for(DESKTOP)
    login(desk, DEMO_EMAILS["manager"], next="/demo/planning/")
    desk.get_by_test_id(f"plan-{order.number}").click()
    desk.locator("select[name=technician]").select_option(label="Timur Technician (Technician)")
    desk.locator("select[name=workshop]").select_option(label="North workshop")
    desk.locator("input[name=visit_start]").fill(f"{day:%Y-%m-%d}T10:00")
    desk.get_by_test_id("save-plan").click()
    expect(desk.get_by_test_id("warnings")).to_contain_text("no recorded skill")
    desk.locator("input[name=accept_warnings]").check()
    desk.get_by_test_id("save-plan").click()
    expect(desk.locator("[role=alert].alert-success")).to_contain_text(f"Order #{order.number} assigned.")
    expect(desk.get_by_test_id("board")).to_contain_text(f"#{order.number}")
    order.refresh_from_db()
    assert order.status == OrderStatus.PLANNED and order.technician_id == demo.members["technician"].pk
    assert_no_csp_errors(desk)
