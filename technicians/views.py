"""Pages of planning and execution: planning board, assignment, visits, my jobs, timer, work log, hours.

Plain function views wrapped in tenant_view; the rules live in planning.py, worklog.py and stock.services.
Times are shown and read in the tenant's time zone (tenant_view activates it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import Context
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders import services as order_services
from orders.access import order_or_404, to_order
from orders.lifecycle import (
    TRANSITIONS,
    OrderChanged,
    TransitionRefused,
    available_actions,
    prepare_guards,
    transition,
)
from orders.models import CLOSED_STATUSES, LineItem, Order, OrderStatus
from orders.panels import render_panels
from orders.permissions import ActorRefused
from servicedesk.pagecache import cached_page
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm, Role, has_perm
from servicedesk.web import say_form_errors
from stock import services as stock
from stock.forms import ReleaseForm, ReserveForm, UsePartForm
from stock.models import PartReservation, StockLevel

from . import planning, profiles, worklog
from .forms import (
    BoardForm,
    DayForm,
    HoursForm,
    JobActionForm,
    JobNoteForm,
    LabourForm,
    PlanForm,
    SuggestForm,
    TechnicianProfileForm,
    TimerForm,
    TimerSettingForm,
    WorkLogForm,
)
from .models import (
    TechnicianProfile,
)
from .panels import SUGGESTED_PARTS


def _say(request: HttpRequest, problem: Exception) -> None:
    for text in getattr(problem, "messages", None) or [str(problem)]:
        messages.error(request, text)


def _back(request: TenantRequest, order: Order | None = None) -> HttpResponse:
    """Where a POST returns: my jobs (to the job's card), the board, or the order page."""
    slug = request.tenant.slug
    target = request.POST.get("next", "")
    if target == "my_jobs" or order is None:
        # The job just touched stays in view: its group opens (?job=) and the page scrolls to its card.
        url = reverse("technicians:my_jobs", args=[slug])
        return redirect(f"{url}?job={order.number}#job-{order.number}" if order else url)
    if target == "board":
        return redirect("technicians:board", tenant_slug=slug)
    return redirect("orders:detail", tenant_slug=slug, order_number=order.number)


# --- Technicians -----------------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_PLAN)
@require_GET
def technician_list(request: TenantRequest) -> HttpResponse:
    members = planning.board_members(request.tenant).select_related("user")
    rows = [(m, planning.profile_of(m)) for m in members]
    others = order_services.technician_choices(request.tenant).exclude(pk__in=[m.pk for m, _p in rows])
    return render(
        request,
        "technicians/technician_list.html",
        {"rows": rows, "others": others, "can_edit": has_perm(request.membership.role, Perm.MEMBERS_MANAGE)},
    )


@tenant_view(Perm.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def technician_edit(request: TenantRequest, membership_id: int) -> HttpResponse:
    member = get_for_tenant_or_404(
        Membership.objects.select_related("user"), request.tenant, pk=membership_id
    )
    profile = TechnicianProfile.objects.filter(
        tenant=request.tenant, membership=member
    ).first() or TechnicianProfile(tenant=request.tenant, membership=member)
    form = TechnicianProfileForm(request.POST or None, instance=profile, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        profiles.save_profile(
            form.save(commit=False), list(form.cleaned_data["skills"]), by=request.membership
        )
        messages.success(request, _("Profile of %(name)s saved.") % {"name": member.user})
        return redirect("technicians:technicians", tenant_slug=request.tenant.slug)
    return render(request, "technicians/technician_form.html", {"form": form, "member": member})


# --- Planning board --------------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_PLAN)
@require_GET
@cached_page
def planning_board(request: TenantRequest) -> HttpResponse:
    form = BoardForm(request.GET or None)
    today = request.tenant.local_date()
    start, days = today, 7
    if form.is_valid():
        start = form.cleaned_data["start"] or today
        days = form.cleaned_data["days"] or 7
    elif request.GET:
        say_form_errors(request, form)  # and show this week
    data = planning.board(request.tenant, start, days)
    return render(
        request,
        "technicians/planning_board.html",
        {
            "board": data,
            "form": form,
            "today": today,
            "days": days,
            "previous": start - timedelta(days=days),
            "next": start + timedelta(days=days),
        },
    )


def board_row_values(row: planning.Row, context: Context) -> tuple:
    """Every value a technician's row of the planning board shows or decides on (planning_board.html, cached
    by servicedesk/fragments.py): tests/technicians/test_board_fragments.py changes each of them."""
    member, profile = row.member, row.profile
    workshop = profile.home_workshop if profile.home_workshop_id else None
    return (
        context["tenant"].slug,
        context.get("today"),
        member.pk,
        member.user.full_name,
        member.user.email,
        profile.home_workshop_id,
        workshop.name if workshop else None,
        profile.day_start,
        profile.day_end,
        profile.does_visits,
        tuple(service_type.name for service_type in row.skills),
        row.open_jobs,
        row.open_jobs_more,
        row.later,
        row.later_more,
        row.backlog_count,
        row.backlog_more,
        tuple((job.number, job.service_type.name) for job in row.backlog),
        tuple(
            (cell.day, cell.capacity, cell.hours, tuple(_chip_values(job) for job in cell.jobs))
            for cell in row.cells
        ),
    )


def _chip_values(job: Order) -> tuple:
    slot = getattr(job, "work_slot", None)  # a reverse one-to-one: missing raises an AttributeError
    workshop = job.workshop if job.workshop_id else None
    return (
        job.number,
        job.workshop_id,
        workshop.name if workshop else None,
        job.service_type.name,
        job.visit_start,
        slot.start if slot else None,
        str(job.item) if job.item_id else None,
    )


def unassigned_values(order: Order, context: Context) -> tuple:
    """Every value an order of the planning board's Unassigned list shows (planning_board.html)."""
    return (
        context["tenant"].slug,
        order.pk,
        order.number,
        order.status,
        order.priority,
        order.service_type.name,
        str(order.item) if order.item_id else None,
        order.needs_visit,
        order.promised_at,
    )


@tenant_view(Perm.ORDERS_PLAN)
@require_http_methods(["GET", "POST"])
def plan_order(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    if order.status in CLOSED_STATUSES:
        messages.error(request, _("A closed order cannot be reassigned."))
        return to_order(request, order)
    slot = planning.slot_of(order)
    tz = request.tenant.tz
    ask = SuggestForm(request.GET or None)
    asked = ask.cleaned_data if ask.is_valid() else {}
    day = asked.get("day") or planning.job_day(order, tz) or request.tenant.local_date()
    suggested = planning.suggestions(order, day)
    picked = next((s.member.pk for s in suggested if s.member.pk == asked.get("technician")), None)
    default_start = None
    same_day = slot is not None and timezone.localtime(slot.start, tz).date() == asked.get("day")
    if asked.get("day") and not order.needs_visit and not same_day:
        # A day picked for the suggestions is the day proposed for the work, at the picked one's start.
        chosen = next((s for s in suggested if s.member.pk == picked), None)
        start_time = (
            chosen.profile.day_start if chosen else suggested[0].profile.day_start if suggested else None
        )
        if start_time is not None:
            default_start = timezone.make_aware(datetime.combine(asked["day"], start_time), tz)
    initial = {
        "version": order.version,
        "technician": picked or order.technician_id,
        "workshop": order.workshop_id,
        "visit_address": order.visit_address,
        "visit_start": order.visit_start,
        "visit_end": order.visit_end,
        "work_start": default_start or (slot.start if slot else None),
        "work_end": None if default_start else (slot.end if slot else None),
        "mark_planned": order.status == OrderStatus.NEW,
    }
    form = PlanForm(request.POST or None, tenant=request.tenant, initial=initial)
    warnings: list[str] = []
    conflict = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = planning.plan(
                order,
                technician=data["technician"],
                workshop=data["workshop"],
                by=request.membership,
                expected_version=data["version"],
                visit_address=data["visit_address"].strip() if order.needs_visit else None,
                visit_start=data["visit_start"],
                visit_end_at=data["visit_end"],
                accept_warnings=data["accept_warnings"],
                mark_planned=data["mark_planned"],
                release_parts=data["release_parts"],
                work_start=None if order.needs_visit else data["work_start"],
                work_end=None if order.needs_visit else data["work_end"],
            )
        except OrderChanged as changed:
            messages.error(request, str(changed))
            return redirect("technicians:plan", tenant_slug=request.tenant.slug, order_number=order.number)
        except planning.NeedsConfirmation as unconfirmed:
            warnings = unconfirmed.messages
        except (ValidationError, ActorRefused) as problem:
            conflict = " ".join(problem.messages)
        else:
            messages.success(request, _("Order #%(number)s assigned.") % {"number": order.number})
            for text in result.warnings:
                messages.warning(request, text)
            if result.plan_problem:
                messages.warning(request, result.plan_problem)
            if request.POST.get("next") == "order":
                return to_order(request, order)
            return redirect("technicians:board", tenant_slug=request.tenant.slug)
    reservations = PartReservation.objects.filter(tenant=request.tenant, order=order).select_related(
        "part", "location"
    )
    return render(
        request,
        "technicians/plan_order.html",
        {
            "order": order,
            "form": form,
            "warnings": warnings,
            "conflict": conflict,
            "reservations": reservations,
            "next": request.GET.get("next", request.POST.get("next", "")),
            "suggested": suggested,
            "suggest_day": day,
            "picked": picked,
        },
    )


# --- Visits ----------------------------------------------------------------------------------------
def _day_and_technician(request: TenantRequest, default_me: bool):
    form = DayForm(request.GET or None, tenant=request.tenant)
    day, technician = request.tenant.local_date(), None
    if form.is_valid():
        day = form.cleaned_data["date"] or day
        technician = form.cleaned_data["technician"]
    elif request.GET:
        messages.error(request, _("That day or technician is not valid; showing today."))
    if (
        technician is None
        and default_me
        and not request.GET.get("technician")
        and request.membership.role == Role.TECHNICIAN
    ):
        technician = request.membership
    return form, day, technician


def _may_see_contacts(request: TenantRequest, order: Order) -> bool:
    # The one rule (orders.services.sees_client_phone): assigned technicians on on-site jobs, and the office.
    return order_services.sees_client_phone(request.membership, order)


@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def visits(request: TenantRequest) -> HttpResponse:
    form, day, technician = _day_and_technician(request, default_me=True)
    groups: dict = defaultdict(list)
    for order in planning.day_visits(request.tenant, day, technician):
        order.show_contacts = _may_see_contacts(request, order)
        order.visit_until = planning.visit_end(order)
        groups[order.technician].append(order)
    return render(
        request,
        "technicians/visits.html",
        {
            "form": form,
            "day": day,
            "groups": dict(groups),
            "technician": technician,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def route_sheet(request: TenantRequest, membership_id: int) -> HttpResponse:
    technician = get_for_tenant_or_404(
        Membership.objects.select_related("user"), request.tenant, pk=membership_id
    )
    form, day, _ignored = _day_and_technician(request, default_me=False)
    stops = list(planning.day_visits(request.tenant, day, technician))
    for order in stops:
        order.show_contacts = _may_see_contacts(request, order)
        order.visit_until = planning.visit_end(order)
    return render(
        request,
        "technicians/route_sheet.html",
        {"technician": technician, "day": day, "stops": stops, "printed_at": timezone.localtime()},
    )


# --- My jobs ---------------------------------------------------------------------------------------
WAITING = {OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_PARTS, OrderStatus.ON_HOLD}
# My jobs' groups, in the order shown; "waiting" and "later" start folded (docs/planning.md, My jobs).
JOB_GROUPS = ("now", "today", "overdue", "waiting", "later")
FOLDED_GROUPS = {"waiting", "later"}
MAX_JOB_SEARCH = 100
MAX_JOBS = 200  # my jobs shown at most, the most recent first (WAITING_SHOWN of them waiting, at most)
WAITING_SHOWN = 20  # waiting jobs shown unless searched for, the most recent first (then "20+")
# Statuses with nothing left for the technician (reception hands the item over): not on my jobs.
NOT_MY_JOB = {*CLOSED_STATUSES, OrderStatus.READY}
ACTION_ORDER = {"success": 0, "primary": 1, "warning": 2}


def _job_sort_key(order: Order, running_order_id: int | None, today):
    """The order I should do my jobs in: what I am on, today's visits by time, work under way, planned, waiting."""
    if order.pk == running_order_id:
        group = 0
    elif (
        order.visit_start
        and timezone.localtime(order.visit_start).date() <= today
        and order.status not in WAITING
    ):
        group = 1
    elif order.status in worklog.EXECUTION_STATUSES:
        group = 2
    elif order.status == OrderStatus.QUALITY_CHECK:
        group = 3
    elif order.status == OrderStatus.PLANNED:
        group = 4
    else:
        group = 5
    visit = order.visit_start.timestamp() if order.visit_start else float("inf")
    promised = order.promised_at.timestamp() if order.promised_at else float("inf")
    return (group, visit if group == 1 else 0, -order.priority, promised, order.number)


def job_group(order: Order, running_order_id: int | None, today, tz) -> str:
    """Which of my jobs' groups a job is in: "now" (my timer runs on it, or it is under way: diagnostics, work,
    quality check), "waiting" (for parts, the client's approval, on hold), "overdue" (its visit day or its
    promised time has passed), "today" (its visit or promised day is today), else "later"."""
    if (
        order.pk == running_order_id
        or order.status in worklog.EXECUTION_STATUSES
        or order.status == OrderStatus.QUALITY_CHECK
    ):
        return "now"
    if order.status in WAITING:
        return "waiting"
    if order.visit_start:
        day = timezone.localtime(order.visit_start, tz).date()
        return "overdue" if day < today else "today" if day == today else "later"
    if order.is_overdue:
        return "overdue"
    if order.promised_at and timezone.localtime(order.promised_at, tz).date() == today:
        return "today"
    return "later"


def job_matches(order: Order, words: list[str]) -> bool:
    """My jobs' search: every word in the number, client, phone, item, serial, service, problem or address."""
    text = " ".join(
        str(part)
        for part in (
            f"#{order.number}",
            order.client.name,
            order.client.phone,
            order.item or "",
            order.item.serial if order.item else "",
            order.service_type.name,
            order.problem,
            order.visit_address,
        )
    ).casefold()
    return all(word in text for word in words)


def jobs_context(request: TenantRequest, orders: list[Order]) -> dict:
    """Timer, parts and suggestions for job cards: a fixed number of queries for any number of jobs."""
    me = request.membership
    running = worklog.running_timer(me)
    profile = TechnicianProfile.objects.filter(tenant=request.tenant, membership=me).first()
    location_of = {
        o.pk: o.workshop_id or (profile.home_workshop_id if profile else None) or o.intake_location_id
        for o in orders
    }
    type_ids = {o.service_type_id for o in orders}
    # (location, service type) -> up to SUGGESTED_PARTS levels with free stock, in one windowed query.
    suggestions: dict[tuple[int, int], list[StockLevel]] = defaultdict(list)
    if orders:
        levels = (
            StockLevel.objects.filter(
                tenant=request.tenant,
                location_id__in=set(location_of.values()),
                on_hand__gt=F("reserved"),
                part__is_active=True,
                part__service_type_rows__service_type_id__in=type_ids,
            )
            .annotate(type_id=F("part__service_type_rows__service_type_id"))
            .annotate(
                place=Window(
                    RowNumber(),
                    partition_by=[F("location_id"), F("type_id")],
                    order_by=[F("part__name").asc(), F("id").asc()],
                )
            )
            .filter(place__lte=SUGGESTED_PARTS)
            .select_related("part")
            .order_by("place")
        )
        for level in levels:
            suggestions[(level.location_id, level.type_id)].append(level)
    for order in orders:
        order.timer_running = running is not None and running.order_id == order.pk
        order.can_time = order.status in worklog.EXECUTION_STATUSES
        order.actions = sorted(
            (t for t in available_actions(order, me) if not t.needs_reason and t.perm == Perm.ORDERS_WORK),
            key=lambda t: ACTION_ORDER.get(t.style, 9),
        )  # the usual next step first
        reserved_ids = {r.part_id for r in order.reservations}
        order.suggested = [
            lvl
            for lvl in suggestions.get((location_of[order.pk], order.service_type_id), [])
            if lvl.part_id not in reserved_ids
        ]
    return {"running": running, "profile": profile}


def job_card_values(order: Any, context: Context) -> tuple:
    """Every value a job card shows or decides on (templates/technicians/_job_card.html, cached by
    servicedesk/fragments.py): tests/technicians/test_job_card_fragments.py changes each of them. `order` is
    an Order as my_jobs and jobs_context dressed it (show_contacts, card_panels, actions, reservations ...)."""
    item, client = order.item, order.client
    running = context.get("running")
    return (
        context["tenant"].slug,
        order.pk,
        order.number,
        order.version,
        order.status,
        order.priority,
        order.promised_at,
        order.is_overdue,  # changes with the clock
        str(item) if item is not None else None,
        order.service_type.name,
        order.problem,
        order.visit_start,
        order.visit_end,
        order.visit_address,
        order.show_contacts,
        client.name if order.show_contacts else None,
        client.phone if order.show_contacts else None,
        order.card_panels,
        order.timer_running,
        running.started_at if order.timer_running and running else None,
        order.can_time,
        order.number == context.get("touched_job"),
        tuple((t.action, t.style, str(t.label)) for t in order.actions),
        tuple((r.part_id, r.part.name, r.part.sku, r.reserved, r.missing) for r in order.reservations),
        tuple((line.description, line.quantity) for line in order.used_parts),
        tuple((level.part_id, level.part.name, level.part.sku, level.free) for level in order.suggested),
    )


@tenant_view(Perm.ORDERS_WORK)
@require_GET
@cached_page
def my_jobs(request: TenantRequest) -> HttpResponse:
    me = request.membership
    query = request.GET.get("q", "").replace("\x00", "").strip()[:MAX_JOB_SEARCH]
    words = query.casefold().split()
    touched = request.GET.get("job", "")
    touched_number = int(touched) if touched.isascii() and touched.isdigit() and len(touched) < 10 else None
    mine = Order.objects.for_tenant(request.tenant).filter(technician=me).exclude(status__in=NOT_MY_JOB)
    if words:
        chosen, limit = mine, MAX_JOBS  # the search looks through the most recent jobs, waiting ones too
    else:
        # The jobs under way, planned and late, and only the most recent WAITING_SHOWN waiting ones (and the
        # job just touched): jobs stuck for parts or on hold pile up over the years (183 of a technician's 200
        # at 1,000,000 orders in the realistic shape, 19 at 10,000) and each costs its card's work.
        waiting_jobs = mine.filter(status__in=WAITING)
        if touched_number is not None:
            waiting_jobs = waiting_jobs.exclude(number=touched_number)
        parts = [
            mine.exclude(status__in=WAITING)[: MAX_JOBS - WAITING_SHOWN],
            waiting_jobs[: WAITING_SHOWN + 1],
        ]
        if touched_number is not None:
            parts.append(mine.filter(number=touched_number))
        chosen = Order.objects.for_tenant(request.tenant).filter(pk__in=planning.ids_of_any(parts))
        limit = MAX_JOBS + 2
    orders = list(
        chosen.select_related(
            "client", "item", "service_type", "workshop", "intake_location"
        ).prefetch_related(
            Prefetch(
                "part_reservations",
                to_attr="reservations",
                queryset=PartReservation.objects.filter(tenant=request.tenant).select_related(
                    "part", "location"
                ),
            ),
            Prefetch(
                "line_items",
                to_attr="used_parts",
                queryset=LineItem.objects.filter(tenant=request.tenant, kind=LineItem.Kind.PART),
            ),
        )[:limit]
    )
    more_waiting = False
    if not words:
        waiting = [o for o in orders if o.status in WAITING and o.number != touched_number]
        if len(waiting) > WAITING_SHOWN:  # the oldest of the WAITING_SHOWN + 1 loaded: there are more
            more_waiting = True
            oldest = min(waiting, key=lambda o: (o.created_at, o.pk))
            orders = [o for o in orders if o is not oldest]
    for order in orders:
        order.tenant = (
            request.tenant
        )  # before jobs_context: the actions' money guard reads the tenant's tolerance
        order.show_contacts = _may_see_contacts(request, order)  # my on-site jobs: I call on the way
    prepare_guards(orders)  # other apps' guards (checklists ...) read their data for all cards at once
    for order in orders:
        # Other apps' parts of the card (quality's checklist), rendered here: the cached card holds their
        # HTML and its fingerprint the same HTML (job_card_values).
        order.card_panels = render_panels(request, order, "job_card")  # type: ignore[attr-defined]
    if words:
        orders = [o for o in orders if job_matches(o, words)]
    context = jobs_context(request, orders)
    today = request.tenant.local_date()
    tz = request.tenant.tz
    running = context["running"]
    running_id = running.order_id if running else None
    orders.sort(key=lambda o: _job_sort_key(o, running_id, today))
    grouped: dict[str, list[Order]] = {key: [] for key in JOB_GROUPS}
    for order in orders:
        grouped[job_group(order, running_id, today, tz)].append(order)
    labels = {
        "now": _("Now"),
        "today": _("Today"),
        "overdue": _("Overdue"),
        "waiting": _("Waiting for parts or approval"),
        "later": _("Later"),
    }
    short = {
        "waiting": pgettext("jobs", "Waiting")
    }  # the chips' label; the group's heading says what it waits for
    groups = [
        {
            "key": key,
            "label": labels[key],
            "short": short.get(key, labels[key]),
            "jobs": grouped[key],
            "more": key == "waiting" and more_waiting,  # only the WAITING_SHOWN most recent are shown
            # Folded unless searched for, or holding the job just touched.
            "open": key not in FOLDED_GROUPS
            or bool(words)
            or any(o.number == touched_number for o in grouped[key]),
        }
        for key in JOB_GROUPS
    ]
    lower, upper = worklog.day_bounds(today, today, tz)
    logged = worklog.logged_total(request.tenant, today, today, me)
    return render(
        request,
        "technicians/my_jobs.html",
        {
            **context,
            "jobs": orders,
            "groups": groups,
            "touched_job": touched_number,
            "more_waiting": more_waiting,
            "waiting_shown": WAITING_SHOWN,
            "query": query,
            "today": today,
            "logged_today": worklog.format_duration(logged),
            "note_form": JobNoteForm(),
            "day_bounds": (lower, upper),
        },
    )


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def my_jobs_settings(request: TenantRequest) -> HttpResponse:
    """My own preference from my jobs: start the timer with "start diagnostics" and "start work"."""
    form = TimerSettingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Reload the page and try again."))
        return redirect("technicians:my_jobs", tenant_slug=request.tenant.slug)
    on = form.cleaned_data["timer_with_status"]
    # A profile of one's own holds it; a member without one gets the defaults (as the board assumes).
    profile, _created = TechnicianProfile.objects.get_or_create(
        tenant=request.tenant, membership=request.membership
    )
    if profile.timer_with_status != on:
        profile.timer_with_status = on
        profile.save(update_fields=["timer_with_status"])
    messages.success(
        request,
        _("The timer now starts with diagnostics and work.")
        if on
        else _("The timer no longer starts by itself."),
    )
    return redirect("technicians:my_jobs", tenant_slug=request.tenant.slug)


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def job_action(request: TenantRequest, order_number: int) -> HttpResponse:
    """The big buttons: a lifecycle transition, then back to my jobs (or the order page)."""
    order = order_or_404(request, order_number)
    form = JobActionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["action"] not in TRANSITIONS:
        messages.error(request, _("The form was incomplete. Reload the page and try again."))
        return _back(request, order)
    action = form.cleaned_data["action"]
    try:
        transition(
            order,
            action,
            by=request.membership,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except (TransitionRefused, OrderChanged) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Order #%(number)s: %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return _back(request, order)


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def timer(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = TimerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Reload the page and try again."))
        return _back(request, order)
    try:
        if form.cleaned_data["command"] == "start":
            started = worklog.start_timer(order, technician=request.membership, by=request.membership)
            if started.stopped:
                messages.info(
                    request,
                    _("The timer on order #%(number)s was stopped.")
                    % {"number": started.stopped.order.number},
                )
            messages.success(request, _("Timer started on order #%(number)s.") % {"number": order.number})
        else:
            running = worklog.running_timer(request.membership)
            if running is None or running.order_id != order.pk:
                messages.info(request, _("No timer is running on this order."))
            else:
                entry = worklog.stop_timer(request.membership, by=request.membership)
                messages.success(
                    request,
                    _("Timer stopped: %(duration)s logged.")
                    % {"duration": worklog.format_duration(entry.duration())},
                )
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    return _back(request, order)


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def timer_stop(request: TenantRequest) -> HttpResponse:
    """Stop my running timer, wherever it is."""
    entry = worklog.stop_timer(request.membership, by=request.membership)
    if entry is None:
        messages.info(request, _("No timer is running."))
    else:
        messages.success(
            request,
            _("Timer stopped: %(duration)s logged.")
            % {"duration": worklog.format_duration(entry.duration())},
        )
    return redirect("technicians:my_jobs", tenant_slug=request.tenant.slug)


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def job_note(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = JobNoteForm(request.POST, request.FILES)
    if not form.is_valid():
        say_form_errors(request, form)
        return _back(request, order)
    text = form.cleaned_data["text"].strip()
    try:
        if form.cleaned_data["photo"]:
            order_services.add_photo(
                order, image=form.cleaned_data["photo"], caption=text[:200], by=request.membership
            )
        else:
            order_services.add_note(order, text=text, public=False, by=request.membership)
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.success(request, _("Saved on order #%(number)s.") % {"number": order.number})
    return _back(request, order)


@tenant_view(Perm.ORDERS_WORK)
@require_http_methods(["GET", "POST"])
def worklog_add(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    me = request.membership
    fixed = me if me.role == Role.TECHNICIAN else None
    form = WorkLogForm(
        request.POST or None,
        tenant=request.tenant,
        fixed_technician=fixed,
        initial={"technician": order.technician_id or me.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worklog.add_manual(
                order,
                technician=data["technician"],
                start=data["started_at"],
                end=data["ended_at"],
                reason=data["reason"],
                by=me,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        except ActorRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Work logged on order #%(number)s.") % {"number": order.number})
            return _back(request, order)
    return render(
        request,
        "technicians/worklog_form.html",
        {"form": form, "order": order, "next": request.GET.get("next", request.POST.get("next", ""))},
    )


@tenant_view(Perm.ORDERS_PLAN)
@require_POST
def bill_labour(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = LabourForm(request.POST)
    if not form.is_valid():
        say_form_errors(request, form)
        return _back(request, order)
    try:
        lines = worklog.bill_labour(order, by=request.membership, rate_source=form.cleaned_data["rate"])
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.success(request, _("%(count)d labour line(s) added to the order.") % {"count": len(lines)})
    return _back(request, order)


# --- Parts on an order -----------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_VIEW)
@require_POST
def parts_reserve(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = ReserveForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        say_form_errors(request, form)
        return _back(request, order)
    data = form.cleaned_data
    try:
        result = stock.reserve(
            order,
            part=data["part"],
            quantity=data["quantity"],
            by=request.membership,
            wait_for_rest=data["wait_for_rest"],
        )
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
        if isinstance(problem, stock.StockShortage):
            messages.info(
                request,
                _(
                    "Tick “reserve what is free and wait for the rest” to wait for a delivery; "
                    "the order can wait in “Awaiting parts”."
                ),
            )
    else:
        if result.missing:
            messages.warning(
                request,
                _("%(reserved)s reserved, %(missing)s missing: the order waits for a delivery.")
                % {"reserved": stock.fmt(result.reserved), "missing": stock.fmt(result.missing)},
            )
        else:
            messages.success(
                request,
                _("Reserved %(qty)s × %(part)s.")
                % {"qty": stock.fmt(result.reserved), "part": data["part"].name},
            )
    return _back(request, order)


@tenant_view(Perm.ORDERS_WORK)
@require_POST
def parts_use(request: TenantRequest, order_number: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    form = UsePartForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        say_form_errors(request, form)
        return _back(request, order)
    data = form.cleaned_data
    try:
        stock.consume(order, part=data["part"], quantity=data["quantity"], by=request.membership)
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.success(
            request,
            _("Used %(qty)s × %(part)s on order #%(number)s.")
            % {"qty": stock.fmt(data["quantity"]), "part": data["part"].name, "number": order.number},
        )
    return _back(request, order)


@tenant_view(Perm.ORDERS_VIEW)
@require_POST
def parts_release(request: TenantRequest, order_number: int, reservation_id: int) -> HttpResponse:
    order = order_or_404(request, order_number)
    reservation = get_for_tenant_or_404(
        PartReservation.objects.select_related("part"), request.tenant, pk=reservation_id, order=order
    )
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        say_form_errors(request, form)
        return _back(request, order)
    try:
        amount = stock.release(reservation, by=request.membership, quantity=form.cleaned_data["quantity"])
    except (ValidationError, ActorRefused) as problem:
        _say(request, problem)
    else:
        messages.success(
            request,
            _("Released %(qty)s × %(part)s.") % {"qty": stock.fmt(amount), "part": reservation.part.name},
        )
    return _back(request, order)


# --- Hours report ----------------------------------------------------------------------------------
@tenant_view(Perm.REPORTS_VIEW)
@require_GET
def hours(request: TenantRequest) -> HttpResponse:
    form = HoursForm(request.GET or None, tenant=request.tenant)
    today = request.tenant.local_date()
    first, last, technician = today - timedelta(days=today.weekday()), today, None
    if form.is_valid():
        first = form.cleaned_data["date_from"] or first
        last = form.cleaned_data["date_to"] or max(last, first)
        technician = form.cleaned_data["technician"]
    elif request.GET:
        say_form_errors(request, form)
    report = worklog.hours_report(request.tenant, first, last, technician=technician)
    for row in report.technicians:
        row.day_cells = [worklog.hours(row.by_day.get(day, timedelta(0))) for day in report.days]
    return render(
        request,
        "technicians/hours.html",
        {"form": form, "report": report, "show_days": len(report.days) <= 31},
    )
