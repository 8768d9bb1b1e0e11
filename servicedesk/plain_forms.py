"""`{{ form.field|plain_field }}`: a form field rendered as crispy-forms' Bootstrap 5 field renders it, in plain
Python, for hot read-only pages (the order list's filter form: issue 12, docs/performance.md).

crispy-forms renders a field through two template levels and Django's widget templates (an include per
<option>), about 4 ms per field; this writes the same markup (the wrapper `div_<auto id>` with `mb-3`, the
label, the widget with crispy's classes, `is-invalid` and the errors) directly. Text-like inputs, selects and
checkboxes are written here; any other widget goes through Django's own rendering with crispy's classes.
Edit forms keep crispy (`|as_crispy_field`, `{% crispy %}`): they are not hot, and crispy's layouts matter there.
Registered as a built-in template library named `plain_forms` (settings.TEMPLATES).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Inputs written here (others, such as files, go through Django's rendering). Each gets the class crispy-bootstrap5
# gives it: its widget class's name in lower case, then Bootstrap's.
_INPUTS = (forms.TextInput, forms.NumberInput, forms.DateInput, forms.TimeInput, forms.DateTimeInput)


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {name}")
        elif value is not False and value is not None:
            out.append(f' {name}="{escape(value)}"')
    return "".join(out)


def _options(choices: Iterable, selected: set[str]) -> str:
    out = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            out.append(f'<optgroup label="{escape(value)}">{_options(label, selected)}</optgroup>')
            continue
        key = "" if value is None else str(value)
        mark = " selected" if key in selected else ""
        out.append(f'<option value="{escape(key)}"{mark}>{escape(label)}</option>')
    return "\n".join(out)


def _widget(field: BoundField, css: str) -> str:
    widget = field.field.widget
    invalid = bool(field.errors)
    attrs: dict[str, Any] = {"name": field.html_name}
    attrs.update(field.build_widget_attrs(dict(widget.attrs)))  # with `required`, `disabled` as Django sets
    classes = css + (" " + attrs.pop("class") if "class" in widget.attrs else "")
    if invalid:
        classes += " is-invalid"
        attrs["aria-invalid"] = "true"
        described = (attrs.get("aria-describedby") or "").split()  # Django may have named the errors already
        if f"{field.auto_id}_error" not in described:
            described.append(f"{field.auto_id}_error")
        attrs["aria-describedby"] = " ".join(described)
    attrs["class"] = classes
    attrs["id"] = field.auto_id
    if isinstance(widget, forms.Select):
        value = field.value()
        values = value if isinstance(value, list | tuple) else [value]
        selected = {"" if v is None else str(v) for v in values}
        if widget.allow_multiple_selected:
            attrs["multiple"] = True
        return f"<select{_attrs(attrs)}>\n{_options(widget.choices, selected)}\n</select>"
    if isinstance(widget, forms.CheckboxInput):
        if widget.check_test(field.value()):
            attrs["checked"] = True
        return f'<input type="checkbox"{_attrs(attrs)}>'
    value = widget.format_value(field.value())
    typed: dict[str, Any] = {"type": widget.input_type, "name": attrs.pop("name")}
    if value is not None:
        typed["value"] = value
    return f"<input{_attrs(typed | attrs)}>"


def _errors(field: BoundField) -> str:
    if not field.errors:
        return ""
    items = "".join(
        f'<p id="error_{i}_{field.auto_id}"><strong>{conditional_escape(str(error))}</strong></p>'
        for i, error in enumerate(field.errors, start=1)
    )
    return f'<div id="{field.auto_id}_error" class="invalid-feedback">{items}</div>'


def _help(field: BoundField) -> str:
    if not field.help_text:
        return ""
    # Help text is markup, as Django's and crispy's templates treat it (`|safe`): the forms' own words, never input.
    return f'<div id="{field.auto_id}_helptext" class="form-text">{field.help_text}</div>'


@register.filter
def plain_field(field: BoundField) -> SafeString:
    widget = field.field.widget
    if isinstance(widget, forms.HiddenInput):
        return mark_safe(str(field))
    if isinstance(widget, forms.CheckboxInput):
        return mark_safe(
            f'<div class="mb-3"><div id="div_{field.auto_id}" class="form-check">'
            f"{_widget(field, 'checkboxinput form-check-input')}"
            f'<label for="{field.auto_id}" class="form-check-label">{conditional_escape(field.label)}</label>'
            f"{_errors(field)}{_help(field)}</div></div>"
        )
    if isinstance(widget, forms.Select):
        css = "selectmultiple form-select" if widget.allow_multiple_selected else "select form-select"
        control = _widget(field, css)
    else:
        if isinstance(widget, _INPUTS):
            control = _widget(field, type(widget).__name__.lower() + " form-control")
        else:  # not one written here: Django's rendering, with the classes crispy would add
            control = str(
                field.as_widget(attrs={"class": "form-control" + (" is-invalid" if field.errors else "")})
            )
    if not field.label:
        label = ""
    elif field.field.required:
        label = format_html(
            '<label for="{}" class="form-label requiredField">{}<span class="asteriskField">*</span></label>',
            field.auto_id,
            field.label,
        )
    else:
        label = format_html('<label for="{}" class="form-label">{}</label>', field.auto_id, field.label)
    return mark_safe(
        f'<div id="div_{field.auto_id}" class="mb-3">{label}{control}{_errors(field)}{_help(field)}</div>'
    )
