"""A stress test on the portfolio's exposure network: who is hit, through whom, and what
it may cost.

:func:`stress_portfolio` shocks the selected parties (:mod:`risk.contagion.selection`) of a
:class:`~risk.contagion.portfolio_network.PortfolioNetwork` and runs DebtRank or the
default cascade. For every party hit it names the party that passed the distress on
(the predecessor) and the path back to a shocked party: in DebtRank, among the parties
that propagated in the round before the party turned distressed, the one whose impact on
it was largest (``W_ij × h_j``, the lowest position on a tie); in the cascade, the debtor
that pushed it over (the engine's chain) or, for a party hit short of default, the
defaulted debtor that cost it most. Each step is one gather over the exposures of one
round, vectorised; the whole run reads every exposure a bounded number of times.

DebtRank passes on any distress, however small, so a shock reaches whole components at
distress 10^-9; the report lists as *hit* the parties at ``min_distress`` or more (1 % of
the buffer by default) and the shocked ones, and counts the others (``below_threshold``).
Loans hit are the loans of the listed borrowers; a loan's distress is its most distressed
borrower's. Exposure at risk is their principal, summed exactly per currency. Expected
loss is ``Σ distress × principal × lgd`` over the loans of *every* distressed borrower (the
small ones add their small share), per currency, computed in floating point
(``math.fsum``) and rounded half to even to minor units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from portfolio.money import minor_to_decimal
from risk.contagion.cascade import CascadeResult, default_cascade
from risk.contagion.debtrank import DebtRankResult, debtrank, relative_impact
from risk.contagion.network import ExposureNetwork, gather_rows
from risk.contagion.portfolio_network import FloatArray, IntArray, PortfolioNetwork
from risk.errors import ContagionInputError, ShockError

__all__ = ["PartyHit", "PortfolioStress", "stress_portfolio"]


@dataclass(frozen=True, slots=True)
class PartyHit:
    """One party hit: its distress, the round it turned distressed (0: shocked), the party
    that passed the distress on and by which links, and the path back to a shocked party."""

    id: str
    initial: float
    distress: float
    round: int
    via: str | None
    links: tuple[str, ...]
    path: tuple[str, ...]
    loans: int
    exposure_minor: dict[str, int]
    expected_loss_minor: dict[str, int]


@dataclass(frozen=True, eq=False)
class PortfolioStress:
    """The outcome of a portfolio stress test: figures per currency in minor units."""

    method: str
    currency: str
    shock: float
    lgd: float
    shocked: tuple[str, ...]
    rounds: int
    additional_stress: float | None
    additional_defaults: int
    min_distress: float
    below_threshold: int
    parties: tuple[PartyHit, ...]
    loans: tuple[tuple[str, str, float, str, int], ...]
    exposure_minor: dict[str, int]
    expected_loss_minor: dict[str, int]
    left_out: dict[str, int]
    result: DebtRankResult | CascadeResult

    @staticmethod
    def decimal(minor: dict[str, int]) -> dict[str, str]:
        """Minor units per currency as exact decimal text."""
        return {code: str(minor_to_decimal(amount, code)) for code, amount in
                sorted(minor.items())}


def stress_portfolio(pn: PortfolioNetwork, selected: IntArray, fraction: float = 1.0, *,
                     method: str = "debtrank", option: str = "--shock") -> PortfolioStress:
    """Shock the ``selected`` positions by ``fraction`` and propagate with ``method``
    (``debtrank`` or ``cascade``; the cascade uses the configured LGD on exposures).

    Raises :class:`~risk.errors.ShockError` for a fraction outside [0, 1] or an empty
    selection.
    """
    if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
        raise ShockError(f"{option} {fraction:g} is outside [0, 1]",
                         suggestion="the shock is the share of each selected party's buffer "
                                    "lost at the start; 1 (the default) defaults them")
    if selected.size == 0:
        raise ShockError("the selection is empty: no party to shock")
    network = pn.network
    initial = np.zeros(network.size, dtype=np.float64)
    initial[selected] = fraction
    lgd = pn.config.lgd
    if method == "debtrank":
        dr = debtrank(network, initial)
        distress, result = dr.distress, dr
        pred, turned = _debtrank_predecessors(network, dr)
        stress: float | None = dr.additional_stress
        defaults, rounds = dr.additional_defaults, dr.rounds
    elif method == "cascade":
        cascade = default_cascade(network, initial, lgd=lgd)
        distress = np.minimum(1.0, cascade.loss / network.capital)
        result = cascade
        pred, turned = _cascade_predecessors(network, cascade, initial, distress)
        stress, defaults, rounds = None, cascade.additional_defaults, cascade.rounds
    else:
        raise ContagionInputError(f"unknown method {method!r}: debtrank or cascade")
    return _report(pn, method, fraction, initial, distress, pred, turned, stress, defaults,
                   rounds, result)


def _strongest(matrix: sparse.csr_array, sources: IntArray, weight: FloatArray,
               target: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """For each target reached from ``sources`` (rows of debtor × creditor ``matrix``), the
    source with the largest ``entry × weight[source]``, the lowest position on a tie."""
    debtors, creditors, w = gather_rows(matrix, sources)
    keep = target[creditors]
    c, d, x = creditors[keep], debtors[keep], w[keep] * weight[debtors[keep]]
    order = np.lexsort((d, -x, c))
    c, d = c[order], d[order]
    first = np.ones(c.size, dtype=np.bool_)
    first[1:] = c[1:] != c[:-1]
    return c[first], d[first]


def _debtrank_predecessors(network: ExposureNetwork,
                           result: DebtRankResult) -> tuple[IntArray, IntArray]:
    n = network.size
    pred = np.full(n, -1, dtype=np.int64)
    turned = np.full(n, -1, dtype=np.int64)
    turned[result.initial_distress > 0] = 0
    impact = relative_impact(network)
    passed = result.initial_distress.copy()  # the h each node propagated
    for step in result.history:
        is_new = np.zeros(n, dtype=np.bool_)
        is_new[step.newly_distressed] = True
        creditors, debtors = _strongest(impact, step.propagating, passed, is_new)
        pred[creditors] = debtors
        turned[creditors] = step.round
        after = np.zeros(n, dtype=np.float64)
        after[step.raised] = step.distress
        passed[step.newly_distressed] = after[step.newly_distressed]
    return pred, turned


def _cascade_predecessors(network: ExposureNetwork, result: CascadeResult,
                          initial: FloatArray, distress: FloatArray
                          ) -> tuple[IntArray, IntArray]:
    n = network.size
    pred = np.full(n, -1, dtype=np.int64)
    turned = np.full(n, -1, dtype=np.int64)
    for round_, nodes in enumerate(result.defaults_by_round):
        turned[nodes] = round_
    for creditor, debtor, _ in result.chain:
        pred[creditor] = debtor
    # A shocked party is a root of the paths, even when it only defaults in a later round.
    turned[initial > 0] = 0
    pred[initial > 0] = -1
    shortfall = (distress > 0) & ~result.defaulted & (turned < 0)
    defaulted = np.flatnonzero(result.defaulted)
    if shortfall.any() and defaulted.size:
        creditors, debtors = _strongest(network.by_debtor, defaulted, np.ones(n), shortfall)
        pred[creditors] = debtors
        turned[creditors] = turned[debtors] + 1
    return pred, turned


def _round_half_even(value: float) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _report(pn: PortfolioNetwork, method: str, fraction: float, initial: FloatArray,
            distress: FloatArray, pred: IntArray, turned: IntArray, stress: float | None,
            defaults: int, rounds: int, result: DebtRankResult | CascadeResult
            ) -> PortfolioStress:
    network, proj, lgd = pn.network, pn.projection, pn.config.lgd
    ids = network.ids
    distressed = np.flatnonzero(distress > 0)
    listed = (distress >= pn.config.min_distress) | (initial > 0)
    hit = distressed[listed[distressed]]
    # Loans of the distressed borrowers, each with its most distressed borrower's h.
    loan_h = np.zeros(proj.n_loans, dtype=np.float64)
    loan_party = np.full(proj.n_loans, -1, dtype=np.int64)
    borrowers = distressed[pn.proj_of_node[distressed] >= 0]
    rows = pn.proj_of_node[borrowers]
    borrows = proj.borrows.tocsr()
    starts, ends = borrows.indptr[rows], borrows.indptr[rows + 1]
    counts = (ends - starts).astype(np.int64)
    node = np.repeat(borrowers, counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    loan = borrows.indices[np.repeat(starts, counts) + offsets].astype(np.int64)
    order = np.lexsort((node, -distress[node], loan))  # per loan: highest h, lowest node
    loan, node = loan[order], node[order]
    first = np.ones(loan.size, dtype=np.bool_)
    first[1:] = loan[1:] != loan[:-1]
    loans_distressed, loan_node = loan[first], node[first]
    loan_h[loans_distressed] = distress[loan_node]
    loan_party[loans_distressed] = loan_node
    loans_hit = loans_distressed[listed[loan_node]]
    principal, currency = proj.loan_principal_minor, proj.loan_currency
    exposure = proj.loan_exposure(loans_hit)
    expected: dict[str, int] = {}
    for code, name in enumerate(proj.currencies):
        # Every distressed borrower's loans, listed or not: the loss is weighed by h.
        mine = loans_distressed[currency[loans_distressed] == code]
        if mine.size:
            total = math.fsum((loan_h[mine] * principal[mine]).tolist())
            expected[name] = _round_half_even(total * lgd)
    loans = tuple(
        (str(proj.loan_ids[j]), ids[loan_party[j]], float(loan_h[j]),
         proj.currencies[currency[j]] if currency[j] >= 0 else "", int(principal[j]))
        for j in sorted(loans_hit.tolist(), key=lambda k: proj.loan_ids[k]))
    loans_of = np.zeros(network.size, dtype=np.int64)
    loans_of[borrowers] = counts
    per_party = _party_money(pn, hit, loans_of)
    paths = _paths(ids, hit, pred)
    kinds = _kinds(pn, hit, pred)
    parties = []
    for k, i in enumerate(hit.tolist()):
        exp = per_party.get(i, {})
        j = int(pred[i])
        parties.append(PartyHit(
            id=ids[i], initial=float(initial[i]), distress=float(distress[i]),
            round=int(turned[i]), via=ids[j] if j >= 0 else None,
            links=kinds[k], path=paths[i],
            loans=int(loans_of[i]), exposure_minor=exp,
            expected_loss_minor={c: _round_half_even(distress[i] * m * lgd)
                                 for c, m in exp.items()}))
    parties.sort(key=lambda p: (p.round, -p.distress, p.id))
    return PortfolioStress(
        method=method, currency=pn.currency, shock=fraction, lgd=lgd,
        shocked=tuple(ids[i] for i in np.flatnonzero(initial > 0).tolist()),
        rounds=rounds, additional_stress=stress, additional_defaults=defaults,
        min_distress=pn.config.min_distress, below_threshold=int(distressed.size - hit.size),
        parties=tuple(parties), loans=loans, exposure_minor=exposure,
        expected_loss_minor=expected, left_out=dict(pn.left_out), result=result)


def _party_money(pn: PortfolioNetwork, hit: IntArray,
                 loans_of: IntArray) -> dict[int, dict[str, int]]:
    """Each hit borrower's principal per currency (its own loans, in full)."""
    proj = pn.projection
    rows = pn.proj_of_node[hit]
    has = (rows >= 0) & (loans_of[hit] > 0)
    if not has.any():
        return {}
    matrix = proj.party_exposure_minor()[rows[has]]
    found: dict[int, dict[str, int]] = {}
    for i, amounts in zip(hit[has].tolist(), matrix.tolist(), strict=True):
        found[i] = {proj.currencies[c]: int(m) for c, m in enumerate(amounts) if m}
    return found


def _kinds(pn: PortfolioNetwork, hit: IntArray, pred: IntArray) -> list[tuple[str, ...]]:
    """For each hit node, the kinds of link by which its predecessor reached it (one
    vectorised lookup per kind)."""
    debtor = pred[hit]
    has = debtor >= 0
    found = np.zeros((len(pn.links), hit.size), dtype=np.bool_)
    for k, matrix in enumerate(pn.links.values()):
        if has.any():
            found[k, has] = np.asarray(matrix[debtor[has], hit[has]]).ravel() != 0
    names = [kind.value for kind in pn.links]
    return [tuple(names[k] for k in np.flatnonzero(column).tolist()) for column in found.T]


def _paths(ids: tuple[str, ...], hit: IntArray, pred: IntArray) -> dict[int, tuple[str, ...]]:
    """Each hit node's path from a shocked node: up the predecessors to a node whose path
    is known (or a root), then down again; each node's path is built once. A path may pass
    through parties under the materiality threshold."""
    paths: dict[int, tuple[str, ...]] = {}
    for start in hit.tolist():
        chain = []
        i = start
        while i >= 0 and i not in paths:
            chain.append(i)
            i = int(pred[i])
        path = paths[i] if i >= 0 else ()
        for k in reversed(chain):
            path = (*path, ids[k])
            paths[k] = path
    return paths
