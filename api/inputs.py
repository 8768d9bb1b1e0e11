"""Request bodies go through the web's own forms: the same rules, the same sentences.

`form_data(request, FormClass, **kwargs)` reads the JSON object, fills fields it leaves out with the
form's initial values (what the web page would have pre-filled), validates with the form and returns
`cleaned_data`, or raises errors.Invalid with the form's messages. `form_serializer(FormClass)` describes
the same fields for the OpenAPI schema, so the schema cannot drift from what is validated.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from rest_framework import serializers

from .errors import Invalid

_SCALARS = (str, int, float, Decimal)


def _form_value(field: forms.Field, value):
    """JSON (or a row's current value) -> what a browser would have posted: text, or a list of texts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, _SCALARS):
        return str(value)
    multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    if (
        multiple
        and isinstance(value, list | tuple)
        and all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in value)
    ):
        return [str(v) for v in value]
    raise ValueError


def validated_form(request, form_class: type[forms.Form], **form_kwargs) -> forms.Form:
    """The web's form bound to the request's JSON object and valid, or errors.Invalid with its sentences.

    A field the JSON leaves out (or sends as null) takes the form's initial value: what the page would
    have pre-filled (the center's first reception point, "in the shop", a row's current values for a
    change), so a PATCH sends only what changes. Unknown fields are refused, not silently dropped.
    """
    raw = request.data
    if not isinstance(raw, dict):
        raise Invalid({"non_field_errors": [_("Send a JSON object.")]})
    unbound = form_class(**form_kwargs)
    data: dict = {}
    problems: dict[str, list[str]] = {}
    for name, field in unbound.fields.items():
        if isinstance(field, forms.FileField):
            continue
        value = raw.get(name)
        if value is None:
            value = unbound[name].initial
            if value is None or callable(value):
                continue
        try:
            data[name] = _form_value(field, value)
        except ValueError:
            multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
            problems[name] = [
                _("Send a list of values.") if multiple else _("Send a single value (text or a number).")
            ]
    unknown = sorted(set(raw) - set(unbound.fields))
    if unknown:
        problems["non_field_errors"] = [
            _("Unknown fields: %(names)s.") % {"names": ", ".join(map(str, unknown))[:500]}
        ]
    labels = {name: str(field.label or name) for name, field in unbound.fields.items()}
    if problems:
        raise Invalid(problems, labels)
    form = form_class(data, **form_kwargs)
    if not form.is_valid():
        raise Invalid(
            {
                ("non_field_errors" if name == "__all__" else name): [str(e) for e in errors]
                for name, errors in form.errors.items()
            },
            labels,
        )
    return form


def form_data(request, form_class: type[forms.Form], **form_kwargs) -> dict:
    return validated_form(request, form_class, **form_kwargs).cleaned_data


# --- The schema of a form --------------------------------------------------------------------------
_made: dict[str, type[serializers.Serializer]] = {}


def _schema_field(field: forms.Field) -> serializers.Field:
    common = {"required": field.required, "help_text": str(field.label or "") or None}
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=serializers.IntegerField(), **common)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.MultipleChoiceField(choices=field.choices, **common)
    if isinstance(field, forms.TypedChoiceField) and field.coerce is int:
        return serializers.ChoiceField(choices=[(int(k), v) for k, v in field.choices], **common)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=field.choices, **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits, decimal_places=field.decimal_places, coerce_to_string=False, **common
        )
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.DateTimeField):
        return serializers.DateTimeField(**common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.EmailField):
        return serializers.EmailField(max_length=field.max_length, **common)
    return serializers.CharField(max_length=field.max_length, allow_blank=not field.required, **common)


def form_serializer(
    name: str,
    form_class: type[forms.Form],
    *,
    fields: list[str] | None = None,
    required: tuple[str, ...] = (),
    **form_kwargs,
) -> type[serializers.Serializer]:
    """A serializer class named `name` describing the form's fields (for the schema only)."""
    if name in _made:
        return _made[name]
    declared = {}
    for field_name, field in form_class.base_fields.items():
        if isinstance(field, forms.FileField) or (fields is not None and field_name not in fields):
            continue
        declared[field_name] = _schema_field(field)
        if field_name in required:
            declared[field_name].required = True
    _made[name] = type(name, (serializers.Serializer,), declared)
    return _made[name]
