"""Reason codes: the factors that raised one row's score, largest first, in words.

Both model kinds reduce a row's explanation to a contribution per feature in log-odds of
default (path attributions of the trees for gradient boosting, points lost against the best
bin for the scorecard); this module picks the top positive ones and words them, through the caller's
:data:`~risk.models.pd_model.Describe` when it has a phrase, else from the value itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from risk.models.pd_model import Describe, Reason

__all__ = ["format_number", "generic_text", "is_missing", "top_reasons"]


def is_missing(value: Any) -> bool:
    """``None``, NaN and pandas' NA are missing."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NA are not equal to themselves
    except (TypeError, ValueError):
        return False


def format_number(value: float) -> str:
    """A number as a risk officer reads it: thousands separated, no float noise
    (3200.0 → "3,200", 0.4567 → "0.457", 12345.678 → "12,345.68")."""
    number = float(value)
    if math.isinf(number):
        return "infinity" if number > 0 else "minus infinity"
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    magnitude = abs(number)
    if magnitude >= 100:
        digits = 2
    elif magnitude >= 1:
        digits = 3
    else:  # three significant digits
        digits = 2 - math.floor(math.log10(magnitude))
    return f"{number:,.{digits}f}".rstrip("0").rstrip(".")


def generic_text(feature: str, value: Any) -> str:
    """The fallback wording of a factor: "missing <feature>" or "<feature> = <value>"."""
    if is_missing(value):
        return f"missing {feature}"
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return f"{feature} = {format_number(float(value))}"
    return f"{feature} = {value}"


def _plain(value: Any) -> Any:
    """A value as plain Python (``None`` for missing), for JSON and for ``Reason.value``."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def top_reasons(contributions: np.ndarray, values: Sequence[Sequence[Any]],
                feature_names: Sequence[str], *, top: int, describe: Describe | None,
                wording: Callable[[int, int], str]) -> list[list[Reason]]:
    """Per row, the ``top`` features with the largest positive contribution, largest first.

    ``contributions`` is rows × features (log-odds); ``values[i][j]`` the row's value of
    feature ``j``; ``wording(row, j)`` the model's own phrase, used when ``describe`` is
    ``None`` or returns ``None``.
    """
    result: list[list[Reason]] = []
    if top <= 0:
        return [[] for _ in range(len(contributions))]
    for row, row_contributions in enumerate(np.asarray(contributions, dtype=float)):
        order = np.argsort(-row_contributions, kind="stable")[:top]
        reasons = []
        for j in order:
            amount = float(row_contributions[j])
            if not amount > 1e-9:
                break
            feature = feature_names[j]
            value = _plain(values[row][j])
            text = describe(feature, value, row) if describe is not None else None
            reasons.append(Reason(feature=feature, value=value, contribution=amount,
                                  text=text or wording(row, int(j))))
        result.append(reasons)
    return result
