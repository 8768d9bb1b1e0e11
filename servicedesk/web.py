"""Small helpers every app's views share (no app imports here: the base layer)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest


def say_form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """A form posted from a page that does not show it (a card's inline form): its errors as messages,
    each with its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))
