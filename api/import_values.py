"""Reading one cell of an import as the center writes it: amounts and dates in the center's language
("1 500,50" in Russian, "Rp 1.500.000" in Indonesian, "1,500.50" in English; 15.03.2024, 15/03/2024,
15 Mar 2024), whole numbers, yes/no and choices by their label in any of the site's languages. Phone
numbers are read by orders.services.normalise_phone with the center's country, as on the web.

Each function returns the value or raises ValidationError with a sentence naming the cell's field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext as _

from servicedesk.fields import validate_calendar_date
from servicedesk.money_format import babel_locale

MAX_AMOUNT = Decimal("9999999999.99")  # MONEY: 12 digits, 2 decimals
# A number with a currency's sign or code before or after it ("Rp 1.500.000", "1 500,50 ₽", "руб. 100");
# letters inside the number ("1e5", "12abc3") are not skipped but refused.
_AMOUNT = re.compile(r"^(?:[^\d\-]*?[^\d\-.,\s]\.?)?\s*(-?\d[\d\s.,\xa0\u202f']*?)\s*(?:[^\d\s.,][^\d]*)?$")
_GROUPING = re.compile(r"[\s\xa0\u202f']")
_ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")

YES = ("yes", "y", "true", "1", "on", "+", "да", "д", "ya", "iya", "benar")
NO = ("no", "n", "false", "0", "off", "-", "нет", "н", "tidak", "tdk", "salah")


def parse_amount(text: str, language: str, field: str) -> Decimal:
    """An amount of money, at least zero, with at most two decimals, read in `language`."""
    value = _number(text, language, field)
    if value < 0:
        raise ValidationError(_("%(field)s cannot be negative.") % {"field": field})
    if value > MAX_AMOUNT:
        raise ValidationError(_("%(field)s is too large.") % {"field": field})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("%(field)s has more than two decimals.") % {"field": field})
    return value.quantize(Decimal("0.01"))


def parse_quantity(text: str, language: str, field: str) -> Decimal:
    """A quantity (stock), read in `language`; stock.services checks it against the part's unit."""
    value = _number(text, language, field)
    if value < 0:
        raise ValidationError(_("%(field)s cannot be negative.") % {"field": field})
    return value


def parse_whole(text: str, field: str, *, largest: int = 100_000) -> int:
    """A whole number from 0 to `largest` (days, minutes)."""
    cleaned = text.replace(" ", "").replace("\xa0", "")
    if not cleaned.isdigit():
        raise ValidationError(
            _("%(field)s: “%(value)s” is not a whole number.") % {"field": field, "value": text[:40]}
        )
    value = int(cleaned)
    if value > largest:
        raise ValidationError(_("%(field)s is too large.") % {"field": field})
    return value


def _number(text: str, language: str, field: str) -> Decimal:
    found = _AMOUNT.match(text.strip())
    locale = babel_locale(language)
    try:
        if found is None:
            raise NumberFormatError(text)
        value = parse_decimal(_GROUPING.sub("", found.group(1)), locale=locale, strict=True)
    except NumberFormatError:
        example = format_decimal(Decimal("1500.50"), format="#,##0.00", locale=locale)
        raise ValidationError(
            _("%(field)s: “%(value)s” is not a number (write it like %(example)s).")
            % {"field": field, "value": text[:40], "example": example}
        ) from None
    if not value.is_finite():
        raise ValidationError(
            _("%(field)s: “%(value)s” is not a number.") % {"field": field, "value": text[:40]}
        )
    return value


def parse_date(text: str, language: str, field: str) -> date:
    """A date as `language` writes it (its date formats, e.g. 15.03.2024 in Russian, 15/03/2024 in
    Indonesian), or ISO 2024-03-15 (what Excel's date cells become)."""
    cleaned = " ".join(text.split())
    with translation.override(language):
        patterns = [*_ISO_FORMATS, *formats.get_format("DATE_INPUT_FORMATS", lang=language)]
        for pattern in patterns:
            try:
                value = datetime.strptime(cleaned, pattern).date()
            except ValueError:
                continue
            try:
                validate_calendar_date(value)
            except ValidationError as problem:
                raise ValidationError(f"{field}: {' '.join(problem.messages)}") from None
            return value
        example = formats.date_format(date(2024, 3, 15), "SHORT_DATE_FORMAT")
    raise ValidationError(
        _("%(field)s: “%(value)s” is not a date (write it like %(example)s).")
        % {"field": field, "value": text[:40], "example": example}
    )


def parse_yes_no(text: str, field: str) -> bool:
    lowered = text.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ValidationError(
        _("%(field)s: write yes or no, not “%(value)s”.") % {"field": field, "value": text[:40]}
    )


def parse_choice(
    text: str, choices: Iterable[tuple[str, object]], field: str, *, extra: dict | None = None
) -> str:
    """The value of a choice named by its value, its label in any of the site's languages, or `extra`
    (other words for it, lower case)."""
    lowered = text.strip().lower()
    words = dict(extra or {})
    for value, label in choices:
        words[str(value).lower()] = value
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                words[str(label).lower()] = value
    if lowered in words:
        return words[lowered]
    raise ValidationError(_("%(field)s: unknown value “%(value)s”.") % {"field": field, "value": text[:60]})
