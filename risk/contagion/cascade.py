"""A threshold default cascade (Furfine 2003) on an exposure network.

A node defaults when its losses reach its capital. Its losses are the shock (the shocked
share of its capital) plus ``amount × lgd`` for every debtor that has defaulted. Nodes
shocked by a fraction of 1 default at the start (round 0); in each round the debtors
that defaulted in the round before inflict their losses on their creditors, and the
creditors whose losses now reach their capital default; rounds go on until one brings no
new default. Unlike DebtRank, a loss short of default passes nothing on.

For each node that defaults in the cascade, ``chain`` names the debtor that pushed it
over: among the debtors that defaulted in the round before, the one whose default cost it
the most (the lowest position on a tie). Following the chain back from any defaulted node
leads to a shocked node.

Complexity: every defaulted debtor's exposures are read once, O(m + n·T) for m exposures
and T rounds, vectorised with numpy and scipy.sparse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from risk.contagion.network import ExposureNetwork, gather_rows
from risk.errors import ContagionInputError

__all__ = ["DEFAULT_LGD", "CascadeResult", "default_cascade"]

#: Loss given default: the share of an exposure lost when the debtor defaults.
DEFAULT_LGD: Final[float] = 1.0
#: Losses within this share of capital of it count as reaching it (float sums of amounts).
THRESHOLD_RTOL: Final[float] = 1e-12

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CascadeResult:
    """The outcome of one cascade; positions index the network's nodes.

    ``defaults_by_round[0]`` holds the nodes the shock defaulted, ``[k]`` those that
    defaulted in round k. ``chain`` is ``(creditor, debtor, round)`` per contagion default.
    ``losses`` is what every creditor lost on defaulted debtors (``amount × lgd``, summed);
    ``loss`` per node adds its shock loss to that.
    """

    rounds: int
    lgd: float
    defaults_by_round: tuple[IntArray, ...]
    chain: tuple[tuple[int, int, int], ...]
    losses: float
    loss: FloatArray
    defaulted: npt.NDArray[np.bool_]

    @property
    def additional_defaults(self) -> int:
        return int(sum(r.size for r in self.defaults_by_round[1:]))


def default_cascade(
    network: ExposureNetwork, shock: npt.ArrayLike, *, lgd: float = DEFAULT_LGD,
) -> CascadeResult:
    """Run the cascade from ``shock`` (the share of each node's capital lost, in [0, 1]).

    Raises :class:`~risk.errors.ContagionInputError` for a shock of the wrong length or
    outside [0, 1], or an ``lgd`` outside [0, 1].
    """
    n = network.size
    initial = np.asarray(shock, dtype=np.float64).reshape(-1)
    if initial.size != n:
        raise ContagionInputError(f"{initial.size} shock values for {n} nodes")
    if not np.all(np.isfinite(initial) & (initial >= 0.0) & (initial <= 1.0)):
        raise ContagionInputError("every shock must lie in [0, 1]")
    if not (np.isfinite(lgd) and 0.0 <= lgd <= 1.0):
        raise ContagionInputError(f"loss given default {lgd!r} is outside [0, 1]",
                                  suggestion="give --lgd a number from 0 to 1")
    capital = network.capital
    threshold = capital * (1.0 - THRESHOLD_RTOL)
    loss = initial * capital
    defaulted = loss >= threshold
    newly = np.flatnonzero(defaulted)
    by_round: list[IntArray] = [newly]
    chain: list[tuple[int, int, int]] = []
    contagion_losses = 0.0
    while newly.size:
        debtors, creditors, amount = gather_rows(network.by_debtor, newly)
        hit = amount * lgd
        contagion_losses += float(hit.sum())
        loss = loss + np.bincount(creditors, weights=hit, minlength=n)
        now = np.flatnonzero(~defaulted & (loss >= threshold))
        if now.size == 0:
            break
        defaulted[now] = True
        round_ = len(by_round)
        by_round.append(now)
        chain.extend(_pushers(now, debtors, creditors, hit, n, round_))
        newly = now
    return CascadeResult(rounds=len(by_round) - 1, lgd=lgd, defaults_by_round=tuple(by_round),
                         chain=tuple(chain), losses=contagion_losses, loss=loss,
                         defaulted=defaulted)


def _pushers(
    now: IntArray, debtors: IntArray, creditors: IntArray, hit: FloatArray, n: int, round_: int,
) -> list[tuple[int, int, int]]:
    """For each creditor in ``now``, the debtor of this round that cost it the most."""
    is_new = np.zeros(n, dtype=np.bool_)
    is_new[now] = True
    keep = is_new[creditors]
    c, d, x = creditors[keep], debtors[keep], hit[keep]
    # Sort by creditor, then largest loss first, then lowest debtor; keep each creditor's first.
    order = np.lexsort((d, -x, c))
    c, d = c[order], d[order]
    first = np.ones(c.size, dtype=np.bool_)
    first[1:] = c[1:] != c[:-1]
    return [(int(ci), int(di), round_) for ci, di in zip(c[first], d[first], strict=True)]
