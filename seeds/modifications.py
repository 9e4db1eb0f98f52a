"""Loan modifications: restructurings of distressed loans and agreed payment pauses.

About a third of the loans that ever fell 30 or more days behind are restructured (a
``restructuring`` or a ``term_extension`` flagged as a concession to financial difficulty)
30 days after the first installment that went that far behind, if that day has come by
``as_of``. About one loan in a hundred gets a payment pause of one to three months
starting ten days before one of its past due dates, not for financial difficulty
(a natural-disaster relief or a hospital stay). Draws come from a stream of their own, so
the other files do not change with them.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from seeds.config import PortfolioConfig
from seeds.randomness import stage_rng
from seeds.writer import PortfolioWriter

__all__ = ["write_modifications"]

RESTRUCTURE_SHARE: Final = 0.35
PAUSE_SHARE: Final = 0.01
DISTRESS_DAYS: Final = 30
_RESTRUCTURE_REASONS: Final = np.array(["sales fell", "income fell after a job loss",
                                        "a large customer defaulted", "cash-flow shortfall"])
_PAUSE_REASONS: Final = np.array(["natural-disaster relief", "hospital stay"])


def write_modifications(config: PortfolioConfig, ids: np.ndarray, due: np.ndarray,
                        pay: np.ndarray, valid: np.ndarray, as_of: int, chunk: int,
                        first_seq: int, writer: PortfolioWriter) -> int:
    """Write the modifications of one loan chunk; return the next modification number.

    Parameters:
        ids: the chunk's loan ids; ``due``/``pay``: due and payment day per installment
            (``pay`` past ``as_of`` means unpaid); ``valid``: which installments exist.

    Complexity: O(loans × installments) of the chunk.
    """
    rng = stage_rng(config.seed, "modifications", chunk)
    n = len(ids)
    behind = valid & (due <= as_of) & (np.minimum(pay, as_of) - due >= DISTRESS_DAYS)
    distressed = behind.any(axis=1)
    first = np.argmax(behind, axis=1)
    effective = due[np.arange(n), first] + DISTRESS_DAYS
    restructured = distressed & (effective <= as_of) & (rng.random(n) < RESTRUCTURE_SHARE)
    kind = np.where(rng.random(n) < 0.6, "restructuring", "term_extension")
    r_rows = np.flatnonzero(restructured)

    past = valid & (due <= as_of)
    paused = ~restructured & (past.sum(axis=1) >= 3) & (rng.random(n) < PAUSE_SHARE)
    pick = (rng.random(n) * np.maximum(past.sum(axis=1), 1)).astype(np.int64)
    p_rows = np.flatnonzero(paused)
    p_start = due[p_rows, pick[p_rows]] - 10
    p_end = p_start + rng.integers(30, 91, len(p_rows))

    rows = np.concatenate((r_rows, p_rows))
    if not len(rows):
        return first_seq
    count = len(rows)
    is_pause = np.concatenate((np.zeros(len(r_rows), bool), np.ones(len(p_rows), bool)))
    writer.write("modifications", {
        "id": [f"MOD{i:09d}" for i in range(first_seq + 1, first_seq + count + 1)],
        "loan_id": ids[rows],
        "kind": np.concatenate((kind[r_rows], np.full(len(p_rows), "payment_pause"))),
        "effective_on": np.concatenate((effective[r_rows], p_start)),
        "pause_until": np.concatenate((np.zeros(len(r_rows), np.int64), p_end)),
        "reason": np.concatenate((
            _RESTRUCTURE_REASONS[rng.integers(0, len(_RESTRUCTURE_REASONS), len(r_rows))],
            _PAUSE_REASONS[rng.integers(0, len(_PAUSE_REASONS), len(p_rows))])),
        "financial_difficulty": np.where(is_pause, "false", "true"),
    }, missing={"pause_until": ~is_pause})
    return first_seq + count
