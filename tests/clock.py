"""The test clock (a pytest plugin, loaded by tests/conftest.py).

A test that depends on the hour, the weekday or the date says which instant it means, in the center's
time zone, with the `clock` fixture (time-machine underneath: it patches the C-level clocks, so
`timezone.now()`, `date.today()`, `datetime.now()` and `time.time()` all agree):

    @pytest.mark.clock("2026-03-10 23:50")  # 23:50 on the centers' wall clock, before any fixture runs
    def test_overdue_after_midnight(clock, tenant_a):
        ...                                     # the clock stands still (clock(..., tick=True) lets it run)
        clock.shift(minutes=20)                 # 00:10 the next day
        assert clock.today() == date(2026, 3, 11)

Without the marker, `clock.set("2026-03-10 23:50")` pins it from that line on (objects the fixtures made
earlier carry the real time then: prefer the marker).

Everything else reads "now" when it runs and must pass at any instant. Two options prove it:

    --clock=2026-12-31T23:59:00+03:00   move the wall clock for the whole session to this instant (it
                                        keeps ticking from there), before Django's test database exists;
                                        browser tests still run at the real time (chromium's clock)
    --clock-tz=Europe/Berlin            the test centers' time zone: every TenantFactory tenant gets it
                                        (default Europe/Moscow, the zone the tests were written in)

Tests marked `clock_sensitive` are the date-sensitive subset .ci/run repeats under hard instants; the
marker is added here to every test that uses the `clock` or `time_machine` fixture and to the files in
CLOCK_SENSITIVE_PATHS, except tests pinned by `@pytest.mark.clock("...")` (they run at their own wall time
under any instant); other tests put `@pytest.mark.clock_sensitive` on themselves.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
import time_machine

DEFAULT_CENTER_TIME_ZONE = "Europe/Moscow"

# Whole files whose tests depend on the date (today's visits, the planning week, work-time days, the demo's
# schedule, feedback after handover): every test in them is clock-sensitive. (The stock tests of
# tests/technicians read no dates.)
CLOCK_SENSITIVE_PATHS = (
    "tests/technicians/test_jobs.py",
    "tests/technicians/test_planning.py",
    "tests/technicians/test_worklog.py",
    "tests/technicians/test_demo.py",
    "tests/quality/",
    "tests/reception/",
)

# What .ci/run's clock step collects (`python -m tests.clock` prints it): the files above plus every file
# with a test that is clock-sensitive by its fixture or marker. Listing only these keeps the step short
# (collecting the whole suite costs more than running the subset); a clock-sensitive test outside them
# fails, saying to add its file here.
CLOCK_CI_PATHS = (
    *CLOCK_SENSITIVE_PATHS,
    "tests/documents/test_issue.py",
    "tests/notifications/test_events.py",
    "tests/orders/test_lifecycle.py",
    "tests/orders/test_list.py",
    "tests/orders/test_fragments.py",
    "tests/technicians/test_job_card_fragments.py",
    "tests/technicians/test_board_fragments.py",
)

_center_time_zone = DEFAULT_CENTER_TIME_ZONE
_session_travel: time_machine.travel | None = None
_unlisted: set[str] = set()


def center_time_zone() -> str:
    """The time zone of the test session's centers (TenantFactory uses it; --clock-tz sets it)."""
    return _center_time_zone


def center_tz() -> ZoneInfo:
    return ZoneInfo(_center_time_zone)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("clock", "the test clock (tests/clock.py)")
    group.addoption(
        "--clock",
        metavar="INSTANT",
        default=None,
        help="move the wall clock for the whole session to this ISO 8601 instant with its UTC offset "
        "(it keeps ticking), e.g. 2026-12-31T23:59:00+03:00",
    )
    group.addoption(
        "--clock-tz",
        metavar="ZONE",
        default=None,
        help=f"time zone of the test centers (every factory tenant), default {DEFAULT_CENTER_TIME_ZONE}",
    )


def parse_instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise pytest.UsageError(f"--clock={text!r} is not an ISO 8601 date and time") from None
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock={text!r} needs a UTC offset, e.g. {text}+03:00")
    return instant


def pytest_configure(config: pytest.Config) -> None:
    global _center_time_zone
    config.addinivalue_line(
        "markers",
        "clock(local, tick=False): pin the wall clock at this wall time in the centers' zone for the whole "
        "test, fixtures included (the `clock` fixture; tests/clock.py)",
    )
    config.addinivalue_line(
        "markers",
        "clock_sensitive: depends on the date or hour; .ci/run repeats these under hard instants (--clock)",
    )
    zone = config.getoption("clock_tz") or DEFAULT_CENTER_TIME_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise pytest.UsageError(f"--clock-tz={zone!r} is not a known time zone") from None
    _center_time_zone = zone

    text = config.getoption("clock")
    if text:
        # Started here, before pytest-django creates the test database, so every row, token and
        # expiry of the session is made under the moved clock. Ticking: durations still make sense.
        # pytest's and hypothesis' timings use the monotonic clocks, which time-machine leaves alone.
        global _session_travel
        _session_travel = time_machine.travel(parse_instant(text), tick=True)
        _session_travel.start()
        config.add_cleanup(_stop_session_travel)


def _stop_session_travel() -> None:
    global _session_travel
    if _session_travel is not None:
        _session_travel.stop()
        _session_travel = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Browser tests run at the real time even under --clock: chromium keeps the real clock (its cookie
    expiry too: a session cookie set by a server weeks in the past would be dropped at once), and the
    pages' date rules are proven by the server-side tests. The session clock starts again after them."""
    if _session_travel is None or item.get_closest_marker("browser") is None:
        return (yield)
    _session_travel.stop()
    try:
        return (yield)
    finally:
        _session_travel.start()


def pytest_report_header(config: pytest.Config) -> str:
    text = config.getoption("clock")
    moved = f"session clock moved to {text} (ticking)" if text else "session clock: real time"
    return f"clock: {moved}; centers' time zone {_center_time_zone}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        fixtures = getattr(item, "fixturenames", None)
        if (
            fixtures is not None
            and item.get_closest_marker("clock") is not None
            and "clock" not in fixtures[:1]
        ):
            # First, so the clock is pinned before the other fixtures make their rows.
            if "clock" in fixtures:
                fixtures.remove("clock")
            fixtures.insert(0, "clock")
        fixtures = fixtures or ()
        try:
            path = Path(str(item.path)).relative_to(root).as_posix()
        except ValueError:
            path = ""
        # A listed file's `once` tests (pure functions given explicit instants) cannot depend on the clock,
        # and a test pinned by @pytest.mark.clock("...") runs at its own wall time whatever the session's
        # instant: the main passes have run it, repeating it under each instant would prove nothing more.
        pin = item.get_closest_marker("clock")
        pinned = pin is not None and bool(pin.args or pin.kwargs.get("local"))
        listed = path.startswith(CLOCK_SENSITIVE_PATHS) and item.get_closest_marker("once") is None
        if ("clock" in fixtures or "time_machine" in fixtures or listed) and not pinned:
            item.add_marker(pytest.mark.clock_sensitive)
        if item.get_closest_marker("clock_sensitive") is not None and not path.startswith(CLOCK_CI_PATHS):
            _unlisted.add(item.nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.nodeid in _unlisted:
        pytest.fail(
            f"{item.path.name} has a clock-sensitive test but is not in tests/clock.py CLOCK_CI_PATHS, so "
            ".ci/run would not repeat it under the hard instants: add the file there",
            pytrace=False,
        )


class Clock:
    """The wall clock of one test, in the centers' time zone (see the module docstring)."""

    def __init__(self, machine: time_machine.TimeMachineFixture) -> None:
        self._machine = machine
        self._moved = False
        self.tz = center_tz()

    def set(self, local: str | datetime, *, tick: bool = False) -> datetime:
        """Pin the clock at `local`, a wall time in the centers' zone ("2026-03-10 23:50", or a naive
        datetime; an aware datetime is taken as it is). Returns the instant, aware in the centers' zone."""
        moment = datetime.fromisoformat(local) if isinstance(local, str) else local
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        self._machine.move_to(moment, tick=tick)
        self._moved = True
        return moment.astimezone(self.tz)

    def shift(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the pinned clock on by `delta` (or timedelta(**parts)); returns the new local now."""
        if not self._moved:
            raise RuntimeError("clock.set(...) first: shift() moves a pinned clock")
        self._machine.shift(delta if delta is not None else timedelta(**parts))
        return self.now()

    def now(self) -> datetime:
        """Now, aware, in the centers' zone."""
        from django.utils import timezone

        return timezone.now().astimezone(self.tz)

    def today(self) -> date:
        """Today on the centers' wall clock (not the server's, not UTC's)."""
        return self.now().date()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """That day's hour:minute on the centers' wall clock, aware."""
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)


@pytest.fixture
def clock(request: pytest.FixtureRequest, time_machine: time_machine.TimeMachineFixture) -> Clock:
    """The test's wall clock in the centers' zone: `@pytest.mark.clock("2026-03-10 23:50")` or
    `clock.set("2026-03-10 23:50")` pins it there."""
    test_clock = Clock(time_machine)
    marker = request.node.get_closest_marker("clock")
    if marker is not None:
        test_clock.set(*marker.args, **marker.kwargs)
    return test_clock


if __name__ == "__main__":  # python -m tests.clock: the paths .ci/run's clock step collects
    print(" ".join(CLOCK_CI_PATHS))
