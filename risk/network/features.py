"""Graph features per party, for the credit models: computed for the whole portfolio in one
pass on sparse matrices.

Parties are every ``Person`` and ``Company`` that ends at least one edge read here
(``BORROWS``, ``GUARANTEES``, ``OWNS``, ``DIRECTS``, ``USES``, ``HOLDS``, ``RELATED``);
a party with no edge at all has no graph features. Loans and guarantees come from
:func:`risk.projection.project_portfolio`; the other relationships are streamed through
:meth:`graph.store.GraphStore.iter_edges` as plain tuples.

The **risk graph** is the undirected, unweighted party–party graph the neighbourhood
features walk. Two parties are linked when

* one guarantees a loan the other borrows (the projection's party guarantee graph),
* one owns the other (``OWNS``), or they are ``RELATED``,
* they share an identifier (``USES`` a phone, address or device, ``HOLDS`` an account),
  unless that identifier has more than ``public_above`` users: a public identifier (a bank
  branch, a call centre, see :mod:`risk.network.rings`) links nobody. Party–identifier–party
  is collapsed into party–party edges (``B Bᵀ`` of the party × identifier incidence).

Directorships (``DIRECTS``) are counted in the degrees but are not risk links.

Features (arrays aligned with :attr:`PartyFeatures.party_ids`):

* degrees by relationship: loans borrowed, loans guaranteed, distinct guarantors of the
  party's loans (in-degree in the party guarantee graph), ``OWNS`` out/in, ``DIRECTS``
  out/in, identifiers used, accounts held, ``RELATED`` (either direction), and the degree
  in the risk graph;
* own exposure and **exposure within k hops**: the principal (exact ``int64`` minor units,
  one column per currency) of the loans borrowed by the *other* parties within ``k`` hops
  of the risk graph (the party itself excluded: its own exposure is its own column);
* own delinquency (a loan past due) and default (a loan more than 90 days past due), from
  :class:`risk.classification.history.RepaymentHistory`, and the **share of delinquent and
  of defaulted neighbours** (1 hop; NaN for a party without neighbours);
* **distance to the nearest defaulted party** in hops: a multi-source breadth-first search
  (:func:`scipy.sparse.csgraph.dijkstra`, unweighted, ``min_only``) capped at
  ``distance_cap``; ``inf`` beyond it (``None`` in :meth:`PartyFeatures.party`);
* **community**: Louvain (``networkx.community.louvain_communities``, resolution 1.0,
  fixed seed) on the parties with at least one risk link; communities numbered largest
  first; a party without risk links is a community of its own. networkx was kept: it is
  the library the project already depends on, and the measured cost (``benchmarks/
  features.py``) is 7 s at 100k borrowers; igraph/rustworkx were not measured;
* **PageRank** (damping 0.85, uniform teleport, dangling mass spread uniformly, the
  definition of ``networkx.pagerank``) by power iteration on the row-normalised CSR matrix;
* **approximate betweenness**: ``networkx.betweenness_centrality`` from ``k`` sampled
  sources (default 64, fixed seed), normalised as networkx normalises the whole graph
  (ordered pairs of all parties). Exact when ``k`` ≥ the parties with risk links. The
  estimate's relative error on a node falls as ``1/sqrt(k)`` and its time grows linearly in
  ``k`` (one BFS per source): ``k`` = 64 ranks the bridges of a portfolio, not the
  exact value of a minor node.

As of a date: repayments after ``as_of`` are not read (the repayment history is as-of);
loans disbursed after it are left out of degrees, exposure and the guarantee graph; an
``OWNS``/``DIRECTS``/``RELATED``/``USES``/``HOLDS`` edge with ``valid_from`` after it or
``valid_to`` before it is left out. Edges without those dates are taken as they stand.

Memory: the risk graph is CSR (12 bytes per stored entry); the k-hop reach matrix is the
largest object (its size grows with the number of parties within k hops); networkx graphs
are built only for Louvain and betweenness, on the parties with risk links.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from graph.model import RelType
from graph.store import GraphStore
from loanwatch.errors import LoanwatchError
from portfolio.money import minor_to_decimal
from risk.classification.history import RepaymentHistory
from risk.network.rings import DEFAULT_PUBLIC_ABOVE
from risk.projection import PortfolioProjection, project_portfolio

__all__ = [
    "DEFAULT_BETWEENNESS_K",
    "DEFAULT_DISTANCE_CAP",
    "DEFAULT_HOPS",
    "DEGREE_NAMES",
    "PHASES",
    "FeatureParameters",
    "InvalidFeatureParameters",
    "PartyFeatures",
    "PhaseHook",
    "party_features",
]

#: Hops of the exposure-within-k feature.
DEFAULT_HOPS: Final = 2
#: Distance to default is searched this many hops out; farther is ``inf``.
DEFAULT_DISTANCE_CAP: Final = 6
#: Sampled sources of the approximate betweenness.
DEFAULT_BETWEENNESS_K: Final = 64
#: Seed of Louvain and of the betweenness sample.
DEFAULT_SEED: Final = 20240101
#: The degree columns, in order.
DEGREE_NAMES: Final = (
    "borrows", "guarantees_given", "guaranteed_by", "owns_out", "owns_in", "directs_out",
    "directs_in", "uses", "holds", "related", "risk_degree",
)

_DATED: Final = ("valid_from", "valid_to")


class InvalidFeatureParameters(LoanwatchError):
    """A graph-feature parameter is out of range."""


@dataclass(frozen=True, slots=True)
class FeatureParameters:
    """The knobs of :func:`party_features`."""

    hops: int = DEFAULT_HOPS
    public_above: int = DEFAULT_PUBLIC_ABOVE
    distance_cap: int = DEFAULT_DISTANCE_CAP
    louvain_resolution: float = 1.0
    betweenness_k: int = DEFAULT_BETWEENNESS_K
    seed: int = DEFAULT_SEED
    pagerank_alpha: float = 0.85
    pagerank_tol: float = 1.0e-9
    pagerank_max_iter: int = 200

    def check(self) -> None:
        if self.hops < 1:
            raise InvalidFeatureParameters(f"hops {self.hops} must be at least 1")
        if self.public_above < 2:
            raise InvalidFeatureParameters(
                f"public threshold {self.public_above} must be at least 2")
        if self.distance_cap < 1:
            raise InvalidFeatureParameters(
                f"distance cap {self.distance_cap} must be at least 1")
        if self.betweenness_k < 1:
            raise InvalidFeatureParameters(
                f"betweenness sample {self.betweenness_k} must be at least 1")
        if not 0.0 < self.pagerank_alpha < 1.0:
            raise InvalidFeatureParameters(
                f"PageRank damping {self.pagerank_alpha} must be strictly between 0 and 1")


@dataclass(frozen=True, slots=True, eq=False)
class PartyFeatures:
    """The features of every party, as numpy arrays aligned with ``party_ids`` (sorted).

    ``degrees`` is ``n × len(DEGREE_NAMES)`` int32; ``exposure_own`` and ``exposure_k`` are
    ``n × len(currencies)`` int64 minor units; the shares are float64 (NaN without
    neighbours); ``distance_to_default`` is float64 (``inf`` beyond the cap).
    """

    party_ids: np.ndarray
    currencies: tuple[str, ...]
    as_of: date | None
    hops: int
    degrees: np.ndarray
    exposure_own: np.ndarray
    exposure_k: np.ndarray
    delinquent: np.ndarray
    defaulted: np.ndarray
    delinquent_share: np.ndarray
    defaulted_share: np.ndarray
    distance_to_default: np.ndarray
    community: np.ndarray
    pagerank: np.ndarray
    betweenness: np.ndarray

    @property
    def n_parties(self) -> int:
        return len(self.party_ids)

    def index_of(self, party_id: str) -> int:
        """The row of ``party_id``; -1 when it has no graph features."""
        if not len(self.party_ids):
            return -1
        at = int(np.searchsorted(self.party_ids, party_id))
        return at if at < len(self.party_ids) and self.party_ids[at] == party_id else -1

    def party(self, party_id: str) -> dict[str, object]:
        """One party's features as plain values (money as decimal strings per currency).

        Raises:
            KeyError: the party has no graph features.
        """
        i = self.index_of(party_id)
        if i < 0:
            raise KeyError(party_id)
        return self._row(i)

    def _row(self, i: int) -> dict[str, object]:
        row: dict[str, object] = {"party": str(self.party_ids[i])}
        row.update({name: int(self.degrees[i, k]) for k, name in enumerate(DEGREE_NAMES)})
        row["exposure"] = self._money(self.exposure_own[i])
        row[f"exposure_{self.hops}_hops"] = self._money(self.exposure_k[i])
        row["delinquent"] = bool(self.delinquent[i])
        row["defaulted"] = bool(self.defaulted[i])
        row["delinquent_neighbour_share"] = _finite(self.delinquent_share[i])
        row["defaulted_neighbour_share"] = _finite(self.defaulted_share[i])
        distance = self.distance_to_default[i]
        row["distance_to_default"] = None if math.isinf(distance) else int(distance)
        row["community"] = int(self.community[i])
        row["pagerank"] = float(self.pagerank[i])
        row["betweenness"] = float(self.betweenness[i])
        return row

    def _money(self, minor: np.ndarray) -> dict[str, str]:
        return {code: str(minor_to_decimal(int(minor[c]), code))
                for c, code in enumerate(self.currencies) if minor[c]}

    def top_by_pagerank(self, count: int) -> list[str]:
        """The ``count`` parties of highest PageRank (ties by id)."""
        order = np.lexsort((self.party_ids, -self.pagerank))[:count]
        return [str(p) for p in self.party_ids[order]]

    def write_csv(self, path: Path) -> int:
        """Every party, one row each, money as one column per currency and range; returns
        the rows written."""
        money_columns = [f"exposure_{code}" for code in self.currencies] + [
            f"exposure_{self.hops}_hops_{code}" for code in self.currencies]
        header = ["party", *DEGREE_NAMES, *money_columns, "delinquent", "defaulted",
                  "delinquent_neighbour_share", "defaulted_neighbour_share",
                  "distance_to_default", "community", "pagerank", "betweenness"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for i in range(self.n_parties):
                money = [str(minor_to_decimal(int(m), code)) for m, code in
                         zip(self.exposure_own[i].tolist(), self.currencies, strict=True)]
                money += [str(minor_to_decimal(int(m), code)) for m, code in
                          zip(self.exposure_k[i].tolist(), self.currencies, strict=True)]
                distance = self.distance_to_default[i]
                writer.writerow([
                    self.party_ids[i], *self.degrees[i].tolist(), *money,
                    int(self.delinquent[i]), int(self.defaulted[i]),
                    _csv_float(self.delinquent_share[i]), _csv_float(self.defaulted_share[i]),
                    "" if math.isinf(distance) else int(distance), int(self.community[i]),
                    repr(float(self.pagerank[i])), repr(float(self.betweenness[i]))])
        return self.n_parties


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _csv_float(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


# -- reading -------------------------------------------------------------------------------


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _in_force(dates: tuple, as_of: date | None) -> bool:
    if as_of is None:
        return True
    start, end = _day(dates[0]), _day(dates[1])
    return (start is None or start <= as_of) and (end is None or end >= as_of)


@dataclass(frozen=True, slots=True)
class _Links:
    """Party–party and party–identifier edges by type, as id lists."""

    by_type: dict[RelType, tuple[list[str], list[str]]]


def _read_links(store: GraphStore, as_of: date | None) -> _Links:
    by_type: dict[RelType, tuple[list[str], list[str]]] = {
        t: ([], []) for t in (RelType.OWNS, RelType.DIRECTS, RelType.RELATED, RelType.USES,
                              RelType.HOLDS)}
    types = list(by_type)
    for batch in store.iter_edges(types, props=_DATED):
        for edge_type, source, target, _key, props in batch:
            if not _in_force(props, as_of):
                continue
            sources, targets = by_type[RelType(edge_type)]
            sources.append(source)
            targets.append(target)
    return _Links(by_type)


def _live_loans(store: GraphStore, projection: PortfolioProjection,
                as_of: date | None) -> np.ndarray:
    """A mask over the projection's loans: disbursed on or before ``as_of`` (or undated)."""
    live = np.ones(projection.n_loans, dtype=bool)
    if as_of is None or not projection.n_loans:
        return live
    late: list[str] = []
    # A loan nobody borrows adds no exposure and links no guarantor: BORROWS suffices.
    for batch in store.iter_edges([RelType.BORROWS], target_props=("disbursed_on",)):
        for _type, _source, loan, _key, props in batch:
            day = _day(props[0])
            if day is not None and day > as_of:
                late.append(loan)
    if late:
        at = projection.loan_index(sorted(set(late)))
        live[at[at >= 0]] = False
    return live


# -- computing -----------------------------------------------------------------------------


def _lookup(sorted_ids: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    wanted = np.asarray(list(ids), dtype=object)
    if not len(sorted_ids) or not len(wanted):
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == wanted, at, -1).astype(np.int64)


def _matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A 0/1 CSR matrix with an entry at each (row, col), duplicates merged."""
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1
    return m


def _binary(m: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(m, dtype=np.int32)
    out.setdiag(0)
    out.eliminate_zeros()
    out.data[:] = 1
    out.sort_indices()
    return out


def _binary_rect(m: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(m, dtype=np.int32)
    out.data[:] = 1
    return out


def _row_counts(m: sp.csr_matrix) -> np.ndarray:
    return np.diff(m.indptr).astype(np.int32)


def _reach(adjacency: sp.csr_matrix, hops: int) -> sp.csr_matrix:
    """0/1 matrix of the pairs within ``hops`` (at least one hop, the diagonal dropped)."""
    reach = adjacency
    for _ in range(hops - 1):
        grown = reach + reach @ adjacency
        grown.data[:] = 1
        reach = grown
    return _binary(reach)


def _pagerank(adjacency: sp.csr_matrix, params: FeatureParameters) -> np.ndarray:
    """networkx's PageRank (uniform teleport and dangling), by power iteration on CSR."""
    n = adjacency.shape[0]
    if not n:
        return np.zeros(0)
    out = np.asarray(adjacency.sum(axis=1)).ravel().astype(np.float64)
    dangling = out == 0
    inverse = np.divide(1.0, out, out=np.zeros(n), where=~dangling)
    transition = sp.csr_matrix(sp.diags(inverse, dtype=np.float64) @ adjacency)
    rank = np.full(n, 1.0 / n)
    alpha = params.pagerank_alpha
    for _ in range(params.pagerank_max_iter):
        previous = rank
        rank = alpha * (transition.T @ previous) \
            + (alpha * previous[dangling].sum() + 1.0 - alpha) / n
        if np.abs(rank - previous).sum() < n * params.pagerank_tol:
            break
    return rank


def _louvain(adjacency: sp.csr_matrix, active: np.ndarray,
             params: FeatureParameters) -> np.ndarray:
    """Community per party: Louvain on the parties with risk links, numbered largest first
    (ties by smallest member); each other party a community of its own."""
    n = adjacency.shape[0]
    groups: list[list[int]] = []
    if len(active):
        graph = nx.from_scipy_sparse_array(adjacency[active][:, active])
        found = nx.community.louvain_communities(
            graph, resolution=params.louvain_resolution, seed=params.seed)
        groups = [sorted(int(active[v]) for v in members) for members in found]
    groups.sort(key=lambda g: (-len(g), g[0]))
    community = np.full(n, -1, dtype=np.int32)
    for label, members in enumerate(groups):
        community[members] = label
    alone = np.flatnonzero(community < 0)
    community[alone] = len(groups) + np.arange(len(alone), dtype=np.int32)
    return community


def _betweenness(adjacency: sp.csr_matrix, active: np.ndarray,
                 params: FeatureParameters) -> np.ndarray:
    """Approximate betweenness from sampled sources, normalised over ordered pairs of all
    ``n`` parties as networkx normalises a whole graph."""
    n = adjacency.shape[0]
    result = np.zeros(n)
    if len(active) < 3 or n < 3:
        return result
    graph = nx.from_scipy_sparse_array(adjacency[active][:, active])
    k = min(params.betweenness_k, len(active))
    # Unnormalised (unordered pairs, rescaled by |active| / k); the ordered-pair
    # normalisation over all parties divides by (n-1)(n-2)/2.
    raw = nx.betweenness_centrality(graph, k=None if k == len(active) else k,
                                    normalized=False, seed=params.seed)
    values = np.fromiter((raw[v] for v in range(len(active))), dtype=np.float64,
                         count=len(active))
    result[active] = values / ((n - 1) * (n - 2) / 2.0)
    return result


def _share(adjacency: sp.csr_matrix, flag: np.ndarray, degree: np.ndarray) -> np.ndarray:
    hits = adjacency @ flag.astype(np.float64)
    return np.divide(hits, degree, out=np.full(len(degree), np.nan), where=degree > 0)


#: A phase hook: called with a phase name, returns a context manager around the phase
#: (the benchmark times and measures each; the default does nothing).
PhaseHook = Callable[[str], AbstractContextManager[object]]
#: The phases, in order.
PHASES: Final = ("read graph", "risk graph", "exposure within k", "delinquency",
                 "distance to default", "louvain", "pagerank", "betweenness")


def _no_phase(_name: str) -> AbstractContextManager[object]:
    return nullcontext()


def party_features(store: GraphStore, history: RepaymentHistory | None, *,
                   as_of: date | None = None,
                   params: FeatureParameters = FeatureParameters(),
                   projection: PortfolioProjection | None = None,
                   phase: PhaseHook = _no_phase) -> PartyFeatures:
    """The graph features of every party of ``store`` (see the module docstring).

    ``history`` answers delinquency as of ``as_of`` (today when ``as_of`` is None); with no
    history, no party is delinquent or defaulted. ``projection`` may be passed when the
    caller has read it already. ``phase`` wraps each of :data:`PHASES`.

    Raises:
        InvalidFeatureParameters: a parameter out of range.
    """
    params.check()
    with phase("read graph"):
        projection = project_portfolio(store) if projection is None else projection
        links = _read_links(store, as_of)
        live = _live_loans(store, projection, as_of)
    with phase("risk graph"):
        graph = _risk_graph(projection, links, live, params)
    n = graph.n
    with phase("exposure within k"):
        currencies = projection.currencies
        known = live & (projection.loan_currency >= 0)
        by_currency = sp.csr_matrix(
            (projection.loan_principal_minor[known],
             (np.flatnonzero(known), projection.loan_currency[known].astype(np.int64))),
            shape=(projection.n_loans, len(currencies)), dtype=np.int64)
        exposure_own = np.asarray((graph.borrows.astype(np.int64) @ by_currency).todense(),
                                  dtype=np.int64).reshape(n, len(currencies))
        reach = _reach(graph.adjacency, params.hops)
        exposure_k = np.asarray(reach.astype(np.int64) @ exposure_own,
                                dtype=np.int64).reshape(n, len(currencies))
        del reach
    adjacency = graph.adjacency
    degree = graph.degrees[:, -1].astype(np.float64)
    with phase("delinquency"):
        delinquent = np.zeros(n, dtype=bool)
        defaulted = np.zeros(n, dtype=bool)
        if history is not None and n:
            day = as_of or date.today()
            late = projection.loan_index(sorted(history.days_past_due(day)))
            late_loans = np.zeros(projection.n_loans, dtype=np.int32)
            late_loans[late[late >= 0]] = 1
            delinquent = (graph.borrows @ late_loans) > 0
            gone = _lookup(graph.party_ids, list(history.defaulted_parties(day)))
            defaulted[gone[gone >= 0]] = True
        delinquent_share = _share(adjacency, delinquent, degree)
        defaulted_share = _share(adjacency, defaulted, degree)
    with phase("distance to default"):
        if defaulted.any():
            distance = np.asarray(dijkstra(
                adjacency, directed=False, indices=np.flatnonzero(defaulted),
                unweighted=True, limit=params.distance_cap, min_only=True), dtype=np.float64)
        else:
            distance = np.full(n, np.inf)
    active = np.flatnonzero(degree > 0)
    with phase("louvain"):
        community = _louvain(adjacency, active, params)
    with phase("pagerank"):
        pagerank = _pagerank(adjacency, params)
    with phase("betweenness"):
        betweenness = _betweenness(adjacency, active, params)
    return PartyFeatures(
        party_ids=graph.party_ids, currencies=currencies, as_of=as_of, hops=params.hops,
        degrees=graph.degrees, exposure_own=exposure_own, exposure_k=exposure_k,
        delinquent=delinquent, defaulted=defaulted, delinquent_share=delinquent_share,
        defaulted_share=defaulted_share, distance_to_default=distance, community=community,
        pagerank=pagerank, betweenness=betweenness)


@dataclass(frozen=True, slots=True, eq=False)
class _RiskGraph:
    party_ids: np.ndarray
    borrows: sp.csr_matrix
    adjacency: sp.csr_matrix
    degrees: np.ndarray

    @property
    def n(self) -> int:
        return len(self.party_ids)


def _risk_graph(projection: PortfolioProjection, links: _Links, live: np.ndarray,
                params: FeatureParameters) -> _RiskGraph:
    """Parties, their live borrowing, the risk adjacency and the degree columns."""
    owns_s, owns_t = links.by_type[RelType.OWNS]
    dir_s, dir_t = links.by_type[RelType.DIRECTS]
    rel_s, rel_t = links.by_type[RelType.RELATED]
    uses_s, uses_t = links.by_type[RelType.USES]
    holds_s, holds_t = links.by_type[RelType.HOLDS]
    # Fixed-width unicode arrays: numpy sorts and searches them in C, where object arrays
    # compare Python strings one by one.
    party_text = np.unique(np.asarray(
        [*projection.party_ids.tolist(), *owns_s, *owns_t, *dir_s, *dir_t, *rel_s, *rel_t,
         *uses_s, *holds_s], dtype=str))
    n = len(party_text)
    ident_ids, ident_of = np.unique(np.asarray([*uses_t, *holds_t], dtype=str),
                                    return_inverse=True)
    ident_of = ident_of.ravel()

    def ix(ids: Sequence[str]) -> np.ndarray:
        if not len(ids):
            return np.empty(0, dtype=np.int64)
        return np.searchsorted(party_text, np.asarray(ids, dtype=str)).astype(np.int64)

    party_ids = party_text.astype(object)

    # Loans and guarantees, re-indexed onto these parties; loans not yet disbursed dropped.
    remap = ix(projection.party_ids.tolist())
    keep = sp.diags(live.astype(np.int32), dtype=np.int32)
    borrows = sp.csr_matrix(projection.borrows @ keep)
    guarantees = sp.csr_matrix(projection.guarantees @ keep)
    borrows.eliminate_zeros()
    guarantees.eliminate_zeros()
    move = sp.csr_matrix((np.ones(len(remap), dtype=np.int32),
                          (remap, np.arange(len(remap)))), shape=(n, projection.n_parties))
    borrows = sp.csr_matrix(move @ borrows)
    guarantees = sp.csr_matrix(move @ guarantees)
    # guarantor -> borrower: built here (not the projection's party_graph) so that loans
    # disbursed after as_of drop out of it.
    guarantee_graph = _binary(guarantees @ borrows.T)

    owns = _matrix(ix(owns_s), ix(owns_t), (n, n))
    directs = _matrix(ix(dir_s), ix(dir_t), (n, n))
    related = _matrix(ix(rel_s), ix(rel_t), (n, n))
    n_ident = len(ident_ids)
    uses = _matrix(ix(uses_s), ident_of[:len(uses_s)], (n, n_ident))
    holds = _matrix(ix(holds_s), ident_of[len(uses_s):], (n, n_ident))
    identifiers = _binary_rect(uses + holds)
    users = np.asarray(identifiers.sum(axis=0)).ravel()
    private = sp.diags((users <= params.public_above).astype(np.int32), dtype=np.int32)
    shared = identifiers @ private
    adjacency = _binary(guarantee_graph + guarantee_graph.T + owns + owns.T + related
                        + related.T + shared @ identifiers.T)

    risk_degree = _row_counts(adjacency)
    degrees = np.column_stack([
        _row_counts(borrows), _row_counts(guarantees),
        _row_counts(sp.csr_matrix(guarantee_graph.T)),
        _row_counts(owns), _row_counts(sp.csr_matrix(owns.T)),
        _row_counts(directs), _row_counts(sp.csr_matrix(directs.T)),
        _row_counts(uses), _row_counts(holds),
        _row_counts(_binary(related + related.T)), risk_degree,
    ]).astype(np.int32)

    return _RiskGraph(party_ids, borrows, adjacency, degrees)
