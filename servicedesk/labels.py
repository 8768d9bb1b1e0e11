"""Choice labels looked up in a map per field and language instead of Django's `get_FOO_display`.

Django's `Model._get_FIELD_display` builds `dict(make_hashable(field.flatchoices))` on every call, which hashes
every lazy label of the field (a gettext each): a list of 50 orders showing status, priority and service level
spent about 15 % of its time there (issue 12, docs/performance.md). The labels of a field in a language never
change while the process runs, so they are translated once and kept.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

_maps: dict[tuple[int, str | None], dict[Any, str]] = {}


def choice_labels(field: models.Field) -> dict[Any, str]:
    """{value: label in the active language} of a field with choices."""
    key = (id(field), get_language())
    labels = _maps.get(key)
    if labels is None:
        labels = {make_hashable(value): str(label) for value, label in field.flatchoices}
        _maps[key] = labels
    return labels


def choice_label(field: models.Field, value: Any) -> Any:
    """As `get_FOO_display` answers: the label, or the value itself when it is not among the choices."""
    try:
        return choice_labels(field).get(make_hashable(value), value)
    except TypeError:  # an unhashable value Django would also have failed on; answer as Django does
        return value


class FastChoiceLabels(models.Model):
    """Mixin for models: every `get_FOO_display` of the model reads the map above."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:  # noqa: N802 (Django's name)
        return choice_label(field, getattr(self, field.attname))
