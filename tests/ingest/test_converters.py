"""Field converters and identifier normalisation: what passes, what is refused, and why."""

from __future__ import annotations

import re

import pytest

from ingest.converters import (
    amount,
    choice,
    currency,
    date_text,
    email_address,
    external_id,
    fraction,
    id_list,
    integer,
    minor_units,
    month,
    rate_text,
    text,
)
from ingest.errors import InvalidValue
from ingest.identifiers import normalise_identifier


@pytest.mark.parametrize(("given", "expected"), [
    ("1234", "1234"), ("1234.5", "1234.5"), ("0.01", "0.01"), ("0", "0"),
    ("2.675", "2.675"), ("1e3", "1000"), ("1E-3", "0.001"), (1234, "1234"), (12.5, "12.5"),
    ("+5", "5"), (".5", "0.5"), ("5.", "5"), ("12345678901234.56", "12345678901234.56"),
    (0.1, "0.1"), (123456789012.345, "123456789012.345"),
])
def test_amounts_are_kept_as_exact_text(given: object, expected: str) -> None:
    assert amount(given) == expected


@pytest.mark.parametrize(("given", "reason"), [
    ("-5.00", "negative amount: -5.00"),
    ("-0", "negative amount: -0"),
    ("-0.00", "negative amount: -0.00"),
    (-1, "negative amount: -1"),
    (-0.0, "negative amount: -0.0"),
    ("12,50", "not a number: '12,50'"),
    ("1_000", "not a number: '1_000'"),
    ("NaN", "not a number: 'NaN'"),
    ("nan", "not a number: 'nan'"),
    ("inf", "not a number: 'inf'"),
    ("-Infinity", "not a number: '-Infinity'"),
    (float("inf"), "not a number: inf"),
    (float("nan"), "not a number: nan"),
    ("١٢", "not a number: '١٢'"),
    (True, "expected a number, got a boolean"),
    ("1e309", "amount too large: 1e309 (at most 18 digits before the point)"),
    ("1e18", "amount too large: 1e18 (at most 18 digits before the point)"),
    ("1234567890123456789", "amount too large: 1234567890123456789 (at most 18 digits "
                            "before the point)"),
    ("1e-999999999", "too many decimals: 1e-999999999"),
    (12345678901234.56, "12345678901234.56 has more than 15 significant digits, which a "
                        "JSON number may not keep exactly; write the amount as a string"),
])
def test_bad_amounts_are_refused_with_the_reason(given: object, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        amount(given)
    assert caught.value.message == reason


@pytest.mark.parametrize(("text", "code", "minor"), [
    ("2.67", "CNY", 267), ("2.670", "CNY", 267), ("2.6", "CNY", 260), ("2", "CNY", 200),
    ("0", "CNY", 0), ("12345678901234.56", "CNY", 1234567890123456),
    ("1000", "JPY", 1000), ("1000.00", "JPY", 1000), ("1.234", "KWD", 1234),
    ("1.5", "KWD", 1500), ("0.0001", "CLF", 1), ("9999999999999999.99", "USD", 10**18 - 1),
])
def test_minor_units_are_exact(text: str, code: str, minor: int) -> None:
    assert minor_units(text, code) == minor


@pytest.mark.parametrize(("text", "code", "reason"), [
    ("2.675", "CNY", "3 decimals; CNY allows 2"),
    ("2.6750", "CNY", "3 decimals; CNY allows 2"),
    ("100.5", "JPY", "1 decimal; JPY allows 0"),
    ("1.2345", "KWD", "4 decimals; KWD allows 3"),
    ("10000000000000000", "USD", "amount too large: 10000000000000000 USD is more than "
                                 "999999999999999999 minor units"),
])
def test_minor_units_never_round(text: str, code: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        minor_units(text, code)
    assert caught.value.message == reason


@pytest.mark.parametrize(("given", "expected"), [("2024-02-29", "2024-02-29")])
def test_dates(given: str, expected: str) -> None:
    assert date_text(given) == expected


@pytest.mark.parametrize("given", ["2023-02-29", "2024/01/05", "20240105", "2024-W01-1",
                                   "24-01-05", 20240105])
def test_bad_dates_are_refused(given: object) -> None:
    with pytest.raises(InvalidValue, match="not a date YYYY-MM-DD"):
        date_text(given)


def test_months() -> None:
    assert month("2024-03") == "2024-03"
    for bad in ("2024-13", "2024-3", "2024/03", "２０２４-03"):
        with pytest.raises(InvalidValue, match="not a month YYYY-MM"):
            month(bad)


def test_shares_and_rates() -> None:
    share = fraction()
    pct = fraction(exclude_zero=True)
    assert (share("0"), share("1"), share(0.25), pct("1")) == (0.0, 1.0, 0.25, 1.0)
    with pytest.raises(InvalidValue, match=re.escape("must be at least 0 and at most 1; got 1.5")):
        share("1.5")
    with pytest.raises(InvalidValue, match="must be above 0 and at most 1; got 0"):
        pct("0")
    assert rate_text("0.0435") == "0.043500"
    with pytest.raises(InvalidValue, match=re.escape("must be between 0 and 1; got 4.35")):
        rate_text("4.35")


def test_integers() -> None:
    seq = integer(1, 10)
    assert (seq("3"), seq(3), seq(3.0), seq("+3")) == (3, 3, 3, 3)
    with pytest.raises(InvalidValue, match="must be between 1 and 10; got 0"):
        seq("0")
    with pytest.raises(InvalidValue, match="must be at least 1; got -2"):
        integer(1)("-2")
    for bad in ("2.5", "two", "1_0", 2.5):
        with pytest.raises(InvalidValue, match="not a whole number"):
            seq(bad)


def test_ids_texts_and_choices() -> None:
    assert external_id("P1") == "P1"
    assert external_id(42) == "42"
    with pytest.raises(InvalidValue, match="id is longer than 128 characters"):
        external_id("x" * 129)
    with pytest.raises(InvalidValue, match="an id must be a string, got a list"):
        external_id(["P1"])
    assert text(5)("abcde") == "abcde"
    with pytest.raises(InvalidValue, match="longer than 5 characters"):
        text(5)("abcdef")
    gender = choice(("F", "M"))
    assert gender("F") == "F"
    with pytest.raises(InvalidValue, match="must be one of F, M; got 'f'"):
        gender("f")
    with pytest.raises(InvalidValue, match="must be one of F, M; got"):
        gender(["F"])
    assert currency("cny") == "CNY"
    with pytest.raises(InvalidValue, match="not an ISO 4217 currency code: 'RMB'"):
        currency("RMB")


def test_id_lists() -> None:
    assert id_list("P1; P2;P1") == ("P1", "P2")
    assert id_list(["C1", 7]) == ("C1", "7")
    with pytest.raises(InvalidValue, match="item 2 of the list is empty"):
        id_list("P1;;P2")
    with pytest.raises(InvalidValue, match="the list names no ids"):
        id_list([])
    with pytest.raises(InvalidValue, match="expected a list of ids, got a number"):
        id_list(3)


@pytest.mark.parametrize(("kind", "given", "expected"), [
    ("phone", "+86 138-0013-8000", "+8613800138000"),
    ("phone", "(0571) 8888 6666", "057188886666"),
    ("address", "  12  Wenyi Road,\tHangzhou ", "12 wenyi road, hangzhou"),
    ("device", "IMEI 3569 8704", "imei 3569 8704"),
])
def test_identifiers_are_normalised(kind: str, given: str, expected: str) -> None:
    assert normalise_identifier(kind, given) == expected


def test_identifiers_that_normalise_to_nothing_are_refused() -> None:
    with pytest.raises(InvalidValue, match="a phone number needs digits; got 'n/a'"):
        normalise_identifier("phone", "n/a")
    with pytest.raises(InvalidValue, match="too long: at most 120 characters after normalising"):
        normalise_identifier("address", "a" * 121)


@pytest.mark.parametrize("given", ["li.na@example.com", "a+b@mail.example.cn", "x@a.b"])
def test_email_addresses_are_kept_as_given(given: str) -> None:
    assert email_address(given) == given


@pytest.mark.parametrize("given", ["li.na", "li na@example.com", "a@b", "a@@b.c", "@b.c",
                                   "a@.b.c", "a@b.", 17, "x" * 250 + "@a.bc"])
def test_what_is_no_email_address_is_refused_saying_so(given: object) -> None:
    with pytest.raises(InvalidValue, match="e-mail address"):
        email_address(given)
