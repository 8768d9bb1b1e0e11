from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.services import technician_choices
from servicedesk.fields import DateFilter

from .models import MAX_COMMENT_LENGTH, Feedback

RATINGS = [(n, str(n)) for n in range(5, 0, -1)]
RATING_FILTER_CHOICES = [(str(n), "★" * n) for n in range(5, 0, -1)]


class FeedbackForm(forms.Form):
    """The client's form on the public page: stars (radio buttons 5..1) and an optional comment."""

    rating = forms.TypedChoiceField(label=_("Your rating"), choices=RATINGS, coerce=int, widget=forms.RadioSelect,
                                    error_messages={"required": _("Choose a rating from 1 to 5.")})
    comment = forms.CharField(label=_("Anything to add?"), required=False, max_length=MAX_COMMENT_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 4}))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _day_start(day) -> datetime:
    """Midnight of that day in the current (the tenant's) time zone: a range on the indexed column."""
    return timezone.make_aware(datetime.combine(day, time.min))


class FeedbackFilter(django_filters.FilterSet):
    rating = django_filters.ChoiceFilter(label=_("Rating"), choices=RATING_FILTER_CHOICES)
    low = django_filters.BooleanFilter(label=_("Only 1-3"), method="filter_low", widget=forms.CheckboxInput)
    technician = django_filters.ModelChoiceFilter(label=_("Technician"), queryset=lambda r: technician_choices(r.tenant))
    since = DateFilter(label=_("From"), method="filter_since", widget=DateInput())
    until = DateFilter(label=_("To"), method="filter_until", widget=DateInput())

    class Meta:
        model = Feedback
        fields: list[str] = []

    def filter_low(self, queryset, name, value):
        return queryset.filter(rating__lte=3) if value else queryset

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))
