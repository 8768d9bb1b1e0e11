"""Service-level clocks in the database: policies, the clocks of each order, the listener and the periodic task.

- `on_order_event` (registered with the orders' listener registry in QualityConfig.ready()) recomputes an
  order's clocks from its timeline inside the transaction that records the event, and writes the summary
  the order list filters on (`Order.sla_state`, `sla_due_at`, `expected_ready_at`).
- `tick` (Celery beat, every SLA_TICK_SECONDS) looks at the running clocks whose `next_check_at` has come
  (an indexed, bounded query over all centers), moves them on to at risk or breached, and records an SLA
  event on the order's timeline once per target and stage; the notifications app turns that event into the
  managers' e-mails under the idempotency key "sla:<order>:<target>:<stage>".
- `rebuild_clocks(tenant)` recomputes every order of a center from its events (the demo, a changed policy,
  `manage.py rebuild_sla_clocks`).

The arithmetic is quality.sla (pure) on quality.calendar; the rules are in docs/quality.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from orders.event_text import Text, say
from orders.models import OPEN_STATUSES, EventKind, Order, OrderEvent, Priority, SlaState
from orders.timeline import record_event
from servicedesk.tenancy.models import Location, Tenant

from .calendar import NoWorkingTime, WorkingCalendar, working_time_between
from .hours import calendar_for
from .models import SlaClock, SlaPause, SlaPolicy
from .sla import (
    ALWAYS_OPEN,
    INFORMATIONAL,
    Budgets,
    ClockSpec,
    ClockState,
    Pause,
    Reading,
    Step,
    Target,
    clock_specs,
    read_clock,
    read_timeline,
    worst,
)

logger = logging.getLogger(__name__)

# A paused clock's deadline moves while the order waits: the periodic task refreshes it this often.
PAUSED_REFRESH = timedelta(hours=1)
TICK_LIMIT = 500

# The centers' first policies (minutes of working time; arrival: minutes after the booked slot ends).
# General: planned within half a working day, ready within three nine-hour days, the technician at the door
# by the end of the slot plus a quarter of an hour, collected within five days. Urgent: an hour, a day,
# on time, two days.
DEFAULT_POLICIES: list[dict] = [
    {
        "priority": None,
        "plan_minutes": 4 * 60,
        "ready_minutes": 27 * 60,
        "arrival_grace_minutes": 15,
        "handover_minutes": 45 * 60,
    },
    {
        "priority": Priority.URGENT,
        "plan_minutes": 60,
        "ready_minutes": 9 * 60,
        "arrival_grace_minutes": 0,
        "handover_minutes": 18 * 60,
    },
]

# The events that can move a clock; the others (notes, photos, payments ...) leave them alone.
CLOCK_EVENT_KINDS = (EventKind.CREATED, EventKind.STATUS, EventKind.ASSIGNED)


# --- Policies --------------------------------------------------------------------------------------
def ensure_policies(tenant: Tenant | int) -> None:
    """Give a center its first policies if it has none yet (a new center, or one from before them)."""
    tenant_id: int = tenant.pk if isinstance(tenant, Tenant) else tenant
    if SlaPolicy.objects.filter(tenant_id=tenant_id).exists():
        return
    try:
        with transaction.atomic():  # a savepoint: another request seeding at the same moment wins quietly
            SlaPolicy.objects.bulk_create(
                SlaPolicy(tenant_id=tenant_id, **values) for values in DEFAULT_POLICIES
            )
    except IntegrityError:
        pass


def policies_of(tenant: Tenant | int) -> list[SlaPolicy]:
    """The center's policies (its first ones created on first use)."""
    rows = list(SlaPolicy.objects.for_tenant(tenant).select_related("service_type"))
    if not rows:
        ensure_policies(tenant)
        rows = list(SlaPolicy.objects.for_tenant(tenant).select_related("service_type"))
    return rows


def choose_policy(
    policies: Iterable[SlaPolicy], service_type_id: int | None, priority: int | None
) -> SlaPolicy | None:
    """The most specific policy for this service and priority (see SlaPolicy)."""
    best: tuple[int, SlaPolicy] | None = None
    for policy in policies:
        if policy.service_type_id not in (None, service_type_id) or policy.priority not in (None, priority):
            continue
        rank = (2 if policy.service_type_id is not None else 0) + (1 if policy.priority is not None else 0)
        if best is None or rank > best[0]:
            best = (rank, policy)
    return best[1] if best else None


def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def budgets_of(policy: SlaPolicy | None) -> Budgets:
    if policy is None:
        return Budgets()
    return Budgets(
        plan=_minutes(policy.plan_minutes),
        ready=_minutes(policy.ready_minutes),
        arrival_grace=_minutes(policy.arrival_grace_minutes),
        handover=_minutes(policy.handover_minutes),
    )


# --- Computing an order's clocks from its timeline ---------------------------------------------------
def _steps(order: Order) -> list[Step]:
    rows = (
        OrderEvent.objects.filter(tenant_id=order.tenant_id, order_id=order.pk, kind__in=CLOCK_EVENT_KINDS)
        .order_by("created_at", "id")
        .values_list("created_at", "kind", "from_status", "to_status", "data")
    )
    return [
        Step(
            at,
            kind,
            from_status,
            to_status,
            technician_set=kind == EventKind.ASSIGNED and bool((data or {}).get("technician")),
        )
        for at, kind, from_status, to_status, data in rows
    ]


def _seconds(delta: timedelta) -> int:
    return max(int(delta.total_seconds()), 0)


def _next_check(target: str, reading: Reading, alerted: str, now: datetime) -> datetime | None:
    if not reading.running:
        return None
    if alert_owed(target, reading.state, alerted):
        return now
    if reading.paused_since is not None and reading.state != ClockState.BREACHED:
        return now + PAUSED_REFRESH
    return reading.next_change_at


def alert_owed(target: str, state: str, alerted: str) -> str:
    """The alert stage a running clock is owed ('' for none): at risk once, breached once."""
    if target in INFORMATIONAL:
        return ""
    if state == ClockState.BREACHED and alerted != SlaClock.Alerted.BREACHED:
        return SlaClock.Alerted.BREACHED
    if state == ClockState.AT_RISK and alerted == SlaClock.Alerted.NONE:
        return SlaClock.Alerted.AT_RISK
    return ""


def recompute_order(
    order: Order,
    *,
    now: datetime | None = None,
    policies: Sequence[SlaPolicy] | None = None,
    calendar: WorkingCalendar | None = None,
    keep_stopped: bool = True,
) -> list[SlaClock]:
    """Recompute the order's clocks and pauses from its timeline and write them and the order's summary.

    A clock that has stopped keeps its verdict when it stops at the same instant again (`keep_stopped`): a
    policy changed later does not judge the past again. Returns the order's clocks.
    """
    now = now or timezone.now()
    timeline = read_timeline(_steps(order), order.created_at)
    if policies is None:
        policies = policies_of(order.tenant_id)
    policy = choose_policy(policies, order.service_type_id, order.priority)
    if calendar is None:
        location = order.intake_location
        if Order.tenant.is_cached(order):
            location.tenant = order.tenant  # calendar_for reads the center's zone and country
        calendar = calendar_for(location)
    specs = clock_specs(
        timeline,
        budgets_of(policy),
        calendar,
        visit_start=order.visit_start if order.needs_visit else None,
        visit_end=order.visit_end,
    )
    existing = {
        clock.target: clock for clock in SlaClock.objects.filter(tenant_id=order.tenant_id, order_id=order.pk)
    }
    kept: list[SlaClock] = []
    for spec in specs:
        old = existing.pop(spec.target, None)
        if keep_stopped and old is not None and old.stopped_at is not None and old.stopped_at == spec.stop:
            kept.append(old)
            continue
        try:
            reading = read_clock(spec, now)
        except NoWorkingTime:
            logger.info(
                "Order %s: no working time at %s for a year; no %s clock.",
                order.pk,
                order.intake_location_id,
                spec.target,
            )
            if old is not None:
                old.delete()
            continue
        if spec.stop is not None and spec.stop == timeline.cancelled and reading.state == ClockState.MET:
            # Cancelled before its deadline: the promise was never tested.
            if old is not None:
                old.delete()
            continue
        clock = old or SlaClock(tenant_id=order.tenant_id, order=order, target=spec.target)
        clock.policy = policy
        _apply(clock, spec, reading, now)
        clock.save()
        kept.append(clock)
    for stale in existing.values():  # a target no longer measured (the visit was removed, a policy changed)
        stale.delete()
    _sync_pauses(order, timeline.pauses, calendar, now)
    write_summary(order, kept)
    return kept


def _apply(clock: SlaClock, spec: ClockSpec, reading: Reading, now: datetime) -> None:
    clock.state = reading.state
    clock.budget_seconds = _seconds(spec.budget)
    clock.used_seconds = _seconds(reading.used)
    clock.started_at = spec.start
    clock.due_at = reading.due_at
    clock.stopped_at = spec.stop
    clock.paused_since = reading.paused_since
    clock.computed_at = now
    clock.next_check_at = _next_check(spec.target, reading, clock.alerted, now)


def _sync_pauses(order: Order, pauses: Sequence[Pause], calendar: WorkingCalendar, now: datetime) -> None:
    wanted = [
        (
            pause.reason,
            pause.start,
            pause.end,
            _seconds(working_time_between(calendar, pause.start, pause.end or max(now, pause.start))),
        )
        for pause in pauses
    ]
    rows = SlaPause.objects.filter(tenant_id=order.tenant_id, order_id=order.pk)
    have = [
        (row.reason, row.started_at, row.ended_at, row.working_seconds)
        for row in rows.order_by("started_at", "id")
    ]
    if have == wanted:
        return
    rows.delete()
    SlaPause.objects.bulk_create(
        SlaPause(
            tenant_id=order.tenant_id,
            order=order,
            reason=reason,
            started_at=start,
            ended_at=end,
            working_seconds=seconds,
        )
        for reason, start, end, seconds in wanted
    )


def summary(clocks: Iterable[SlaClock]) -> tuple[str, datetime | None, datetime | None]:
    """(sla_state, sla_due_at, expected_ready_at) of an order from its clocks (rules in docs/quality.md).

    The state: the worst of the running measured clocks; with none running, missed if any was missed, met if
    all were met; '' without clocks. The due: the nearest deadline of a running measured clock. Expected
    ready: the running "ready" clock's deadline.
    """
    measured = [clock for clock in clocks if clock.target not in INFORMATIONAL]
    running = [clock for clock in measured if clock.stopped_at is None]
    if running:
        state = worst(clock.state for clock in running)
    elif measured:
        state = (
            SlaState.MISSED if any(clock.state == ClockState.MISSED for clock in measured) else SlaState.MET
        )
    else:
        state = SlaState.NONE
    due = min((clock.due_at for clock in running), default=None)
    # Past its deadline the date means nothing to the client: the status page then shows the promise only.
    expected_ready = next(
        (
            clock.due_at
            for clock in running
            if clock.target == Target.READY and clock.state != ClockState.BREACHED
        ),
        None,
    )
    return state, due, expected_ready


def write_summary(order: Order, clocks: Iterable[SlaClock]) -> None:
    """Store the summary on the order (a plain UPDATE: it is no edit, so the order's version stays)."""
    state, due, expected_ready = summary(clocks)
    if (order.sla_state, order.sla_due_at, order.expected_ready_at) == (state, due, expected_ready):
        return
    Order.objects.filter(tenant_id=order.tenant_id, pk=order.pk).update(
        sla_state=state, sla_due_at=due, expected_ready_at=expected_ready
    )
    order.sla_state, order.sla_due_at, order.expected_ready_at = state, due, expected_ready


def on_order_event(event: OrderEvent) -> None:
    """The orders listener: recompute the clocks when an event can move them, in the event's transaction.

    Database errors propagate (the change and its clocks stay one transaction); any other error is a bug
    here: it is logged, and the order change goes through without fresh clocks (the periodic task and the
    next event repair them), as an SLA bug must not stop reception from taking in orders.
    """
    if event.kind == EventKind.EDITED:
        if "priority" not in (event.data or {}).get("fields", []):
            return
    elif event.kind not in CLOCK_EVENT_KINDS:
        return
    try:
        with transaction.atomic():
            recompute_order(event.order)
    except DatabaseError:
        raise
    except Exception:
        logger.exception(
            "Could not recompute the SLA clocks of order %s after event %s", event.order_id, event.pk
        )


def rebuild_clocks(tenant: Tenant, *, only_open: bool = False, now: datetime | None = None) -> int:
    """Recompute the center's clocks from the orders' timelines (every verdict judged again unless
    `only_open`). Returns the number of orders. One order per transaction: a big center is not locked."""
    policies = policies_of(tenant)
    orders = Order.objects.for_tenant(tenant).select_related("intake_location__tenant").order_by("pk")
    if only_open:
        orders = orders.filter(status__in=OPEN_STATUSES)
    calendars: dict[int, WorkingCalendar] = {}
    count = 0
    for order in orders.iterator(chunk_size=200):
        if order.intake_location_id not in calendars:
            calendars[order.intake_location_id] = calendar_for(order.intake_location)
        with transaction.atomic():
            recompute_order(
                order,
                now=now,
                policies=policies,
                calendar=calendars[order.intake_location_id],
                keep_stopped=only_open,
            )
        count += 1
    return count


# --- The periodic task ------------------------------------------------------------------------------
def continue_clock(clock: SlaClock, calendar: WorkingCalendar, now: datetime) -> Reading:
    """The stored clock read at `now` without its timeline: nothing happened to the order since
    `computed_at` (an event would have recomputed it), so the clock ran on, or stayed paused."""
    pauses = (Pause("paused", clock.paused_since),) if clock.paused_since is not None else ()
    spec = ClockSpec(
        clock.target,
        max(clock.computed_at, clock.started_at),
        timedelta(seconds=clock.budget_seconds),
        ALWAYS_OPEN if clock.target == Target.ARRIVAL else calendar,
        None,
        pauses,
    )
    reading = read_clock(spec, now, used_before=timedelta(seconds=clock.used_seconds))
    if clock.used_seconds >= clock.budget_seconds:  # used up before: its deadline is the stored one
        reading = Reading(
            ClockState.BREACHED if clock.due_at < now else reading.state,
            reading.used,
            reading.budget,
            clock.due_at,
            paused_since=reading.paused_since,
            next_change_at=None,
        )
    return reading


def _alert_text(clock: SlaClock, stage: str) -> Text:
    """The timeline's words, as data: read in the reader's language, the due moment on their clock."""
    target = Target(clock.target).label
    if stage == SlaClock.Alerted.BREACHED:
        return say(
            gettext_noop("%(target)s: the deadline %(due)s has passed."), target=target, due=clock.due_at
        )
    return say(gettext_noop("%(target)s: at risk, due %(due)s."), target=target, due=clock.due_at)


def tick(now: datetime | None = None, limit: int = TICK_LIMIT) -> dict[str, int]:
    """Move the running clocks whose time has come on, alert once per stage, refresh the orders' summaries.

    Each clock is written with a conditional UPDATE on the `computed_at` it was read with, so an event that
    recomputed the order meanwhile wins and the task leaves that clock alone; the alert goes with the
    UPDATE that wins, so two workers never alert twice (and the outbox key would drop a second one anyway).
    """
    now = now or timezone.now()
    clocks = list(
        SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now, tenant__is_active=True)
        .select_related("order__tenant", "order__intake_location")
        .order_by("next_check_at")[:limit]
    )
    calendars: dict[int, WorkingCalendar] = {}
    moved = alerts = 0
    touched: dict[int, Order] = {}
    for clock in clocks:
        order = clock.order
        location: Location = order.intake_location
        location.tenant = order.tenant
        try:
            if location.pk not in calendars:
                calendars[location.pk] = calendar_for(location)
            reading = continue_clock(clock, calendars[location.pk], now)
        except NoWorkingTime:
            SlaClock.objects.filter(pk=clock.pk, computed_at=clock.computed_at).update(next_check_at=None)
            continue
        stage = alert_owed(clock.target, reading.state, clock.alerted)  # a jump to breached skips "at risk"
        alerted = stage or clock.alerted
        next_check = _next_check(clock.target, reading, alerted, now)
        with transaction.atomic():
            won = SlaClock.objects.filter(pk=clock.pk, computed_at=clock.computed_at).update(
                state=reading.state,
                used_seconds=_seconds(reading.used),
                due_at=reading.due_at,
                computed_at=now,
                next_check_at=next_check,
                alerted=alerted,
            )
            if not won:
                continue
            moved += 1
            clock.state, clock.due_at, clock.alerted = reading.state, reading.due_at, alerted
            if stage:
                with translation.override(order.tenant.language):  # the managers read the center's language
                    label = str(Target(clock.target).label)
                record_event(
                    order,
                    EventKind.SLA,
                    text=_alert_text(clock, stage),
                    data={
                        "target": clock.target,
                        "target_label": label,
                        "stage": stage,
                        "due_at": reading.due_at.isoformat(),
                    },
                )
                alerts += 1
        touched[order.pk] = order
    if touched:
        by_order: dict[int, list[SlaClock]] = {}
        for row in SlaClock.objects.filter(order_id__in=list(touched)):
            by_order.setdefault(row.order_id, []).append(row)
        for order_id, order in touched.items():
            write_summary(order, by_order.get(order_id, []))
    return {"checked": len(clocks), "moved": moved, "alerts": alerts}
