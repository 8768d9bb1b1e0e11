"""Service standards and SMART goals: whether a standard holds, a goal's baseline, progress and forecast
(hand-computed), the pages, who may change them, bad input, query counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.permissions import ActorRefused
from quality import standards
from quality.metrics import Period, Reading
from quality.models import Goal, Standard
from reception.models import Visit, VisitState
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from tests.factories import GoalFactory, LocationFactory, ServiceTypeFactory, StandardFactory, VisitFactory

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 4, 13), date(2026, 4, 19), "week")


@pytest.fixture
def place(tenant_a, location_a):
    location_a.tenant = tenant_a
    return location_a


@pytest.fixture
def manager(users_a, tenant_a) -> Membership:
    return Membership.objects.select_related("tenant", "user").get(tenant=tenant_a, role=Role.MANAGER)


def served(place, arrived: datetime, minutes: float) -> Visit:
    ticket = Visit.objects.filter(location=place, day=arrived.date()).count() + 1
    return VisitFactory(
        tenant=place.tenant,
        location=place,
        day=arrived.date(),
        ticket=ticket,
        state=VisitState.SERVED,
        checked_in_at=arrived,
        wait_seconds=round(minutes * 60),
        ended_at=arrived + timedelta(minutes=minutes),
    )


def standard(tenant, **fields) -> Standard:
    defaults = {
        "name": "Reception wait",
        "metric": "reception_wait",
        "comparison": "lte",
        "value": Decimal("5"),
        "share": Decimal("90"),
        "period": "week",
    }
    made = StandardFactory(tenant=tenant, **(defaults | fields))
    made.tenant = tenant
    return made


# --- Does it hold? --------------------------------------------------------------------------------


def test_a_share_standard_holds_when_enough_items_meet_the_target(tenant_a):
    wait = standard(tenant_a)  # at most 5 min for 90 % of clients
    assert standards.holds(wait, Reading(PERIOD, count=10, value=3.0, judged=10, within=9)) is True  # 90 %
    assert standards.holds(wait, Reading(PERIOD, count=10, value=3.0, judged=10, within=8)) is False  # 80 %
    assert standards.holds(wait, Reading(PERIOD)) is None  # no data: neither


def test_a_value_standard_compares_the_periods_value(tenant_a):
    on_time = standard(
        tenant_a, name="On time", metric="on_time", comparison="gte", value=Decimal("95"), share=None
    )
    assert standards.holds(on_time, Reading(PERIOD, count=20, value=95.0)) is True
    assert standards.holds(on_time, Reading(PERIOD, count=20, value=94.9)) is False
    repair = standard(tenant_a, name="Repair", metric="time_to_ready", value=Decimal("40"), share=None)
    assert standards.holds(repair, Reading(PERIOD, count=3, value=40.0)) is True
    assert standards.holds(repair, Reading(PERIOD, count=3, value=40.5)) is False
    assert standards.holds(repair, Reading(PERIOD, count=0, value=None, judged=2)) is None


@pytest.mark.clock("2026-04-15 12:00")
def test_judging_a_standard_over_its_weeks(clock, place):
    wait = standard(place.tenant)
    # Last week: 10 clients, 9 within 5 min (holds). This week: 4 clients, 2 within (fails).
    for minutes in [1, 2, 3, 4, 2, 3, 4, 1, 2, 8]:
        served(place, clock.at(date(2026, 4, 8), 11), minutes)
    for minutes in [2, 3, 6, 7]:
        served(place, clock.at(date(2026, 4, 14), 11), minutes)
    [status] = standards.judge([wait])
    assert len(status.readings) == 8 and status.current.period == PERIOD
    assert [(reading.judged, reading.within) for reading in status.readings[-2:]] == [(10, 9), (4, 2)]
    assert status.verdict is status.current and status.holds is False
    assert [verdict for _reading, _figure, verdict in status.trend][-3:] == [None, True, False]
    svg = str(status.sparkline)
    assert svg.startswith('<svg class="sparkline"') and "spark-target" in svg and "spark-fail" in svg
    assert "style" not in svg and "<script" not in svg


@pytest.mark.clock("2026-04-13 09:00")
def test_a_fresh_period_without_data_is_judged_on_the_one_before(clock, place):
    wait = standard(place.tenant)
    served(place, clock.at(date(2026, 4, 8), 11), 2)  # last week: one client, in time
    [status] = standards.judge([wait])
    assert status.current.count == 0 and status.verdict.period.first == date(2026, 4, 6)
    assert status.holds is True


def test_a_standard_on_a_metric_taken_out_of_the_registry_is_skipped(tenant_a):
    assert standards.judge([standard(tenant_a, metric="warranty_returns")]) == []


# --- Goals: progress and forecast -----------------------------------------------------------------


def test_least_squares_progress_and_forecast_by_hand():
    intercept, slope = standards.least_squares([(0, 39.0), (1, 37.0), (2, 36.0)])
    # mean x 1, mean y 37 1/3; slope = ((-1)(5/3) + 0 + (1)(-4/3)) / 2 = -1.5; intercept = 37 1/3 + 1.5
    assert (round(intercept, 4), slope) == (38.8333, -1.5)
    assert round(intercept + slope * 5, 4) == 31.3333  # the forecast five periods on
    assert round(standards.progress(baseline=40, target=34, current=36), 4) == 66.6667
    assert standards.progress(baseline=40, target=40, current=36) is None
    assert (
        standards.least_squares([(0, 5.0)]) is None and standards.least_squares([(1, 5.0), (1, 6.0)]) is None
    )
    assert standards.target_of(Decimal("40.00"), Decimal("-15")) == Decimal("34.00")
    assert standards.target_of(Decimal("3.01"), Decimal("-15")) == Decimal("2.56")  # 2.5585, rounded half up


@pytest.fixture
def wait_history(clock, place):
    """March: waits of 3, 4, 5 and 4 min (mean 4). From 6 April, one client a week: 3.9, 3.7, 3.5, 3.3 min."""
    clock.set("2026-04-29 12:00")
    for day, minutes in [(2, 3), (9, 4), (16, 5), (23, 4)]:
        served(place, clock.at(date(2026, 3, day), 11), minutes)
    for day, minutes in [(7, 3.9), (14, 3.7), (21, 3.5), (28, 3.3)]:
        served(place, clock.at(date(2026, 4, day), 11), minutes)
    return place


def goal_data(**changes) -> dict:
    return {
        "title": "Wait down a quarter",
        "metric": "reception_wait",
        "baseline_start": date(2026, 3, 1),
        "baseline_end": date(2026, 3, 31),
        "change_percent": Decimal("-25"),
        "starts_on": date(2026, 4, 6),
        "deadline": date(2026, 5, 31),
        "period": "week",
    } | changes


def test_a_goal_measures_its_baseline_and_follows_the_trend(wait_history, manager, clock):
    goal = standards.set_goal(wait_history.tenant, goal_data(), by=manager)
    clock.set("2026-04-30 12:00")  # Thursday: the week of 27 April is half over, so it counts
    assert (goal.baseline_value, goal.baseline_count, goal.target_value) == (
        Decimal("4.00"),
        4,
        Decimal("3.00"),
    )
    status = standards.follow(goal)
    assert [round(reading.value, 2) for reading in status.readings] == [3.9, 3.7, 3.5, 3.3]
    # Weeks 6 Apr .. 25 May: the deadline's week is the 8th (index 7). The line 3.9 - 0.2 x gives 2.5 there.
    assert status.deadline_index == 7 and status.periods_left == 4
    assert round(status.current.value, 2) == 3.3 and status.current.period.first == date(2026, 4, 27)
    assert round(status.progress, 4) == 70.0  # (3.3 - 4) / (3 - 4)
    assert round(status.forecast, 4) == 2.5
    assert status.state == standards.GoalState.ON_TRACK


def test_a_goal_whose_trend_falls_short_is_off_track(wait_history, manager, clock):
    goal = standards.set_goal(wait_history.tenant, goal_data(change_percent=Decimal("-50")), by=manager)
    clock.set("2026-04-30 12:00")
    status = standards.follow(goal)
    assert goal.target_value == Decimal("2.00") and round(status.forecast, 4) == 2.5
    assert status.state == standards.GoalState.OFF_TRACK and round(status.progress, 4) == 35.0


def test_a_week_less_than_half_over_does_not_count_yet(wait_history, manager):
    # Wednesday 29 April: three days of the week of 27 April have passed, not half of seven. Its one client
    # (3.3 min, Tuesday) is shown on the sparkline but "now" is the week of 20 April (3.5 min): 50 % of the way
    # from 4 to 3, and the line through 3.9, 3.7, 3.5 still reaches 2.5 in the deadline's week.
    goal = standards.set_goal(wait_history.tenant, goal_data(), by=manager)
    status = standards.follow(goal)
    assert [round(reading.value, 2) for reading in status.readings] == [3.9, 3.7, 3.5, 3.3]
    assert round(status.current.value, 2) == 3.5 and status.current.period.first == date(2026, 4, 20)
    assert round(status.progress, 4) == 50.0
    assert round(status.forecast, 4) == 2.5


def test_after_the_deadline_a_goal_is_achieved_or_missed(wait_history, manager, clock):
    goal = standards.set_goal(wait_history.tenant, goal_data(), by=manager)
    clock.set("2026-06-02 12:00")
    assert standards.follow(goal).state == standards.GoalState.MISSED  # last value 3.3, target 3.0
    served(wait_history, clock.at(date(2026, 5, 26), 11), 2.8)
    assert standards.follow(goal).state == standards.GoalState.ACHIEVED


def test_a_forecast_never_runs_below_zero(wait_history, manager):
    # The line 3.9 - 0.2 x crosses zero in the 20th week; the deadline's week (28 Dec) is the 39th (index 38),
    # where the line says -3.7 min: no wait can be shorter than none.
    goal = standards.set_goal(wait_history.tenant, goal_data(deadline=date(2026, 12, 31)), by=manager)
    status = standards.follow(goal)
    assert status.deadline_index == 38
    assert status.forecast == 0.0 and status.state == standards.GoalState.ON_TRACK


def test_one_period_of_data_is_too_early_for_a_forecast(wait_history, manager):
    goal = standards.set_goal(wait_history.tenant, goal_data(starts_on=date(2026, 4, 27)), by=manager)
    status = standards.follow(goal)
    assert status.forecast is None and status.state == standards.GoalState.TOO_EARLY
    assert round(status.progress, 4) == 70.0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"change_percent": Decimal("15")}, "less is better: give a negative change"),
        ({"change_percent": Decimal("0")}, "less is better"),
        ({"baseline_end": date(2026, 4, 29)}, "The baseline period must be over"),
        ({"baseline_start": date(2026, 4, 1), "baseline_end": date(2026, 3, 1)}, "ends before it starts"),
        ({"baseline_start": date(2025, 1, 1), "baseline_end": date(2025, 1, 31)}, "There is no data"),
        ({"deadline": date(2026, 4, 6)}, "The deadline must come after the start"),
        ({"deadline": date(2028, 6, 1)}, "within two years"),
        ({"metric": "nonsense"}, "Choose a metric"),
    ],
)
def test_a_goal_that_cannot_be_measured_or_reached_is_refused(wait_history, manager, changes, message):
    with pytest.raises(ValidationError, match=message):
        standards.set_goal(wait_history.tenant, goal_data(**changes), by=manager)
    assert not Goal.objects.exists()


def test_a_percentage_goal_cannot_aim_past_100(tenant_a, manager, monkeypatch):
    from quality import metrics

    monkeypatch.setitem(metrics.METRICS, "on_time", metrics.METRICS["on_time"])
    monkeypatch.setattr(standards, "measure", lambda *args, **kwargs: [Reading(PERIOD, count=10, value=80.0)])
    with pytest.raises(ValidationError, match=r"beyond the most .* can be \(100\)"):
        standards.set_goal(
            tenant_a,
            goal_data(
                metric="on_time",
                change_percent=Decimal("30"),
                baseline_start=date(2020, 1, 1),
                baseline_end=date(2020, 1, 31),
                starts_on=date(2020, 2, 1),
                deadline=date(2020, 5, 1),
            ),
            by=manager,
        )


def test_only_managers_set_goals_and_standards(tenant_a, users_a, tenant_b, users_b):
    for role in (Role.RECEPTION, Role.TECHNICIAN):
        member = Membership.objects.get(tenant=tenant_a, role=role)
        with pytest.raises(ActorRefused):
            standards.set_goal(tenant_a, goal_data(), by=member)
        with pytest.raises(ActorRefused):
            standards.save_standard(
                tenant_a, {"name": "x", "metric": "on_time", "value": Decimal("1")}, by=member
            )
    other = Membership.objects.get(tenant=tenant_b, role=Role.OWNER)
    with pytest.raises(ActorRefused):
        standards.save_standard(tenant_a, {"name": "x", "metric": "on_time", "value": Decimal("1")}, by=other)
    assert not Standard.objects.exists() and not Goal.objects.exists()


def test_another_centers_location_or_person_is_refused(tenant_a, manager, tenant_b, location_b, users_b):
    for field, value in (
        ("location", location_b),
        ("responsible", Membership.objects.get(tenant=tenant_b, role=Role.OWNER)),
        ("service_type", ServiceTypeFactory(tenant=tenant_b)),
    ):
        with pytest.raises(ValidationError, match="Unknown"):
            standards.save_standard(
                tenant_a, {"name": "x", "metric": "on_time", "value": Decimal("1"), field: value}, by=manager
            )
        with pytest.raises(ValidationError, match="Unknown"):
            standards.set_goal(tenant_a, goal_data(**{field: value}), by=manager)


# --- The reception board's target -------------------------------------------------------------------


def test_the_boards_target_comes_from_the_wait_standards(tenant_a, place):
    second = LocationFactory(tenant=tenant_a, name="Second")
    assert standards.reception_wait_targets(tenant_a, [place, second]) == {}
    standard(tenant_a, name="Center", value=Decimal("7"))
    standard(tenant_a, name="Center, stricter", value=Decimal("6"))
    standard(tenant_a, name="Not in force", value=Decimal("1"), is_active=False)
    standard(tenant_a, name="At least", value=Decimal("2"), comparison="gte")
    standard(tenant_a, name="Desk", value=Decimal("3"), location=second)
    assert standards.reception_wait_targets(tenant_a, [place, second]) == {place.pk: 6.0, second.pk: 3.0}

    from reception.targets import wait_targets

    third = LocationFactory(tenant=tenant_a, name="Third")
    assert wait_targets(tenant_a, [place, third]) == {place.pk: 6.0, third.pk: 6.0}


# --- The pages ------------------------------------------------------------------------------------


def standard_post(**changes) -> dict:
    return {
        "name": "Reception wait",
        "metric": "reception_wait",
        "comparison": "lte",
        "value": "5",
        "share": "90",
        "period": "week",
        "control_method": "Video recording",
        "is_active": "on",
    } | changes


def test_a_manager_sets_changes_and_deletes_a_standard(tenant_a, users_a, member_client, manager):
    browser = member_client(Role.MANAGER)
    response = browser.post(
        reverse("quality:standard_new", args=["alpha"]), standard_post(responsible=manager.pk)
    )
    assert response.status_code == 302 and response.url == reverse("quality:standards", args=["alpha"])
    made = Standard.objects.get()
    assert (made.value, made.share, made.period, made.responsible, made.version) == (
        Decimal("5"),
        Decimal("90"),
        "week",
        manager,
        1,
    )
    page = browser.get(reverse("quality:standards", args=["alpha"])).content.decode()
    assert "Reception wait" in page and "at most 5 min for 90 % of clients" in page and "No data yet" in page

    edit = reverse("quality:standard_edit", args=["alpha", made.pk])
    form = browser.get(edit).content.decode()
    assert 'name="version" value="1"' in form and "Video recording" in form
    browser.post(edit, standard_post(value="4", version="1"))
    made.refresh_from_db()
    assert (made.value, made.version) == (Decimal("4"), 2)
    stale = browser.post(edit, standard_post(value="3", version="1"))
    assert "Someone changed this standard meanwhile" in stale.content.decode()
    assert Standard.objects.get().value == Decimal("4")
    browser.post(reverse("quality:standard_delete", args=["alpha", made.pk]))
    assert not Standard.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"metric": "on_time", "comparison": "gte", "value": "95", "share": "90"}, "is already a percentage"),
        ({"metric": "on_time", "comparison": "gte", "value": "150", "share": ""}, "between 0 and 100"),
        ({"metric": "average_rating", "comparison": "gte", "value": "6", "share": ""}, "between 0 and 5"),
        ({"share": "0"}, "greater than or equal to 0.01"),
        ({"share": "101"}, "less than or equal to 100"),
        ({"value": "-1"}, "greater than or equal to 0"),
        ({"metric": "nonsense"}, "Select a valid choice"),
        ({"period": "decade"}, "Select a valid choice"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_a_standard_that_makes_no_sense_is_explained(changes, message, tenant_a, users_a, member_client):
    response = member_client(Role.MANAGER).post(
        reverse("quality:standard_new", args=["alpha"]), standard_post(**changes)
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Standard.objects.exists()


def test_a_service_on_the_reception_wait_and_a_duplicate_name_are_refused(tenant_a, users_a, member_client):
    browser = member_client(Role.OWNER)
    service = ServiceTypeFactory(tenant=tenant_a)
    response = browser.post(
        reverse("quality:standard_new", args=["alpha"]), standard_post(service_type=service.pk)
    )
    assert "is not measured per service" in response.content.decode()
    browser.post(reverse("quality:standard_new", args=["alpha"]), standard_post())
    again = browser.post(reverse("quality:standard_new", args=["alpha"]), standard_post())
    assert "A standard with this name exists already." in again.content.decode()
    assert Standard.objects.count() == 1


@pytest.mark.parametrize(
    "role, sees, manages",
    [
        (Role.OWNER, True, True),
        (Role.MANAGER, True, True),
        (Role.RECEPTION, False, False),
        (Role.TECHNICIAN, False, False),
    ],
)
def test_who_sees_and_who_manages_the_standards(role, sees, manages, tenant_a, users_a, member_client):
    made = standard(tenant_a)
    browser = member_client(role)
    page = browser.get(reverse("quality:standards", args=["alpha"]))
    assert page.status_code == (200 if sees else 403)
    if sees:
        assert ("New standard" in page.content.decode()) == manages
    assert browser.get(reverse("quality:standard_edit", args=["alpha", made.pk])).status_code == (
        200 if manages else 403
    )
    assert browser.get(reverse("quality:goal_new", args=["alpha"])).status_code == (200 if manages else 403)
    browser.post(reverse("quality:standard_delete", args=["alpha", made.pk]))
    assert Standard.objects.exists() is not manages


def test_a_manager_sets_a_goal_from_the_page(wait_history, users_a, member_client):
    browser = member_client(Role.MANAGER)
    form = browser.get(reverse("quality:goal_new", args=["alpha"])).content.decode()
    assert 'name="baseline_start" value="2026-03-01"' in form and 'value="-15"' in form  # last month, -15 %
    data = {key: str(value) for key, value in goal_data().items()}
    response = browser.post(reverse("quality:goal_new", args=["alpha"]), data, follow=True)
    goal = Goal.objects.get()
    assert "from 4.00 to 3.00" in response.content.decode()
    page = response.content.decode()
    # Wednesday: "now" is last week's 3.5 min (the running week is not half over), 50 % of the way to 3
    assert f'data-testid="goal-{goal.pk}"' in page and "On track" in page and "50 %" in page
    bad = browser.post(reverse("quality:goal_new", args=["alpha"]), data | {"change_percent": "25"})
    assert "less is better" in bad.content.decode() and Goal.objects.count() == 1
    browser.post(reverse("quality:goal_delete", args=["alpha", goal.pk]))
    assert not Goal.objects.exists()


@pytest.mark.clock("2026-04-15 12:00")
def test_the_standards_page_says_what_holds_and_what_fails(clock, place, users_a, member_client):
    standard(place.tenant)  # this week: 1 of 2 in time -> fails
    standard(
        place.tenant,
        name="Politeness",
        metric="average_rating",
        comparison="gte",
        value=Decimal("4"),
        share=None,
        period="month",
    )
    served(place, clock.at(date(2026, 4, 14), 11), 2)
    served(place, clock.at(date(2026, 4, 14), 12), 9)
    page = member_client(Role.MANAGER).get(reverse("quality:standards", args=["alpha"])).content.decode()
    wait_row = page[page.index("Reception wait") :]  # by name: Politeness comes first
    assert 'data-testid="fails"' in wait_row and "50 %" in wait_row and "average 5.5 min" in wait_row
    assert 'class="sparkline"' in wait_row
    assert "No data yet" in page[page.index("Politeness") : page.index("Reception wait")]


def test_the_standards_page_costs_the_same_queries_for_little_or_much_data(
    tenant_a, place, users_a, member_client, manager, clock, settings
):
    settings.STANDARDS_CACHE_SECONDS = 0  # measure afresh on every load
    clock.set("2026-04-29 12:00")
    for metric, comparison in [
        ("reception_wait", "lte"),
        ("time_to_ready", "lte"),
        ("on_time", "gte"),
        ("first_time_fix", "gte"),
        ("average_rating", "gte"),
        ("warranty_days", "gte"),
        ("time_to_plan", "lte"),
    ]:
        standard(tenant_a, name=metric, metric=metric, comparison=comparison, value=Decimal("5"), share=None)
    GoalFactory(
        tenant=tenant_a,
        title="Faster",
        metric="reception_wait",
        baseline_start=date(2026, 3, 1),
        baseline_end=date(2026, 3, 31),
        baseline_value=Decimal("4"),
        target_value=Decimal("3"),
        change_percent=Decimal("-25"),
        starts_on=date(2026, 4, 6),
        deadline=date(2026, 5, 31),
    )
    browser = member_client(Role.MANAGER)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(reverse("quality:standards", args=["alpha"])).status_code == 200
        return len(queries)

    from tests.factories import OrderFactory

    served(place, clock.at(date(2026, 4, 28), 11), 3)
    OrderFactory(tenant=tenant_a, intake_location=place)
    cost()
    little = cost()
    for day in range(1, 28):
        served(place, clock.at(date(2026, 4, day), 11), day % 7)
        OrderFactory(
            tenant=tenant_a,
            intake_location=place,
            status="handed_over",
            created_at=clock.at(date(2026, 4, day), 10),
        )
    assert cost() == little


@pytest.mark.clock("2026-04-15 12:00")
def test_the_figures_are_kept_a_few_minutes_and_a_changed_target_shows_at_once(
    clock, place, users_a, member_client, settings
):
    wait = standard(place.tenant)
    served(place, clock.at(date(2026, 4, 14), 11), 2)
    browser = member_client(Role.MANAGER)
    url = reverse("quality:standards", args=["alpha"])

    def load() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = browser.get(url).content.decode()
        return len(queries), page

    first, page = load()
    assert 'data-testid="holds"' in page
    served(place, clock.at(date(2026, 4, 14), 12), 9)  # a slow client: the kept figure does not know yet
    second, page = load()
    assert second < first and 'data-testid="holds"' in page
    Standard.objects.filter(pk=wait.pk).update(value=Decimal("1"))  # a new target is measured at once
    assert 'data-testid="fails"' in load()[1]
    Standard.objects.filter(pk=wait.pk).update(value=Decimal("5"))
    settings.STANDARDS_CACHE_SECONDS = (
        0  # (expiry is the cache's own: Redis keeps real time, not the test's clock)
    )
    assert "50 %" in load()[1]
