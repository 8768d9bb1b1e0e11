"""Amounts in words for Russian papers: "Одна тысяча двести рублей 50 копеек".

The cardinal words come from num2words (checked in tests for 1, 2, 5, 11, 21, 1 000, 1 000 000 ...);
the currency's case and number (рубль / рубля / рублей) are chosen here, with the Russian rule:
ends in 1 but not 11 -> singular; ends in 2-4 but not 12-14 -> genitive singular; else genitive plural.
Kopecks are written as two digits, as Russian accounting papers do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

# currency -> (unit forms, unit gender, subunit forms); forms are (1, 2-4, 5-20).
CURRENCY_FORMS: dict[str, tuple[tuple[str, str, str], str, tuple[str, str, str]]] = {
    "RUB": (("рубль", "рубля", "рублей"), "m", ("копейка", "копейки", "копеек")),
    "BYN": (
        ("белорусский рубль", "белорусских рубля", "белорусских рублей"),
        "m",
        ("копейка", "копейки", "копеек"),
    ),
    "USD": (("доллар США", "доллара США", "долларов США"), "m", ("цент", "цента", "центов")),
    "EUR": (("евро", "евро", "евро"), "n", ("цент", "цента", "центов")),
    "KZT": (("тенге", "тенге", "тенге"), "m", ("тиын", "тиына", "тиынов")),
}


def plural_ru(n: int, forms: tuple[str, str, str]) -> str:
    """forms = (1, 2-4, 5-20): plural_ru(21, ("рубль", "рубля", "рублей")) == "рубль"."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def number_in_words_ru(n: int, gender: str = "m") -> str:
    """Cardinal in words: 21 -> "двадцать один"; gender "f" -> "двадцать одна" (for копейка, тысяча ...)."""
    if n < 0:
        raise ValueError("Negative amounts have no words here.")
    words = num2words(n, lang="ru", gender=gender) if gender == "f" else num2words(n, lang="ru")
    if gender == "n":  # евро is neuter: одно евро
        words = _replace_last(words, "один", "одно")
    return words


def _replace_last(words: str, old: str, new: str) -> str:
    parts = words.split(" ")
    if parts and parts[-1] == old:
        parts[-1] = new
    return " ".join(parts)


def amount_in_words_ru(amount: Decimal | int | str, currency: str = "RUB") -> str:
    """Decimal("1234.50") -> "Одна тысяча двести тридцать четыре рубля 50 копеек"."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("Negative amounts have no words here.")
    units, gender, subunits = CURRENCY_FORMS.get(currency, CURRENCY_FORMS["RUB"])
    whole = int(value)
    cents = int((value - whole) * 100)
    words = number_in_words_ru(whole, gender)
    text = f"{words} {plural_ru(whole, units)} {cents:02d} {plural_ru(cents, subunits)}"
    return text[:1].upper() + text[1:]


# --- Every language -------------------------------------------------------------------------------
# Papers in other languages: num2words' cardinal words, the currency's name in that language from CLDR
# (Babel), and the minor units as "50/100", which reads the same in every language and needs no table
# of cent, sen and tiyn. Languages num2words does not know are written in English words.
def _currency_name(currency: str, count: int, language: str) -> str:
    from babel.numbers import get_currency_name

    from servicedesk.money_format import babel_locale

    try:
        return get_currency_name(currency, count=count, locale=babel_locale(language))
    except (ValueError, LookupError):
        return currency


def _words(n: int, language: str) -> str:
    try:
        return num2words(n, lang=language)
    except NotImplementedError:
        return num2words(n, lang="en")


def amount_in_words(amount: object, currency: str, language: str) -> str:
    """The amount in words for papers in `language`:
    ru "Одна тысяча пятьсот рублей 00 копеек", en "One thousand, five hundred US dollars 00/100",
    id "Seratus lima puluh ribu Rupiah Indonesia" (IDR has no minor units in use)."""
    from servicedesk.money_format import currency_digits

    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if language == "ru" and currency in CURRENCY_FORMS:
        return amount_in_words_ru(value, currency)
    if value < 0:
        raise ValueError("Negative amounts have no words here.")
    whole = int(value)
    cents = int((value - whole) * 100)
    text = f"{_words(whole, language)} {_currency_name(currency, whole, language)}"
    if currency_digits(currency) > 0:
        text += f" {cents:02d}/100"
    return text[:1].upper() + text[1:]
