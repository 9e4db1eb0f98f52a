"""Relationships read as of a date: the ``valid_from``/``valid_to`` edge properties.

An ownership, directorship, identifier use or relation may carry the dates it held, as
``YYYY-MM-DD`` text properties (the import format's optional columns of the same names).

The rule. A relationship holds on day ``as_of`` when::

    valid_from <= as_of < valid_to

``valid_from`` is the first day it held; ``valid_to`` is the day it ended, the first day it
no longer holds (half-open, so an owner who sells on 2024-06-30 to a buyer whose
``valid_from`` is 2024-06-30 leaves neither a gap nor a day with two owners). A missing date
is open-ended on its side: no ``valid_from`` has held since always, no ``valid_to`` still
holds. A relationship with neither date is *undated*: it is taken as it stands, and the
:class:`ValiditySummary` of a read counts it, so that a result can say how much of it rests
on relationships whose history is unknown. With ``valid_to`` equal to ``valid_from`` the
relationship holds on no day; the importer rejects ``valid_to`` before ``valid_from``.

ISO dates compare correctly as text; :func:`valid_on` compares the text,
:func:`valid_mask` parses whole columns to ``datetime64[D]`` in one vectorised pass.

A stored date that is not ``YYYY-MM-DD`` text (written by something other than the
importer) is an :class:`graph.errors.InvalidGraphElement` naming the property and value.

A leaf: it imports only the graph's errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np

from graph.errors import InvalidGraphElement

__all__ = [
    "NOT_READ",
    "VALIDITY_PROPS",
    "VALID_FROM",
    "VALID_TO",
    "ValiditySummary",
    "summarise",
    "valid_mask",
    "valid_on",
]

#: The edge property naming the first day a relationship held.
VALID_FROM: Final = "valid_from"
#: The edge property naming the day a relationship ended (it no longer holds that day).
VALID_TO: Final = "valid_to"
#: Both, in the order :func:`valid_mask` takes them.
VALIDITY_PROPS: Final = (VALID_FROM, VALID_TO)


def _text(value: object) -> str | None:
    # A stored date is ISO text; absent, None and "" are no date.
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    raise _not_a_date(value)


def _not_a_date(value: object) -> InvalidGraphElement:
    return InvalidGraphElement(
        f"a relationship's {VALID_FROM}/{VALID_TO} holds {value!r}, not a date YYYY-MM-DD",
        suggestion="re-import the relationship with its dates written YYYY-MM-DD")


def valid_on(props: Mapping[str, object], as_of: date) -> bool:
    """Whether a relationship with edge properties ``props`` holds on ``as_of``:
    ``valid_from <= as_of < valid_to``, a missing date open-ended.

    >>> valid_on({"valid_from": "2024-01-01", "valid_to": "2024-07-01"}, date(2024, 6, 30))
    True
    >>> valid_on({"valid_to": "2024-07-01"}, date(2024, 7, 1))
    False

    Raises:
        InvalidGraphElement: a date property that is not a date ``YYYY-MM-DD``.
    """
    day = as_of.isoformat()
    start, end = _text(props.get(VALID_FROM)), _text(props.get(VALID_TO))
    for text in (start, end):
        if text is not None:
            _parse(text)
    return (start is None or start <= day) and (end is None or day < end)


def _parse(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _not_a_date(text) from None


def _days(values: Sequence[object] | np.ndarray) -> np.ndarray:
    # None, "" and missing become NaT; NaT compares false with everything.
    column = values.tolist() if isinstance(values, np.ndarray) else values
    texts = [_text(v) or "NaT" for v in column]
    try:
        return np.array(texts, dtype="datetime64[D]")
    except ValueError:
        # Name the first bad value (a day that does not exist, such as 2024-02-30).
        for text in texts:
            if text != "NaT":
                _parse(text)
        raise


def valid_mask(valid_from: Sequence[object] | np.ndarray, valid_to: Sequence[object] | np.ndarray,
               as_of: date) -> np.ndarray:
    """:func:`valid_on` over whole columns: a boolean array, ``True`` where the relationship
    of that row holds on ``as_of``.

    Parameters:
        valid_from, valid_to: parallel columns of ISO date text, ``None`` (or ``""``) where
            the relationship has no such date.
        as_of: the day.

    Raises:
        ValueError: the columns differ in length.
        InvalidGraphElement: a value is not a date ``YYYY-MM-DD``.

    Complexity: O(n), the comparisons vectorised.
    """
    return _mask(*_columns(valid_from, valid_to), as_of)


def _columns(valid_from: Sequence[object] | np.ndarray, valid_to: Sequence[object] | np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    if len(valid_from) != len(valid_to):
        raise ValueError(f"valid_from has {len(valid_from)} values, valid_to {len(valid_to)}")
    return _days(valid_from), _days(valid_to)


def _mask(start: np.ndarray, end: np.ndarray, as_of: date) -> np.ndarray:
    day = np.datetime64(as_of.isoformat(), "D")
    return (np.isnat(start) | (start <= day)) & (np.isnat(end) | (day < end))


@dataclass(frozen=True, slots=True)
class ValiditySummary:
    """What a dated read of relationships did.

    ``as_of``: the day asked for (``None``: every stored relationship, dates not applied);
    ``total``: relationships read; ``undated``: those with neither date, taken as they
    stand; ``excluded``: those that did not hold on ``as_of`` and were left out.
    """

    as_of: date | None
    total: int = 0
    undated: int = 0
    excluded: int = 0

    @property
    def kept(self) -> int:
        """Relationships the result rests on."""
        return self.total - self.excluded

    def describe(self) -> str:
        """One line for a report, e.g. ``as of 2024-06-30: 812 of 1,000 relationships held;
        120 had no dates and were taken as they stand``."""
        when = "as stored" if self.as_of is None else f"as of {self.as_of.isoformat()}"
        held = (f"{self.kept:,} of {self.total:,} relationships held"
                if self.as_of is not None else f"{self.total:,} relationships, dates not applied")
        return (f"{when}: {held}; {self.undated:,} had no dates and were taken as they stand")

    def as_json(self) -> dict[str, object]:
        """The summary as a JSON object, as the command line prints it."""
        return {"as_of": None if self.as_of is None else self.as_of.isoformat(),
                "relationships": self.total, "undated": self.undated,
                "excluded": self.excluded}


#: The summary of results built from arrays handed in rather than read from a store.
NOT_READ: Final = ValiditySummary(None)


def summarise(valid_from: Sequence[object] | np.ndarray, valid_to: Sequence[object] | np.ndarray,
              as_of: date | None) -> tuple[np.ndarray, ValiditySummary]:
    """The rows to keep as of ``as_of`` (all of them when ``None``) and the summary.

    Raises:
        ValueError: the columns differ in length.
        InvalidGraphElement: with ``as_of``, a value is not a date ``YYYY-MM-DD``.
    """
    if as_of is None:
        # The graph as stored: dates are counted, not read, so a bad one cannot stop it.
        if len(valid_from) != len(valid_to):
            raise ValueError(f"valid_from has {len(valid_from)} values, "
                             f"valid_to {len(valid_to)}")
        undated = sum(1 for s, e in zip(valid_from, valid_to, strict=True)
                      if (s is None or s == "") and (e is None or e == ""))
        n = len(valid_from)
        return np.ones(n, dtype=bool), ValiditySummary(None, n, undated, 0)
    start, end = _columns(valid_from, valid_to)
    n = len(start)
    undated = int(np.count_nonzero(np.isnat(start) & np.isnat(end)))
    keep = _mask(start, end, as_of)
    return keep, ValiditySummary(as_of, n, undated, int(n - np.count_nonzero(keep)))
