"""The SLA panel of the order page (registered with orders.panels in QualityConfig.ready(), in the side
column): each clock read now (used, left, due, state) and the pauses.

Reads the stored clocks and continues the running ones to now with the calendar (quality.clocks), writing
nothing: four queries (clocks, pauses, and the location's hours and own days when a clock runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from orders.models import Order
from servicedesk.tenancy.access import TenantRequest
from servicedesk.tenancy.models import Tenant

from .calendar import NoWorkingTime, working_time_between
from .clocks import continue_clock
from .hours import calendar_for
from .models import SlaClock, SlaPause
from .sla import INFORMATIONAL, ClockState, Target

TARGET_ORDER = {target: index for index, target in enumerate(Target.values)}


@dataclass
class ClockLine:
    clock: SlaClock
    label: str
    state: str
    state_label: str
    used: timedelta
    budget: timedelta
    due_at: datetime
    informational: bool
    paused_since: datetime | None

    @property
    def left(self) -> timedelta:
        return max(self.budget - self.used, timedelta())

    @property
    def over(self) -> timedelta:
        return max(self.used - self.budget, timedelta())

    @property
    def percent(self) -> int:
        if not self.budget:
            return 100
        return min(int(self.used / self.budget * 100), 100)


@dataclass
class PauseLine:
    pause: SlaPause
    working: timedelta


def order_sla(order: Order, tenant: Tenant, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    clocks = sorted(
        SlaClock.objects.filter(tenant=tenant, order=order), key=lambda c: TARGET_ORDER.get(c.target, 9)
    )
    pauses = list(SlaPause.objects.filter(tenant=tenant, order=order).order_by("started_at", "id"))
    calendar = None
    if any(clock.is_running for clock in clocks) or any(p.ended_at is None for p in pauses):
        location = order.intake_location
        location.tenant = tenant
        calendar = calendar_for(location)
    lines = []
    for clock in clocks:
        used, due, state = timedelta(seconds=clock.used_seconds), clock.due_at, clock.state
        if clock.is_running and calendar is not None:
            try:
                reading = continue_clock(clock, calendar, now)
            except NoWorkingTime:
                pass
            else:
                used, due, state = reading.used, reading.due_at, reading.state
        lines.append(
            ClockLine(
                clock=clock,
                label=str(Target(clock.target).label),
                state=state,
                state_label=str(ClockState(state).label),
                used=used,
                budget=timedelta(seconds=clock.budget_seconds),
                due_at=due,
                informational=clock.target in INFORMATIONAL,
                paused_since=clock.paused_since if clock.is_running else None,
            )
        )
    pause_lines = []
    for pause in pauses:
        working = timedelta(seconds=pause.working_seconds)
        if pause.ended_at is None and calendar is not None:
            working = working_time_between(calendar, pause.started_at, max(now, pause.started_at))
        pause_lines.append(PauseLine(pause, working))
    return {"clocks": lines, "pauses": pause_lines, "location": order.intake_location}


def sla_panel(request: TenantRequest, order: Order) -> dict:
    """The panel's context: every member who sees the order sees its service level."""
    return order_sla(order, request.tenant)
