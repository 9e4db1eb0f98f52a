"""The stored portfolio as an exposure network: who loses what when whom defaults.

:func:`read_portfolio_network` reads the graph in streamed batches
(:func:`risk.projection.project_portfolio` for loans and guarantees,
:meth:`graph.store.GraphStore.iter_edges` for ownership, accounts and transfers) and builds
an :class:`~risk.contagion.network.ExposureNetwork` over the parties, with the buffers and
loss rules of :class:`~risk.contagion.buffers.StressConfig`: a guarantor is the creditor
of the borrowers it guarantees, an owner of the companies it holds, a payee of its payers.

Currencies: a run is in one currency (the portfolio's only one, or the one named). Links,
buffers and weights in other currencies are left out of the network — no exchange rates
are held — and counted in :attr:`PortfolioNetwork.left_out`; loans hit and their exposure
are still reported in every currency (:mod:`risk.contagion.portfolio_stress`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from graph.model import RelType
from graph.store import GraphStore
from risk.contagion.buffers import StressConfig
from risk.contagion.capacity import capacity_properties, party_capacity
from risk.contagion.network import ExposureNetwork, build_network
from risk.errors import ContagionInputError
from risk.projection import PortfolioProjection, project_portfolio

__all__ = [
    "BufferBasis",
    "FloatArray",
    "IntArray",
    "LinkKind",
    "PortfolioNetwork",
    "read_portfolio_network",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The key of a monthly ``TRANSFERS`` aggregate.
_MONTH: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


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

    #: The properties :func:`risk.contagion.capacity.party_capacity` reads.
    capacity: dict[str, object]
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


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _party_props(config: StressConfig) -> tuple[str, ...]:
    return (*capacity_properties(config.override_property), "sector", "province", "city")


def _party(values: Sequence[object], capacity_names: Sequence[str]) -> _Party:
    """A party from ``values`` of :func:`_party_props` (its capacity properties first)."""
    n = len(capacity_names)
    return _Party(capacity=dict(zip(capacity_names, values[:n], strict=True)),
                  sector=_text(values[n]), province=_text(values[n + 1]),
                  city=_text(values[n + 2]))


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
    names = capacity_properties(config.override_property)
    parties: dict[str, _Party] = {}
    for batch in store.iter_edges([RelType.BORROWS, RelType.GUARANTEES], source_props=props):
        for _, source, _, _, values in batch:
            if source not in parties:
                parties[source] = _party(values, names)
    owns: list[tuple[str, str, object]] = []
    for batch in store.iter_edges([RelType.OWNS], props=("pct",), source_props=props,
                                  target_props=props):
        width = len(props)
        for _, source, target, _, values in batch:
            owns.append((source, target, values[0]))
            parties.setdefault(source, _party(values[1:1 + width], names))
            parties.setdefault(target, _party(values[1 + width:], names))
    holder: dict[str, str] = {}
    for batch in store.iter_edges([RelType.HOLDS], source_props=props):
        for _, source, account, _, values in batch:
            parties.setdefault(source, _party(values, names))
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
    """The party's capacity in the run's currency (the definition the guarantor rule shares),
    else the configured floor."""
    found = party_capacity(party.capacity, income_months=config.income_months,
                           currency=currency, override_property=config.override_property)
    if found is None:
        return float(config.floor_minor), BufferBasis.FLOOR
    return float(found.minor), BufferBasis(found.basis.value)


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
