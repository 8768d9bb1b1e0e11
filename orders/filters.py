"""The order list's filters. The queryset is already restricted to the tenant before this runs
(NetBox's order: restrict first, then filter), and every choice list is the tenant's own."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.fields import DateFilter, DateInput
from servicedesk.tenancy.models import Location, Membership

from .models import (
    Client,
    Item,
    Order,
    OrderStatus,
    Priority,
    ServiceType,
    SlaState,
    Stage,
    statuses_of_stage,
)
from .services import technician_choices


def day_start(day: date) -> datetime:
    """Midnight at the start of that day in the current (the center's) time zone: a range on the column itself,
    which its index can serve (a `__date` lookup converts every row's value first)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


# A search matching more clients than this (a single letter of a name) filters the orders by a subquery instead
# of a list of ids: the list would be longer than the query it saves.
SEARCH_CLIENT_IDS = 500


def client_ids(clients):
    """The ids of the matching clients as a list (one query, bounded), or the subquery when there are too many."""
    ids = list(clients.order_by().values_list("pk", flat=True)[: SEARCH_CLIENT_IDS + 1])
    return ids if len(ids) <= SEARCH_CLIENT_IDS else clients.order_by().values("pk")


# Ready-made views: name -> (label, filter). "mine" is filled in with the member.
PRESETS: dict[str, object] = {
    "mine": _("My jobs"),
    "new": _("New"),
    "overdue": _("Overdue"),
    "awaiting_parts": _("Awaiting parts"),
    "ready": _("Ready for pickup"),
    "at_risk": _("At risk"),
    "breached": _("Breached"),
    "open": _("All open"),
}


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Number, client, phone, serial")}),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=OrderStatus.choices,
        distinct=False,
        widget=forms.SelectMultiple(attrs={"size": 1}),
    )  # no join: no DISTINCT
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices, method="filter_stage")
    technician = django_filters.ModelChoiceFilter(
        label=_("Technician"), queryset=lambda r: technician_choices(r.tenant)
    )
    service_type = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=lambda r: ServiceType.objects.for_tenant(r.tenant)
    )
    intake_location = django_filters.ModelChoiceFilter(
        label=_("Received at"), queryset=lambda r: Location.objects.for_tenant(r.tenant)
    )
    priority = django_filters.TypedChoiceFilter(label=_("Priority"), choices=Priority.choices, coerce=int)
    created_after = DateFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="date__gte", widget=DateInput
    )
    created_before = DateFilter(
        label=_("Created until"), field_name="created_at", lookup_expr="date__lte", widget=DateInput
    )
    promised_before = DateFilter(
        label=_("Promised by"), field_name="promised_at", lookup_expr="date__lte", widget=DateInput
    )
    # Closed (handed over or cancelled) within dates; in a status since before a date; open at the end of a day.
    # The managers' dashboard links its figures here with these (quality/dashboard.py).
    closed_after = DateFilter(label=_("Closed from"), method="filter_closed_after", widget=DateInput)
    closed_before = DateFilter(label=_("Closed until"), method="filter_closed_before", widget=DateInput)
    status_since_before = DateFilter(
        label=_("In this status since, at the latest"), method="filter_status_since_before", widget=DateInput
    )
    open_on = DateFilter(label=_("Open at the end of"), method="filter_open_on", widget=DateInput)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    # Service level, as the quality app's clocks left it on the order (indexed with the tenant).
    sla = django_filters.ChoiceFilter(
        label=_("Service level"), field_name="sla_state", choices=[c for c in SlaState.choices if c[0]]
    )
    view = django_filters.ChoiceFilter(
        label=_("View"), choices=list(PRESETS.items()), method="filter_view", widget=forms.HiddenInput
    )

    class Meta:
        model = Order
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Clients and items are searched in their own tables, and orders matched by their ids (indexed):
        # a LIKE through the join scanned every order of the tenant (docs/performance.md).
        # The matching clients are looked up first, in a query of their own (trigram indexes on PostgreSQL), and
        # the orders filtered by `client_id IN (ids)`: with the clients as a subquery, PostgreSQL walked the
        # tenant's orders twice (the count and the page) at about 70 ms for 100,000 orders (issue 12).
        clients = Client.objects.for_tenant(self.request.tenant)
        digits = value.lstrip("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 9:  # not "²"
            # A number is an order number, or part of a phone number.
            found = Q(number=int(digits))
            if len(digits) >= 5:
                found |= Q(client__in=client_ids(clients.filter(phone__contains=digits)))
            return queryset.filter(found)
        matching_clients = clients.filter(
            Q(name__icontains=value) | Q(phone__contains=value.replace(" ", ""))
        )
        matching_items = Item.objects.for_tenant(self.request.tenant).filter(serial__iexact=value)
        return queryset.filter(
            Q(client__in=client_ids(matching_clients)) | Q(item__in=matching_items.values("pk"))
        )

    def filter_stage(self, queryset, name, value):
        return queryset.filter(status__in=statuses_of_stage(value)) if value else queryset

    def filter_closed_after(self, queryset, name, value):
        return queryset.filter(closed_at__gte=day_start(value)) if value else queryset

    def filter_closed_before(self, queryset, name, value):
        return queryset.filter(closed_at__lt=day_end(value)) if value else queryset

    def filter_status_since_before(self, queryset, name, value):
        return queryset.filter(status_changed_at__lt=day_end(value)) if value else queryset

    def filter_open_on(self, queryset, name, value):
        if not value:
            return queryset
        end = day_end(value)
        return queryset.filter(created_at__lt=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_view(self, queryset, name, value):
        membership: Membership = self.request.membership
        if value == "mine":
            return queryset.open().filter(technician=membership)
        if value == "new":
            return queryset.filter(status=OrderStatus.NEW)
        if value == "overdue":
            return queryset.overdue()
        if value == "awaiting_parts":
            return queryset.filter(status=OrderStatus.AWAITING_PARTS)
        if value == "ready":
            return queryset.filter(status=OrderStatus.READY)
        if value == "at_risk":
            return queryset.open().filter(sla_state=SlaState.AT_RISK)
        if value == "breached":
            return queryset.open().filter(sla_state=SlaState.BREACHED)
        if value == "open":
            return queryset.open()
        return queryset
