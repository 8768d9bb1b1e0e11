"""Exports of lists as CSV (streamed) or Excel: the orders with the list's filters, the clients, the
payments of a period. Each is open to the roles that see that list on the web (api/exports.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.http import HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from orders.filters import OrderFilter
from orders.models import Client, Order, Payment
from servicedesk.fields import DateField
from servicedesk.tenancy.access import TenantRequest, tenant_view
from servicedesk.tenancy.roles import Perm, has_perm

from . import audit, exports


def _format(request: TenantRequest) -> str | None:
    fmt = request.GET.get("format", exports.CSV)
    return fmt if fmt in exports.FORMATS else None


def _bad(message: str) -> HttpResponseBase:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _record(request: TenantRequest, what: str, fmt: str) -> None:
    """Who took which list out, with which filters (the audit log)."""
    # No NUL bytes: PostgreSQL's jsonb refuses them.
    query = {
        key.replace("\x00", "")[:50]: request.GET.get(key, "").replace("\x00", "")[:100]
        for key in list(request.GET)[:30]
    }
    audit.record(request.membership, audit.Action.EXPORT, what, {"format": fmt, "query": query})


def _too_many(queryset, fmt: str) -> bool:
    cap = settings.EXPORT_XLSX_MAX_ROWS
    return fmt == exports.XLSX and queryset.order_by()[: cap + 1].count() > cap


def _too_many_message() -> HttpResponseBase:
    return _bad(
        _("More than %(count)s rows: too many for Excel here. Export CSV, or narrow the filters.")
        % {"count": settings.EXPORT_XLSX_MAX_ROWS}
    )


@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def orders_export(request: TenantRequest) -> HttpResponseBase:
    """The order list as it is filtered (the same filters and the same default view as the page)."""
    fmt = _format(request)
    if fmt is None:
        return _bad(_("Unknown format."))
    base = Order.objects.for_tenant(request.tenant)
    params = request.GET.copy()
    params.pop("format", None)
    if "view" not in params and not any(k for k in params if k not in {"sort", "cursor"}):
        params["view"] = "mine" if request.membership.role == "technician" else "open"
    filterset = OrderFilter(params, queryset=base, request=request)
    if not filterset.is_valid():
        errors = " ".join(str(e) for field_errors in filterset.errors.values() for e in field_errors)
        return _bad(_("Some filters are not valid: %(errors)s") % {"errors": errors})
    queryset = filterset.qs.select_related(
        "client", "item", "service_type", "technician__user", "intake_location"
    )
    if _too_many(queryset, fmt):
        return _too_many_message()
    columns = exports.order_columns(with_contacts=has_perm(request.membership.role, Perm.CLIENTS_VIEW))
    _record(request, "orders", fmt)
    return exports.respond(request.tenant, "orders", columns, exports.rows_of(queryset), fmt)


@tenant_view(Perm.CLIENTS_VIEW)
@require_GET
def clients_export(request: TenantRequest) -> HttpResponseBase:
    fmt = _format(request)
    if fmt is None:
        return _bad(_("Unknown format."))
    queryset = Client.objects.for_tenant(request.tenant)
    if _too_many(queryset, fmt):
        return _too_many_message()
    _record(request, "clients", fmt)
    return exports.respond(request.tenant, "clients", exports.CLIENT_COLUMNS, exports.rows_of(queryset), fmt)


class PeriodForm(forms.Form):
    since = DateField(label=gettext_lazy("From"), required=False)
    until = DateField(label=gettext_lazy("To"), required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(gettext_lazy("The period ends before it starts."))
        return data


@tenant_view(Perm.REPORTS_VIEW)
@require_GET
def payments_export(request: TenantRequest) -> HttpResponseBase:
    """Payments and refunds (negative) received in a period of the center's days (?since=&until=, inclusive)."""
    fmt = _format(request)
    if fmt is None:
        return _bad(_("Unknown format."))
    form = PeriodForm(request.GET)
    if not form.is_valid():
        errors = " ".join(str(e) for field_errors in form.errors.values() for e in field_errors)
        return _bad(_("Some filters are not valid: %(errors)s") % {"errors": errors})
    queryset = Payment.objects.for_tenant(request.tenant).select_related("order__client", "received_by")
    tz = request.tenant.tz
    if form.cleaned_data.get("since"):
        queryset = queryset.filter(created_at__gte=datetime.combine(form.cleaned_data["since"], time(), tz))
    if form.cleaned_data.get("until"):
        end = form.cleaned_data["until"] + timedelta(days=1)
        queryset = queryset.filter(created_at__lt=datetime.combine(end, time(), tz))
    if _too_many(queryset, fmt):
        return _too_many_message()
    _record(request, "payments", fmt)
    return exports.respond(
        request.tenant, "payments", exports.PAYMENT_COLUMNS, exports.rows_of(queryset), fmt
    )
