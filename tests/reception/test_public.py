"""The client's side of the queue, no account: the door's QR code opens a page to take a ticket; the ticket
page shows the number big. Rate-limited per IP; nothing about other clients shows; the same 404 for
unknown, replaced and expired links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reception import services
from reception.models import Purpose, ServedAs, Visit, VisitSource, VisitState
from servicedesk.tenancy.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(desk_location):
    desk = services.desk_for(desk_location)
    desk.tenant = desk_location.tenant
    return desk


def checkin_url(desk) -> str:
    return reverse("reception:checkin", args=[desk.public_token])


def take(browser: Client, desk, purpose: str = "pickup", name: str = "", **extra):
    return browser.post(checkin_url(desk), {"purpose": purpose, "name": name}, **extra)


def test_a_client_takes_a_ticket_and_the_clock_starts(desk):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(checkin_url(desk))
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store" and page["X-Robots-Tag"] == "noindex, nofollow"
    text = page.content.decode()
    assert desk.location.name in text and "What did you come for?" in text
    token = browser.cookies[
        "csrftoken"
    ].value  # the door's link is no secret: the form keeps Django's CSRF check
    assert take(browser, desk, "drop_off", "Anna").status_code == 403  # no token: refused
    response = browser.post(
        checkin_url(desk), {"purpose": "drop_off", "name": " Anna ", "csrfmiddlewaretoken": token}
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "reception:ticket", args=[visit.public_token]
    )
    assert (visit.ticket, visit.purpose, visit.name, visit.source, visit.state) == (
        1,
        Purpose.DROP_OFF,
        "Anna",
        VisitSource.QR,
        VisitState.WAITING,
    )
    assert visit.checked_in_by is None and len(visit.public_token) == 43

    ticket = browser.get(response.url)
    assert ticket.status_code == 200
    assert ticket["Referrer-Policy"] == "no-referrer" and ticket["Cache-Control"] == "no-store"
    text = ticket.content.decode()
    assert 'data-testid="ticket-number">1<' in text and "Please wait: we will call your number." in text
    assert 'hx-trigger="every 10s"' in text


def test_one_ticket_per_phone_a_second_tap_shows_the_first(desk, members_a):
    browser = Client()
    first = take(browser, desk)
    again = take(browser, desk, "question")
    assert again.status_code == 302 and again.url == first.url
    assert browser.get(checkin_url(desk)).url == first.url
    assert Visit.objects.count() == 1
    # Once served, the same phone may take a new ticket (the next visit).
    visit = Visit.objects.get()
    visit.location.tenant = desk.tenant
    services.start_service(visit, by=members_a[Role.RECEPTION], served_as=ServedAs.PICKUP)
    assert take(browser, desk).url != first.url
    assert Visit.objects.count() == 2


def test_the_pages_show_nothing_about_other_clients(desk, members_a):
    reception = members_a[Role.RECEPTION]
    services.check_in(
        desk.location, by=reception, purpose=Purpose.DROP_OFF, name="Zinaida Secretova", phone="+79035550177"
    )
    services.take_ticket(desk, purpose=Purpose.PICKUP, name="Hidden Harold")
    browser = Client()
    checkin_page = browser.get(checkin_url(desk)).content.decode()
    mine = browser.get(take(browser, desk, "question", "Me").url).content.decode()
    for text in (checkin_page, mine):
        for secret in ("Zinaida", "Secretova", "Harold", "903", "555-01-77", "waiting", "ahead"):
            assert secret not in text
    assert 'data-testid="ticket-number">3<' in mine  # its own number, nothing else


def test_bad_input_is_explained_and_nothing_is_saved(desk):
    browser = Client()
    for data, message in [
        ({}, "Choose what you came for."),
        ({"purpose": "coffee"}, "Select a valid choice"),
        ({"purpose": "\x00"}, "Select a valid choice"),
        ({"purpose": "pickup", "name": "x" * 101}, "at most 100 characters"),
    ]:
        response = browser.post(checkin_url(desk), data)
        assert response.status_code == 200 and message in response.content.decode()
    assert not Visit.objects.exists()


@pytest.mark.parametrize("token", ["x", "a" * 43, "%00" * 20, "é" * 43, "a" * 65])
def test_unknown_links_are_404(desk, token):
    browser = Client()
    assert browser.get(f"/q/{token}/").status_code == 404
    assert browser.post(f"/q/{token}/", {"purpose": "pickup"}).status_code == 404
    assert browser.get(f"/q/ticket/{token}/").status_code == 404
    assert browser.post(f"/q/ticket/{token}/leave/").status_code == 404
    assert not Visit.objects.exists()


def test_a_replaced_code_and_an_inactive_center_are_404(desk, members_a):
    old = checkin_url(desk)
    services.replace_desk_link(desk, by=members_a[Role.MANAGER])
    assert Client().get(old).status_code == 404
    assert Client().get(checkin_url(desk)).status_code == 200
    desk.tenant.is_active = False
    desk.tenant.save()
    assert Client().get(checkin_url(desk)).status_code == 404


def test_switched_off_phone_tickets_send_the_client_to_the_desk(desk, members_a):
    services.set_phone_checkin(desk, enabled=False, by=members_a[Role.MANAGER])
    page = Client().get(checkin_url(desk)).content.decode()
    assert "Please come to the desk." in page and "ticket-form" not in page
    assert take(Client(), desk).status_code == 200
    assert not Visit.objects.exists()


def test_a_full_queue_sends_the_client_to_the_desk(desk, monkeypatch):
    monkeypatch.setattr(services, "MAX_PHONE_TICKETS_WAITING", 2)
    for address in ("10.0.0.1", "10.0.0.2"):
        take(Client(REMOTE_ADDR=address), desk)
    response = take(Client(REMOTE_ADDR="10.0.0.3"), desk)
    assert response.status_code == 200 and "The queue is full at the moment." in response.content.decode()
    assert Visit.objects.count() == 2


def test_the_ticket_page_expires_after_a_day(desk):
    visit = services.take_ticket(desk, purpose=Purpose.PICKUP)
    url = reverse("reception:ticket", args=[visit.public_token])
    assert Client().get(url).status_code == 200
    Visit.objects.filter(pk=visit.pk).update(checked_in_at=timezone.now() - timedelta(hours=25))
    assert Client().get(url).status_code == 404


def test_the_ticket_follows_the_queue_and_stops_refreshing_when_served(desk, members_a):
    visit = services.take_ticket(desk, purpose=Purpose.PICKUP)
    url = reverse("reception:ticket", args=[visit.public_token])
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-state"}
    waiting = Client().get(url, **poll).content.decode()
    assert waiting.startswith('<div id="ticket-state"') and "every 10s" in waiting
    visit.location.tenant = desk.tenant
    services.start_service(visit, by=members_a[Role.RECEPTION], served_as=ServedAs.PICKUP)
    served = Client().get(url, **poll).content.decode()
    assert "It's your turn." in served and "hx-trigger" not in served


def test_the_client_leaves_the_queue(desk):
    visit = services.take_ticket(desk, purpose=Purpose.CONSULTATION)
    leave = reverse("reception:ticket_leave", args=[visit.public_token])
    response = Client().post(leave, follow=True)
    assert "You have left the queue." in response.content.decode()
    assert "This ticket is no longer in the queue." in response.content.decode()
    visit.refresh_from_db()
    assert (visit.state, visit.served_by) == (VisitState.LEFT, None)
    assert Client().post(leave).status_code == 302  # again: nothing to do, no error
    assert Client().get(leave).status_code == 405


def test_the_language_can_be_switched_on_the_public_pages(desk):
    browser = Client()
    response = browser.get(checkin_url(desk) + "?language=ru")
    assert response.status_code == 302 and response.url == checkin_url(desk)
    assert browser.cookies["django_language"].value == "ru"
    assert '<html lang="ru">' in browser.get(checkin_url(desk)).content.decode()


# --- Rate limits ----------------------------------------------------------------------------------


def test_pages_are_rate_limited_per_address(desk, settings, steady_rate_window):
    settings.PUBLIC_PAGE_RATE = "3/m"
    first, other = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [first.get(checkin_url(desk)).status_code for _n in range(4)] == [200, 200, 200, 429]
    assert first.get(checkin_url(desk))["Retry-After"] == "60"
    assert other.get(checkin_url(desk)).status_code == 200


def test_ticket_posts_are_rate_limited_per_address(desk, settings, steady_rate_window):
    settings.RECEPTION_TICKET_BURST_RATE = "3/m"
    browser = Client(REMOTE_ADDR="10.0.0.9")
    assert [browser.post(checkin_url(desk), {"purpose": "coffee"}).status_code for _n in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    assert take(browser, desk).status_code == 429
    assert not Visit.objects.exists()


def test_tickets_taken_are_rate_limited_per_address(desk, settings, steady_rate_window):
    settings.RECEPTION_TICKET_RATE = "2/h"
    answers = [
        take(Client(REMOTE_ADDR="10.0.0.7"), desk).status_code for _n in range(3)
    ]  # new phones, one address
    assert answers == [302, 302, 429]
    assert Visit.objects.count() == 2
    assert take(Client(REMOTE_ADDR="10.0.0.8"), desk).status_code == 302


def test_the_limit_counts_the_client_behind_the_proxy(desk, settings, steady_rate_window):
    settings.PUBLIC_PAGE_RATE = "1/m"
    settings.AXES_IPWARE_PROXY_COUNT = 1
    assert Client(HTTP_X_FORWARDED_FOR="1.1.1.1").get(checkin_url(desk)).status_code == 200
    assert Client(HTTP_X_FORWARDED_FOR="1.1.1.1").get(checkin_url(desk)).status_code == 429
    assert Client(HTTP_X_FORWARDED_FOR="2.2.2.2").get(checkin_url(desk)).status_code == 200


@pytest.mark.redis
def test_the_limits_count_in_redis(desk, settings, steady_rate_window):
    """Several workers share the counts: in production they live in Redis (the default cache)."""
    settings.PUBLIC_PAGE_RATE = "2/m"
    browser = Client(REMOTE_ADDR="10.9.9.9")
    assert [browser.get(checkin_url(desk)).status_code for _n in range(3)] == [200, 200, 429]
