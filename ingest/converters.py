"""Converters from a CSV cell or JSON value to a checked Python value, one per field type.

Each converter takes a value that is present (not ``None``; strings arrive stripped and
non-empty) and returns the converted value or raises :class:`InvalidValue` with the reason.
CSV cells are always strings; JSON Lines values may also be numbers, booleans or lists.

These are hand-written rather than pydantic models on purpose: the importer runs them on
millions of rows, and a plain function per field type costs a fraction of a microsecond,
where building a validated model per row costs several microseconds and would halve the
import rate. The rules are exactly those of ``docs/import-format.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from graph.model import MAX_ID_LENGTH
from ingest.errors import InvalidValue
from portfolio.money import CURRENCY_EXPONENTS, ISO_4217_CODES, MAX_MINOR_UNITS

__all__ = [
    "DEFAULT_TEXT_LENGTH",
    "Converter",
    "amount",
    "choice",
    "currency",
    "date_text",
    "email_address",
    "external_id",
    "fraction",
    "id_list",
    "integer",
    "minor_units",
    "month",
    "probability",
    "rate_text",
    "text",
]

Converter = Callable[[Any], Any]

#: Longest free-text value kept (names, titles, banks, sectors).
DEFAULT_TEXT_LENGTH: Final = 1_000
#: Digits before the point of an amount: with its decimals it must stay below
#: ``MAX_MINOR_UNITS`` (checked by :func:`minor_units`).
_MAX_WHOLE_DIGITS: Final = 18
#: Significant digits a float surely keeps (C's ``DBL_DIG``).
_FLOAT_DIGITS: Final = 15
_RATE_STEP: Final = Decimal("0.000001")
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _plain_number_text(value: str) -> bool:
    # Decimal() and float() also take "1_000", non-ASCII digits and "infinity"; we do not.
    return value.isascii() and "_" not in value


def external_id(value: Any) -> str:
    """An external id: a non-empty string of at most 128 characters (a JSON integer is taken
    as its decimal text)."""
    kind = type(value)
    if kind is int:
        value = str(value)
    elif kind is not str:
        raise InvalidValue(f"an id must be a string, got {_kind(value)}")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidValue(f"id is longer than {MAX_ID_LENGTH} characters")
    return value


def text(max_length: int = DEFAULT_TEXT_LENGTH) -> Converter:
    """Free text of at most ``max_length`` characters (JSON integers taken as their text)."""

    def convert(value: Any) -> str:
        kind = type(value)
        if kind is int:
            value = str(value)
        elif kind is not str:
            raise InvalidValue(f"expected text, got {_kind(value)}")
        if len(value) > max_length:
            raise InvalidValue(f"longer than {max_length} characters")
        return value

    return convert


#: An e-mail address as mail servers take it: one ``@``, no blanks, a dotted domain. Only a
#: sanity check (the full RFC 5322 grammar accepts what no server delivers); the SMTP
#: server has the last word when a notification is sent.
_EMAIL: Final = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
MAX_EMAIL_LENGTH: Final = 254


def email_address(value: Any) -> str:
    """An e-mail address (see :data:`_EMAIL`), at most 254 characters."""
    if type(value) is not str:
        raise InvalidValue(f"expected an e-mail address, got {_kind(value)}")
    if len(value) > MAX_EMAIL_LENGTH or _EMAIL.fullmatch(value) is None:
        raise InvalidValue(f"not an e-mail address (name@example.com): {value[:80]!r}")
    return value


def choice(allowed: Collection[str]) -> Converter:
    """One of ``allowed``, spelled exactly."""
    options = frozenset(allowed)
    listing = ", ".join(sorted(options))

    def convert(value: Any) -> str:
        if type(value) is str and value in options:
            return value
        raise InvalidValue(f"must be one of {listing}; got {value!r}")

    return convert


def currency(value: Any) -> str:
    """An ISO 4217 currency code such as ``CNY``; lower case is accepted and upper-cased."""
    if type(value) is str:
        code = value.upper()
        if code in ISO_4217_CODES:
            return code
    raise InvalidValue(f"not an ISO 4217 currency code: {value!r}")


def date_text(value: Any) -> str:
    """A calendar date written ``YYYY-MM-DD``, checked and kept as that text.

    The text is what both the graph (a string property) and SQL (a DATE column, which takes
    ISO text) store, and ISO dates compare correctly as strings.
    """
    # date.fromisoformat alone would also accept "20250301" and week dates.
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise InvalidValue(f"not a date YYYY-MM-DD: {value!r}")


def month(value: Any) -> str:
    """A month written ``YYYY-MM``."""
    if (type(value) is str and len(value) == 7 and value[4] == "-" and value.isascii()
            and value[:4].isdigit() and value[5:].isdigit() and 1 <= int(value[5:]) <= 12):
        return value
    raise InvalidValue(f"not a month YYYY-MM: {value!r}")


def _decimal(value: Any) -> Decimal:
    kind = type(value)
    if kind is str:
        if _plain_number_text(value):
            try:
                number = Decimal(value)
            except InvalidOperation:
                pass
            else:
                if number.is_finite():
                    return number
        raise InvalidValue(f"not a number: {value!r}")
    if kind is int:
        return Decimal(value)
    if kind is float:
        if math.isfinite(value):
            # repr() gives the shortest text that reads back as this float: 0.1, not 0.1000…
            return Decimal(repr(value))
        raise InvalidValue(f"not a number: {value!r}")
    raise InvalidValue(f"expected a number, got {_kind(value)}")


def _json_number_text(value: float) -> str:
    """The text of a finite JSON number read as a float, when it is surely what was written.

    A float keeps 15 significant decimal digits for sure (``DBL_DIG``); a longer number may
    already have been rounded by the JSON parser, so it must be written as a string.
    """
    text = repr(value)
    digits = text.partition("e")[0].replace(".", "").lstrip("-0")
    if len(digits) > _FLOAT_DIGITS:
        raise InvalidValue(f"{text} has more than {_FLOAT_DIGITS} significant digits, which a "
                           "JSON number may not keep exactly; write the amount as a string")
    return text


def _amount_from_decimal(number: Decimal, value: object) -> str:
    if number.is_signed():
        raise InvalidValue(f"negative amount: {value}")
    if number.as_tuple().exponent < -_MAX_WHOLE_DIGITS:  # type: ignore[operator]
        raise InvalidValue(f"too many decimals: {value}")
    if number.adjusted() >= _MAX_WHOLE_DIGITS:
        raise InvalidValue(f"amount too large: {value} (at most {_MAX_WHOLE_DIGITS} digits "
                           "before the point)")
    # Plain digits (no exponent), trailing zeros kept, so that the decimals are counted
    # against the currency as written.
    return f"{number:f}"


def amount(value: Any) -> str:
    """A non-negative amount, as plain decimal text (``"1234.5"``), its decimals not yet
    checked against a currency: :func:`minor_units` does that once the row's currency is
    known.

    ``NaN``, infinities, negative amounts (``-0`` too), amounts of more than 18 digits
    before the point, and JSON numbers of more than 15 significant digits are refused. The
    common spelling (digits, a point, digits) is returned as it is, without building a
    ``Decimal``.
    """
    if type(value) is str:
        whole, point, decimals = value.partition(".")
        if (value.isascii() and whole.isdigit() and len(whole) <= _MAX_WHOLE_DIGITS
                and (not point or decimals.isdigit())):
            return value  # type: ignore[no-any-return]
        if not _plain_number_text(value):
            raise InvalidValue(f"not a number: {value!r}")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise InvalidValue(f"not a number: {value!r}") from None
        if not number.is_finite():
            raise InvalidValue(f"not a number: {value!r}")
        return _amount_from_decimal(number, value)
    kind = type(value)
    if kind is int:
        if value < 0:
            raise InvalidValue(f"negative amount: {value}")
        return _amount_from_decimal(Decimal(value), value)
    if kind is float:
        if not math.isfinite(value):
            raise InvalidValue(f"not a number: {value!r}")
        return _amount_from_decimal(Decimal(_json_number_text(value)), value)
    raise InvalidValue(f"expected a number, got {_kind(value)}")


def minor_units(amount_text: str, currency: str) -> int:
    """``amount_text`` (from :func:`amount`) in minor units of ``currency``: ``"2.5"`` CNY is
    ``250``.

    Never rounds: an amount with more decimals than the currency has is refused (``"2.675"``
    in CNY: "3 decimals; CNY allows 2"). Zeros past the currency's decimals do not change
    the value and are accepted (``"2.670"`` is ``267``).

    Raises:
        InvalidValue: too many decimals, or at least ``MAX_MINOR_UNITS + 1`` minor units.
    """
    exponent = CURRENCY_EXPONENTS[currency]
    whole, _, decimals = amount_text.partition(".")
    if len(decimals) != exponent:
        if len(decimals) > exponent:
            kept = decimals.rstrip("0")
            if len(kept) > exponent:
                noun = "decimal" if len(kept) == 1 else "decimals"
                raise InvalidValue(f"{len(kept)} {noun}; {currency} allows {exponent}")
            decimals = kept
        decimals = decimals.ljust(exponent, "0")
    minor = int(whole + decimals)
    if minor > MAX_MINOR_UNITS:
        raise InvalidValue(f"amount too large: {amount_text} {currency} is more than "
                           f"{MAX_MINOR_UNITS} minor units")
    return minor


def _float(value: Any) -> float:
    kind = type(value)
    if kind is str:
        if _plain_number_text(value):
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if math.isfinite(number):
                    return number
        raise InvalidValue(f"not a number: {value!r}")
    if kind is int or kind is float:
        number = float(value)
        if math.isfinite(number):
            return number
        raise InvalidValue(f"not a number: {value!r}")
    raise InvalidValue(f"expected a number, got {_kind(value)}")


def fraction(*, exclude_zero: bool = False) -> Converter:
    """A share in ``0..1`` (``(0..1]`` with ``exclude_zero``), as a float."""
    low = "above 0" if exclude_zero else "at least 0"

    def convert(value: Any) -> float:
        number = _float(value)
        if (number <= 0 if exclude_zero else number < 0) or number > 1:
            raise InvalidValue(f"must be {low} and at most 1; got {value}")
        return number

    return convert


def probability(value: Any) -> float:
    """A probability strictly between 0 and 1 (a PD: 0 and 1 are certainties, not
    estimates), as a float."""
    number = _float(value)
    if not 0.0 < number < 1.0:
        raise InvalidValue(f"must be above 0 and below 1; got {value}")
    return number


def rate_text(value: Any) -> str:
    """A yearly rate in ``0..1`` with six decimals kept, as exact decimal text."""
    number = _decimal(value)
    if number < _ZERO or number > _ONE:
        raise InvalidValue(f"must be between 0 and 1; got {value}")
    return str(number.quantize(_RATE_STEP, ROUND_HALF_UP))


def integer(low: int, high: int | None = None) -> Converter:
    """A whole number in ``low..high`` (no upper bound when ``high`` is ``None``)."""
    bounds = f"at least {low}" if high is None else f"between {low} and {high}"

    def convert(value: Any) -> int:
        kind = type(value)
        if kind is int:
            number = value
        elif (kind is str and value.isascii() and (
            value.isdigit() or (value[0] in "+-" and value[1:].isdigit())
        )) or (kind is float and value.is_integer()):
            number = int(value)
        else:
            raise InvalidValue(f"not a whole number: {value!r}")
        if number < low or (high is not None and number > high):
            raise InvalidValue(f"must be {bounds}; got {number}")
        return number  # type: ignore[no-any-return]

    return convert


def id_list(value: Any) -> tuple[str, ...]:
    """One or more external ids: a JSON array, or a CSV cell of ids separated by ``;``.

    Repeated ids are kept once, in their first position.
    """
    if type(value) is str:
        items: list[Any] = [item.strip() for item in value.split(";")]
    elif type(value) is list:
        items = [item.strip() if type(item) is str else item for item in value]
    else:
        raise InvalidValue(f"expected a list of ids, got {_kind(value)}")
    if not items:
        raise InvalidValue("the list names no ids")
    ids: dict[str, None] = {}
    for position, item in enumerate(items, start=1):
        if item == "" or item is None:
            raise InvalidValue(f"item {position} of the list is empty")
        try:
            ids[external_id(item)] = None
        except InvalidValue as exc:
            raise InvalidValue(f"item {position} of the list: {exc.message}") from None
    return tuple(ids)
