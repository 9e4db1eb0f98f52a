"""Dates as the graph stores them (ISO ``YYYY-MM-DD`` text, or ``date`` objects) read into a
numpy ``datetime64[D]`` array in one pass, ``NaT`` where a value is missing or unreadable.

The projection (loans' disbursement and maturity) and the models' labels (events' dates)
read them the same way: vectorised over the batch, falling back to one by one only when one
value cannot be parsed, so that one bad date never takes the others with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

__all__ = ["iso_days"]


def _text(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return value[:10] if isinstance(value, str) and len(value) >= 10 else "NaT"


def _one(text: str) -> np.datetime64:
    try:
        return np.datetime64(text, "D")
    except ValueError:
        return np.datetime64("NaT", "D")


def iso_days(values: Sequence[object]) -> np.ndarray:
    """``values`` as ``datetime64[D]``; ``NaT`` for a missing or unreadable one."""
    text = [_text(value) for value in values]
    try:
        return np.array(text, dtype="datetime64[D]")
    except ValueError:  # one unreadable date: parse one by one, leaving it unknown
        return np.array([_one(value) for value in text], dtype="datetime64[D]")
