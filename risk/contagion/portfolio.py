"""The stored portfolio as an exposure network, and a stress test over it.

:func:`read_portfolio_network` reads the graph in streamed batches
(:func:`risk.projection.project_portfolio` for loans and guarantees,
:meth:`graph.store.GraphStore.iter_edges` for ownership, accounts and transfers) and builds
an :class:`~risk.contagion.network.ExposureNetwork` over the parties, with the buffers and
loss rules of :class:`~risk.contagion.buffers.StressConfig`: a guarantor is the creditor
of the borrowers it guarantees, an owner of the companies it holds, a payee of its payers.

Currencies: a run is in one currency (the portfolio's only one, or the one named). Links,
buffers and weights in other currencies are left out of the network — no exchange rates
are held — and counted in :attr:`PortfolioNetwork.left_out`; loans hit and their exposure
are still reported in every currency.

:func:`stress_portfolio` shocks the selected parties (:func:`select_parties`,
:func:`select_sector`, :func:`select_region`, :func:`select_group`) and runs DebtRank or
the default cascade. For every party hit it names the party that passed the distress on
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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from graph.model import PARTY_LABELS, RelType
from graph.store import GraphStore
from portfolio.money import minor_to_decimal
from risk.contagion.buffers import StressConfig
from risk.contagion.cascade import CascadeResult, default_cascade
from risk.contagion.debtrank import DebtRankResult, debtrank, relative_impact
from risk.contagion.network import ExposureNetwork, build_network, gather_rows
from risk.errors import ContagionInputError, ShockError
from risk.network.groups import find_groups
from risk.projection import PortfolioProjection, project_portfolio

__all__ = [
    "BufferBasis",
    "LinkKind",
    "PartyHit",
    "PortfolioNetwork",
    "PortfolioStress",
    "read_portfolio_network",
    "select_group",
    "select_parties",
    "select_region",
    "select_sector",
    "stress_portfolio",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The key of a monthly ``TRANSFERS`` aggregate.
_MONTH: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
#: Parties named in an error before "and N more".
_NAMED: Final = 10


class LinkKind(StrEnum):
    GUARANTEE = "guarantee"
    OWNERSHIP = "ownership"
    SUPPLY = "supply"


class BufferBasis(StrEnum):
    OVERRIDE = "override"
    REGISTERED_CAPITAL = "registered_capital"
    INCOME = "income"
    FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class _Party:
    """What the network needs of a party node."""

    buffer: tuple[int, str] | None
    capital: tuple[int, str] | None
    income: tuple[int, str] | None
    sector: str | None
    province: str | None
    city: str | None


@dataclass(frozen=True, eq=False)
class PortfolioNetwork:
    """The portfolio's exposure network in one currency, with what the report needs.

    Node ``i`` of ``network`` is party ``network.ids[i]``; ``proj_of_node[i]`` is its index
    in ``projection`` (-1 for a party that neither borrows nor guarantees).
    ``links[kind]`` is the debtor × creditor CSR matrix of that kind's amounts (their sum
    is ``network.by_debtor``). ``basis[i]`` says where node ``i``'s buffer came from.
    """

    network: ExposureNetwork
    currency: str
    config: StressConfig
    projection: PortfolioProjection
    proj_of_node: IntArray
    links: dict[LinkKind, sparse.csr_array]
    basis: tuple[BufferBasis, ...]
    sector: tuple[str | None, ...]
    province: tuple[str | None, ...]
    city: tuple[str | None, ...]
    left_out: dict[str, int] = field(default_factory=dict)


def _money(minor: object, code: object) -> tuple[int, str] | None:
    if isinstance(minor, int) and not isinstance(minor, bool) and isinstance(code, str):
        return minor, code
    return None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _party_props(config: StressConfig) -> tuple[str, ...]:
    name = config.override_property
    return (f"{name}_minor", f"{name}_currency", "registered_capital_minor",
            "registered_capital_currency", "monthly_income_minor", "monthly_income_currency",
            "sector", "province", "city")


def _party(values: Sequence[object]) -> _Party:
    return _Party(buffer=_money(values[0], values[1]), capital=_money(values[2], values[3]),
                  income=_money(values[4], values[5]), sector=_text(values[6]),
                  province=_text(values[7]), city=_text(values[8]))


def _resolve_currency(projection: PortfolioProjection, wanted: str | None) -> str:
    held = projection.currencies
    if wanted is not None:
        if wanted not in held:
            raise ContagionInputError(
                f"no loan of the portfolio is in {wanted!r}",
                suggestion=f"the loans are in {', '.join(held) or 'no currency'}")
        return wanted
    if not held:
        raise ContagionInputError("the portfolio holds no loans: there is nothing to stress",
                                  suggestion="import a portfolio first (loanwatch import, "
                                             "or loanwatch demo)")
    if len(held) > 1:
        raise ContagionInputError(
            f"the loans are in {len(held)} currencies ({', '.join(held)}); a stress test "
            "runs in one, with no exchange rates",
            suggestion="name the currency with --currency")
    return held[0]


def read_portfolio_network(
    store: GraphStore, config: StressConfig | None = None,
) -> PortfolioNetwork:
    """Read the portfolio from ``store`` and build its exposure network (module docstring).

    Raises :class:`~risk.errors.ContagionInputError` for a portfolio without loans, several
    loan currencies and none named, or an ownership ``pct`` outside (0, 1] (naming the
    edge). Time O(E log E) for E edges read; memory linear in parties and links.
    """
    config = config or StressConfig()
    projection = project_portfolio(store)
    currency = _resolve_currency(projection, config.currency)
    props = _party_props(config)
    parties: dict[str, _Party] = {}
    for batch in store.iter_edges([RelType.BORROWS, RelType.GUARANTEES], source_props=props):
        for _, source, _, _, values in batch:
            if source not in parties:
                parties[source] = _party(values)
    owns: list[tuple[str, str, object]] = []
    for batch in store.iter_edges([RelType.OWNS], props=("pct",), source_props=props,
                                  target_props=props):
        width = len(props)
        for _, source, target, _, values in batch:
            owns.append((source, target, values[0]))
            parties.setdefault(source, _party(values[1:1 + width]))
            parties.setdefault(target, _party(values[1 + width:]))
    holder: dict[str, str] = {}
    for batch in store.iter_edges([RelType.HOLDS], source_props=props):
        for _, source, account, _, values in batch:
            parties.setdefault(source, _party(values))
            if account not in holder or source < holder[account]:
                holder[account] = source
    left_out: dict[str, int] = {}
    supply = _supply_flows(store, holder, currency, config, left_out)

    ids = sorted(parties)
    index = {party_id: i for i, party_id in enumerate(ids)}
    n = len(ids)
    capital = np.empty(n, dtype=np.float64)
    basis: list[BufferBasis] = []
    for i, party_id in enumerate(ids):
        amount, why = _buffer(parties[party_id], currency, config)
        capital[i] = amount
        basis.append(why)

    proj_of_node = projection.party_index(ids)
    code = projection.currencies.index(currency)
    borrowed = projection.party_exposure_minor()[:, code]
    value = np.zeros(n, dtype=np.float64)
    in_proj = proj_of_node >= 0
    value[in_proj] = borrowed[proj_of_node[in_proj]].astype(np.float64)
    node_of_proj = np.full(projection.n_parties, -1, dtype=np.int64)
    node_of_proj[proj_of_node[in_proj]] = np.flatnonzero(in_proj)

    parts = {
        LinkKind.GUARANTEE: _guarantee_links(projection, node_of_proj, code, left_out),
        LinkKind.OWNERSHIP: _ownership_links(owns, index, capital, left_out),
        LinkKind.SUPPLY: _index_links(supply, index, config.supply_share),
    }
    creditor = np.concatenate([p[0] for p in parts.values()])
    debtor = np.concatenate([p[1] for p in parts.values()])
    amount = np.concatenate([p[2] for p in parts.values()])
    network = build_network(ids, capital, value, creditor, debtor, amount)
    links = {kind: _matrix(*part, n) for kind, part in parts.items()}
    return PortfolioNetwork(
        network=network, currency=currency, config=config, projection=projection,
        proj_of_node=proj_of_node, links=links, basis=tuple(basis),
        sector=tuple(parties[i].sector for i in ids),
        province=tuple(parties[i].province for i in ids),
        city=tuple(parties[i].city for i in ids), left_out=left_out)


def _buffer(party: _Party, currency: str, config: StressConfig) -> tuple[float, BufferBasis]:
    if party.buffer is not None and party.buffer[1] == currency and party.buffer[0] > 0:
        return float(party.buffer[0]), BufferBasis.OVERRIDE
    if party.capital is not None and party.capital[1] == currency and party.capital[0] > 0:
        return float(party.capital[0]), BufferBasis.REGISTERED_CAPITAL
    if party.income is not None and party.income[1] == currency and party.income[0] > 0:
        return party.income[0] * config.income_months, BufferBasis.INCOME
    return float(config.floor_minor), BufferBasis.FLOOR


Links = tuple[IntArray, IntArray, FloatArray]


def _guarantee_links(projection: PortfolioProjection, node_of_proj: IntArray, code: int,
                     left_out: dict[str, int]) -> Links:
    """Guarantor (creditor) -> borrower (debtor): the guaranteed amount of each edge."""
    graph = projection.party_graph
    per_pair = np.diff(projection.pair_ptr)
    rows = np.repeat(np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr)), per_pair)
    cols = np.repeat(graph.indices.astype(np.int64), per_pair)
    edges = projection.pair_guarantees.astype(np.int64)
    amount = projection.guarantee_amount_minor[edges]
    loans = projection.guarantee_loan[edges]
    # An edge that names no amount guarantees the whole loan.
    amount = np.where(amount > 0, amount, projection.loan_principal_minor[loans])
    keep = projection.guarantee_currency[edges] == code
    if (~keep).any():
        left_out["guarantees in another currency"] = int((~keep).sum())
    return (node_of_proj[rows[keep]], node_of_proj[cols[keep]],
            amount[keep].astype(np.float64))


def _ownership_links(owns: list[tuple[str, str, object]], index: dict[str, int],
                     capital: FloatArray, left_out: dict[str, int]) -> Links:
    """Owner (creditor) -> company (debtor): ``pct`` × the company's buffer."""
    holders, held, pct = [], [], []
    for source, target, share in owns:
        ok = isinstance(share, int | float) and not isinstance(share, bool)
        if not ok or not (0.0 < float(share) <= 1.0):  # type: ignore[arg-type]
            raise ContagionInputError(
                f"OWNS edge {source} -> {target}: pct {share!r} is not a share in (0, 1]",
                suggestion="pct is a fraction of the company (0.51 for 51 %)")
        if source == target:
            left_out["companies owning themselves"] = \
                left_out.get("companies owning themselves", 0) + 1
            continue
        holders.append(index[source])
        held.append(index[target])
        pct.append(float(share))  # type: ignore[arg-type]
    h = np.array(holders, dtype=np.int64)
    c = np.array(held, dtype=np.int64)
    return h, c, np.array(pct, dtype=np.float64) * capital[c]


def _supply_flows(store: GraphStore, holder: dict[str, str], currency: str,
                  config: StressConfig, left_out: dict[str, int]
                  ) -> tuple[list[str], list[str], list[int]]:
    """(payee, payer, minor units paid over the window), one row per transfer edge kept."""
    rows: list[tuple[str, str, str, int]] = []
    other = 0
    for batch in store.iter_edges([RelType.TRANSFERS],
                                  props=("amount_minor", "amount_currency")):
        for _, source, target, month, (minor, code) in batch:
            payer, payee = holder.get(source), holder.get(target)
            if payer is None or payee is None or payer == payee:
                continue
            if _MONTH.fullmatch(month) is None:
                left_out["transfers without a month (YYYY-MM key)"] = \
                    left_out.get("transfers without a month (YYYY-MM key)", 0) + 1
                continue
            if code != currency or not isinstance(minor, int):
                other += 1
                continue
            rows.append((payee, payer, month, minor))
    if other:
        left_out["transfers in another currency"] = other
    if not rows:
        return [], [], []
    window = set(_months_up_to(max(r[2] for r in rows), config.supply_months))
    kept = [r for r in rows if r[2] in window]
    return [r[0] for r in kept], [r[1] for r in kept], [r[3] for r in kept]


def _months_up_to(last: str, count: int) -> list[str]:
    """``count`` months ending with ``last`` (``YYYY-MM``)."""
    year, month = (int(part) for part in last.split("-"))
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def _index_links(flows: tuple[list[str], list[str], list[int]], index: dict[str, int],
                 share: float) -> Links:
    payee, payer, minor = flows
    return (np.array([index[p] for p in payee], dtype=np.int64),
            np.array([index[p] for p in payer], dtype=np.int64),
            np.array(minor, dtype=np.float64) * share)


def _matrix(creditor: IntArray, debtor: IntArray, amount: FloatArray,
            n: int) -> sparse.csr_array:
    matrix = sparse.coo_array((amount, (debtor, creditor)), shape=(n, n)).tocsr()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return matrix


# -- shock selection --------------------------------------------------------------------------


def _named(values: Iterable[str]) -> str:
    listed = sorted(values)
    more = f" and {len(listed) - _NAMED} more" if len(listed) > _NAMED else ""
    return ", ".join(listed[:_NAMED]) + more


def select_parties(store: GraphStore, pn: PortfolioNetwork, ids: Sequence[str]) -> IntArray:
    """The network positions of party ``ids``; an unknown id is an error naming it."""
    if not ids:
        raise ShockError("no party given", suggestion="give --party ID (repeat for more)")
    positions = [pn.network.index_of(party_id) for party_id in ids]
    missing = [party_id for party_id, at in zip(ids, positions, strict=True) if at is None]
    if missing:
        stored = store.get_nodes(missing)
        for party_id, node in zip(missing, stored, strict=True):
            if node is None:
                raise ShockError(f"--party {party_id}: no node has the id {party_id!r}",
                                 suggestion="`loanwatch search` finds parties by name or id")
            if node.label not in PARTY_LABELS:
                raise ShockError(f"--party {party_id}: {party_id!r} is not a person or a "
                                 f"company ({node.label.value})")
            raise ShockError(
                f"--party {party_id}: {node.label.value} {party_id!r} has no loan, "
                "guarantee, ownership or supply link in the portfolio, so nothing can "
                "pass from it", suggestion="shock a party that borrows, guarantees, owns "
                                           "or pays another")
    return np.unique(np.array(positions, dtype=np.int64))


def _select_by(values: tuple[str | None, ...], wanted: str, what: str,
               option: str) -> IntArray:
    key = wanted.strip().casefold()
    hit = np.array([v is not None and v.casefold() == key for v in values], dtype=np.bool_)
    if not hit.any():
        known = {v for v in values if v is not None}
        raise ShockError(f"{option} {wanted}: no party with a loan, guarantee, ownership "
                         f"or supply link has the {what} {wanted!r}",
                         suggestion=f"known: {_named(known)}" if known else
                         f"no linked party has a {what}")
    return np.flatnonzero(hit).astype(np.int64)


def select_sector(pn: PortfolioNetwork, sector: str) -> IntArray:
    """The parties (companies) whose ``sector`` is ``sector`` (ignoring case)."""
    return _select_by(pn.sector, sector, "sector", "--sector")


def select_region(pn: PortfolioNetwork, region: str) -> IntArray:
    """The parties whose ``province`` or ``city`` is ``region`` (ignoring case)."""
    merged = tuple(p if p is not None and p.casefold() == region.strip().casefold() else c
                   for p, c in zip(pn.province, pn.city, strict=True))
    return _select_by(merged, region, "province or city", "--region")


def select_group(store: GraphStore, pn: PortfolioNetwork, controller: str) -> IntArray:
    """The member companies of the corporate group headed by ``controller``
    (:func:`risk.network.groups.find_groups`, default thresholds)."""
    groups = {g.controller: g for g in find_groups(store).groups}
    group = groups.get(controller)
    if group is None:
        raise ShockError(f"--group {controller}: no corporate group is headed by "
                         f"{controller!r}",
                         suggestion=f"groups are named by their ultimate controller: "
                                    f"{_named(groups)}" if groups else
                         "the portfolio has no corporate group (loanwatch groups)")
    positions = [pn.network.index_of(member) for member in group.members]
    found = [p for p in positions if p is not None]
    if not found:
        raise ShockError(f"--group {controller}: none of its companies "
                         f"({_named(group.members)}) has a link to pass a shock on")
    return np.unique(np.array(found, dtype=np.int64))


# -- the stress test --------------------------------------------------------------------------


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
                     method: str = "debtrank") -> PortfolioStress:
    """Shock the ``selected`` positions by ``fraction`` and propagate with ``method``
    (``debtrank`` or ``cascade``; the cascade uses the configured LGD on exposures).

    Raises :class:`~risk.errors.ShockError` for a fraction outside [0, 1] or an empty
    selection.
    """
    if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
        raise ShockError(f"--shock {fraction:g} is outside [0, 1]",
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
