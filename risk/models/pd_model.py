"""What every fitted PD model offers, whatever its kind: a calibrated probability of default
per row of a feature frame, and reason codes per row in words a risk officer reads.

The kinds (``gbm``, ``scorecard``) implement :class:`PdModel`; the registry stores what
:meth:`PdModel.to_bytes` returns with the kind, and :func:`risk.models.artefacts.model_from_bytes`
gives the model back, so a stored score can always be reproduced by the model that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

__all__ = ["Describe", "PdModel", "Reason"]

#: Words for one factor of one row: ``describe(feature, value, row)`` returns a phrase such as
#: "3 missed installments in 6 months", or ``None`` to fall back to the generic wording
#: ("<feature> = <value>"). ``row`` is the position in the frame being explained, so that a
#: phrase can name what the value alone does not (the guarantor who defaulted, and when).
Describe = Callable[[str, Any, int], str | None]


@dataclass(frozen=True, slots=True)
class Reason:
    """One factor that raised a row's score: the feature, the row's value (``None`` when
    missing), how much it raised the score (log-odds, > 0) and the words for it."""

    feature: str
    value: Any
    contribution: float
    text: str


class PdModel(Protocol):
    """A fitted, calibrated PD model."""

    #: ``"gbm"`` or ``"scorecard"``.
    kind: str
    #: The columns it reads, in order; other columns of a frame are ignored.
    feature_names: list[str]

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """The calibrated probability of default of each row, in (0, 1)."""
        ...

    def reasons(self, frame: pd.DataFrame, *, top: int = 3,
                describe: Describe | None = None) -> list[list[Reason]]:
        """Per row, up to ``top`` factors that raised its score, largest first."""
        ...

    def to_bytes(self) -> bytes:
        """The whole fitted model (calibration included), without pickle."""
        ...
