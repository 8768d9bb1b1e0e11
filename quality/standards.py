"""Service standards and SMART goals: saving them (managers), and judging them against the metrics.

A standard holds in a period when its target is met: with a share ("wait at most 5 min for 90 % of
clients") when at least that share of the judged items meets the per-item target; without one when the
period's value (the mean of its items, or the percent) meets it. A period without data is neither.

A goal's baseline is measured once, when it is set, over the baseline period; its target is the baseline
changed by the goal's percentage. Progress is how far the latest value has moved from the baseline towards
the target; the forecast is the least-squares line through the tracked periods' values, read at the
deadline's period. See docs/quality.md, "Standards and goals".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from orders.permissions import check_actor
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm

from .metrics import (
    METRICS,
    Context,
    Metric,
    Period,
    Reading,
    Scope,
    Threshold,
    compare,
    measure,
    periods_between,
    periods_up_to,
)
from .models import Comparison, Goal, PeriodKind, Standard

# How many periods a standard's trend shows (the current one included).
TREND_PERIODS: dict[str, int] = {PeriodKind.WEEK: 8, PeriodKind.MONTH: 6, PeriodKind.QUARTER: 4}
MAX_STANDARDS = 50  # per center: the standards page measures each one
MAX_GOALS = 50
MAX_GOAL_DAYS = 2 * 366  # a goal's deadline at most two years after it starts


# --- Saving ---------------------------------------------------------------------------------------


STANDARD_FIELDS = (
    "name",
    "metric",
    "location",
    "service_type",
    "comparison",
    "value",
    "share",
    "period",
    "control_method",
    "responsible",
    "is_active",
)


def _field_label(model: type[Standard] | type[Goal], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def standard_problem(tenant: Tenant, data: dict) -> str | None:
    """Why these values make no standard, or None (the form shows it)."""
    metric = METRICS.get(data.get("metric", ""))
    if metric is None:
        return _("Choose a metric.")
    if data.get("share") is not None and not metric.per_item:
        return _("“%(metric)s” is already a percentage: leave the share empty.") % {"metric": metric.label}
    if data.get("service_type") is not None and not metric.by_service_type:
        return _("“%(metric)s” is not measured per service: leave the service empty.") % {
            "metric": metric.label
        }
    value = data.get("value")
    if value is not None and (
        value < 0 or (metric.maximum is not None and value > Decimal(str(metric.maximum)))
    ):
        return (
            _("The target must be between 0 and %(maximum)s.") % {"maximum": metric.maximum}
            if metric.maximum
            else _("The target cannot be negative.")
        )
    for field in ("location", "service_type", "responsible"):
        related = data.get(field)
        if related is not None and related.tenant_id != tenant.pk:
            return _("Unknown %(field)s.") % {"field": _field_label(Standard, field)}
    return None


def save_standard(
    tenant: Tenant,
    data: dict,
    *,
    by: Membership,
    standard: Standard | None = None,
    expected_version: int | None = None,
) -> Standard:
    """Create a standard, or change one if nobody changed it since `expected_version` was read."""
    check_actor(by, Perm.STANDARDS_MANAGE, tenant_id=tenant.pk)
    problem = standard_problem(tenant, data)
    if problem:
        raise ValidationError(problem)
    values = {field: data[field] for field in STANDARD_FIELDS if field in data}
    try:
        with transaction.atomic():
            if standard is None:
                if Standard.objects.for_tenant(tenant).count() >= MAX_STANDARDS:
                    raise ValidationError(
                        _("A center can keep at most %(count)s standards.") % {"count": MAX_STANDARDS}
                    )
                return Standard.objects.create(tenant=tenant, **values)
            changed = Standard.objects.filter(
                pk=standard.pk, tenant=tenant, version=expected_version or 0
            ).update(version=F("version") + 1, **values)
            if not changed:
                raise ValidationError(
                    _("Someone changed this standard meanwhile. Reload the page and try again.")
                )
    except IntegrityError:
        raise ValidationError(_("A standard with this name exists already.")) from None
    standard.refresh_from_db()
    return standard


def delete_standard(standard: Standard, *, by: Membership) -> None:
    check_actor(by, Perm.STANDARDS_MANAGE, tenant_id=standard.tenant_id)
    Standard.objects.filter(pk=standard.pk, tenant_id=standard.tenant_id).delete()


def target_of(baseline: Decimal, change_percent: Decimal) -> Decimal:
    return (baseline * (1 + change_percent / 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_goal(tenant: Tenant, data: dict, *, by: Membership, context: Context | None = None) -> Goal:
    """A new goal: the baseline is measured now over the baseline period, the target follows from it."""
    check_actor(by, Perm.STANDARDS_MANAGE, tenant_id=tenant.pk)
    metric = METRICS.get(data.get("metric", ""))
    if metric is None:
        raise ValidationError(_("Choose a metric."))
    for field in ("location", "service_type", "responsible"):
        related = data.get(field)
        if related is not None and related.tenant_id != tenant.pk:
            raise ValidationError(_("Unknown %(field)s.") % {"field": _field_label(Goal, field)})
    if data.get("service_type") is not None and not metric.by_service_type:
        raise ValidationError(
            _("“%(metric)s” is not measured per service: leave the service empty.") % {"metric": metric.label}
        )
    start, end, starts_on, deadline = (
        data["baseline_start"],
        data["baseline_end"],
        data["starts_on"],
        data["deadline"],
    )
    if end < start:
        raise ValidationError(_("The baseline period ends before it starts."))
    if end >= tenant.local_date():
        raise ValidationError(_("The baseline period must be over: end it yesterday at the latest."))
    if deadline <= starts_on:
        raise ValidationError(_("The deadline must come after the start."))
    if (deadline - starts_on).days > MAX_GOAL_DAYS:
        raise ValidationError(_("Set a deadline within two years of the start."))
    change = data["change_percent"]
    if change == 0 or (change > 0) != metric.higher_is_better:
        message = (
            _("For “%(metric)s” more is better: give a positive change, e.g. 10.")
            if metric.higher_is_better
            else _("For “%(metric)s” less is better: give a negative change, e.g. -15.")
        )
        raise ValidationError(message % {"metric": metric.label})
    scope = Scope(
        tenant, getattr(data.get("location"), "pk", None), getattr(data.get("service_type"), "pk", None)
    )
    reading = measure(metric, scope, [Period(start, end)], context=context)[0]
    if reading.value is None:
        raise ValidationError(
            _("There is no data for “%(metric)s” in the baseline period: choose another period.")
            % {"metric": metric.label}
        )
    baseline = Decimal(str(reading.value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    target = target_of(baseline, change)
    if metric.maximum is not None and target > Decimal(str(metric.maximum)):
        raise ValidationError(
            _("The target (%(target)s) is beyond the most “%(metric)s” can be (%(maximum)s).")
            % {"target": target, "metric": metric.label, "maximum": metric.maximum}
        )
    with transaction.atomic():
        if Goal.objects.for_tenant(tenant).count() >= MAX_GOALS:
            raise ValidationError(_("A center can keep at most %(count)s goals.") % {"count": MAX_GOALS})
        return Goal.objects.create(
            tenant=tenant,
            title=data["title"],
            metric=metric.key,
            location=data.get("location"),
            service_type=data.get("service_type"),
            baseline_start=start,
            baseline_end=end,
            baseline_value=baseline,
            baseline_count=reading.count,
            change_percent=change,
            target_value=target,
            starts_on=starts_on,
            deadline=deadline,
            period=data.get("period") or PeriodKind.WEEK,
            responsible=data.get("responsible"),
        )


def delete_goal(goal: Goal, *, by: Membership) -> None:
    check_actor(by, Perm.STANDARDS_MANAGE, tenant_id=goal.tenant_id)
    Goal.objects.filter(pk=goal.pk, tenant_id=goal.tenant_id).delete()


# --- Judging standards -----------------------------------------------------------------------------


def threshold_of(standard: Standard) -> Threshold:
    return Threshold(standard.comparison, float(standard.value))


def figure(standard: Standard, reading: Reading) -> float | None:
    """What the standard compares in a period: the share meeting the target, or the period's value."""
    return reading.share if standard.share is not None else reading.value


def holds(standard: Standard, reading: Reading) -> bool | None:
    """Does the standard hold in this period? None when the period has no data."""
    if standard.share is not None:
        return None if reading.share is None else reading.share >= float(standard.share)
    return (
        None if reading.value is None else compare(reading.value, standard.comparison, float(standard.value))
    )


@dataclass(frozen=True)
class StandardStatus:
    standard: Standard
    metric: Metric
    readings: list[Reading]  # oldest first; the last is the current period (so far)
    verdict: Reading  # the period judged: the current one, or the one before while the current has no data
    holds: bool | None
    sparkline: SafeString

    @property
    def current(self) -> Reading:
        return self.readings[-1]

    @property
    def trend(self) -> list[tuple[Reading, float | None, bool | None]]:
        return [
            (reading, figure(self.standard, reading), holds(self.standard, reading))
            for reading in self.readings
        ]


def _standard_plan(standard: Standard, tenant: Tenant, day: date) -> tuple[Metric, Scope, list[Period]]:
    return (
        METRICS[standard.metric],
        Scope(tenant, standard.location_id, standard.service_type_id),
        periods_up_to(standard.period, day, TREND_PERIODS[standard.period]),
    )


def _goal_plan(goal: Goal, today: date) -> tuple[Metric, Scope, list[Period], int]:
    """The goal's metric and scope, its tracked periods so far, and the deadline's period index."""
    all_periods = periods_between(goal.period, goal.starts_on, goal.deadline)
    tracked = [period for period in all_periods if period.first <= today] or all_periods[:1]
    return (
        METRICS[goal.metric],
        Scope(goal.tenant, goal.location_id, goal.service_type_id),
        tracked,
        len(all_periods) - 1,
    )


def prefetch(context: Context, standards: Sequence[Standard], goals: Sequence[Goal], today: date) -> None:
    """Tell the context every span the page will measure, so each metric's rows are read once per scope."""
    for standard in standards:
        if standard.metric in METRICS:
            metric, scope, periods = _standard_plan(standard, context.tenant, today)
            context.prefetch(metric, scope, periods)
    for goal in goals:
        if goal.metric in METRICS:
            metric, scope, periods, _deadline = _goal_plan(goal, today)
            context.prefetch(metric, scope, periods)


def judge(
    standards: Sequence[Standard], *, today: date | None = None, context: Context | None = None
) -> list[StandardStatus]:
    """Each standard's trend over its last periods and whether it holds now. The figures of standards
    on the same metric, scope, period and target are measured once."""
    statuses: list[StandardStatus] = []
    if not standards:
        return statuses
    context = context or Context(standards[0].tenant)
    tenant = context.tenant
    day = today or tenant.local_date(context.now)
    prefetch(context, standards, [], day)
    measured: dict[tuple, list[Reading]] = {}
    for standard in standards:
        metric = METRICS.get(standard.metric)
        if metric is None:
            continue  # a metric taken out of the registry: nothing to judge
        _metric, scope, periods = _standard_plan(standard, tenant, day)
        key = (
            standard.metric,
            scope,
            standard.period,
            standard.comparison,
            standard.value,
            standard.share is None,
        )
        if key not in measured:
            measured[key] = measure(metric, scope, periods, threshold=threshold_of(standard), context=context)
        readings = measured[key]
        verdict = readings[-1]
        if holds(standard, verdict) is None and len(readings) > 1:
            verdict = readings[-2]
        target = float(standard.share) if standard.share is not None else float(standard.value)
        statuses.append(
            StandardStatus(
                standard=standard,
                metric=metric,
                readings=readings,
                verdict=verdict,
                holds=holds(standard, verdict),
                sparkline=sparkline(
                    [figure(standard, reading) for reading in readings],
                    target,
                    [holds(standard, reading) for reading in readings],
                ),
            )
        )
    return statuses


# --- Goals: progress and forecast ------------------------------------------------------------------


def least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(intercept, slope) of the line y = a + b·x nearest the points, or None for fewer than two distinct x."""
    if len({x for x, _y in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _y in points)
    return mean_y - slope * mean_x, slope


def progress(baseline: float, target: float, current: float) -> float | None:
    """Percent of the way from the baseline to the target (negative: moved away; over 100: beyond)."""
    if target == baseline:
        return None
    return (current - baseline) / (target - baseline) * 100


def meets(value: float, target: float, *, higher_is_better: bool) -> bool:
    return value >= target if higher_is_better else value <= target


class GoalState:
    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    TOO_EARLY = "too_early"  # fewer than two tracked periods with data: no forecast yet


@dataclass(frozen=True)
class GoalStatus:
    goal: Goal
    metric: Metric
    readings: list[Reading]  # the tracked periods so far (from the start to today or the deadline)
    deadline_index: int  # the deadline's period, counted from the first tracked period (0)
    current: Reading | None  # the latest tracked period with data
    progress: float | None
    forecast: float | None  # the trend line's value in the deadline's period
    state: str
    sparkline: SafeString

    @property
    def periods_left(self) -> int:
        return max(0, self.deadline_index - (len(self.readings) - 1))


def is_young(period: Period, today: date) -> bool:
    """Less than half of the period has passed by the end of today."""
    days = (period.last - period.first).days + 1
    passed = (min(today, period.last) - period.first).days + 1
    return passed * 2 < days


def follow(goal: Goal, *, today: date | None = None, context: Context | None = None) -> GoalStatus:
    """Where a goal stands: its value per tracked period, progress, the forecast and whether it is on track."""
    context = context or Context(goal.tenant)
    today = today or goal.tenant.local_date(context.now)
    metric, scope, tracked, deadline_index = _goal_plan(goal, today)
    readings = measure(metric, scope, tracked, context=context)
    # A period counts once it is half over: two days into a week, its few finished orders said more about
    # luck than about the goal (the demo read 347 % on a Tuesday). Until then "now" and the trend line stand
    # on the periods before it, if any has data; the sparkline still shows the running one.
    settled = readings[:-1] if len(readings) > 1 and is_young(readings[-1].period, today) else readings
    if all(reading.value is None for reading in settled):
        settled = readings
    with_data = [
        (float(index), reading.value) for index, reading in enumerate(settled) if reading.value is not None
    ]
    current = next((reading for reading in reversed(settled) if reading.value is not None), None)
    baseline, target = float(goal.baseline_value), float(goal.target_value)
    line = least_squares(with_data)
    forecast = line[0] + line[1] * deadline_index if line else None
    if forecast is not None:  # a straight line may run below zero or past the most the metric can be
        ceiling = metric.maximum if metric.maximum is not None else math.inf
        forecast = min(max(forecast, 0.0), ceiling)
    if today > goal.deadline:
        at_deadline = current.value if current is not None else None
        state = (
            GoalState.MISSED
            if at_deadline is None or not meets(at_deadline, target, higher_is_better=metric.higher_is_better)
            else GoalState.ACHIEVED
        )
    elif forecast is None:
        state = GoalState.TOO_EARLY
    else:
        state = (
            GoalState.ON_TRACK
            if meets(forecast, target, higher_is_better=metric.higher_is_better)
            else GoalState.OFF_TRACK
        )
    return GoalStatus(
        goal=goal,
        metric=metric,
        readings=readings,
        deadline_index=deadline_index,
        current=current,
        progress=progress(baseline, target, current.value)
        if current is not None and current.value is not None
        else None,
        forecast=forecast,
        state=state,
        sparkline=sparkline(
            [reading.value for reading in readings], target, None, slots=deadline_index + 1, line=line
        ),
    )


# --- The reception board's target ------------------------------------------------------------------


def reception_wait_targets(tenant: Tenant, locations: Sequence[Location]) -> dict[int, float]:
    """Minutes each location's clients may wait, from the center's "reception wait at most ..." standards
    (registered with reception.targets): a location's own standard beats a center-wide one."""
    rows = (
        Standard.objects.for_tenant(tenant)
        .filter(metric="reception_wait", comparison=Comparison.AT_MOST, is_active=True)
        .filter(Q(location__isnull=True) | Q(location__in=[location.pk for location in locations]))
        .order_by("value")
        .values_list("location_id", "value")
    )
    center = None
    targets: dict[int, float] = {}
    for location_id, value in rows:  # the strictest first
        if location_id is None:
            center = float(value) if center is None else center
        else:
            targets.setdefault(location_id, float(value))
    if center is not None:
        for location in locations:
            targets.setdefault(location.pk, center)
    return targets


# --- Sparklines ------------------------------------------------------------------------------------

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 40, 4


def sparkline(
    values: Sequence[float | None],
    target: float | None,
    verdicts: Sequence[bool | None] | None,
    *,
    slots: int | None = None,
    line: tuple[float, float] | None = None,
) -> SafeString:
    """A small SVG of the values (gaps where None), the target as a dashed line, and optionally a trend line
    over `slots` positions (a goal's periods up to its deadline). Styled by classes (static/css/quality.css):
    no inline style, so the content-security policy allows it."""
    slots = max(slots or len(values), 2)
    known = [value for value in values if value is not None]
    span_values = known + ([target] if target is not None else [])
    if line is not None:
        span_values += [line[0], line[0] + line[1] * (slots - 1)]
    if not span_values:
        return format_html(
            '<svg class="sparkline" viewBox="0 0 {} {}" role="img" aria-hidden="true"></svg>',
            SPARK_WIDTH,
            SPARK_HEIGHT,
        )
    low, high = min(span_values), max(span_values)
    if high == low:
        low, high = low - 1, high + 1

    def x(index: float) -> str:
        return f"{SPARK_PAD + index * (SPARK_WIDTH - 2 * SPARK_PAD) / (slots - 1):.1f}"

    def y(value: float) -> str:
        return (
            f"{SPARK_HEIGHT - SPARK_PAD - (value - low) * (SPARK_HEIGHT - 2 * SPARK_PAD) / (high - low):.1f}"
        )

    parts = []
    if target is not None:
        parts.append(
            format_html(
                '<line class="spark-target" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                x(0),
                x(slots - 1),
                y(target),
                y(target),
            )
        )
    if line is not None:
        parts.append(
            format_html(
                '<line class="spark-forecast" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                x(0),
                x(slots - 1),
                y(line[0]),
                y(line[0] + line[1] * (slots - 1)),
            )
        )
    run: list[str] = []
    for index, value in enumerate([*values, None]):
        if value is not None:
            run.append(f"{x(index)},{y(value)}")
        elif run:
            parts.append(format_html('<polyline class="spark-line" points="{}"/>', " ".join(run)))
            run = []
    verdicts = verdicts or [None] * len(values)
    parts.append(
        format_html_join(
            "",
            '<circle class="spark-dot{}" cx="{}" cy="{}" r="2.5"/>',
            (
                (" spark-fail" if verdict is False else " spark-ok" if verdict else "", x(index), y(value))
                for index, (value, verdict) in enumerate(zip(values, verdicts, strict=False))
                if value is not None
            ),
        )
    )
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" role="img" aria-hidden="true">{}</svg>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        format_html_join("", "{}", ((part,) for part in parts)),
    )
