"""Pages of the quality app: the client's feedback form (public link, no account) and the managers' list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from orders.public import TooMany, guarded_order, private, switch_language, too_many
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.tenancy.access import tenant_view
from servicedesk.tenancy.roles import Perm

from . import services
from .forms import FeedbackFilter, FeedbackForm
from .models import Feedback

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
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and feedback is None and form.is_valid():
        try:
            services.leave_feedback(order, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
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
def feedback_list(request: HttpRequest) -> HttpResponse:
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
        "low_rating": services.LOW_RATING,
    })
