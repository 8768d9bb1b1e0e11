"""Amounts of money as people read them: the one formatting function of pages, e-mails and PDFs.

Babel carries CLDR's data: each language's separators and where the sign goes, each currency's sign in
each language and its number of decimals. "Rp 150.000" (id, IDR), "1 500,00 ₽" (ru, RUB), "$1,500.00"
(en, USD). A base module: it imports no app.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError, get_global
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_symbol,
    get_territory_currencies,
    list_currencies,
)
from django.utils import translation

NBSP = "\xa0"


def babel_locale(language: str | None) -> str:
    """Django's language code as Babel's locale: "ru", "en", "id", "pt-br" -> "pt_BR"."""
    language = (language or translation.get_language() or "en").replace("-", "_")
    head, _sep, tail = language.partition("_")
    return f"{head}_{tail.upper()}" if tail else head


@functools.cache
def currencies_in_use() -> frozenset[str]:
    """The ISO 4217 currencies some country pays with today (CLDR): not gold (XAU), the test code (XTS),
    "no currency" (XXX) or the rouble of 1997 (RUR)."""
    territories = get_global("territory_currencies")
    return frozenset(
        code
        for territory in territories
        for code in get_territory_currencies(territory, tender=True)
        if code in list_currencies()
    )


def is_currency(code: str) -> bool:
    """A currency a center may keep its books in: RUB, IDR, KZT, EUR ... (currencies_in_use)."""
    return bool(code) and code in currencies_in_use()


def currency_digits(currency: str) -> int:
    """Decimals shown: CLDR's cash digits, so IDR and JPY have none and RUB, USD, EUR have two."""
    fractions = get_global("currency_fractions")
    return int(fractions.get(currency, fractions["DEFAULT"])[2])


def currency_symbol(currency: str, language: str | None = None) -> str:
    """₽ for RUB in Russian, Rp for IDR in Indonesian, $ for USD in English, the code where none is known."""
    try:
        return get_currency_symbol(currency, locale=babel_locale(language))
    except (UnknownLocaleError, ValueError):
        return currency


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def format_amount(value: object, language: str | None = None, digits: int = 2) -> str:
    """The number alone in the language's way: "1 500,00" (ru), "1,500.00" (en), "150.000" (id, 0 digits)."""
    amount = _decimal(value)
    if amount is None:
        return "" if value in (None, "") else str(value)
    digits = max(0, min(int(digits), 10))
    amount = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    try:
        return format_decimal(amount, format=pattern, locale=babel_locale(language))
    except UnknownLocaleError:
        return format_decimal(amount, format=pattern, locale="en")


def format_money(value: object, currency: str, language: str | None = None) -> str:
    """The amount with its currency in the language's way, "" for no amount.

    `language` defaults to the active one. A letter sign touching a digit gets a no-break space, as
    CLDR's currency spacing says (Babel leaves it out): "Rp 150.000", "KZT 1,500.00", but "$1,500.00".
    """
    amount = _decimal(value)
    if amount is None:
        return "" if value in (None, "") else str(value)
    locale = babel_locale(language)
    digits = currency_digits(currency)
    amount = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    try:
        pattern = _pattern_with_digits(locale, digits)
    except (UnknownLocaleError, ValueError):
        locale = "en"
        pattern = _pattern_with_digits(locale, digits)
    # The pattern carries the cash digits (format_currency would pad to the standard's: IDR 150.000,00).
    text = format_currency(amount, currency, locale=locale, format=pattern, currency_digits=False)
    return _space_letter_sign(text, currency_symbol(currency, locale))


def _pattern_with_digits(locale: str, digits: int) -> str:
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    fraction = "." + "0" * digits if digits else ""
    return pattern.replace("#,##0.00", "#,##0" + fraction)


def _space_letter_sign(text: str, symbol: str) -> str:
    if not symbol or symbol not in text:
        return text
    before, _sep, after = text.partition(symbol)
    if after[:1].isdigit() and symbol[-1:].isalpha():
        after = NBSP + after
    if before[-1:].isdigit() and symbol[:1].isalpha():
        before = before + NBSP
    return before + symbol + after
