"""Small helpers every app's views share (no app imports here: the base layer)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse


def say_form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """A form posted from a page that does not show it (a card's inline form): its errors as messages,
    each with its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


_STAND_IN = 987654321987  # an id no row has: reversed once, then replaced by each row's


def url_maker(name: str, *leading: object) -> Callable[[int], str]:
    """reverse(name, args=[*leading, n]) for many n at the price of one reverse() (issue 12: a list of 50 rows
    with two links each spent a third of its rows' time in Django's reverse()). For URLs whose last argument
    is an integer."""
    pattern = reverse(name, args=[*leading, _STAND_IN])
    before, stand_in, after = pattern.rpartition(str(_STAND_IN))
    if not stand_in:
        raise ValueError(f"{name} does not end its URL with its last argument")
    return lambda n: f"{before}{int(n)}{after}"
