"""Russian amounts in words: the cases that trip hand-written converters."""

from decimal import Decimal

import pytest

from documents.words import amount_in_words_ru, number_in_words_ru, plural_ru

pytestmark = pytest.mark.once  # amounts in words: .ci/run runs these once


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "Ноль рублей 00 копеек"),
        ("1", "Один рубль 00 копеек"),
        ("2", "Два рубля 00 копеек"),
        ("4", "Четыре рубля 00 копеек"),
        ("5", "Пять рублей 00 копеек"),
        ("11", "Одиннадцать рублей 00 копеек"),
        ("12", "Двенадцать рублей 00 копеек"),
        ("14", "Четырнадцать рублей 00 копеек"),
        ("21", "Двадцать один рубль 00 копеек"),
        ("22", "Двадцать два рубля 00 копеек"),
        ("111", "Сто одиннадцать рублей 00 копеек"),
        ("1000", "Одна тысяча рублей 00 копеек"),
        ("2000", "Две тысячи рублей 00 копеек"),
        ("5000", "Пять тысяч рублей 00 копеек"),
        ("11000", "Одиннадцать тысяч рублей 00 копеек"),
        ("21000", "Двадцать одна тысяча рублей 00 копеек"),
        ("1000000", "Один миллион рублей 00 копеек"),
        ("2000000", "Два миллиона рублей 00 копеек"),
        ("5000000", "Пять миллионов рублей 00 копеек"),
        ("1234.50", "Одна тысяча двести тридцать четыре рубля 50 копеек"),
        ("0.01", "Ноль рублей 01 копейка"),
        ("0.02", "Ноль рублей 02 копейки"),
        ("0.11", "Ноль рублей 11 копеек"),
        ("0.21", "Ноль рублей 21 копейка"),
        ("8900.00", "Восемь тысяч девятьсот рублей 00 копеек"),
        ("1000000000", "Один миллиард рублей 00 копеек"),
    ],
)
def test_rubles_in_words(amount, words):
    assert amount_in_words_ru(Decimal(amount)) == words


def test_rounds_to_kopecks():
    assert amount_in_words_ru(Decimal("1.005")) == "Один рубль 01 копейка"
    assert amount_in_words_ru("2.994") == "Два рубля 99 копеек"


def test_other_currencies_agree_in_gender_and_number():
    assert amount_in_words_ru("1", "EUR") == "Одно евро 00 центов"
    assert amount_in_words_ru("21.02", "USD") == "Двадцать один доллар США 02 цента"
    assert amount_in_words_ru("5", "KZT") == "Пять тенге 00 тиынов"


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        amount_in_words_ru("-1")


@pytest.mark.parametrize(
    ("n", "form"),
    [(1, 0), (2, 1), (5, 2), (11, 2), (12, 2), (21, 0), (22, 1), (25, 2), (101, 0), (111, 2), (1000000, 2)],
)
def test_plural_rule(n, form):
    forms = ("рубль", "рубля", "рублей")
    assert plural_ru(n, forms) == forms[form]


def test_feminine_numbers():
    assert number_in_words_ru(21, "f") == "двадцать одна"
    assert number_in_words_ru(2, "f") == "две"
