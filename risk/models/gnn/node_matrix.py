"""Node attributes as a float matrix a network reads: numeric columns as they are (NaN
missing), each categorical column one-hot over its :data:`MAX_LEVELS` most frequent values
(rarer values and missing ones all zeros)."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["MAX_LEVELS", "attribute_matrix"]

#: One-hot columns per categorical attribute at most.
MAX_LEVELS: Final = 20


def attribute_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """``(float32 n × f matrix, column names)`` of ``frame``'s numeric and category
    columns (``name=value`` for a one-hot column)."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            counts = column.value_counts(dropna=True)
            for level in counts.index[:MAX_LEVELS]:
                blocks.append((column == level).to_numpy(dtype=np.float32)[:, None])
                names.append(f"{name}={level}")
        else:
            blocks.append(column.to_numpy(dtype=np.float32)[:, None])
            names.append(str(name))
    if not blocks:
        return np.zeros((len(frame), 0), dtype=np.float32), []
    return np.hstack(blocks), names
