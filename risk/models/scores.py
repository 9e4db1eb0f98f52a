"""The PD of every borrower on a date, by one model: what the scan stores and what the PD
rules, IFRS 9 and the API read.

Plain arrays (no model code), so that readers of scores do not import LightGBM or torch.
``reasons[i]`` is the list of reason codes of ``party_ids[i]`` as JSON-ready dicts
(``feature``, ``value``, ``contribution``, ``text``), largest first. A borrower in default on
the date has PD 1 and the default itself as its reason (``in_default``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

__all__ = ["PartyScores"]


@dataclass(frozen=True, slots=True)
class PartyScores:
    model_id: str
    as_of: date
    #: Sorted borrower ids (fixed-width unicode, for ``searchsorted``).
    party_ids: np.ndarray
    pd: np.ndarray
    #: Scorecard points, NaN for models without points.
    points: np.ndarray
    reasons: list[list[dict[str, Any]]]
    in_default: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.party_ids)
        if not (len(self.pd) == len(self.points) == len(self.reasons)
                == len(self.in_default) == n):
            raise ValueError("every column of PartyScores must have one entry per party")
        if n > 1 and not bool(np.all(self.party_ids[1:] > self.party_ids[:-1])):
            raise ValueError("PartyScores.party_ids must be sorted and unique")

    def __len__(self) -> int:
        return len(self.party_ids)

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """The row of each of ``ids``, -1 where the id has no score."""
        if len(self.party_ids) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        wanted = np.asarray(ids).astype(str)
        at = np.minimum(np.searchsorted(self.party_ids, wanted), len(self.party_ids) - 1)
        return np.where(self.party_ids[at] == wanted, at, -1).astype(np.int64)

    def pd_of(self, ids: np.ndarray) -> np.ndarray:
        """The PD of each of ``ids``, NaN where the id has no score."""
        at = self.positions(ids)
        return np.where(at >= 0, self.pd[np.maximum(at, 0)] if len(self.pd) else np.nan,
                        np.nan)
