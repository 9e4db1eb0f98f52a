"""Which columns of a lender's file identify rows rather than describe them.

An id column would let a model memorise rows (and fail on new ones), so it is set aside,
reported, and kept only to label the scores. A column is id-like when

* its name reads like an identifier (``id``, ``customer_id``, ``LoanID``, ``uuid``,
  ``account_number``, pandas' ``Unnamed: 0``) and at least :data:`NEAR_UNIQUE` of its values
  are distinct, or
* it is text and every row has its own value, or
* it is whole numbers, every row has its own, and they run like a row counter (the values
  span no more than :data:`COUNTER_SPAN` times the rows).

A continuous measurement can be unique per row too (an income with cents), so uniqueness
alone never drops a numeric column.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

__all__ = ["COUNTER_SPAN", "NEAR_UNIQUE", "is_id_like", "looks_like_id_name"]

NEAR_UNIQUE: Final = 0.95
COUNTER_SPAN: Final = 2.0
#: Text columns unique per row are ids only from this many rows (in ten rows, ten distinct
#: words happen by chance).
MIN_ROWS: Final = 20
_ID_WORDS: Final = frozenset({"id", "ids", "uuid", "guid", "key"})
_ID_ENDINGS: Final = frozenset({"no", "nr", "number", "num", "code", "ref", "reference"})
_ID_NAMES: Final = frozenset({"index", "unnamed 0", "unnamed", "row", "rownum", "row number"})


def looks_like_id_name(name: str) -> bool:
    """Whether a column name reads like an identifier."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.strip())  # LoanID → Loan ID
    words = [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
    if not words:
        return False
    if " ".join(words) in _ID_NAMES or any(w in _ID_WORDS for w in words):
        return True
    return len(words) > 1 and words[-1] in _ID_ENDINGS


def is_id_like(name: str, cells: pd.Series, numbers: np.ndarray | None) -> bool:
    """Whether the column ``name`` (its text ``cells``; ``numbers`` when it is numeric) is
    id-like (see the module's docstring)."""
    present = cells.dropna()
    rows = len(cells)
    if rows == 0 or present.empty:
        return False
    distinct = present.nunique()
    if looks_like_id_name(name) and distinct >= NEAR_UNIQUE * rows:
        return True
    if distinct < rows or rows < MIN_ROWS:
        return False
    if numbers is None:
        return True
    if np.isnan(numbers).any() or not np.all(numbers == np.round(numbers)):
        return False
    return float(numbers.max() - numbers.min() + 1) <= COUNTER_SPAN * rows
