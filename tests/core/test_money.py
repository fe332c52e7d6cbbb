from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.money import (
    AmountError,
    format_eur,
    parse_amount,
    parse_amount_fr,
    parse_iso_amount,
    quantize,
    total,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.5", Decimal("1234.50")), ("0", Decimal("0.00")), ("-12.00", Decimal("-12.00")),
    (" 7.05 ", Decimal("7.05")),
])
def test_amounts_are_parsed_from_text_with_a_dot(text, expected):
    parsed = parse_amount(text)
    assert parsed == expected and parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(("text", "reason"), [
    ("1234,50", "virgule"), ("12.345", "deux décimales"), ("1 234.50", "illisible"),
    ("12 €", "illisible"), ("", "illisible"), ("1e3", "illisible"),
])
def test_ambiguous_amounts_are_refused_with_the_reason(text, reason):
    with pytest.raises(AmountError, match=reason):
        parse_amount(text)


@pytest.mark.parametrize(("parse", "text"), [
    (parse_amount, "-0.00"), (parse_amount, "-0"), (parse_amount_fr, "-0,00"), (parse_amount_fr, "(0,00)"),
    (parse_iso_amount, "0.00000"),
])
def test_every_written_form_reads_zero_without_a_sign(parse, text):
    zero = parse(text)
    assert zero == Decimal("0.00") and not zero.is_signed() and zero.as_tuple().exponent == -2


def test_the_rounding_rule_is_half_up_to_the_cent():
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    assert quantize(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert quantize(Decimal("-0.005")) == Decimal("-0.01")


def test_floats_never_become_money():
    with pytest.raises(TypeError, match="must be Decimal, got float"):  # says what it was given
        quantize(0.1)  # type: ignore[arg-type]


def test_an_empty_total_is_zero_euros():
    assert total([]) == Decimal("0.00")


@pytest.mark.parametrize(("amount", "shown"), [
    ("1234.56", "1\u202f234,56\u00a0€"), ("0.5", "0,50\u00a0€"), ("0", "0,00\u00a0€"),
    ("-0.001", "0,00\u00a0€"),
    ("-1000000", "-1\u202f000\u202f000,00\u00a0€"),
])
def test_amounts_are_shown_the_french_way(amount, shown):
    assert format_eur(Decimal(amount)) == shown


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_parsing_the_written_amount_gives_it_back(amount):
    assert parse_amount(f"{amount:.2f}") == amount
