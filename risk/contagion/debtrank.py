"""DebtRank (Battiston, Puliga, Kaushik, Tasca & Caldarelli, Sci. Rep. 2:541, 2012).

Which variant, and why it is the one the issue asks for
--------------------------------------------------------
This is the original "single-hit" DebtRank of the 2012 paper, not the later
"microscopic" DebtRank of Bardoscia et al. (PLOS ONE 2015) nor its non-linear extension.

*Relative impact.* Creditor ``i`` has lent ``A_ij`` to debtor ``j`` (the ``amount`` of the
exposures, pairs summed) and has capital ``E_i``. The impact of ``j`` on ``i`` is
``W_ij = min(1, A_ij / E_i)``: if ``j`` defaults, ``i`` loses up to ``A_ij``, which is
that share of its capital, and never more than all of it. (The paper writes the pair the
other way round, ``W_ji``, with ``A_ji`` the lending of ``i`` to ``j``; the numbers are the
same.)

*State.* Each node has a distress ``h_i`` in [0, 1] (the share of its capital lost; 1 is a
default) and a state ``s_i`` in {U (undistressed), D (distressed), I (inactive)}. At the
start the shocked nodes have ``h_i`` = their shock, every other node 0; a node is D when
``h_i > 0``, otherwise U.

*Propagation* (the paper's Methods, for t >= 2)::

    h_i(t) = min(1, h_i(t-1) + Σ_{j : s_j(t-1) = D} W_ij h_j(t-1))
    s_i(t) = D  if h_i(t) > 0 and s_i(t-1) ≠ I
             I  if s_i(t-1) = D
             s_i(t-1) otherwise

so a node passes its distress on in the one round after it became distressed and is then
inactive for good: it propagates once, whatever it receives later (this is what keeps
distress from travelling round a cycle twice). Every node's ``h`` still rises with what it
receives, inactive ones included. The walk stops when no node is D.

*Increments, not levels.* What the nodes distressed in the previous round pass on is
their distress increment: a node that becomes D in round t-1 was U, hence at ``h = 0``,
until then (a node with ``h > 0`` is never U), so the ``h_j(t-1)`` of the paper's formula
is exactly the distress ``j`` gained when it became distressed; for a shocked node it is
the shock. Distress a node receives after that round (when it is already D or I) is never
passed on. The code propagates exactly that: ``h_j`` of the nodes that turned D in the
previous round, each node once (the later "microscopic" variant instead propagates every
round's increment of every node, with no inactive state, and gives other numbers).

*Results.* The issue's: ``additional_stress = Σ_i v_i (h_i(T) − h_i(1))`` with the values
``v`` normalised to sum 1 (the paper's DebtRank ``R`` of a scenario, which leaves out the
initial shock), and ``additional_defaults`` = the nodes at ``h = 1`` at the end minus those
at ``h = 1`` at the start. ``rounds`` counts the propagation rounds that raised some
node's distress; a shock that reaches nobody takes 0 rounds.

Complexity: each node is D in at most one round and each round reads only the exposures of
the nodes D in it (rows of the debtor × creditor matrix, gathered with numpy), so the whole
run reads every exposure at most once: O(m) for m exposures plus O(n) per round for the
vector update. No Python loop over nodes or edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from risk.contagion.network import ExposureNetwork, gather_rows
from risk.errors import ContagionInputError

__all__ = ["DebtRankResult", "DebtRankRound", "debtrank", "relative_impact"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Past this share (1 / SPMV_SHARE) of all exposures in one round, a sparse product beats
#: gathering the propagating nodes' exposures.
SPMV_SHARE: Final[int] = 8


@dataclass(frozen=True, eq=False)
class DebtRankRound:
    """One propagation round.

    ``propagating``: the nodes that were D before the round and passed their distress on;
    ``raised``/``distress``: the nodes whose ``h`` rose and their ``h`` after the round;
    ``newly_distressed``: the nodes that became D (they propagate in the next round).
    """

    round: int
    propagating: IntArray
    raised: IntArray
    distress: FloatArray
    newly_distressed: IntArray
    additional_stress: float


@dataclass(frozen=True, eq=False)
class DebtRankResult:
    """The outcome of one scenario; arrays are indexed like the network's nodes."""

    rounds: int
    additional_stress: float
    additional_defaults: int
    initial_distress: FloatArray
    distress: FloatArray
    history: tuple[DebtRankRound, ...]

    def distress_by_id(self, ids: tuple[str, ...]) -> dict[str, float]:
        return dict(zip(ids, self.distress.tolist(), strict=True))


def relative_impact(network: ExposureNetwork) -> sparse.csr_array:
    """``W`` transposed: debtor × creditor, entry ``min(1, A_ij / E_i)`` at row j, column i."""
    exposures = network.by_debtor
    data = exposures.data / network.capital[exposures.indices]
    np.minimum(data, 1.0, out=data)
    # The structure (indices, indptr) is the network's, shared rather than copied.
    return sparse.csr_array((data, exposures.indices, exposures.indptr),
                            shape=exposures.shape, copy=False)


def _received(impact: sparse.csr_array, propagating: IntArray, h: FloatArray) -> FloatArray:
    """Σ_j W_ij h_j over the propagating nodes j, for every node i.

    A few propagating nodes: their rows of ``impact`` (debtor × creditor) are gathered and
    summed per creditor, reading only their exposures. Many (more than
    ``1 / SPMV_SHARE`` of all exposures): one sparse product ``W @ x``, with ``x`` the
    distress of the propagating nodes and 0 elsewhere, is cheaper than gathering.
    """
    n = h.size
    entries = int((impact.indptr[propagating + 1] - impact.indptr[propagating]).sum())
    if entries * SPMV_SHARE > impact.nnz:
        passing = np.zeros(n, dtype=np.float64)
        passing[propagating] = h[propagating]
        return impact.T @ passing  # impact.T is W (creditor × debtor), CSC: no copy
    debtors, creditors, w = gather_rows(impact, propagating)
    return np.bincount(creditors, weights=w * h[debtors], minlength=n)


def debtrank(network: ExposureNetwork, shock: npt.ArrayLike) -> DebtRankResult:
    """Run DebtRank from the initial distress ``shock`` (one value in [0, 1] per node).

    Raises :class:`~risk.errors.ContagionInputError` when ``shock`` has the wrong length or
    a value outside [0, 1]. See the module docstring for the exact rule. Time O(m + n·T)
    for m exposures and T rounds; memory O(n + m).
    """
    n = network.size
    h0 = np.asarray(shock, dtype=np.float64).reshape(-1)
    if h0.size != n:
        raise ContagionInputError(f"{h0.size} shock values for {n} nodes")
    if not np.all(np.isfinite(h0) & (h0 >= 0.0) & (h0 <= 1.0)):
        raise ContagionInputError("every initial distress must lie in [0, 1]")
    impact = relative_impact(network)
    weight = network.value / network.value.sum() if n else network.value
    h = h0.copy()
    ever_distressed = h > 0.0
    propagating = np.flatnonzero(ever_distressed)
    history: list[DebtRankRound] = []
    stress = 0.0
    while propagating.size:
        # Each propagating node passes its h on: it was 0 until the round it turned D, so
        # that h is exactly the distress it gained then (for a shocked node, the shock).
        received = _received(impact, propagating, h)
        after = np.minimum(1.0, h + received)
        raised = np.flatnonzero(after > h)
        if raised.size == 0:
            break
        # Summed over the raised nodes only (and without BLAS, whose threads spin).
        stress += float(np.sum(weight[raised] * (after[raised] - h[raised])))
        h = after
        newly = raised[~ever_distressed[raised]]
        ever_distressed[newly] = True
        history.append(DebtRankRound(
            round=len(history) + 1, propagating=propagating, raised=raised,
            distress=h[raised], newly_distressed=newly, additional_stress=stress))
        propagating = newly
    return DebtRankResult(
        rounds=len(history),
        additional_stress=float(np.sum(weight * (h - h0))),
        additional_defaults=int(np.count_nonzero(h >= 1.0) - np.count_nonzero(h0 >= 1.0)),
        initial_distress=h0,
        distress=h,
        history=tuple(history),
    )
