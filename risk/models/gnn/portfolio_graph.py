"""The stored portfolio as a heterogeneous graph for the GNN, as of a date, and training it
on borrower labels.

Node types: ``person``, ``company`` (the parties) and ``loan``. Relations (each also read
backwards by the network, see :meth:`.hetero_graph.HeteroGraph.with_reverse`):

* ``(party, borrows, loan)`` and ``(party, guarantees, loan)``: loans disbursed on or before
  the as-of date (or with no known date), guarantees not signed after it;
* ``(party, owns, company)``, ``(person, directs, company)``: those holding on the date;
* ``(party, related_<kind>, party)``: ``RELATED`` edges by kind (family, supplier,
  customer, ...), holding on the date;
* ``(party, shares_identifier~both, party)``: two parties who use one phone, address or
  device, or hold one account (``USES``/``HOLDS``) on the date, projected party–party; an
  identifier with more than ``public_above`` users (a call centre, a bank branch) links
  nobody (see :mod:`risk.network.rings`);
* ``(party, transfers, party)``: money moved from an account one party holds to one another
  party holds, in months that ended by the date (monthly ``TRANSFERS`` aggregates).

``party`` stands for ``person`` or ``company``, by each node's label. Nothing after the
as-of date is read: no later loan, guarantee, relationship or month of transfers. Node
features are the caller's (``dict[node type, (ids, float32 matrix[, names])]``, e.g. the
features of :func:`risk.models.dataset.build_dataset` for borrowers);
:func:`node_attributes` reads a few stored attributes for when there are none.

Reads stream :meth:`graph.store.GraphStore.iter_edges` (plain tuples, only the properties
named); the rest is numpy and scipy: memory linear in edges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import scipy.sparse as sp

from graph.model import Label, RelType
from graph.store import DEFAULT_EDGE_BATCH, GraphStore
from graph.validity import VALIDITY_PROPS, summarise
from risk.models.gnn.hetero_graph import SYMMETRIC, EdgeType, HeteroGraph

__all__ = [
    "BORROWER_TYPES",
    "COMPANY",
    "DEFAULT_PUBLIC_ABOVE",
    "LOAN",
    "LOAN_COLUMNS",
    "PERSON",
    "NodeFeatures",
    "PortfolioGraph",
    "node_attributes",
    "read_portfolio_graph",
]

PERSON: Final = "person"
COMPANY: Final = "company"
LOAN: Final = "loan"
#: The node types whose nodes are borrowers, in the order the GNN scores them.
BORROWER_TYPES: Final = (PERSON, COMPANY)
#: An identifier with more users than this links nobody.
DEFAULT_PUBLIC_ABOVE: Final = 20
_LABEL_BATCH: Final = 50_000
_TYPE_OF: Final = {Label.PERSON: PERSON, Label.COMPANY: COMPANY}

#: Features of one node type: its ids, a float matrix row-aligned with them, and optionally
#: the column names.
NodeFeatures = tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, list[str]]


@dataclass(frozen=True, eq=False)
class PortfolioGraph:
    """Node ids per type (sorted) and typed edges (indices into them), as of ``as_of``."""

    as_of: date
    ids: dict[str, np.ndarray]
    edges: dict[EdgeType, np.ndarray]
    #: Relationships read, and left out because they did not hold on ``as_of``.
    read: int = 0
    excluded: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def index(self, node_type: str, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Positions of ``ids`` among the ``node_type`` nodes (int64), -1 where absent."""
        return _lookup(self.ids[node_type], ids)

    def borrower_positions(self, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Positions of party ``ids`` in the order the GNN scores borrowers (persons, then
        companies); -1 for an id that is not a party of the graph."""
        position = np.full(len(ids), -1, dtype=np.int64)
        offset = 0
        for node_type in BORROWER_TYPES:
            at = self.index(node_type, ids)
            found = at >= 0
            position[found] = at[found] + offset
            offset += len(self.ids[node_type])
        return position

    def scored_ids(self) -> np.ndarray:
        """The party ids in the order the GNN scores them (persons, then companies)."""
        return np.concatenate([self.ids[t] for t in BORROWER_TYPES])

    def hetero(self, features: Mapping[str, NodeFeatures] | None = None) -> HeteroGraph:
        """The :class:`HeteroGraph` of this graph with ``features`` aligned to its nodes:
        a node the caller gave no row for gets NaN (missing) in every column; a node type
        absent from ``features`` has no columns."""
        matrices: dict[str, np.ndarray] = {}
        names: dict[str, list[str]] = {}
        for node_type, ids in self.ids.items():
            given = (features or {}).get(node_type)
            if given is None:
                matrices[node_type] = np.zeros((len(ids), 0), dtype=np.float32)
                names[node_type] = []
                continue
            rows, matrix = np.asarray(given[0], dtype=object), np.asarray(given[1])
            columns = list(given[2]) if len(given) > 2 else [  # type: ignore[misc]
                f"{node_type}_{k}" for k in range(matrix.shape[1])]
            if matrix.ndim != 2 or matrix.shape[0] != len(rows):
                raise ValueError(f"{node_type}: {len(rows)} ids but a matrix of shape "
                                 f"{matrix.shape}")
            aligned = np.full((len(ids), matrix.shape[1]), np.nan, dtype=np.float32)
            at = self.index(node_type, rows)
            known = at >= 0
            aligned[at[known]] = matrix[known]
            matrices[node_type] = aligned
            names[node_type] = columns
        return HeteroGraph(matrices, self.edges, names)


def _lookup(sorted_ids: np.ndarray, ids: Sequence[str] | np.ndarray) -> np.ndarray:
    wanted = np.asarray(ids, dtype=object)
    if len(sorted_ids) == 0 or len(wanted) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == wanted, at, -1).astype(np.int64)


def _day(value: object) -> np.datetime64:
    if isinstance(value, date):
        return np.datetime64(value, "D")
    if isinstance(value, str) and len(value) >= 10:
        try:
            return np.datetime64(value[:10], "D")
        except ValueError:
            return np.datetime64("NaT")
    return np.datetime64("NaT")


def _not_after(values: list[object], as_of: date) -> np.ndarray:
    """True where a date is on or before ``as_of``, or unknown."""
    days = np.array([_day(v) for v in values], dtype="datetime64[D]")
    return np.isnat(days) | (days <= np.datetime64(as_of, "D"))


def _month_ended(keys: list[str], as_of: date) -> np.ndarray:
    """True where the month ``YYYY-MM`` ended on or before ``as_of``."""
    months = np.array([k[:7] if len(k) >= 7 else "NaT" for k in keys], dtype="datetime64[M]")
    last_day = (months + 1).astype("datetime64[D]") - 1
    return ~np.isnat(months) & (last_day <= np.datetime64(as_of, "D"))


Rows = tuple[list[str], list[str], list[str], list[tuple[Any, ...]]]


def _rows(store: GraphStore, rel: RelType, batch_size: int, *, props: Sequence[str] = (),
          target_props: Sequence[str] = ()) -> Rows:
    sources: list[str] = []
    targets: list[str] = []
    keys: list[str] = []
    values: list[tuple[Any, ...]] = []
    for batch in store.iter_edges([rel], props=props, target_props=target_props,
                                  batch_size=batch_size):
        for _type, source, target, key, found in batch:
            sources.append(source)
            targets.append(target)
            keys.append(key)
            values.append(found)
    return sources, targets, keys, values


def _keep(rows: Rows, mask: np.ndarray) -> Rows:
    if mask.all():
        return rows
    chosen = np.flatnonzero(mask).tolist()
    return tuple([column[k] for k in chosen] for column in rows)  # type: ignore[return-value]


def read_portfolio_graph(store: GraphStore, as_of: date, *,
                         public_above: int = DEFAULT_PUBLIC_ABOVE,
                         batch_size: int = DEFAULT_EDGE_BATCH,
                         progress: Callable[[str], None] | None = None) -> PortfolioGraph:
    """The graph of the portfolio in ``store`` as of ``as_of`` (see the module docstring).

    Raises:
        InvalidGraphElement: a ``valid_from``/``valid_to`` that is not a date.
    """
    say = progress or (lambda _message: None)
    read = excluded = 0

    def dated(rows: Rows) -> Rows:
        nonlocal read, excluded
        keep, summary = summarise([v[0] for v in rows[3]], [v[1] for v in rows[3]], as_of)
        read += summary.total
        excluded += summary.excluded
        return _keep(rows, keep)

    say("loans and guarantees")
    borrows = _rows(store, RelType.BORROWS, batch_size, target_props=("disbursed_on",))
    borrows = _keep(borrows, _not_after([v[0] for v in borrows[3]], as_of))
    guarantees = _rows(store, RelType.GUARANTEES, batch_size, props=("signed_on",),
                       target_props=("disbursed_on",))
    guarantees = _keep(guarantees, _not_after([v[0] for v in guarantees[3]], as_of)
                       & _not_after([v[1] for v in guarantees[3]], as_of))
    say("ownership, directorships, relations")
    owns = dated(_rows(store, RelType.OWNS, batch_size, props=VALIDITY_PROPS))
    directs = dated(_rows(store, RelType.DIRECTS, batch_size, props=VALIDITY_PROPS))
    related = dated(_rows(store, RelType.RELATED, batch_size, props=(*VALIDITY_PROPS, "kind")))
    say("identifiers and accounts")
    uses = dated(_rows(store, RelType.USES, batch_size, props=VALIDITY_PROPS))
    holds = dated(_rows(store, RelType.HOLDS, batch_size, props=VALIDITY_PROPS))
    say("transfers")
    transfers = _rows(store, RelType.TRANSFERS, batch_size)
    transfers = _keep(transfers, _month_ended(transfers[2], as_of))

    say("node types")
    parties = sorted(set(borrows[0]) | set(guarantees[0]) | set(owns[0]) | set(owns[1])
                     | set(directs[0]) | set(directs[1]) | set(related[0]) | set(related[1]))
    type_of: dict[str, str] = {}
    for start in range(0, len(parties), _LABEL_BATCH):
        for node_id, label in store.labels_of(parties[start:start + _LABEL_BATCH]).items():
            if label in _TYPE_OF:
                type_of[node_id] = _TYPE_OF[label]
    holders: dict[str, list[str]] = {}
    for party, account in zip(holds[0], holds[1], strict=True):
        holders.setdefault(account, []).append(party)
    ids = {PERSON: np.array(sorted(p for p, t in type_of.items() if t == PERSON), dtype=object),
           COMPANY: np.array(sorted(p for p, t in type_of.items() if t == COMPANY),
                             dtype=object),
           LOAN: np.array(sorted(set(borrows[1]) | set(guarantees[1])), dtype=object)}
    builder = _EdgeBuilder(ids, type_of)
    builder.add("borrows", borrows[0], borrows[1], LOAN)
    builder.add("guarantees", guarantees[0], guarantees[1], LOAN)
    builder.add("owns", owns[0], owns[1])
    builder.add("directs", directs[0], directs[1])
    kinds = [str(v[2] or key or "other") for v, key in zip(related[3], related[2], strict=True)]
    for kind in sorted(set(kinds)):
        chosen = [k for k, name in enumerate(kinds) if name == kind]
        builder.add(f"related_{kind}", [related[0][k] for k in chosen],
                    [related[1][k] for k in chosen])
    say("shared identifiers")
    a, b = _shared_identifiers(uses[0] + holds[0], uses[1] + holds[1], public_above)
    builder.add("shares_identifier" + SYMMETRIC, a, b)
    payer: list[str] = []
    payee: list[str] = []
    for source, target in zip(transfers[0], transfers[1], strict=True):
        for one in holders.get(source, ()):
            for other in holders.get(target, ()):
                if one != other:
                    payer.append(one)
                    payee.append(other)
    builder.add("transfers", payer, payee)
    edges = {edge_type: index for edge_type, index in builder.edges.items() if index.shape[1]}
    counts = {**{t: len(v) for t, v in ids.items()},
              **{f"{s}-{r}-{t}": int(v.shape[1]) for (s, r, t), v in edges.items()}}
    return PortfolioGraph(as_of=as_of, ids=ids, edges=edges, read=read, excluded=excluded,
                          counts=counts)


class _EdgeBuilder:
    """Typed index arrays from id pairs, split by the party types at each end."""

    def __init__(self, ids: dict[str, np.ndarray], type_of: dict[str, str]) -> None:
        self.ids = ids
        self.type_of = type_of
        self.edges: dict[EdgeType, np.ndarray] = {}

    def add(self, relation: str, sources: Sequence[str], targets: Sequence[str],
            target_type: str | None = None) -> None:
        if not len(sources):
            return
        source_types = np.array([self.type_of.get(s, "") for s in sources], dtype=object)
        target_types = (np.full(len(targets), target_type, dtype=object) if target_type
                        else np.array([self.type_of.get(t, "") for t in targets],
                                      dtype=object))
        src = np.asarray(sources, dtype=object)
        dst = np.asarray(targets, dtype=object)
        for s_type in BORROWER_TYPES:
            for t_type in ((target_type,) if target_type else BORROWER_TYPES):
                chosen = (source_types == s_type) & (target_types == t_type)
                if not chosen.any():
                    continue
                rows = _lookup(self.ids[s_type], src[chosen])
                cols = _lookup(self.ids[t_type], dst[chosen])
                found = (rows >= 0) & (cols >= 0)
                self.edges[(s_type, relation, t_type)] = np.stack([rows[found], cols[found]])


def _shared_identifiers(parties: list[str], identifiers: list[str],
                        public_above: int) -> tuple[list[str], list[str]]:
    """Party pairs (both directions) that share an identifier of at most ``public_above``
    users; each pair once."""
    if not parties:
        return [], []
    party_ids, party_of = np.unique(np.asarray(parties, dtype=object), return_inverse=True)
    _, ident_of = np.unique(np.asarray(identifiers, dtype=object), return_inverse=True)
    incidence = sp.csr_matrix((np.ones(len(party_of)), (ident_of, party_of)),
                              shape=(int(ident_of.max()) + 1, len(party_ids)))
    incidence.sum_duplicates()
    incidence.data[:] = 1.0
    users = np.diff(incidence.indptr)
    private = sp.diags(((users >= 2) & (users <= public_above)).astype(np.float64))
    kept = (private @ incidence).tocsr()
    pairs = (kept.T @ kept).tocoo()
    off = pairs.row != pairs.col
    return (party_ids[pairs.row[off]].tolist(), party_ids[pairs.col[off]].tolist())


_PARTY_PROPS: Final = ("monthly_income_minor", "registered_capital_minor",
                       "annual_revenue_minor", "birth_date", "founded_on")
_LOAN_PROPS: Final = ("principal_minor", "annual_rate", "term_months", "disbursed_on",
                      "maturity_on")
#: The loan columns of node_attributes.
LOAN_COLUMNS: Final = ("principal", "annual_rate", "term_months", "age_days",
                       "days_to_maturity")


def node_attributes(store: GraphStore, graph: PortfolioGraph) -> dict[str, NodeFeatures]:
    """A few stored attributes per node type, for a GNN without the features of
    :func:`risk.models.dataset.build_dataset`: income (persons), registered capital and
    annual revenue (companies), age in years on the as-of date (both); principal, annual
    rate, term, age in days and days to maturity of each loan (negative once matured: the
    contractual date, known at disbursement). Read from the ``BORROWS`` and ``GUARANTEES``
    edges' end nodes (a party that does neither has none: NaN). No property that changes
    after disbursement (a loan's status) is read."""
    as_of = np.datetime64(graph.as_of, "D")
    party_rows: dict[str, tuple[Any, ...]] = {}
    loan_rows: dict[str, tuple[Any, ...]] = {}
    for rel in (RelType.BORROWS, RelType.GUARANTEES):
        for batch in store.iter_edges([rel], source_props=_PARTY_PROPS,
                                      target_props=_LOAN_PROPS):
            for _type, source, target, _key, values in batch:
                party_rows.setdefault(source, values[:len(_PARTY_PROPS)])
                if rel is RelType.BORROWS:
                    loan_rows.setdefault(target, values[len(_PARTY_PROPS):])

    def number(value: object) -> float:
        return float(value) if isinstance(value, int | float) and not isinstance(
            value, bool) else np.nan

    def years(value: object) -> float:
        day = _day(value)
        return np.nan if np.isnat(day) else float((as_of - day).astype(np.int64)) / 365.25

    features: dict[str, NodeFeatures] = {}
    for node_type, columns in ((PERSON, ("monthly_income", "age_years")),
                               (COMPANY, ("registered_capital", "annual_revenue",
                                          "age_years"))):
        ids = graph.ids[node_type]
        matrix = np.full((len(ids), len(columns)), np.nan, dtype=np.float32)
        for k, node_id in enumerate(ids.tolist()):
            row = party_rows.get(node_id)
            if row is None:
                continue
            if node_type == PERSON:
                matrix[k] = (number(row[0]), years(row[3]))
            else:
                matrix[k] = (number(row[1]), number(row[2]), years(row[4]))
        features[node_type] = (ids, matrix, list(columns))
    ids = graph.ids[LOAN]
    matrix = np.full((len(ids), len(LOAN_COLUMNS)), np.nan, dtype=np.float32)
    for k, node_id in enumerate(ids.tolist()):
        row = loan_rows.get(node_id)
        if row is not None:
            age, maturity = _day(row[3]), _day(row[4])
            matrix[k] = (number(row[0]), number(row[1]), number(row[2]),
                         np.nan if np.isnat(age) else float((as_of - age).astype(np.int64)),
                         np.nan if np.isnat(maturity) else float(
                             (maturity - as_of).astype(np.int64)))
    features[LOAN] = (ids, matrix, list(LOAN_COLUMNS))
    return features
