"""Pages of the quality app: the client's feedback form (public link, no account), the managers' list,
and the business hours (locations' weeks, the center's own days off, the coming public holidays)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.public import guarded_order
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.public import TooMany, private, switch_language, too_many
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.models import Location
from servicedesk.tenancy.roles import Perm

from . import hours, services
from .calendar import format_hours
from .forms import CalendarDayForm, FeedbackFilter, FeedbackForm, WeekForm
from .models import AfterSalesSettings, CalendarDay, Feedback, Weekday

PAGE_SIZE = 50
PERIOD_FILTERS = ("technician", "since", "until")


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
            services.leave_feedback(order, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"],
                                    recommend=form.cleaned_data.get("recommend"))
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you for your feedback!"))
        return private(redirect("quality:feedback", token=order.public_token))
    context = {
        "order": order, "center": order.tenant, "tenant": None, "form": form, "feedback": feedback,
        "why_not": None if feedback else services.why_no_feedback(order), "low_rating": services.LOW_RATING,
    }
    return private(render(request, "quality/public_feedback.html", context))



@tenant_view(Perm.REPORTS_VIEW)
@require_GET
def feedback_list(request: TenantRequest) -> HttpResponse:
    """Every rating clients left, newest first, with the average and the split by technician."""
    base = Feedback.objects.for_tenant(request.tenant)
    filterset = FeedbackFilter(request.GET, queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()
    page = keyset_page(qs.select_related("order", "order__client", "order__service_type", "technician__user"),
                       [SortKey("created_at", True), SortKey("id", True)], request.GET.get("cursor"), PAGE_SIZE)
    # The summary ignores the rating filters, so "only 1-3" still shows the whole picture of the period:
    # the same validated filters, minus those two (no second validation, no second technician look-up).
    period_qs = base.none()
    if filterset.is_valid():
        period_qs = base
        for name in PERIOD_FILTERS:
            period_qs = filterset.filters[name].filter(period_qs, filterset.form.cleaned_data.get(name))
    return render(request, "quality/feedback_list.html", {
        "filterset": filterset, "page": page, "rows": page.rows, "query": query_without_cursor(request.GET),
        "summary": services.summarize(period_qs), "technicians": services.by_technician(period_qs),
        "nps": services.nps(period_qs),
        "low_rating": services.LOW_RATING,
    })


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
        locations.append((location, location.pk in weeks, [(day.label, format_hours(week[day.value])) for day in Weekday]))
    days = (CalendarDay.objects.for_tenant(tenant).filter(date__gte=today - timedelta(days=7))
            .select_related("location").order_by("date", "location__name"))
    return render(request, "quality/business_hours.html", {
        "form": form, "locations": locations, "days": days, "country": tenant.country,
        "holidays": hours.coming_holidays(tenant, today, HOLIDAYS_AHEAD), "holidays_ahead": HOLIDAYS_AHEAD,
    })


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def location_hours(request: TenantRequest, location_id: int) -> HttpResponse:
    """Edit one location's week, or send it back to the center's standard week."""
    location = get_for_tenant_or_404(Location, request.tenant, pk=location_id)
    own = hours.own_week(location)
    if request.method == "POST" and request.POST.get("action") == "standard":
        hours.reset_week(location)
        messages.success(request, _("%(location)s works the standard week again.") % {"location": location})
        return redirect("quality:business_hours", tenant_slug=request.tenant.slug)
    form = WeekForm(request.POST or None, week=own or hours.DEFAULT_WEEK)
    if request.method == "POST" and form.is_valid():
        try:
            hours.set_week(location, form.week)
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, _("Business hours of %(location)s saved.") % {"location": location})
            return redirect("quality:business_hours", tenant_slug=request.tenant.slug)
    return render(request, "quality/location_hours.html", {"form": form, "location": location, "own": own is not None})


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_POST
def calendar_day_delete(request: TenantRequest, calendar_day_id: int) -> HttpResponse:
    day = get_for_tenant_or_404(CalendarDay, request.tenant, pk=calendar_day_id)
    day.delete()
    messages.success(request, _("%(date)s deleted.") % {"date": date_format(day.date)})
    return redirect("quality:business_hours", tenant_slug=request.tenant.slug)
