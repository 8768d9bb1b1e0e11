"""Date fields for forms and filters: only dates the pages' calendar arithmetic survives.

Django accepts any date from year 1 to 9999. A page that then adds a day, a week or the time-zone offset
to 0001-01-01 or 9999-12-31 overflows (OverflowError: a 500), and so does saving 0001-01-01 00:00 in a
time zone east of UTC. Every date and date-time a person types therefore goes through these fields,
which refuse years outside EARLIEST..LATEST with a clear message (tests/test_bad_input.py sends both
ends to every form and filter).
"""

from __future__ import annotations

from datetime import date, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def validate_calendar_date(value: date | datetime) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            _("Enter a date between the years %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={"earliest": EARLIEST.year, "latest": LATEST.year},
        )


class DateField(forms.DateField):
    default_validators = [validate_calendar_date]


class DateTimeField(forms.DateTimeField):
    default_validators = [validate_calendar_date]


class DateFilter(django_filters.DateFilter):
    field_class = DateField


# --- Widgets: the browser's own pickers, with the value formats they read and write ----------------
class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)
