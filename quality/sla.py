"""Service-level clocks: what an order's timeline means for each target, and how a clock reads at an instant.

Pure and typed like quality.calendar, on which it builds: no database, no settings, no clock. The database
side (policies, stored clocks, the listener and the periodic task) is quality.clocks.

The rules (docs/quality.md, "Service levels"):
- Four targets. *Plan*: from intake until a technician is assigned (or the order is planned). *Ready*: from
  intake until the order is first ready for pickup. *Arrival* (on-site orders with a booked slot): from the
  slot's start until the technician starts the job (diagnostics or work), due at the slot's end plus a
  grace; it counts wall-clock time, as an appointment does. *Handover* (the client's side, informational):
  from "ready" until the order is handed over.
- Plan, ready and handover count the working time of the order's intake location only; plan and ready
  pause while the order waits on the client (estimate approval), on parts, or is on hold.
- A clock's deadline (due) is the instant its working time reaches the budget. Running, it is *breached*
  once now is past the due, *at risk* from 75 % of the budget used, else *on track*; a paused clock's due is
  projected from now (it moves while the order waits). Stopped, it is *met* if it stopped at or before its
  due, else *missed*.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from .calendar import Span, WorkingCalendar, add_working_time, working_time_between

# The statuses a clock pauses in, and the events that matter (strings: this module knows no models).
PAUSE_STATUSES = ("awaiting_approval", "awaiting_parts", "on_hold")
AT_RISK_SHARE = (3, 4)  # at risk from 3/4 of the budget used


class Target(models.TextChoices):
    PLAN = "plan", _("Time to plan")
    READY = "ready", _("Time to ready")
    ARRIVAL = "arrival", _("On-site arrival")
    HANDOVER = "handover", _("Time to hand over")


# Informational targets count and show, but raise no alerts and do not make the order at risk or breached.
INFORMATIONAL = frozenset({Target.HANDOVER})


class ClockState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


RUNNING_STATES = (ClockState.ON_TRACK, ClockState.AT_RISK, ClockState.BREACHED)
WORST_FIRST = (ClockState.BREACHED, ClockState.AT_RISK, ClockState.ON_TRACK)

# Arrival counts wall-clock time: a calendar that is always open.
ALWAYS_OPEN = WorkingCalendar(tz=UTC, weekly=((Span(time(0), time(0)),),) * 7)


@dataclass(frozen=True)
class Pause:
    """A time the order waited: `reason` is the status it waited in; `end` None while it still waits."""

    reason: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Step:
    """One timeline entry that matters for the clocks (an OrderEvent's fields, as plain values)."""

    at: datetime
    kind: str  # "created", "status", "assigned"
    from_status: str = ""
    to_status: str = ""
    technician_set: bool = False  # an "assigned" entry that gives the order a technician


@dataclass(frozen=True)
class Timeline:
    """The instants the clocks start and stop at, read from the order's timeline."""

    taken_in: datetime
    assigned: datetime | None = None
    arrived: datetime | None = None
    ready: datetime | None = None
    handed_over: datetime | None = None
    cancelled: datetime | None = None
    pauses: tuple[Pause, ...] = ()


def read_timeline(steps: Iterable[Step], taken_in: datetime) -> Timeline:
    """The clocks' instants from the timeline, oldest entry first: each the first time it happened.

    `taken_in` is the order's intake (its "created" entry wins when there is one). A pause opens when the
    order enters a waiting status and closes when it leaves it; moving from one waiting status to another
    (parts -> on hold) closes one pause and opens the next, so each shows with its own reason.
    """
    found: dict[str, datetime] = {}
    pauses: list[Pause] = []
    open_pause: Pause | None = None
    for step in steps:
        if step.kind == "created":
            found.setdefault("taken_in", step.at)
        elif step.kind == "assigned" and step.technician_set:
            found.setdefault("assigned", step.at)
        elif step.kind == "status":
            if step.to_status == "planned":
                found.setdefault("assigned", step.at)
            if step.from_status == "planned" and step.to_status in {"diagnostics", "in_progress"}:
                found.setdefault("arrived", step.at)
            if step.to_status == "ready":
                found.setdefault("ready", step.at)
            if step.to_status == "handed_over":
                found.setdefault("handed_over", step.at)
            if step.to_status == "cancelled":
                found.setdefault("cancelled", step.at)
            if open_pause is not None and step.to_status != open_pause.reason:
                pauses.append(Pause(open_pause.reason, open_pause.start, step.at))
                open_pause = None
            if open_pause is None and step.to_status in PAUSE_STATUSES:
                open_pause = Pause(step.to_status, step.at)
    if open_pause is not None:
        pauses.append(open_pause)
    return Timeline(
        taken_in=found.get("taken_in", taken_in),
        assigned=found.get("assigned"),
        arrived=found.get("arrived"),
        ready=found.get("ready"),
        handed_over=found.get("handed_over"),
        cancelled=found.get("cancelled"),
        pauses=tuple(pauses),
    )


@dataclass(frozen=True)
class Budgets:
    """A policy's targets for one order; None: the target is not measured."""

    plan: timedelta | None = None
    ready: timedelta | None = None
    arrival_grace: timedelta | None = None
    handover: timedelta | None = None


@dataclass(frozen=True)
class ClockSpec:
    """What one clock measures: from `start` until `stop` (None: still running), within `budget` working
    time of `calendar`, pausing in `pauses`."""

    target: str
    start: datetime
    budget: timedelta
    calendar: WorkingCalendar
    stop: datetime | None = None
    pauses: tuple[Pause, ...] = ()


def clock_specs(
    timeline: Timeline,
    budgets: Budgets,
    calendar: WorkingCalendar,
    *,
    visit_start: datetime | None = None,
    visit_end: datetime | None = None,
) -> list[ClockSpec]:
    """The clocks an order has: one per target its policy measures and its timeline has started.

    A cancelled order's running clocks stop at the cancellation (quality.clocks keeps only those that had
    already missed: a cancelled order tested no other promise).
    """
    cancelled = timeline.cancelled
    specs: list[ClockSpec] = []

    def add(
        target: str,
        start: datetime,
        budget: timedelta,
        stop: datetime | None,
        *,
        on: WorkingCalendar,
        pauses: tuple[Pause, ...] = (),
    ) -> None:
        if stop is None and cancelled is not None:
            stop = cancelled
        specs.append(ClockSpec(target, start, budget, on, stop, pauses))

    if budgets.plan is not None:
        add(
            Target.PLAN,
            timeline.taken_in,
            budgets.plan,
            timeline.assigned,
            on=calendar,
            pauses=timeline.pauses,
        )
    if budgets.ready is not None:
        add(
            Target.READY,
            timeline.taken_in,
            budgets.ready,
            timeline.ready,
            on=calendar,
            pauses=timeline.pauses,
        )
    if budgets.arrival_grace is not None and visit_start is not None:
        # In UTC: Python subtracts two datetimes of one zone by their wall clocks, wrong across a DST change.
        slot_start = visit_start.astimezone(UTC)
        slot_end = max((visit_end or visit_start).astimezone(UTC), slot_start)
        add(
            Target.ARRIVAL,
            visit_start,
            slot_end - slot_start + budgets.arrival_grace,
            timeline.arrived,
            on=ALWAYS_OPEN,
        )
    if budgets.handover is not None and timeline.ready is not None:
        add(Target.HANDOVER, timeline.ready, budgets.handover, timeline.handed_over, on=calendar)
    return specs


@dataclass(frozen=True)
class Reading:
    """A clock at an instant."""

    state: str
    used: timedelta
    budget: timedelta
    due_at: datetime
    paused_since: datetime | None = None
    # When the state may change next without a new event: the 75 % mark or the due (None: stopped,
    # breached or paused; a paused clock changes only when the order moves on).
    next_change_at: datetime | None = None
    pauses: tuple[tuple[Pause, timedelta], ...] = field(default=())  # each pause with its working time

    @property
    def left(self) -> timedelta:
        return max(self.budget - self.used, timedelta())

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


def _active(start: datetime, end: datetime, pauses: Sequence[Pause]) -> list[tuple[datetime, datetime]]:
    """[start, end] less the pauses, as ordered intervals."""
    intervals: list[tuple[datetime, datetime]] = []
    cursor = start
    for pause in sorted(pauses, key=lambda p: p.start):
        pause_start = max(pause.start, start)
        pause_end = min(pause.end or end, end)
        if pause_end <= pause_start:
            continue
        if pause_start > cursor:
            intervals.append((cursor, pause_start))
        cursor = max(cursor, pause_end)
    if end > cursor:
        intervals.append((cursor, end))
    return intervals


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def at_risk(used: timedelta, budget: timedelta) -> bool:
    share, whole = AT_RISK_SHARE
    return used * whole >= budget * share


def read_clock(spec: ClockSpec, now: datetime, *, used_before: timedelta = timedelta()) -> Reading:
    """The clock `spec` at `now` (aware). `used_before`: working time already used before `spec.start`
    (the periodic task continues a stored clock from the instant it was last computed)."""
    # Everything in UTC: Python compares and subtracts two datetimes of one zone by their wall clocks.
    spec = ClockSpec(
        spec.target,
        spec.start.astimezone(UTC),
        spec.budget,
        spec.calendar,
        _utc(spec.stop),
        tuple(Pause(p.reason, p.start.astimezone(UTC), _utc(p.end)) for p in spec.pauses),
    )
    now = now.astimezone(UTC)
    calendar, budget = spec.calendar, spec.budget
    end = spec.stop if spec.stop is not None else now
    end = max(end, spec.start)
    used = used_before
    due: datetime | None = None
    for opens, closes in _active(spec.start, end, spec.pauses):
        worked = working_time_between(calendar, opens, closes)
        if due is None and used < budget <= used + worked:
            due = add_working_time(
                calendar, opens, budget - used
            )  # the earliest instant the budget is used up
        used += worked
    if due is None and used_before >= budget:
        due = spec.start  # continued past its due already: the caller keeps the stored due
    pause_times = tuple(
        (pause, working_time_between(calendar, max(pause.start, spec.start), min(pause.end or end, end)))
        for pause in spec.pauses
        if (pause.end or end) > spec.start and pause.start < end
    )
    paused_since = None
    if spec.stop is None:
        paused_since = next(
            (
                pause.start
                for pause in spec.pauses
                if pause.start <= now and (pause.end is None or pause.end > now)
            ),
            None,
        )
    if due is None:
        # Not used up yet: the rest of the budget from now (a paused clock: as if the order moved on now).
        base = max(spec.stop if spec.stop is not None else now, spec.start)
        due = add_working_time(calendar, base, budget - used)
    if spec.stop is not None:
        state = ClockState.MET if spec.stop <= due else ClockState.MISSED
        return Reading(state, used, budget, due, pauses=pause_times)
    next_change: datetime | None = None
    if due < now:
        state = ClockState.BREACHED
    elif at_risk(used, budget):
        state = ClockState.AT_RISK
        next_change = None if paused_since else due
    else:
        state = ClockState.ON_TRACK
        if not paused_since:
            share, whole = AT_RISK_SHARE
            mark = -(-(budget * share) // whole)  # rounded up to the microsecond, so at_risk() holds there
            next_change = add_working_time(calendar, max(now, spec.start), max(mark - used, timedelta()))
    return Reading(
        state, used, budget, due, paused_since=paused_since, next_change_at=next_change, pauses=pause_times
    )


def worst(states: Iterable[str]) -> str:
    """The worst of running states ('' when there are none)."""
    present = set(states)
    return next((state for state in WORST_FIRST if state in present), "")
