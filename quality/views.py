"""Pages of the quality app: the client's feedback form (public link, no account), the managers' list,
the business hours (locations' weeks, the center's own days off, the coming public holidays) and the
service-level policies, and the managers' dashboard with its CSV exports."""

from __future__ import annotations

import csv
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.models import ServiceType
from orders.public import guarded_order
from servicedesk.pagecache import cached_page
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.public import TooMany, private, switch_language, too_many
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.models import Location
from servicedesk.tenancy.roles import Perm, has_perm

from . import charts, dashboard, hours, metrics, policies, services
from . import standards as standards_service
from .calendar import format_hours
from .clocks import policies_of
from .forms import (
    CalendarDayForm,
    DashboardForm,
    FeedbackFilter,
    FeedbackForm,
    GoalForm,
    SlaPolicyForm,
    StandardForm,
    WeekForm,
)
from .models import AfterSalesSettings, CalendarDay, Feedback, Goal, SlaPolicy, Standard, Weekday

PAGE_SIZE = 50
PERIOD_FILTERS = ("technician", "since", "until")
SUMMARY_DAYS = 90  # the summary's period when the filters give no start date


# No CSRF check, as on the status page's estimate decision: the token in the URL is the only credential.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def public_feedback(request: HttpRequest, token: str) -> HttpResponse:
    """How did we do? A rating and a comment, once per handed-over order."""
    try:
        order = guarded_order(request, token)
    except TooMany:
        return too_many()
    if request.method == "GET" and "language" in request.GET:
        return private(switch_language(request, reverse("quality:feedback", args=[order.public_token])))
    feedback = Feedback.objects.filter(tenant_id=order.tenant_id, order=order).first()
    ask = feedback is None and AfterSalesSettings.for_tenant(order.tenant_id).ask_recommendation
    form = FeedbackForm(request.POST if request.method == "POST" else None, ask_recommendation=ask)
    if request.method == "POST" and feedback is None and form.is_valid():
        try:
            services.leave_feedback(
                order,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                recommend=form.cleaned_data.get("recommend"),
            )
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you for your feedback!"))
        return private(redirect("quality:feedback", token=order.public_token))
    context = {
        "order": order,
        "center": order.tenant,
        "tenant": None,
        "form": form,
        "feedback": feedback,
        "why_not": None if feedback else services.why_no_feedback(order),
        "low_rating": services.LOW_RATING,
    }
    return private(render(request, "quality/public_feedback.html", context))


@tenant_view(Perm.REPORTS_VIEW)
@require_GET
@cached_page
def feedback_list(request: TenantRequest) -> HttpResponse:
    """Every rating clients left, newest first, with the average and the split by technician."""
    base = Feedback.objects.for_tenant(request.tenant)
    filterset = FeedbackFilter(request.GET, queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()
    page = keyset_page(
        qs.select_related("order", "order__client", "order__service_type", "technician__user"),
        [SortKey("created_at", True), SortKey("id", True)],
        request.GET.get("cursor"),
        PAGE_SIZE,
    )
    # The summary ignores the rating filters, so "only 1-3" still shows the whole picture of the period:
    # the same validated filters, minus those two (no second validation, no second technician look-up).
    period_qs = base.none()
    summary_days = None
    if filterset.is_valid():
        period_qs = base
        for name in PERIOD_FILTERS:
            period_qs = filterset.filters[name].filter(period_qs, filterset.form.cleaned_data.get(name))
        if not filterset.form.cleaned_data.get("since"):
            # Without a start date the summary covers the last SUMMARY_DAYS days, not every rating the center
            # ever had: its three aggregates then cost the same after one year or ten (issue 12).
            summary_days = SUMMARY_DAYS
            period_qs = period_qs.filter(created_at__gte=timezone.now() - timedelta(days=SUMMARY_DAYS))
    return render(
        request,
        "quality/feedback_list.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": page.rows,
            "query": query_without_cursor(request.GET),
            "summary": services.summarize(period_qs),
            "technicians": services.by_technician(period_qs),
            "nps": services.nps(period_qs),
            "low_rating": services.LOW_RATING,
            "summary_days": summary_days,
        },
    )


HOLIDAYS_AHEAD = 60  # days of public holidays shown on the hours page


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def business_hours(request: TenantRequest) -> HttpResponse:
    """Each location's week, the center's own days (with a form to add one) and the coming holidays."""
    tenant = request.tenant
    form = CalendarDayForm(request.POST or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                day = form.save()
        except IntegrityError:  # the same date saved a moment ago by someone else
            messages.error(request, _("This date already has an entry; delete it first."))
        else:
            messages.success(request, _("%(date)s saved.") % {"date": date_format(day.date)})
            return redirect("quality:business_hours", tenant_slug=tenant.slug)
    today = timezone.localdate()
    active = list(Location.objects.for_tenant(tenant).active().order_by("name"))
    weeks = hours.own_weeks(tenant, active)
    locations = []
    for location in active:
        week = weeks.get(location.pk, hours.DEFAULT_WEEK)
        locations.append(
            (location, location.pk in weeks, [(day.label, format_hours(week[day.value])) for day in Weekday])
        )
    days = (
        CalendarDay.objects.for_tenant(tenant)
        .filter(date__gte=today - timedelta(days=7))
        .select_related("location")
        .order_by("date", "location__name")
    )
    return render(
        request,
        "quality/business_hours.html",
        {
            "form": form,
            "locations": locations,
            "days": days,
            "country": tenant.country,
            "holidays": hours.coming_holidays(tenant, today, HOLIDAYS_AHEAD),
            "holidays_ahead": HOLIDAYS_AHEAD,
        },
    )


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def location_hours(request: TenantRequest, location_id: int) -> HttpResponse:
    """Edit one location's week, or send it back to the center's standard week."""
    location = get_for_tenant_or_404(Location, request.tenant, pk=location_id)
    own = hours.own_week(location)
    if request.method == "POST" and request.POST.get("action") == "standard":
        hours.reset_week(location, by=request.membership)
        messages.success(request, _("%(location)s works the standard week again.") % {"location": location})
        return redirect("quality:business_hours", tenant_slug=request.tenant.slug)
    form = WeekForm(request.POST or None, week=own or hours.DEFAULT_WEEK)
    if request.method == "POST" and form.is_valid():
        try:
            hours.set_week(location, form.week, by=request.membership)
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, _("Business hours of %(location)s saved.") % {"location": location})
            return redirect("quality:business_hours", tenant_slug=request.tenant.slug)
    return render(
        request, "quality/location_hours.html", {"form": form, "location": location, "own": own is not None}
    )


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_POST
def calendar_day_delete(request: TenantRequest, calendar_day_id: int) -> HttpResponse:
    day = get_for_tenant_or_404(CalendarDay, request.tenant, pk=calendar_day_id)
    day.delete()
    messages.success(request, _("%(date)s deleted.") % {"date": date_format(day.date)})
    return redirect("quality:business_hours", tenant_slug=request.tenant.slug)


# --- Standards and goals ---------------------------------------------------------------------------
# --- The managers' dashboard ----------------------------------------------------------------------------


def _dashboard_scope(
    request: TenantRequest, ignore: tuple[str, ...] = ()
) -> tuple[DashboardForm, dashboard.Scope, list[ServiceType], bool]:
    """The form, the scope it gives (the default one when the filters are not valid), the service types, and
    whether the filters were valid. Two queries: the center's locations and service types."""
    tenant = request.tenant
    query = request.GET.copy()
    for name in ignore:
        query.pop(name, None)
    locations = list(Location.objects.for_tenant(tenant).order_by("name", "pk"))
    service_types = list(ServiceType.objects.for_tenant(tenant).order_by("name", "pk"))
    form = DashboardForm(
        query or None, locations=locations, service_types=service_types, today=tenant.local_date()
    )
    if not query:
        return form, dashboard.default_scope(tenant), service_types, True
    if form.is_valid():
        return form, form.scope(tenant), service_types, True
    return form, dashboard.default_scope(tenant), service_types, False


@tenant_view(Perm.REPORTS_VIEW)
@require_GET
def standards(request: TenantRequest) -> HttpResponse:
    """Each standard's value now, its trend and whether it holds; each goal's progress and forecast."""
    tenant = request.tenant
    # Figures are kept a few minutes (standards are judged per week or more); edits show at once, since
    # the cache key holds the target.
    context = metrics.Context(tenant, cache_seconds=settings.STANDARDS_CACHE_SECONDS)
    rows = list(
        Standard.objects.for_tenant(tenant)
        .select_related("location", "service_type", "responsible__user")
        .order_by("-is_active", "name")[: standards_service.MAX_STANDARDS]
    )
    for row in rows:
        row.tenant = tenant
    goals = list(
        Goal.objects.for_tenant(tenant)
        .select_related("location", "service_type", "responsible__user")
        .order_by("deadline", "id")[: standards_service.MAX_GOALS]
    )
    for goal in goals:
        goal.tenant = tenant
    in_force = [row for row in rows if row.is_active]
    standards_service.prefetch(context, in_force, goals, tenant.local_date(context.now))
    return render(
        request,
        "quality/standards.html",
        {
            "statuses": standards_service.judge(in_force, context=context),
            "inactive": [row for row in rows if not row.is_active],
            "goals": [
                standards_service.follow(goal, context=context)
                for goal in goals
                if goal.metric in metrics.METRICS
            ],
            "can_manage": has_perm(request.membership.role, Perm.STANDARDS_MANAGE),
        },
    )


@tenant_view(Perm.STANDARDS_MANAGE)
@require_http_methods(["GET", "POST"])
def standard_edit(request: TenantRequest, standard_id: int | None = None) -> HttpResponse:
    tenant = request.tenant
    standard = get_for_tenant_or_404(Standard, tenant, pk=standard_id) if standard_id else None
    initial: dict[str, object] = {"is_active": True}
    if standard is not None:
        initial = {field: getattr(standard, field) for field in standards_service.STANDARD_FIELDS}
        initial["version"] = standard.version
    form = StandardForm(request.POST or None, tenant=tenant, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            saved = standards_service.save_standard(
                tenant, data, by=request.membership, standard=standard, expected_version=version
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, _("Standard “%(name)s” saved.") % {"name": saved.name})
            return redirect("quality:standards", tenant_slug=tenant.slug)
    return render(
        request,
        "quality/standard_form.html",
        {"form": form, "standard": standard, "metrics": metrics.METRICS.values()},
    )


@tenant_view(Perm.STANDARDS_MANAGE)
@require_POST
def standard_delete(request: TenantRequest, standard_id: int) -> HttpResponse:
    standard = get_for_tenant_or_404(Standard, request.tenant, pk=standard_id)
    standards_service.delete_standard(standard, by=request.membership)
    messages.success(request, _("Standard “%(name)s” deleted.") % {"name": standard.name})
    return redirect("quality:standards", tenant_slug=request.tenant.slug)


@tenant_view(Perm.STANDARDS_MANAGE)
@require_http_methods(["GET", "POST"])
def goal_new(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    today = tenant.local_date()
    last_month = metrics.period_of(metrics.PeriodKind.MONTH, today.replace(day=1) - timedelta(days=1))
    form = GoalForm(
        request.POST or None,
        tenant=tenant,
        initial={
            "baseline_start": last_month.first,
            "baseline_end": last_month.last,
            "change_percent": "-15",
            "starts_on": today,
            "deadline": today + timedelta(days=91),
            "metric": "time_to_ready",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            goal = standards_service.set_goal(tenant, form.cleaned_data, by=request.membership)
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(
                request,
                _("Goal “%(title)s” set: from %(baseline)s to %(target)s.")
                % {"title": goal.title, "baseline": goal.baseline_value, "target": goal.target_value},
            )
            return redirect("quality:standards", tenant_slug=tenant.slug)
    return render(request, "quality/goal_form.html", {"form": form, "metrics": metrics.METRICS.values()})


@tenant_view(Perm.STANDARDS_MANAGE)
@require_POST
def goal_delete(request: TenantRequest, goal_id: int) -> HttpResponse:
    goal = get_for_tenant_or_404(Goal, request.tenant, pk=goal_id)
    standards_service.delete_goal(goal, by=request.membership)
    messages.success(request, _("Goal “%(title)s” deleted.") % {"title": goal.title})
    return redirect("quality:standards", tenant_slug=request.tenant.slug)


# --- Service-level policies --------------------------------------------------------------------------
def _policy_rows(tenant) -> list[SlaPolicy]:
    """The general policy first, then by service and priority."""
    return sorted(
        policies_of(tenant),
        key=lambda p: (
            p.service_type_id is not None,
            p.service_type.name if p.service_type else "",
            p.priority is not None,
            p.priority or 0,
            p.pk,
        ),
    )


def _save_policy(request: TenantRequest, form: SlaPolicyForm, policy: SlaPolicy | None) -> SlaPolicy | None:
    try:
        return policies.save_policy(request.tenant, form.policy_data(), by=request.membership, policy=policy)
    except ValidationError as problem:
        form.add_error(None, problem)
        return None


@tenant_view(Perm.SLA_MANAGE)
@require_http_methods(["GET", "POST"])
def sla_policies(request: TenantRequest) -> HttpResponse:
    """The center's service-level targets, and a form to add a policy for a service or a priority."""
    tenant = request.tenant
    form = SlaPolicyForm(request.POST or None, tenant=tenant)
    if request.method == "POST" and form.is_valid() and _save_policy(request, form, None):
        messages.success(request, _("Policy added. Open orders follow it from now on."))
        return redirect("quality:sla_policies", tenant_slug=tenant.slug)
    return render(request, "quality/sla_policies.html", {"policies": _policy_rows(tenant), "form": form})


@tenant_view(Perm.SLA_MANAGE)
@require_http_methods(["GET", "POST"])
def sla_policy_edit(request: TenantRequest, policy_id: int) -> HttpResponse:
    policy = get_for_tenant_or_404(
        SlaPolicy.objects.select_related("service_type"), request.tenant, pk=policy_id
    )
    form = SlaPolicyForm(request.POST or None, tenant=request.tenant, policy=policy)
    if request.method == "POST" and form.is_valid() and _save_policy(request, form, policy):
        messages.success(request, _("Policy saved. Open orders follow it from now on."))
        return redirect("quality:sla_policies", tenant_slug=request.tenant.slug)
    return render(request, "quality/sla_policy_edit.html", {"form": form, "policy": policy})


@tenant_view(Perm.SLA_MANAGE)
@require_POST
def sla_policy_delete(request: TenantRequest, policy_id: int) -> HttpResponse:
    policy = get_for_tenant_or_404(SlaPolicy, request.tenant, pk=policy_id)
    try:
        policies.delete_policy(policy, by=request.membership)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, _("Policy deleted."))
    return redirect("quality:sla_policies", tenant_slug=request.tenant.slug)


@tenant_view(Perm.REPORTS_VIEW)
@require_GET
def dashboard_page(request: TenantRequest) -> HttpResponse:
    """The managers' dashboard: now, flow, time, SLA, people; every figure links to its orders."""
    form, scope, service_types, valid = _dashboard_scope(request)
    if not valid:
        messages.warning(
            request,
            _("Some filters are not valid, so the last 30 days of every location and service are shown."),
        )
    board = dashboard.build(scope, service_types)
    query = urlencode(scope.query())
    flow_days = [d.day for d in board.flow.days]
    day_names = {day: date_format(day) for day in flow_days}
    flow_chart = charts.bar_chart(
        flow_days,
        [
            charts.Series(
                "bar-taken",
                [d.taken_in for d in board.flow.days],
                [d.taken_in_url for d in board.flow.days],
                [
                    _("%(day)s: %(n)s taken in") % {"day": day_names[d.day], "n": d.taken_in}
                    for d in board.flow.days
                ],
            ),
            charts.Series(
                "bar-done",
                [d.completed for d in board.flow.days],
                [d.completed_url for d in board.flow.days],
                [
                    _("%(day)s: %(n)s handed over") % {"day": day_names[d.day], "n": d.completed}
                    for d in board.flow.days
                ],
            ),
        ],
        _("Orders taken in and handed over per day"),
    )
    backlog_chart = charts.line_chart(
        flow_days,
        [d.backlog for d in board.flow.days],
        [d.backlog_url for d in board.flow.days],
        [
            _("%(day)s: %(n)s open at the end of the day") % {"day": day_names[d.day], "n": d.backlog}
            for d in board.flow.days
        ],
        "line-backlog",
        _("Open orders at the end of each day"),
    )
    sla_lines = []
    for row in board.sla or []:
        sla_lines.append(
            (
                row,
                charts.sparkline(
                    [met / (met + missed) if met + missed else None for _week, met, missed in row.weeks],
                    [
                        _("Week of %(day)s: %(met)s of %(n)s met")
                        % {"day": date_format(week), "met": met, "n": met + missed}
                        for week, met, missed in row.weeks
                    ],
                    _("Weekly compliance"),
                ),
            )
        )
    return render(
        request,
        "quality/dashboard.html",
        {
            "form": form,
            "board": board,
            "scope": scope,
            "query": query,
            "flow_chart": flow_chart,
            "backlog_chart": backlog_chart,
            "sla_lines": sla_lines,
            "periods": dashboard.PERIODS,
            "exports": EXPORTS,
        },
    )


def _hours(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _export_rows(table: str, scope: dashboard.Scope, service_types: list[ServiceType]):
    """The header and rows of one table, plain values (hours and percentages as numbers)."""
    links = dashboard.Links(scope)
    if table == "now":
        now = dashboard.now_figures(scope, links)
        yield [_("Figure"), _("Orders")]
        for figure in [now.open, *now.stages, *now.waiting, *(now.sla or [])]:
            yield [str(figure.label) + (f" ({figure.hint})" if figure.hint else ""), figure.value]
    elif table == "flow":
        now = dashboard.now_figures(scope, links)
        flow = dashboard.flow_figures(scope, links, now.open.value or 0)
        yield [_("Day"), _("Taken in"), _("Handed over"), _("Cancelled"), _("Open at the end of the day")]
        for day in flow.days:
            yield [day.day.isoformat(), day.taken_in, day.completed, day.cancelled, day.backlog]
    elif table == "times":
        cells = dashboard.period_cells(scope)
        types = [st for st in service_types if not scope.service_type or st.pk == scope.service_type.pk]
        measures = dashboard.MEASURE_LABELS
        tables = dashboard.time_table(scope, links, cells, types, measures)
        yield [
            _("Service"),
            _("Handed over"),
            *(
                f"{label} {which}"
                for label in measures.values()
                for which in (_("median, h"), _("90th percentile, h"))
            ),
        ]
        for time_row in [*tables.rows, tables.total]:
            yield [time_row.label, time_row.completed, *(_hours(v) for pair in time_row.cells for v in pair)]
    elif table == "technicians":
        cells = dashboard.period_cells(scope)
        yield [
            _("Technician"),
            _("Handed over"),
            _("Median repair time, h"),
            _("First-time fix, %"),
            _("Failed checks"),
            _("Hours logged"),
            _("Hours available"),
            _("Load, %"),
            _("Average rating"),
            _("Ratings"),
        ]
        for person in dashboard.technicians_table(scope, links, cells):
            yield [
                person.name,
                person.completed,
                _hours(person.median_repair),
                _share(person.first_time_rate),
                person.failed_checks,
                f"{person.work_hours:.2f}",
                "" if person.available_hours is None else f"{person.available_hours:.2f}",
                _share(person.load),
                "" if person.average_rating is None else f"{person.average_rating:.2f}",
                person.ratings,
            ]
    elif table == "service_types":
        cells = dashboard.period_cells(scope)
        types = [st for st in service_types if not scope.service_type or st.pk == scope.service_type.pk]
        yield [
            _("Service"),
            _("Taken in"),
            _("Handed over"),
            _("Cancelled"),
            _("Median end to end, h"),
            _("90th percentile end to end, h"),
            _("First-time fix, %"),
            _("Average rating"),
            _("Ratings"),
            _("Hours logged"),
        ]
        for service in dashboard.service_types_table(scope, links, cells, types):
            yield [
                service.service_type.name,
                service.taken_in,
                service.completed,
                service.cancelled,
                _hours(service.median_e2e),
                _hours(service.p90_e2e),
                _share(service.first_time_rate),
                "" if service.average_rating is None else f"{service.average_rating:.2f}",
                service.ratings,
                f"{service.work_hours:.2f}",
            ]
    elif table == "sla":
        yield [_("Target"), _("Week"), _("Met"), _("Missed"), _("Compliance, %")]
        for target in dashboard.sla_compliance(scope):
            for week, met, missed in target.weeks:
                yield [
                    target.label,
                    week.isoformat(),
                    met,
                    missed,
                    _share(met / (met + missed) if met + missed else None),
                ]
            yield [target.label, _("whole period"), target.met, target.missed, _share(target.rate)]


EXPORTS = {
    "now": gettext_lazy("Now"),
    "flow": gettext_lazy("Flow"),
    "times": gettext_lazy("Time"),
    "technicians": gettext_lazy("Technicians"),
    "service_types": gettext_lazy("Services"),
    "sla": gettext_lazy("SLA"),
}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe_cell(value) -> object:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (CSV injection)."""
    text = str(value) if value is not None else ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@tenant_view(Perm.REPORTS_VIEW)
@require_GET
def dashboard_export(request: TenantRequest) -> HttpResponse | StreamingHttpResponse:
    """One of the dashboard's tables (?table=...) as CSV, streamed, with the page's filters."""
    table = request.GET.get("table", "")
    if table not in EXPORTS:
        raise Http404("No such table.")
    form, scope, service_types, valid = _dashboard_scope(request, ignore=("table",))
    if not valid:
        return HttpResponseBadRequest(
            _("Some filters are not valid: %(errors)s")
            % {"errors": " ".join(str(e) for errors in form.errors.values() for e in errors)},
            content_type="text/plain",
        )
    writer = csv.writer(_Echo())
    # Computed here, inside the request (its time zone, language and database connection); only the writing is
    # streamed. A table has at most a few hundred rows (366 days, the center's technicians or services).
    rows = [[_safe_cell(cell) for cell in row] for row in _export_rows(table, scope, service_types)]
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    name = f"{request.tenant.slug}-{table}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
