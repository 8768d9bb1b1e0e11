"""The managers' dashboard: its figures on the known history of tests/quality/scenario.py equal the values
worked out by hand there, every figure links to the orders behind it, the filters, the CSV exports, the
roles, another center's ids, and the query count.

Medians and 90th percentiles come from histogram buckets (quality.rollups.BUCKETS, four per doubling): the
dashboard shows the middle of the bucket the true value falls in, within 9.1 % of it. The tests state the true
value by hand and the bucket it falls in.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from orders.models import Order
from quality import dashboard, rollups
from quality.models import DailyRollup
from servicedesk.tenancy.roles import Role
from tests.factories import ServiceTypeFactory, SlaClockFactory
from tests.helpers import text_of
from tests.quality import scenario

from .scenario import H

pytestmark = pytest.mark.clock("2026-04-17 12:00")


@pytest.fixture
def history(tenant_a, users_a, clock):
    built = scenario.build(tenant_a, users_a, clock)
    clock.set("2026-04-17 12:00")
    return built


def url(tenant, **query) -> str:
    base = reverse("quality:dashboard", args=[tenant.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def board_of(tenant, **changes) -> dashboard.Dashboard:
    from orders.models import ServiceType

    scope = dashboard.default_scope(tenant)
    if changes:
        scope = dashboard.Scope(**{**scope.__dict__, **changes})
    return dashboard.build(scope, list(ServiceType.objects.filter(tenant=tenant).order_by("name")))


def bucketed(seconds: int) -> int:
    """What the dashboard shows for a true value: the middle of its bucket."""
    return rollups.bucket_value(rollups.bucket_of(seconds))


def orders_behind(client, link: str) -> set[int]:
    """The order numbers the order list shows for a dashboard link."""
    response = client.get(link)
    assert response.status_code == 200
    return {order.number for order in response.context["orders"]}


# --- Figures ------------------------------------------------------------------------------------------


def test_now_counts_the_open_orders(history, tenant_a):
    board = board_of(tenant_a)
    assert board.now.open.value == 1  # O5
    assert {f.key: f.value for f in board.now.stages} == {
        "stage_request": 0,
        "stage_planning": 1,
        "stage_execution": 0,
        "stage_handover": 0,
    }
    # O5 was promised within the service's 3 days of intake (the 9th): past it on the 17th.
    assert {f.key: f.value for f in board.now.waiting} == {
        "wait_client": 0,
        "wait_parts": 0,
        "on_hold": 0,
        "overdue": 1,
        "ready_stale": 0,
    }


def test_flow_per_day_and_the_backlog(history, tenant_a):
    board = board_of(tenant_a)
    assert (board.scope.first, board.scope.last) == (date(2026, 3, 19), date(2026, 4, 17))
    days = {d.day: d for d in board.flow.days}
    assert len(days) == 30
    assert [
        (days[date(2026, 4, n)].taken_in, days[date(2026, 4, n)].completed, days[date(2026, 4, n)].cancelled)
        for n in (6, 7, 8, 9, 10, 13, 14)
    ] == [(2, 0, 0), (1, 1, 1), (1, 1, 0), (1, 1, 0), (1, 0, 0), (0, 0, 0), (0, 1, 0)]
    # Open at the end of each day: O1+O2; O2; O4; O5; O5+O6; O5+O6; O5 ...
    assert [days[date(2026, 4, n)].backlog for n in (5, 6, 7, 8, 9, 10, 13, 14, 17)] == [
        0,
        2,
        1,
        1,
        1,
        2,
        2,
        1,
        1,
    ]
    assert (board.flow.taken_in.value, board.flow.completed.value, board.flow.cancelled.value) == (6, 4, 1)
    assert (board.flow.backlog_start, board.flow.backlog_end) == (0, 1)


def test_time_per_stage_and_service_type(history, tenant_a):
    board = board_of(tenant_a)
    total = {
        label: cells
        for label, cells in zip(board.stage_times.columns, board.stage_times.total.cells, strict=True)
    }
    by_key = {key: cells for (key, _label), cells in total.items()}
    # End to end: 17, 28, 30, 46 h -> median (rank 2 of 4) 28 h, 90th percentile (rank 4) 46 h.
    assert by_key["e2e"] == (bucketed(28 * H), bucketed(46 * H))
    assert abs(by_key["e2e"][0] - 28 * H) <= rollups.PRECISION * 28 * H
    # Request: 1, 0.5, 0.5, 0.5 h -> 0.5 h and 1 h. Planning: 2, 1.5, 0.5, 6.5 h -> 1.5 h and 6.5 h.
    assert by_key["request"] == (bucketed(H // 2), bucketed(H))
    assert by_key["planning"] == (bucketed(3 * H // 2), bucketed(13 * H // 2))
    # Execution: 20, 24, 27, 6 h -> 20 h, 27 h. Handover: 5, 20, 2, 4 h -> 4 h, 20 h.
    assert by_key["execution"] == (bucketed(20 * H), bucketed(27 * H))
    assert by_key["handover"] == (bucketed(4 * H), bucketed(20 * H))
    assert board.stage_times.total.completed == 4
    rows = {row.label: row for row in board.stage_times.rows}
    assert set(rows) == {"Laptop", "Phone"}
    # Phone: O1 28, O2 46, O6 17 h -> median (rank 2 of 3) 28 h, 90th (rank 3) 46 h; Laptop: O4 30 h.
    assert rows["Phone"].cells[-1] == (bucketed(28 * H), bucketed(46 * H))
    assert rows["Laptop"].cells[-1] == (bucketed(30 * H), bucketed(30 * H))
    waits = dict(
        zip((key for key, _l in board.wait_times.columns), board.wait_times.total.cells, strict=True)
    )
    # Repair 20, 6, 3, 6 h -> 6 h, 20 h; waiting on the client 0, 18, 0, 0 -> under a minute, 18 h.
    assert waits["repair"] == (bucketed(6 * H), bucketed(20 * H))
    assert waits["wait_client"] == (30, bucketed(18 * H))
    assert waits["wait_parts"] == (30, bucketed(24 * H))
    assert waits["pickup"] == (bucketed(7 * H // 2), bucketed(18 * H))


def test_technicians_table(history, tenant_a):
    rows = {row.name: row for row in board_of(tenant_a).technicians}
    t1, t2 = rows[history.t1.user.full_name], rows["Tanya Second"]
    # T1: O1 (repair 20 h) and O4 (3 h), both right the first time; 2 h logged; rated 5.
    assert (t1.completed, t1.median_repair, t1.first_time_rate, t1.failed_checks) == (
        2,
        bucketed(3 * H),
        1.0,
        0,
    )
    assert (t1.work_hours, t1.average_rating, t1.ratings) == (2.0, 5.0, 1)
    # T1 has no profile: the standard week on every day, 19 March to 17 April noon: 21 weekdays x 9 h,
    # 4 Saturdays x 6 h, Friday the 17th 9-12: 216 h.
    assert t1.available_hours == 216.0
    # T2: O2 (repair 6 h, one failed check) and O6 (6 h); 4 h logged; rated 2. Home workshop X (round the
    # clock), Monday to Friday: 21 weekdays x 24 h + the 17th until noon: 516 h.
    assert (t2.completed, t2.median_repair, t2.first_time_rate, t2.failed_checks) == (
        2,
        bucketed(6 * H),
        0.5,
        1,
    )
    assert (t2.work_hours, t2.available_hours, t2.average_rating) == (4.0, 516.0, 2.0)
    assert t2.load == 4 / 516


def test_service_types_table(history, tenant_a):
    rows = {row.service_type.name: row for row in board_of(tenant_a).service_types}
    phone, laptop = rows["Phone"], rows["Laptop"]
    assert (phone.taken_in, phone.completed, phone.cancelled) == (4, 3, 0)
    assert (phone.median_e2e, phone.p90_e2e) == (bucketed(28 * H), bucketed(46 * H))
    assert phone.first_time_rate == 2 / 3 and phone.average_rating == 3.5 and phone.work_hours == 6.0
    assert (laptop.taken_in, laptop.completed, laptop.cancelled, laptop.median_e2e) == (
        2,
        1,
        1,
        bucketed(30 * H),
    )
    assert laptop.first_time_rate == 1.0 and laptop.average_rating is None


def test_a_location_and_a_service_type_narrow_everything(history, tenant_a):
    board = board_of(tenant_a, location=history.y)
    assert (board.flow.taken_in.value, board.flow.completed.value, board.now.open.value) == (1, 1, 0)
    assert board.stage_times.total.cells[-1] == (bucketed(17 * H), bucketed(17 * H))
    assert [row.service_type.name for row in board.service_types] == ["Phone"]
    board = board_of(tenant_a, service_type=history.laptop)
    assert (board.flow.taken_in.value, board.flow.completed.value, board.flow.cancelled.value) == (2, 1, 1)
    assert [d.backlog for d in board.flow.days if d.day.month == 4 and d.day.day in (7, 8, 9)] == [0, 1, 0]


def test_a_custom_range_and_the_stale_pickups(history, tenant_a, clock):
    board = board_of(tenant_a, first=date(2026, 4, 8), last=date(2026, 4, 9), period="custom")
    assert (board.flow.taken_in.value, board.flow.completed.value) == (2, 2)  # O4, O5; O2, O4
    assert (board.flow.backlog_start, board.flow.backlog_end) == (1, 1)
    # O5 ready since the 20th; on the 24th it has waited 4 days: "3 days or more" counts it, "5 days" not.
    order = history.orders[4]
    for when, action in (
        ("2026-04-20 10:00", "start_work"),
        ("2026-04-20 11:00", "finish_work"),
        ("2026-04-20 12:00", "pass_check"),
    ):
        clock.set(when)
        order.refresh_from_db()
        from orders.lifecycle import transition

        transition(order, action, by=history.manager, expected_version=order.version)
    clock.set("2026-04-24 12:00")
    assert {f.key: f.value for f in board_of(tenant_a).now.waiting}["ready_stale"] == 1
    assert {f.key: f.value for f in board_of(tenant_a, ready_days=5).now.waiting}["ready_stale"] == 0
    assert {f.key: f.value for f in board_of(tenant_a).now.stages}["stage_handover"] == 1


# --- The page and its links ---------------------------------------------------------------------------


def test_every_figure_links_to_the_orders_behind_it(history, tenant_a, member_client):
    manager = member_client(Role.MANAGER)
    board = board_of(tenant_a)
    numbers = {f"O{i + 1}": order.number for i, order in enumerate(history.orders)}
    n = lambda *names: {numbers[name] for name in names}  # noqa: E731
    assert orders_behind(manager, board.now.open.url) == n("O5")
    assert orders_behind(manager, board.flow.taken_in.url) == n("O1", "O2", "O3", "O4", "O5", "O6")
    assert orders_behind(manager, board.flow.completed.url) == n("O1", "O2", "O4", "O6")
    assert orders_behind(manager, board.flow.cancelled.url) == n("O3")
    days = {d.day: d for d in board.flow.days}
    assert orders_behind(manager, days[date(2026, 4, 7)].completed_url) == n("O1")
    assert orders_behind(manager, days[date(2026, 4, 10)].backlog_url) == n("O5", "O6")
    assert orders_behind(manager, days[date(2026, 4, 6)].taken_in_url) == n("O1", "O2")
    technicians = {row.name: row for row in board.technicians}
    assert orders_behind(manager, technicians["Tanya Second"].completed_url) == n("O2", "O6")
    stages = {f.key: f for f in board.now.stages}
    assert orders_behind(manager, stages["stage_planning"].url) == n("O5")
    # With the dashboard's filters the links carry them too.
    y_board = board_of(tenant_a, location=history.y)
    assert parse_qs(urlsplit(y_board.flow.completed.url).query)["intake_location"] == [str(history.y.pk)]
    assert orders_behind(manager, y_board.flow.completed.url) == n("O6")
    # Every count equals the orders its link finds.
    for figure in [
        board.now.open,
        *board.now.stages,
        *board.now.waiting,
        board.flow.taken_in,
        board.flow.completed,
        board.flow.cancelled,
    ]:
        assert len(orders_behind(manager, figure.url)) == figure.value, figure.key


def test_the_page_shows_the_figures(history, tenant_a, member_client):
    response = member_client(Role.MANAGER).get(url(tenant_a))
    assert response.status_code == 200
    text = text_of(response)
    assert "Performance" in text and "Tanya Second" in text and "Phone" in text
    html = response.content.decode()
    assert (
        'data-testid="figure-open"' in html
        and "<svg" in html
        and "<script>" not in html.split("</nav>", 1)[1]
    )
    assert 'style="' not in html  # the CSP allows no inline style
    assert (
        reverse("quality:dashboard_export", args=[tenant_a.slug]) + "?table=technicians&amp;period=30" in html
    )


def test_filters_from_the_form(history, tenant_a, member_client):
    manager = member_client(Role.MANAGER)
    response = manager.get(
        url(
            tenant_a,
            period="custom",
            start="2026-04-08",
            end="2026-04-09",
            location=history.x.pk,
            service_type=history.phone.pk,
        )
    )
    board = response.context["board"]
    assert (board.scope.first, board.scope.last, board.scope.location, board.scope.service_type) == (
        date(2026, 4, 8),
        date(2026, 4, 9),
        history.x,
        history.phone,
    )
    assert board.flow.taken_in.value == 1  # O5
    assert manager.get(url(tenant_a, period="7")).context["board"].scope.first == date(2026, 4, 11)
    assert (
        manager.get(url(tenant_a, start="2026-04-01", end="2026-04-02")).context["board"].scope.period
        == "custom"
    )


@pytest.mark.parametrize(
    "query",
    [
        {"period": "custom"},  # no dates
        {"period": "custom", "start": "2026-04-09", "end": "2026-04-08"},  # backwards
        {"period": "custom", "start": "2024-01-01", "end": "2026-04-01"},  # more than 366 days
        {"period": "custom", "start": "2026-04-01", "end": "2026-05-01"},  # after today
        {"period": "365"},
        {"location": "abc"},
        {"service_type": "999999"},
        {"ready_days": "0"},
        {"start": "0001-01-01"},
    ],
)
def test_bad_filters_are_explained_and_the_default_shown(history, tenant_a, member_client, query):
    response = member_client(Role.MANAGER).get(url(tenant_a, **query))
    assert response.status_code == 200
    assert response.context["board"].scope.first == date(2026, 3, 19)
    assert "Some filters are not valid" in text_of(response)


def test_another_centers_location_or_service_is_not_a_choice(history, tenant_a, tenant_b, member_client):
    from tests.factories import LocationFactory

    foreign = LocationFactory(tenant=tenant_b)
    foreign_type = ServiceTypeFactory(tenant=tenant_b, name="B's")
    for query in ({"location": foreign.pk}, {"service_type": foreign_type.pk}):
        response = member_client(Role.MANAGER).get(url(tenant_a, **query))
        assert (
            response.context["board"].scope.location is None
            and response.context["board"].scope.service_type is None
        )
        assert "Some filters are not valid" in text_of(response)


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.OWNER, 200), (Role.MANAGER, 200), (Role.RECEPTION, 403), (Role.TECHNICIAN, 403)],
)
def test_who_may_see_the_dashboard(tenant_a, member_client, role, status):
    assert member_client(role).get(url(tenant_a)).status_code == status
    export = reverse("quality:dashboard_export", args=[tenant_a.slug])
    assert member_client(role).get(export, {"table": "flow"}).status_code == status


def test_the_nav_links_managers_to_the_dashboard(tenant_a, member_client):
    dashboard_url = reverse("quality:dashboard", args=[tenant_a.slug])
    orders = reverse("orders:list", args=[tenant_a.slug])
    assert dashboard_url in member_client(Role.MANAGER).get(orders).content.decode()
    assert dashboard_url in member_client(Role.OWNER).get(orders).content.decode()
    assert dashboard_url not in member_client(Role.RECEPTION).get(orders).content.decode()
    assert dashboard_url not in member_client(Role.TECHNICIAN).get(orders).content.decode()


def test_an_empty_center_shows_dashes_not_errors(tenant_a, member_client):
    response = member_client(Role.OWNER).get(url(tenant_a))
    assert response.status_code == 200
    assert response.context["board"].flow.taken_in.value == 0


# --- CSV ------------------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def export(client, tenant, table, **query):
    return client.get(reverse("quality:dashboard_export", args=[tenant.slug]), {"table": table, **query})


def test_each_table_exports_to_csv_with_the_pages_figures(history, tenant_a, member_client):
    manager = member_client(Role.MANAGER)
    technicians = csv_rows(export(manager, tenant_a, "technicians"))
    assert technicians[0][:3] == ["Technician", "Handed over", "Median repair time, h"]
    tanya = next(row for row in technicians if row[0] == "Tanya Second")
    assert tanya[1:5] == ["2", f"{bucketed(6 * H) / 3600:.2f}", "50.0", "1"]
    assert tanya[5:7] == ["4.00", "516.00"]
    flow = csv_rows(export(manager, tenant_a, "flow"))
    assert flow[0] == ["Day", "Taken in", "Handed over", "Cancelled", "Open at the end of the day"]
    assert ["2026-04-06", "2", "0", "0", "2"] in flow and len(flow) == 31
    types = csv_rows(export(manager, tenant_a, "service_types", location=history.y.pk))
    assert [row[:4] for row in types[1:]] == [["Phone", "1", "1", "0"]]
    times = csv_rows(export(manager, tenant_a, "times"))
    assert times[-1][:2] == ["All services", "4"]
    now = csv_rows(export(manager, tenant_a, "now"))
    assert now[1] == ["Open orders", "1"]
    assert csv_rows(export(manager, tenant_a, "sla"))[0][0] == "Target"
    assert (
        'filename="alpha-flow-2026-03-19-2026-04-17.csv"'
        in export(manager, tenant_a, "flow")["Content-Disposition"]
    )


def test_csv_cells_that_look_like_formulas_are_defused(history, tenant_a, member_client):
    history.t2.user.full_name = '=HYPERLINK("http://evil")'
    history.t2.user.save()
    rows = csv_rows(export(member_client(Role.MANAGER), tenant_a, "technicians"))
    assert '\'=HYPERLINK("http://evil")' in [row[0] for row in rows]


def test_csv_with_bad_filters_or_an_unknown_table(tenant_a, member_client):
    manager = member_client(Role.MANAGER)
    assert export(manager, tenant_a, "flow", period="custom").status_code == 400
    assert export(manager, tenant_a, "passwords").status_code == 404


# --- Speed ----------------------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_history(
    history, tenant_a, member_client, django_assert_num_queries, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = member_client(Role.MANAGER)
    page = url(tenant_a)
    filtered = url(tenant_a, location=history.x.pk, service_type=history.phone.pk, period="90")
    manager.get(page)
    with CaptureQueriesContext(connection) as small:
        manager.get(page)
    with CaptureQueriesContext(connection) as small_filtered:
        manager.get(filtered)
    # More history: forty more orders over the days, through the services (each handed over).
    scenario.add_orders(tenant_a, history, clock, 40)
    clock.set("2026-04-17 12:00")
    with django_assert_num_queries(len(small.captured_queries)):
        assert manager.get(page).status_code == 200
    with django_assert_num_queries(len(small_filtered.captured_queries)):
        assert manager.get(filtered).status_code == 200
    # 14 before the SLA figures; the open orders at risk / breached and SLA compliance are one query each.
    assert len(small.captured_queries) <= 16, [q["sql"][:80] for q in small.captured_queries]
    assert Order.objects.filter(tenant=tenant_a).count() == 46
    assert DailyRollup.objects.filter(tenant=tenant_a).count() > 10


# --- SLA (the clocks are another part of issue 9) -------------------------------------------------------


def test_sla_figures_count_the_clocks(history, tenant_a, clock):
    """Against the interface the SLA part promised: SlaClock(tenant, order, target, state, due_at, started_at,
    stopped_at, used_seconds, budget_seconds) and Order.sla_state."""
    from datetime import datetime, timedelta

    from quality import models

    o1, o2, _o3, o4, o5, o6 = history.orders
    Order.objects.filter(pk=o5.pk).update(sla_state="at_risk")

    def stopped(order, target, state, when):
        at = datetime.fromisoformat(when).replace(tzinfo=clock.tz)
        models.SlaClock.objects.filter(tenant=tenant_a, order=order, target=target).delete()
        SlaClockFactory(
            tenant=tenant_a,
            order=order,
            target=target,
            state=state,
            due_at=at,
            started_at=at - timedelta(hours=5),
            stopped_at=at,
            used_seconds=3600,
            budget_seconds=7200,
        )

    stopped(o1, "ready", "met", "2026-04-07 10:00")  # week of 6 April
    stopped(o2, "ready", "missed", "2026-04-07 16:00")
    stopped(o4, "ready", "met", "2026-04-09 14:00")
    stopped(o6, "ready", "met", "2026-04-13 16:30")  # week of 13 April
    board = board_of(tenant_a)
    assert {f.key: f.value for f in board.now.sla} == {"sla_at_risk": 1, "sla_breached": 0}
    ready = next(row for row in board.sla if row.target == "ready")
    assert (ready.met, ready.missed, ready.rate) == (3, 1, 0.75)
    assert ready.weeks == [(date(2026, 4, 6), 2, 1), (date(2026, 4, 13), 1, 0)]


# --- The cache of past days' histograms -----------------------------------------------------------------


def test_past_histograms_are_cached_until_their_generation_moves(
    history, tenant_a, django_capture_on_commit_callbacks
):
    e2e = board_of(tenant_a).stage_times.total.cells[-1]  # computed, and the days before today cached
    generation = rollups.histograms_generation(tenant_a.pk)
    # A recomputation that changes nothing in the past keeps the cache.
    with django_capture_on_commit_callbacks(execute=True):
        rollups.recompute(tenant_a, since=date(2026, 4, 8))
    assert rollups.histograms_generation(tenant_a.pk) == generation
    # A past day's histograms changed behind the dashboard's back: the cached merge still shows the old ones ...
    DailyRollup.objects.filter(tenant=tenant_a, day=date(2026, 4, 14), technician__isnull=True).update(
        hist={"e2e": {str(rollups.bucket_of(100 * H)): 1}}
    )
    assert board_of(tenant_a).stage_times.total.cells[-1] == e2e
    # ... until a recomputation puts them right and finds they had changed: a new generation, a new merge.
    DailyRollup.objects.filter(tenant=tenant_a, day=date(2026, 4, 14), technician__isnull=True).update(
        hist={"e2e": {str(rollups.bucket_of(100 * H)): 1}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        rollups.recompute(tenant_a, since=date(2026, 4, 8))
    assert rollups.histograms_generation(tenant_a.pk) != generation
    assert board_of(tenant_a).stage_times.total.cells[-1] == e2e  # the right figures again, from the database
    # A full rebuild always starts a new generation.
    generation = rollups.histograms_generation(tenant_a.pk)
    with django_capture_on_commit_callbacks(execute=True):
        rollups.recompute(tenant_a)
    assert rollups.histograms_generation(tenant_a.pk) != generation


def test_a_cold_and_a_warm_page_cost_the_same_queries(history, tenant_a, member_client):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = member_client(Role.MANAGER)
    manager.get(url(tenant_a))
    cache.clear()
    manager.session.load()  # the session back in the cache (servicedesk/sessions.py): the histograms are cold
    with CaptureQueriesContext(connection) as cold:
        first = manager.get(url(tenant_a))
    with CaptureQueriesContext(connection) as warm:
        second = manager.get(url(tenant_a))
    assert len(cold.captured_queries) == len(warm.captured_queries)
    assert first.context["board"].stage_times.total.cells == second.context["board"].stage_times.total.cells


def test_without_a_cache_the_dashboard_still_answers(history, tenant_a, member_client, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    response = member_client(Role.MANAGER).get(url(tenant_a))
    assert response.status_code == 200
    assert response.context["board"].stage_times.total.completed == 4
