"""Node features made fit for a network: heavy tails tamed, scales equalised, missing values
flagged.

Each column ``x`` becomes ``sign(x) · log(1 + |x|)`` when its values span several orders of
magnitude (amounts, degrees), is then centred on its median and divided by its spread
(the standard deviation, or 1 for a constant column), and clipped to ±:data:`CLIP`. A column
with missing values (NaN) gets a second column, 1 where the value was missing, and the value
itself becomes 0 (the median). Fitted on every node of a type, labelled or not (no label is
read), and stored with the model so that scoring transforms exactly as training did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

__all__ = ["CLIP", "FeatureScaling", "fit_scaling"]

#: Transformed values are clipped to [-CLIP, CLIP] standard deviations.
CLIP: Final = 5.0
#: A column whose absolute values reach this many times their median (or 1) is log-scaled.
_LOG_RATIO: Final = 100.0


@dataclass(frozen=True, eq=False)
class FeatureScaling:
    """How to transform one node type's feature matrix (``float64`` arrays, one entry per
    input column): ``log`` (1.0 where log-scaled), ``center``, ``scale``, ``flag`` (1.0
    where a missing-value column is added)."""

    log: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    flag: np.ndarray

    @property
    def n_in(self) -> int:
        return len(self.center)

    @property
    def n_out(self) -> int:
        return self.n_in + int(self.flag.sum())

    def transform(self, matrix: np.ndarray) -> np.ndarray:
        """``matrix`` (``n × n_in``) as the network reads it: ``float32`` ``n × n_out``."""
        if matrix.shape[1] != self.n_in:
            raise ValueError(f"expected {self.n_in} feature columns, got {matrix.shape[1]}")
        values = np.asarray(matrix, dtype=np.float64)
        missing = np.isnan(values)
        logged = self.log.astype(bool)
        values = values.copy()
        values[:, logged] = np.sign(values[:, logged]) * np.log1p(np.abs(values[:, logged]))
        values = np.clip((values - self.center) / self.scale, -CLIP, CLIP)
        values[missing] = 0.0
        flags = missing[:, self.flag.astype(bool)].astype(np.float64)
        return np.hstack([values, flags]).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"log": self.log, "center": self.center, "scale": self.scale, "flag": self.flag}


def fit_scaling(matrix: np.ndarray) -> FeatureScaling:
    """The :class:`FeatureScaling` of ``matrix`` (``n × f``, NaN = missing)."""
    values = np.asarray(matrix, dtype=np.float64)
    f = values.shape[1]
    log = np.zeros(f)
    center = np.zeros(f)
    scale = np.ones(f)
    flag = np.zeros(f)
    for j in range(f):
        column = values[:, j]
        known = column[~np.isnan(column)]
        flag[j] = float(len(known) < len(column))
        if len(known) == 0:
            continue
        magnitude = np.abs(known)
        typical = max(float(np.median(magnitude)), 1.0)
        if float(magnitude.max()) >= _LOG_RATIO * typical:
            log[j] = 1.0
            known = np.sign(known) * np.log1p(magnitude)
        center[j] = float(np.median(known))
        spread = float(known.std())
        scale[j] = spread if spread > 0 else 1.0
    return FeatureScaling(log=log, center=center, scale=scale, flag=flag)
