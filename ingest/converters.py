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
from collections.abc import Callable, Collection
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from graph.model import MAX_ID_LENGTH
from ingest.currencies import ISO_4217_CODES
from ingest.errors import InvalidValue

__all__ = [
    "DEFAULT_TEXT_LENGTH",
    "MAX_AMOUNT",
    "Converter",
    "amount_float",
    "amount_text",
    "choice",
    "currency",
    "date_text",
    "external_id",
    "fraction",
    "id_list",
    "integer",
    "month",
    "rate_text",
    "text",
]

Converter = Callable[[Any], Any]

#: Longest free-text value kept (names, titles, banks, sectors).
DEFAULT_TEXT_LENGTH: Final = 1_000
#: Amounts are stored as NUMERIC(18, 2): at most 16 digits before the point.
MAX_AMOUNT: Final = 10**16
_CENT: Final = Decimal("0.01")
_RATE_STEP: Final = Decimal("0.000001")
_MAX_DECIMAL: Final = Decimal(MAX_AMOUNT)
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


def _plain_amount(value: str) -> bool:
    """``value`` is digits with at most two decimals (``"1234"``, ``"1234.5"``), which is
    already what a NUMERIC(18, 2) column stores exactly."""
    whole, point, cents = value.partition(".")
    return (value.isascii() and whole.isdigit() and len(whole) <= 16
            and (not point or (cents.isdigit() and len(cents) <= 2)))


def amount_text(value: Any) -> str:
    """A non-negative amount rounded to two decimals, as exact decimal text (``"1234.50"``).

    SQL records take the text as it is (PostgreSQL casts it to NUMERIC, SQLite's numeric
    affinity stores the number), which spares a conversion per value on the hot path. The
    common spelling is checked without building a ``Decimal`` (three times faster).
    """
    if type(value) is str and _plain_amount(value):
        return value  # type: ignore[no-any-return]
    number = _decimal(value)
    if number < _ZERO:
        raise InvalidValue(f"negative amount: {value}")
    if number >= _MAX_DECIMAL:
        raise InvalidValue(f"amount too large (at most {MAX_AMOUNT - 1} before the point)")
    return str(number.quantize(_CENT, ROUND_HALF_UP))


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


def amount_float(value: Any) -> float:
    """A non-negative amount rounded to two decimals, as a float (for graph properties)."""
    number = _float(value)
    if number < 0:
        raise InvalidValue(f"negative amount: {value}")
    if number >= MAX_AMOUNT:
        raise InvalidValue(f"amount too large (at most {MAX_AMOUNT - 1} before the point)")
    return round(number, 2)


def fraction(*, exclude_zero: bool = False) -> Converter:
    """A share in ``0..1`` (``(0..1]`` with ``exclude_zero``), as a float."""
    low = "above 0" if exclude_zero else "at least 0"

    def convert(value: Any) -> float:
        number = _float(value)
        if (number <= 0 if exclude_zero else number < 0) or number > 1:
            raise InvalidValue(f"must be {low} and at most 1; got {value}")
        return number

    return convert


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
