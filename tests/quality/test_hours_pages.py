"""Business hours from the database (calendar_for) and the managers' pages that edit them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from quality.calendar import DEFAULT_WEEK, Span, working_time_between
from quality.hours import calendar_for, own_week
from quality.models import BusinessHours, CalendarDay
from servicedesk.tenancy.roles import Role
from tests.factories import BusinessHoursFactory, CalendarDayFactory, LocationFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
MOSCOW = ZoneInfo("Europe/Moscow")
HOURS = reverse("quality:business_hours", args=["alpha"])


def week_url(location) -> str:
    return reverse("quality:location_hours", args=[location.tenant.slug, location.pk])


def week_data(**days) -> dict:
    """The week form: Monday to Friday 08:00-17:00, the weekend closed, unless given (day_0 = Monday)."""
    data = {f"day_{n}": "08:00-17:00" for n in range(5)} | {"day_5": "", "day_6": ""}
    return data | days


def day_data(**changes) -> dict:
    return {
        "date": "2026-12-31",
        "kind": "closed",
        "hours": "",
        "location": "",
        "note": "New Year's Eve",
    } | changes


# --- calendar_for ----------------------------------------------------------------------------------


def test_a_location_without_hours_works_the_standard_week_in_the_centers_zone(tenant_a, location_a):
    calendar = calendar_for(location_a)
    assert calendar.weekly == DEFAULT_WEEK
    zone = ZoneInfo(tenant_a.time_zone)  # Europe/Moscow, or the zone a --clock-tz run puts the centers in
    assert calendar.tz == zone
    # The standard week: Friday 18:00 to Monday 10:00 is 1 h + Saturday's 6 h + 1 h.
    assert (
        working_time_between(
            calendar, datetime(2026, 3, 27, 18, tzinfo=zone), datetime(2026, 3, 30, 10, tzinfo=zone)
        )
        == 8 * H
    )


def test_calendar_for_reads_the_locations_week_the_centers_days_and_the_countrys_holidays(
    tenant_a, location_a, tenant_b, location_b
):
    other = LocationFactory(tenant=tenant_a, name="Second workshop")
    for opens, closes in [(time(10), time(12)), (time(13), time(0))]:
        BusinessHoursFactory(tenant=tenant_a, location=location_a, weekday=0, opens=opens, closes=closes)
    BusinessHoursFactory(tenant=tenant_a, location=location_a, weekday=3, opens=time(9), closes=time(18))
    CalendarDayFactory(tenant=tenant_a, date=date(2026, 3, 30))  # every location: closed
    CalendarDayFactory(
        tenant=tenant_a, location=location_a, date=date(2026, 3, 30), kind="shortened", hours="10:00-11:00"
    )
    CalendarDayFactory(tenant=tenant_a, date=date(2026, 4, 2), kind="shortened", hours="09:00-12:00")
    CalendarDayFactory(tenant=tenant_a, location=other, date=date(2026, 4, 2))  # only the other location
    CalendarDayFactory(tenant=tenant_b, date=date(2026, 4, 6))  # B's: not A's business
    BusinessHoursFactory(tenant=tenant_b, location=location_b, weekday=0, opens=time(1), closes=time(2))

    calendar = calendar_for(location_a)

    assert calendar.weekly[0] == (Span(time(10), time(12)), Span(time(13), time(0)))
    assert calendar.weekly[3] == (Span(time(9), time(18)),) and calendar.weekly[1] == ()
    assert calendar.hours_on(date(2026, 3, 30)) == (
        Span(time(10), time(11)),
    )  # the location's own beats the center's
    assert calendar.hours_on(date(2026, 4, 2)) == (Span(time(9), time(12)),)
    assert calendar.hours_on(date(2026, 4, 6)) == calendar.weekly[0]
    assert calendar.hours_on(date(2026, 6, 15)) == calendar.weekly[0]
    assert calendar.hours_on(date(2027, 1, 4)) == ()  # a Monday, but a Russian New Year holiday
    assert calendar_for(other).hours_on(date(2026, 3, 30)) == ()
    assert calendar_for(other).hours_on(date(2026, 4, 2)) == ()
    assert calendar_for(other).weekly == DEFAULT_WEEK


def test_the_centers_country_picks_the_holidays(tenant_a, location_a):
    tenant_a.country = "DE"
    tenant_a.save()
    location_a.refresh_from_db()
    calendar = calendar_for(location_a)
    assert calendar.hours_on(date(2026, 10, 3)) == ()  # German Unity Day, a Saturday
    assert calendar.hours_on(date(2026, 6, 12)) == DEFAULT_WEEK[4]  # Russia Day is a working Friday there


# --- Who may open the pages -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_managers_and_owners_see_every_locations_week(member_client, location_a, location_b, role):
    BusinessHoursFactory(
        tenant=location_a.tenant, location=location_a, weekday=0, opens=time(8), closes=time(20)
    )
    page = text_of(member_client(role).get(HOURS))
    assert location_a.name in page and location_b.name not in page
    assert (
        "08:00-20:00" in page
        and "09:00-13:00, 14:00-19:00" not in page.split(location_a.name)[1].split("</tr>")[0]
    )
    assert member_client(role).get(week_url(location_a)).status_code == 200


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_reception_and_technicians_may_not(member_client, location_a, role):
    client = member_client(role)
    assert client.get(HOURS).status_code == 403
    assert client.post(HOURS, day_data()).status_code == 403
    assert client.post(week_url(location_a), week_data()).status_code == 403
    assert not CalendarDay.objects.exists() and not BusinessHours.objects.exists()


def test_another_centers_location_and_day_are_not_found(member_client, location_b, tenant_b):
    day_b = CalendarDayFactory(tenant=tenant_b, date=date(2026, 12, 31))
    client = member_client(Role.MANAGER)
    assert client.get(reverse("quality:location_hours", args=["alpha", location_b.pk])).status_code == 404
    assert (
        client.post(reverse("quality:location_hours", args=["alpha", location_b.pk]), week_data()).status_code
        == 404
    )
    assert client.post(reverse("quality:calendar_day_delete", args=["alpha", day_b.pk])).status_code == 404
    assert CalendarDay.objects.filter(pk=day_b.pk).exists() and not BusinessHours.objects.exists()


def test_the_hours_page_costs_the_same_for_1_and_6_locations(member_client, tenant_a, location_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = member_client(Role.MANAGER)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get(HOURS).status_code == 200
        return len(captured)

    BusinessHoursFactory(tenant=tenant_a, location=location_a, weekday=0, opens=time(9), closes=time(18))
    count_queries()  # the first request of a session pays for the session itself
    few = count_queries()
    for n in range(5):
        location = LocationFactory(tenant=tenant_a, name=f"Workshop {n}")
        BusinessHoursFactory(tenant=tenant_a, location=location, weekday=1, opens=time(9), closes=time(18))
        CalendarDayFactory(tenant=tenant_a, location=location, date=date.today() + timedelta(days=n))
    assert count_queries() == few


# --- Editing a week ---------------------------------------------------------------------------------


def test_saving_a_week_with_a_break_and_going_back_to_the_standard_week(member_client, location_a):
    client = member_client(Role.MANAGER)
    assert "works the center's standard week" in text_of(client.get(week_url(location_a)))

    response = client.post(
        week_url(location_a), week_data(day_0="14:00 - 19:00, 9:00-13:00", day_5="10-24:00")
    )

    assert response.status_code == 302 and response.url == HOURS
    assert own_week(location_a)[0] == (Span(time(9), time(13)), Span(time(14), time(19)))
    assert own_week(location_a)[5] == (Span(time(10), time(0)),)
    assert own_week(location_a)[6] == ()
    page = text_of(client.get(week_url(location_a)))
    assert 'value="09:00-13:00, 14:00-19:00"' in page and 'value="10:00-24:00"' in page

    response = client.post(week_url(location_a), {"action": "standard"})
    assert response.status_code == 302
    assert own_week(location_a) is None and not BusinessHours.objects.exists()


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ({"day_0": "25:00-26:00"}, "no such time of day"),
        ({"day_1": "09:00-14:00, 13:00-19:00"}, "09:00-14:00 and 13:00-19:00 overlap."),
        ({"day_2": "19:00-09:00"}, "the opening time must come before the closing time"),
        ({"day_3": "nine to five"}, "write an interval as 09:00-13:00"),
        (
            {f"day_{n}": "" for n in range(7)},
            "Give the location some opening hours, or go back to the standard week.",
        ),
        ({"day_4": "9" * 101}, "at most 100 characters"),
    ],
)
def test_bad_hours_are_explained_and_nothing_is_saved(member_client, location_a, days, message):
    response = member_client(Role.MANAGER).post(week_url(location_a), week_data(**days))
    assert response.status_code == 200
    assert message in text_of(response)
    assert not BusinessHours.objects.exists()


# --- The center's own days --------------------------------------------------------------------------


# The whole test on one day: the log-in session and the page's "coming days" share the clock.
@pytest.mark.clock("2026-12-01 12:00")
def test_adding_and_deleting_the_centers_own_days(member_client, tenant_a, location_a):
    client = member_client(Role.OWNER)
    assert client.post(HOURS, day_data()).status_code == 302
    response = client.post(
        HOURS,
        day_data(
            date="2026-12-30",
            kind="shortened",
            hours="10:00 - 15:00",
            location=location_a.pk,
            note="Stock-taking",
        ),
    )
    assert response.status_code == 302

    closed = CalendarDay.objects.get(tenant=tenant_a, date=date(2026, 12, 31))
    short = CalendarDay.objects.get(tenant=tenant_a, date=date(2026, 12, 30))
    assert (closed.kind, closed.hours, closed.location) == ("closed", "", None)
    assert (short.kind, short.hours, short.location) == ("shortened", "10:00-15:00", location_a)
    page = text_of(client.get(HOURS))
    assert "Stock-taking" in page and "10:00-15:00" in page

    response = client.post(reverse("quality:calendar_day_delete", args=["alpha", short.pk]))
    assert response.status_code == 302
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2026, 12, 31)]
    assert client.get(reverse("quality:calendar_day_delete", args=["alpha", closed.pk])).status_code == 405


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "shortened", "hours": ""}, "Give the hours of this day, e.g. 10:00-15:00."),
        (
            {"kind": "closed", "hours": "10:00-15:00"},
            "A day off has no hours; choose a shortened or an extra working day.",
        ),
        ({"kind": "working", "hours": "15:00-10:00"}, "the opening time must come before the closing time"),
        ({"date": "0001-01-01"}, "Enter a date between the years 1900 and 2999."),
        ({"date": "2026-02-30"}, "Enter a valid date."),
        ({"kind": "holiday"}, "Select a valid choice."),
        ({"date": "2026-12-25"}, "This date already has an entry; delete it first."),
    ],
)
def test_bad_days_are_explained(member_client, tenant_a, changes, message):
    CalendarDayFactory(tenant=tenant_a, date=date(2026, 12, 25))
    response = member_client(Role.MANAGER).post(HOURS, day_data(**changes))
    assert response.status_code == 200
    assert message in text_of(response)
    assert CalendarDay.objects.count() == 1


def test_another_centers_location_cannot_be_given_to_a_day(member_client, location_b):
    response = member_client(Role.MANAGER).post(HOURS, day_data(location=location_b.pk))
    assert response.status_code == 200
    assert "Select a valid choice." in text_of(response)
    assert not CalendarDay.objects.exists()


def test_the_same_date_may_be_given_once_for_the_center_and_once_per_location(
    member_client, tenant_a, location_a
):
    client = member_client(Role.MANAGER)
    assert client.post(HOURS, day_data()).status_code == 302
    assert client.post(HOURS, day_data(location=location_a.pk)).status_code == 302
    response = client.post(HOURS, day_data(location=location_a.pk))
    assert "This date already has an entry; delete it first." in text_of(response)
    assert CalendarDay.objects.filter(tenant=tenant_a).count() == 2


# --- The coming holidays ----------------------------------------------------------------------------


def test_the_page_lists_the_countrys_holidays_of_the_next_60_days(member_client, tenant_a):
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=MOSCOW), tick=False):
        page = text_of(member_client(Role.MANAGER).get(HOURS))
    holidays_block = page.split('data-testid="holidays"')[1].split("</ul>")[0]
    # The page is in English: the English date format (servicedesk/formats/en).
    assert "12 Jun 2026</span> — Russia Day" in holidays_block
    assert "9 May 2026" not in holidays_block  # before today
    assert "4 Nov 2026" not in holidays_block  # more than 60 days ahead


def test_the_locations_page_links_to_the_hours(member_client, location_a):
    page = text_of(member_client(Role.MANAGER).get(reverse("tenancy:locations", args=["alpha"])))
    assert HOURS in page and week_url(location_a) in page


# --- The demo -------------------------------------------------------------------------------------


def test_the_demo_sets_its_locations_hours_and_days_once():
    from quality.demo import seed_demo_hours
    from servicedesk.tenancy.demo import seed_demo_staff

    staff = seed_demo_staff()
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=MOSCOW), tick=False):
        seed_demo_hours(staff)
        seed_demo_hours(staff)
    head_office = calendar_for(staff.head_office)
    assert head_office.weekly[5] == (Span(time(10), time(20)),) and head_office.weekly[6] == ()
    workshop = calendar_for(staff.workshop)
    assert workshop.weekly[0] == (Span(time(9), time(13)), Span(time(14), time(18)))
    assert workshop.hours_on(date(2026, 6, 3)) == ()  # stock-taking, two weeks on
    assert head_office.hours_on(date(2026, 6, 3)) == (Span(time(10), time(20)),)
    assert head_office.hours_on(date(2026, 12, 31)) == (Span(time(10), time(15)),)
    assert BusinessHours.objects.filter(tenant=staff.tenant).count() == 6 + 5 * 2
    assert CalendarDay.objects.filter(tenant=staff.tenant).count() == 2
