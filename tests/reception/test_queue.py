"""The reception queue at the desk: check-in starts the wait clock; the intake started for the client, or
serving them otherwise, stops it; clients who leave; the live board; who may do what; bad input."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import Client, EventKind, Order, OrderEvent
from orders.permissions import ActorRefused
from reception import services
from reception.models import Purpose, ReceptionDesk, ServedAs, Visit, VisitSource, VisitState
from servicedesk.tenancy.roles import Role
from tests.factories import ClientFactory, LocationFactory, ServiceTypeFactory, StandardFactory, VisitFactory

pytestmark = pytest.mark.django_db


def board_url(location) -> str:
    return reverse("reception:board", args=[location.tenant.slug, location.pk])


# --- The clock ------------------------------------------------------------------------------------


@pytest.mark.clock("2026-04-15 10:00")
def test_check_in_starts_the_clock_and_tickets_count_from_one_each_day(clock, desk_location, members_a):
    reception = members_a[Role.RECEPTION]
    first = services.check_in(
        desk_location, by=reception, purpose=Purpose.DROP_OFF, name=" Pavel ", phone="8 (903) 555-01-23"
    )
    second = services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP)
    assert (first.ticket, second.ticket) == (1, 2)
    assert first.state == VisitState.WAITING and first.checked_in_at == clock.now()
    assert (first.name, first.phone, first.source, first.checked_in_by) == (
        "Pavel",
        "+79035550123",
        VisitSource.DESK,
        reception,
    )
    assert first.day.isoformat() == "2026-04-15"
    assert first.ended_at is None and first.wait_seconds is None
    clock.set("2026-04-15 23:59")
    assert services.check_in(desk_location, by=reception, purpose=Purpose.QUESTION).ticket == 3
    clock.set("2026-04-16 00:01")  # a new day on the center's clock: the counter starts again
    assert services.check_in(desk_location, by=reception, purpose=Purpose.QUESTION).ticket == 1
    assert ReceptionDesk.objects.get(tenant=desk_location.tenant).last_ticket == 1


@pytest.mark.clock("2026-04-15 10:00")
def test_a_counter_behind_its_rows_never_repeats_a_ticket(clock, desk_location, members_a):
    VisitFactory(tenant=desk_location.tenant, location=desk_location, day=clock.today(), ticket=7)
    assert services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.PICKUP).ticket == 8


@pytest.mark.clock("2026-04-15 10:00")
def test_serving_stops_the_clock_once(clock, desk_location, members_a):
    reception = members_a[Role.RECEPTION]
    visit = services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP)
    stale = Visit.objects.get(pk=visit.pk)  # another receptionist's copy, loaded before anyone served
    clock.shift(minutes=4, seconds=30)
    services.start_service(visit, by=reception, served_as=ServedAs.PICKUP)
    visit.refresh_from_db()
    assert (visit.state, visit.served_as, visit.wait_seconds, visit.served_by) == (
        VisitState.SERVED,
        ServedAs.PICKUP,
        270,
        reception,
    )
    assert visit.ended_at == clock.now()
    clock.shift(minutes=1)
    with pytest.raises(ValidationError, match="Ticket 1 is already being served"):
        services.start_service(stale, by=members_a[Role.MANAGER], served_as=ServedAs.QUESTION)
    with pytest.raises(ValidationError, match="already being served"):
        services.mark_left(stale, by=reception)
    visit.refresh_from_db()
    assert (visit.wait_seconds, visit.served_by, visit.served_as) == (270, reception, ServedAs.PICKUP)


@pytest.mark.clock("2026-04-15 10:00")
def test_a_client_who_left_has_the_wait_stored_but_is_not_served(clock, desk_location, members_a):
    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.CONSULTATION)
    clock.shift(minutes=12)
    services.mark_left(visit, by=members_a[Role.RECEPTION])
    visit.refresh_from_db()
    assert (visit.state, visit.wait_seconds, visit.served_as) == (VisitState.LEFT, 720, "")
    with pytest.raises(ValidationError, match="has left the queue"):
        services.start_service(visit, by=members_a[Role.RECEPTION], served_as=ServedAs.CONSULTATION)


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.RECEPTION])
def test_the_office_checks_in_and_serves(role, desk_location, members_a):
    visit = services.check_in(desk_location, by=members_a[role], purpose=Purpose.QUESTION)
    services.start_service(visit, by=members_a[role], served_as=ServedAs.QUESTION)
    assert Visit.objects.get(pk=visit.pk).state == VisitState.SERVED


def test_a_technician_or_another_center_cannot_check_in_or_serve(desk_location, members_a, users_b, tenant_b):
    from servicedesk.tenancy.models import Membership

    technician = members_a[Role.TECHNICIAN]
    with pytest.raises(ActorRefused):
        services.check_in(desk_location, by=technician, purpose=Purpose.QUESTION)
    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.QUESTION)
    other = Membership.objects.get(tenant=tenant_b, role=Role.OWNER)
    for by in (technician, other):
        with pytest.raises(ActorRefused):
            services.start_service(visit, by=by, served_as=ServedAs.QUESTION)
        with pytest.raises(ActorRefused):
            services.mark_left(visit, by=by)
    assert Visit.objects.get(pk=visit.pk).state == VisitState.WAITING


def test_bad_input_to_the_services_is_refused(desk_location, members_a):
    reception = members_a[Role.RECEPTION]
    with pytest.raises(ValidationError, match="came for"):
        services.check_in(desk_location, by=reception, purpose="coffee")
    with pytest.raises(ValidationError, match="not a phone number"):
        services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP, phone="call me maybe")
    visit = services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP)
    with pytest.raises(ValidationError, match="how the client was served"):
        services.start_service(visit, by=reception, served_as="nothing")
    desk_location.is_active = False
    with pytest.raises(ValidationError, match="closed"):
        services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP)
    assert Visit.objects.count() == 1


def test_visits_forgotten_overnight_are_closed_without_a_wait(desk_location, members_a):
    from django.utils import timezone

    old = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.PICKUP)
    recent = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.PICKUP)
    Visit.objects.filter(pk=old.pk).update(checked_in_at=timezone.now() - timedelta(hours=13))
    from reception.tasks import close_stale_visits

    assert close_stale_visits() == 1
    old.refresh_from_db()
    assert (old.state, old.wait_seconds) == (VisitState.LEFT, None)
    assert Visit.objects.get(pk=recent.pk).state == VisitState.WAITING


# --- The intake started from the queue ---------------------------------------------------------------


def intake_data(location, service) -> dict:
    return {
        "client_name": "Pavel Orlov",
        "client_phone": "+7 903 555-01-23",
        "consent": "on",
        "service_type": service.pk,
        "format": "in_shop",
        "intake_location": location.pk,
        "item_kind": "Phone",
        "problem": "Cracked screen",
        "priority": "1",
        "prepayment_method": "cash",
    }


@pytest.mark.clock("2026-04-15 10:00")
def test_start_intake_stops_the_clock_and_the_saved_order_is_linked(
    clock, desk_location, members_a, member_client
):
    visit = services.check_in(
        desk_location,
        by=members_a[Role.RECEPTION],
        purpose=Purpose.DROP_OFF,
        name="Pavel",
        phone="+79035550123",
    )
    service = ServiceTypeFactory(tenant=desk_location.tenant)
    browser = member_client(Role.RECEPTION)
    clock.shift(minutes=3)
    response = browser.post(reverse("reception:start_intake", args=["alpha", visit.pk]))
    intake_url = reverse("reception:intake", args=["alpha", visit.pk])
    assert response.status_code == 302 and response.url == intake_url
    visit.refresh_from_db()
    assert (visit.state, visit.served_as, visit.wait_seconds) == (VisitState.SERVED, ServedAs.INTAKE, 180)

    page = browser.get(intake_url).content.decode()
    assert 'value="Pavel"' in page and 'value="+79035550123"' in page  # prefilled from the visit
    assert "Walk-in client, ticket 1" in page
    clock.shift(minutes=10)  # filling the form in takes time: the wait does not grow
    response = browser.post(intake_url, intake_data(desk_location, service))
    order = Order.objects.get(tenant=desk_location.tenant)
    assert response.status_code == 302 and response.url == reverse(
        "orders:detail", args=["alpha", order.number]
    )
    visit.refresh_from_db()
    assert (visit.order, visit.wait_seconds, visit.state) == (order, 180, VisitState.SERVED)
    note = OrderEvent.objects.get(order=order, kind=EventKind.NOTE)
    assert note.display_text == "Walk-in client, ticket 1: waited 3 min at reception." and not note.is_public
    assert {k: v for k, v in note.data.items() if k != "text"} == {"visit": visit.pk, "wait_seconds": 180}

    # Saving the same intake again (a second tab, a double click) makes no second order.
    again = browser.post(intake_url, intake_data(desk_location, service), follow=True)
    assert Order.objects.filter(tenant=desk_location.tenant).count() == 1
    assert "already has an order" in again.content.decode()


@pytest.mark.clock("2026-04-15 10:00")
def test_an_intake_saved_for_a_waiting_client_stops_the_clock_then(
    clock, desk_location, members_a, member_client
):
    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.DROP_OFF)
    service = ServiceTypeFactory(tenant=desk_location.tenant)
    clock.shift(minutes=6)
    member_client(Role.MANAGER).post(
        reverse("reception:intake", args=["alpha", visit.pk]), intake_data(desk_location, service)
    )
    visit.refresh_from_db()
    assert (visit.state, visit.served_as, visit.wait_seconds, visit.served_by) == (
        VisitState.SERVED,
        ServedAs.INTAKE,
        360,
        members_a[Role.MANAGER],
    )
    assert visit.order is not None


def test_a_returning_clients_phone_picks_the_client(desk_location, members_a, member_client):
    client = ClientFactory(tenant=desk_location.tenant, name="Vera Returning", phone="+79035550199")
    visit = services.check_in(
        desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.DROP_OFF, phone="+79035550199"
    )
    page = (
        member_client(Role.RECEPTION)
        .get(reverse("reception:intake", args=["alpha", visit.pk]))
        .content.decode()
    )
    assert "Vera Returning" in page and f'name="client" value="{client.pk}"' in page


def test_an_invalid_intake_keeps_the_visit_open_for_another_try(desk_location, members_a, member_client):
    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.DROP_OFF)
    response = member_client(Role.RECEPTION).post(
        reverse("reception:intake", args=["alpha", visit.pk]), {"client_name": "Pavel"}
    )
    assert response.status_code == 200 and "Please correct the fields" in response.content.decode()
    assert not Order.objects.exists()
    assert Visit.objects.get(pk=visit.pk).order is None


@pytest.mark.parametrize("state", ["left", "served_otherwise"])
def test_no_intake_for_a_client_who_left_or_was_served_otherwise(
    state, desk_location, members_a, member_client
):
    reception = members_a[Role.RECEPTION]
    visit = services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP)
    if state == "left":
        services.mark_left(visit, by=reception)
    else:
        services.start_service(visit, by=reception, served_as=ServedAs.PICKUP)
    browser = member_client(Role.RECEPTION)
    for response in (
        browser.get(reverse("reception:intake", args=["alpha", visit.pk]), follow=True),
        browser.post(reverse("reception:start_intake", args=["alpha", visit.pk]), follow=True),
        browser.post(
            reverse("reception:intake", args=["alpha", visit.pk]),
            intake_data(desk_location, ServiceTypeFactory(tenant=desk_location.tenant)),
            follow=True,
        ),
    ):
        assert response.redirect_chain[-1][0] == board_url(desk_location)
        assert "Ticket 1 " in response.content.decode()
    assert not Order.objects.exists()


def test_link_order_refuses_another_centers_order(desk_location, members_a, tenant_b, users_b):
    from servicedesk.tenancy.models import Membership
    from tests.factories import OrderFactory

    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.DROP_OFF)
    order_b = OrderFactory(tenant=tenant_b)
    with pytest.raises(ActorRefused):
        services.link_order(visit, order_b, by=members_a[Role.RECEPTION])
    with pytest.raises(ValidationError, match="Unknown visit"):
        services.link_order(visit, order_b, by=Membership.objects.get(tenant=tenant_b, role=Role.RECEPTION))
    assert Visit.objects.get(pk=visit.pk).order is None


# --- The board ------------------------------------------------------------------------------------


@pytest.mark.clock("2026-04-15 10:00")
def test_the_board_shows_who_waits_and_for_how_long_against_the_standard(
    clock, desk_location, members_a, member_client
):
    reception = members_a[Role.RECEPTION]
    long_wait = services.check_in(desk_location, by=reception, purpose=Purpose.DROP_OFF, name="Pavel")
    clock.shift(minutes=4)
    services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP, name="Marina")
    served = services.check_in(desk_location, by=reception, purpose=Purpose.QUESTION, name="Gleb")
    services.start_service(served, by=reception, served_as=ServedAs.QUESTION)
    clock.shift(minutes=2)  # Pavel: 6 min (over the standard 5), Marina: 2 min
    elsewhere = LocationFactory(tenant=desk_location.tenant, name="Second desk")
    elsewhere.tenant = desk_location.tenant
    services.check_in(elsewhere, by=reception, purpose=Purpose.PICKUP, name="Somewhere Else")

    page = member_client(Role.RECEPTION).get(board_url(desk_location)).content.decode()
    assert "2 waiting" in page and "Standard: 5 min" in page and "Served today: 1" in page
    assert "Somewhere Else" not in page  # another location's desk
    assert page.index("Pavel") < page.index("Marina")  # longest first
    board = services.board(desk_location)
    assert [(w.visit.name, w.minutes, w.over) for w in board.waiting] == [
        ("Pavel", 6, True),
        ("Marina", 2, False),
    ]
    assert [(w.visit.name, w.minutes) for w in board.recent] == [("Gleb", 0)]
    assert (board.served, board.left, board.within_target, board.average_wait_minutes) == (1, 0, 1, 0.0)
    assert f'data-testid="waiting-{long_wait.ticket}"' in page and "queue-over" in page

    # A location's own reception-wait standard (3 min) is what its board measures against.
    StandardFactory(
        tenant=desk_location.tenant,
        name="Quick desk",
        metric="reception_wait",
        value=Decimal("3"),
        share=Decimal("90"),
        location=desk_location,
        period="week",
    )
    StandardFactory(
        tenant=desk_location.tenant,
        name="Center",
        metric="reception_wait",
        value=Decimal("10"),
        period="week",
    )
    board = services.board(desk_location)
    assert board.target_minutes == 3.0
    assert services.board(elsewhere).target_minutes == 10.0


def test_the_board_refreshes_its_live_part_by_itself(desk_location, members_a, member_client):
    services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.PICKUP, name="Marina")
    browser = member_client(Role.RECEPTION)
    page = browser.get(board_url(desk_location)).content.decode()
    assert 'hx-trigger="every 5s"' in page and f'hx-get="{board_url(desk_location)}"' in page
    assert "<script>" not in page.split("<main")[1]  # no inline script: htmx attributes only
    fragment = browser.get(board_url(desk_location), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-live")
    text = fragment.content.decode()
    assert text.startswith('<div id="queue-live"') and "Marina" in text and "<html" not in text


def test_the_board_costs_the_same_queries_for_few_or_many_clients(desk_location, members_a, member_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reception = members_a[Role.RECEPTION]
    browser = member_client(Role.RECEPTION)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(board_url(desk_location)).status_code == 200
        return len(queries)

    for _n in range(2):
        services.start_service(
            services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP),
            by=reception,
            served_as=ServedAs.PICKUP,
        )
        services.check_in(desk_location, by=reception, purpose=Purpose.DROP_OFF)
    cost()  # the first visit also remembers the desk in the session
    few = cost()
    for _n in range(12):
        services.start_service(
            services.check_in(desk_location, by=reception, purpose=Purpose.PICKUP, phone="+79035550100"),
            by=reception,
            served_as=ServedAs.PICKUP,
        )
        services.check_in(desk_location, by=reception, purpose=Purpose.DROP_OFF, name="Someone")
    assert cost() == few


def test_the_queue_home_opens_the_desk_used_last(tenant_a, desk_location, member_client):
    second = LocationFactory(tenant=tenant_a, name="A front desk")
    LocationFactory(tenant=tenant_a, name="A workshop", kind="workshop")
    browser = member_client(Role.RECEPTION)
    home = reverse("reception:home", args=["alpha"])
    assert browser.get(home).url == board_url(second)  # the first by name
    page = browser.get(board_url(desk_location)).content.decode()
    assert "A workshop" not in page and "A front desk" in page  # the desks' tabs: reception locations only
    assert browser.get(home).url == board_url(desk_location)


def test_a_center_without_a_reception_location_is_told_so(tenant_a, location_a, member_client):
    location_a.kind = "workshop"
    location_a.save()
    response = member_client(Role.RECEPTION).get(reverse("reception:home", args=["alpha"]))
    assert response.status_code == 200 and "No active location receives clients" in response.content.decode()


def test_an_inactive_locations_board_is_404(desk_location, member_client):
    desk_location.is_active = False
    desk_location.save()
    assert member_client(Role.RECEPTION).get(board_url(desk_location)).status_code == 404


# --- The pages: one tap, served, left, roles, bad input -------------------------------------------


def test_one_tap_checks_a_client_in(desk_location, member_client):
    response = member_client(Role.RECEPTION).post(
        reverse("reception:check_in", args=["alpha", desk_location.pk]), {"purpose": "pickup"}, follow=True
    )
    visit = Visit.objects.get()
    assert (visit.purpose, visit.name, visit.phone, visit.state) == (
        Purpose.PICKUP,
        "",
        "",
        VisitState.WAITING,
    )
    assert "Ticket 1: Pickup. The wait is being timed." in response.content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"purpose": "coffee"}, "Select a valid choice"),
        ({}, "This field is required"),
        ({"purpose": "pickup", "phone": "not a phone"}, "is not a phone number"),
        ({"purpose": "pickup", "name": "x" * 101}, "at most 100 characters"),
    ],
)
def test_check_in_with_bad_input_explains_and_saves_nothing(data, message, desk_location, member_client):
    response = member_client(Role.RECEPTION).post(
        reverse("reception:check_in", args=["alpha", desk_location.pk]), data, follow=True
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Visit.objects.exists()


def test_served_and_left_buttons(desk_location, members_a, member_client):
    reception = members_a[Role.RECEPTION]
    browser = member_client(Role.RECEPTION)
    first = services.check_in(desk_location, by=reception, purpose=Purpose.CONSULTATION)
    second = services.check_in(desk_location, by=reception, purpose=Purpose.DROP_OFF)
    browser.post(reverse("reception:serve", args=["alpha", first.pk]), {"served_as": "consultation"})
    browser.post(reverse("reception:left", args=["alpha", second.pk]))
    assert Visit.objects.get(pk=first.pk).served_as == ServedAs.CONSULTATION
    assert Visit.objects.get(pk=second.pk).state == VisitState.LEFT
    # "Served" cannot be used for an intake (that goes through the intake form), nor with junk.
    third = services.check_in(desk_location, by=reception, purpose=Purpose.DROP_OFF)
    for junk in ({"served_as": "intake"}, {"served_as": "\x00"}, {}):
        response = browser.post(reverse("reception:serve", args=["alpha", third.pk]), junk, follow=True)
        assert "Choose how the client was served." in response.content.decode()
    assert Visit.objects.get(pk=third.pk).state == VisitState.WAITING
    # Twice: the second press is told, nothing changes.
    response = browser.post(reverse("reception:left", args=["alpha", second.pk]), follow=True)
    assert "Ticket 2 has left the queue." in response.content.decode()


@pytest.mark.parametrize(
    "role, allowed",
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, True), (Role.TECHNICIAN, False)],
)
def test_who_may_use_the_queue(role, allowed, desk_location, members_a, member_client):
    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.PICKUP)
    browser = member_client(role)
    assert browser.get(board_url(desk_location)).status_code == (200 if allowed else 403)
    assert browser.get(reverse("reception:desk_qr", args=["alpha", desk_location.pk])).status_code == (
        200 if allowed else 403
    )
    response = browser.post(
        reverse("reception:check_in", args=["alpha", desk_location.pk]), {"purpose": "pickup"}
    )
    assert response.status_code == (302 if allowed else 403)
    response = browser.post(reverse("reception:serve", args=["alpha", visit.pk]), {"served_as": "pickup"})
    assert response.status_code == (302 if allowed else 403)
    assert Visit.objects.count() == (2 if allowed else 1)
    assert Visit.objects.get(pk=visit.pk).state == (VisitState.SERVED if allowed else VisitState.WAITING)


@pytest.mark.parametrize(
    "role, allowed",
    [(Role.OWNER, True), (Role.MANAGER, True), (Role.RECEPTION, False), (Role.TECHNICIAN, False)],
)
def test_only_managers_replace_the_door_code_or_switch_phone_tickets(
    role, allowed, desk_location, member_client
):
    desk = services.desk_for(desk_location)
    browser = member_client(role)
    qr_page = browser.get(reverse("reception:desk_qr", args=["alpha", desk_location.pk]))
    if qr_page.status_code == 200:
        assert ("Make a new code" in qr_page.content.decode()) == allowed
    url = reverse("reception:desk_settings", args=["alpha", desk_location.pk])
    assert browser.post(url, {"action": "replace"}).status_code == (302 if allowed else 403)
    assert browser.post(url, {"action": "disable"}).status_code == (302 if allowed else 403)
    fresh = ReceptionDesk.objects.get(pk=desk.pk)
    assert (fresh.public_token != desk.public_token) == allowed
    assert fresh.public_checkin is not allowed


def test_the_door_code_page_carries_the_check_in_link(desk_location, member_client, settings):
    page = member_client(Role.RECEPTION).get(reverse("reception:desk_qr", args=["alpha", desk_location.pk]))
    desk = ReceptionDesk.objects.get(location=desk_location)
    text = page.content.decode()
    assert f"{settings.SITE_URL}/q/{desk.public_token}/" in text and 'src="data:image/svg+xml;base64,' in text
    assert "data-print" in text


def test_unknown_desk_settings_action_is_explained(desk_location, member_client):
    response = member_client(Role.MANAGER).post(
        reverse("reception:desk_settings", args=["alpha", desk_location.pk]),
        {"action": "explode"},
        follow=True,
    )
    assert "Unknown action." in response.content.decode()


def test_another_centers_visit_cannot_be_touched(
    desk_location, members_a, tenant_b, users_b, location_b, client_for
):
    visit = services.check_in(desk_location, by=members_a[Role.RECEPTION], purpose=Purpose.PICKUP)
    browser = client_for(users_b[Role.OWNER])
    for name in ("reception:serve", "reception:left", "reception:start_intake"):
        assert (
            browser.post(reverse(name, args=["beta", visit.pk]), {"served_as": "pickup"}).status_code == 404
        )
    assert browser.get(reverse("reception:intake", args=["beta", visit.pk])).status_code == 404
    assert browser.get(reverse("reception:board", args=["beta", desk_location.pk])).status_code == 404
    assert Visit.objects.get(pk=visit.pk).state == VisitState.WAITING
    assert not Client.objects.filter(tenant=desk_location.tenant).exists()
