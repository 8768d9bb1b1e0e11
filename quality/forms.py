from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.services import technician_choices
from servicedesk.fields import DateField, DateFilter, DateInput
from servicedesk.tenancy.models import Location, Tenant

from .calendar import Day, format_hours, parse_hours
from .models import MAX_COMMENT_LENGTH, CalendarDay, Feedback, Weekday

RATINGS = [(n, str(n)) for n in range(5, 0, -1)]
RATING_FILTER_CHOICES = [(str(n), "★" * n) for n in range(5, 0, -1)]


class FeedbackForm(forms.Form):
    """The client's form on the public page: stars (radio buttons 5..1) and an optional comment."""

    rating = forms.TypedChoiceField(label=_("Your rating"), choices=RATINGS, coerce=int, widget=forms.RadioSelect,
                                    error_messages={"required": _("Choose a rating from 1 to 5.")})
    comment = forms.CharField(label=_("Anything to add?"), required=False, max_length=MAX_COMMENT_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 4}))


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


HOURS_HELP = _("e.g. 09:00-13:00, 14:00-19:00 (a break between the intervals); empty: closed.")


class WeekForm(forms.Form):
    """A location's week: one line of opening intervals per weekday, as people write them."""

    def __init__(self, *args, week: tuple[Day, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for weekday in Weekday:
            self.fields[f"day_{weekday.value}"] = forms.CharField(
                label=weekday.label, required=False, max_length=100, initial=format_hours(week[weekday.value]),
                help_text=HOURS_HELP if weekday == Weekday.MONDAY else "",
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        self.week: list[Day] = []
        for weekday in Weekday:
            name = f"day_{weekday.value}"
            try:
                self.week.append(parse_hours(cleaned.get(name) or ""))
            except ValueError as problem:
                self.add_error(name, str(problem))
                self.week.append(())
        if not self.errors and not any(self.week):
            raise forms.ValidationError(
                _("Give the location some opening hours, or go back to the standard week."))
        return cleaned


class CalendarDayForm(forms.ModelForm):
    """One of the center's own days: a day off, a shortened day or an extra working day."""

    date = DateField(label=_("Date"), widget=DateInput())

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "hours", "location", "note"]

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.tenant = tenant
        self.fields["location"].queryset = Location.objects.for_tenant(tenant).active()
        self.fields["location"].empty_label = _("Every location")

    def clean_hours(self) -> str:
        try:
            return format_hours(parse_hours(self.cleaned_data["hours"]))
        except ValueError as problem:
            raise forms.ValidationError(str(problem)) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, hours = cleaned.get("kind"), cleaned.get("hours")
        if kind == CalendarDay.Kind.CLOSED and hours:
            self.add_error("hours", _("A day off has no hours; choose a shortened or an extra working day."))
        elif kind and kind != CalendarDay.Kind.CLOSED and "hours" in cleaned and not hours:
            self.add_error("hours", _("Give the hours of this day, e.g. 10:00-15:00."))
        day = cleaned.get("date")
        if day and "location" in cleaned:
            same = CalendarDay.objects.for_tenant(self.instance.tenant).filter(date=day, location=cleaned["location"])
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("date", _("This date already has an entry; delete it first."))
        return cleaned
