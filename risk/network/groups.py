"""Corporate groups: the companies under one ultimate controller, their control tree and
their exposure; and the derived ``CONTROLS`` edges.

:mod:`risk.network.control` does the arithmetic on arrays; this module reads the graph
in streamed batches of plain tuples (:meth:`graph.store.GraphStore.iter_edges`, into
:func:`read_ownership` and :func:`read_loan_book`), names the results by node id, sums
money exactly, and writes the ``CONTROLS`` edges back.

A **group** is an ultimate controller (a person, or a company nobody controls) with at
least ``min_companies`` (default 2) companies under it; a company controller counts
itself. Its **exposure** is the principal of every loan borrowed by a member, and of every
loan borrowed by a *guarantor* of those loans (a party with a ``GUARANTEES`` edge to one
of them): if the group fails, the guarantees it leans on are called at the same time.
Each loan counts once; the sum is exact, per currency, from ``principal_minor`` and
``currency`` on the loan node.

``CONTROLS`` edges run from the ultimate controller to each company it controls, with
``depth`` (steps down the control tree), ``via`` (the ids of the chain, ``" > "``
joined), ``cash_flow_right`` (integrated ownership, a float) and ``rule`` (``majority``
or ``plurality`` for the last step). The store has no way to delete one edge: an edge of
an earlier derivation that no longer holds is kept and marked ``current = false``
(every derived edge carries ``current = true``); readers filter on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np

from graph.model import Edge, Label, RelType
from graph.store import GraphStore
from graph.validity import NOT_READ, VALIDITY_PROPS, ValiditySummary, summarise
from portfolio.money import minor_to_decimal
from risk.network.control import (
    DEFAULT_PLURALITY,
    DEFAULT_THRESHOLD,
    CashFlowRights,
    Control,
    Degenerate,
    cash_flow_rights,
    control,
    ownership_matrix,
)

__all__ = [
    "DEFAULT_MIN_COMPANIES",
    "ControlEdgeWrite",
    "CorporateGroup",
    "GroupReport",
    "LoanBook",
    "OwnershipArrays",
    "control_edges",
    "find_groups",
    "groups_from_control",
    "read_loan_book",
    "read_ownership",
    "write_control_edges",
]

#: Companies an ultimate controller needs under it to be reported as a group.
DEFAULT_MIN_COMPANIES: Final = 2
_VIA_SEPARATOR: Final = " > "


@dataclass(frozen=True, slots=True)
class OwnershipArrays:
    """The ownership graph as arrays: party ``ids`` with their ``labels``, and the OWNS
    edges as parallel index arrays ``holders``/``held`` with their ``pct``; ``validity``
    says how the edges' dates were applied (:mod:`graph.validity`)."""

    ids: list[str]
    labels: list[Label]
    holders: np.ndarray
    held: np.ndarray
    pct: np.ndarray
    validity: ValiditySummary = NOT_READ


def read_ownership(store: GraphStore, as_of: date | None = None) -> OwnershipArrays:
    """The ``OWNS`` edges of ``store`` as arrays (parallel edges are summed later), read in
    streamed batches (:meth:`graph.store.GraphStore.iter_edges`), never as a graph of
    Python objects.

    With ``as_of``, only the edges that held that day (:func:`graph.validity.valid_on`);
    undated edges are taken as they stand. ``None``: every stored edge, dates not applied.
    """
    holders: list[str] = []
    held: list[str] = []
    pct: list[float] = []
    starts: list[object] = []
    ends: list[object] = []
    for batch in store.iter_edges([RelType.OWNS], props=("pct", *VALIDITY_PROPS)):
        for _, source, target, _, (value, start, end) in batch:
            holders.append(source)
            held.append(target)
            pct.append(float(value) if isinstance(value, int | float) else float("nan"))
            starts.append(start)
            ends.append(end)
    keep, validity = summarise(starts, ends, as_of)
    if validity.excluded:
        holders, held = [h for h, k in zip(holders, keep, strict=True) if k], [
            h for h, k in zip(held, keep, strict=True) if k]
        pct = [p for p, k in zip(pct, keep, strict=True) if k]
    ids = sorted(set(holders).union(held))
    index = {node: i for i, node in enumerate(ids)}
    found = store.labels_of(ids)
    return OwnershipArrays(
        ids=ids, labels=[found[node] for node in ids],
        holders=np.fromiter((index[h] for h in holders), dtype=np.int64, count=len(holders)),
        held=np.fromiter((index[h] for h in held), dtype=np.int64, count=len(held)),
        pct=np.array(pct, dtype=np.float64), validity=validity)


@dataclass(frozen=True, slots=True)
class LoanBook:
    """Who borrows and who guarantees which loan, and each loan's principal.

    ``borrowed[party]``: loan ids; ``guarantors[loan]``: party ids; ``principal[loan]``:
    ``(minor units, currency)``.
    """

    borrowed: Mapping[str, list[str]]
    guarantors: Mapping[str, list[str]]
    principal: Mapping[str, tuple[int, str]]


def read_loan_book(store: GraphStore) -> LoanBook:
    """The ``BORROWS`` and ``GUARANTEES`` edges of ``store`` and the loans' principal,
    read in streamed batches."""
    borrowed: dict[str, list[str]] = defaultdict(list)
    guarantors: dict[str, list[str]] = defaultdict(list)
    principal: dict[str, tuple[int, str]] = {}
    for batch in store.iter_edges(
            [RelType.BORROWS, RelType.GUARANTEES],
            target_props=("principal_minor", "currency", "principal_currency")):
        for kind, source, target, _, (minor, currency, principal_currency) in batch:
            if kind == RelType.BORROWS.value:
                borrowed[source].append(target)
            else:
                guarantors[target].append(source)
            code = currency or principal_currency
            if isinstance(minor, int) and isinstance(code, str):
                principal[target] = (minor, code)
    return LoanBook(borrowed=dict(borrowed), guarantors=dict(guarantors), principal=principal)


@dataclass(frozen=True, slots=True)
class CorporateGroup:
    """One group: its ultimate ``controller``, its member companies (sorted), the
    ``control_edges`` ``(holder, held, pct)`` by which control passed (the evidence, ready
    to draw), ``loans`` of the members and of their guarantors, the ``guarantors`` from
    outside the group, and the exact ``exposure`` per currency in minor units."""

    controller: str
    controller_label: Label
    members: list[str]
    control_edges: list[tuple[str, str, float]]
    loans: list[str] = field(default_factory=list)
    guarantors: list[str] = field(default_factory=list)
    exposure_minor: dict[str, int] = field(default_factory=dict)

    @property
    def exposure(self) -> dict[str, str]:
        """Exposure per currency as exact decimal text (``{"CNY": "1234.50"}``)."""
        return {cur: str(minor_to_decimal(minor, cur))
                for cur, minor in sorted(self.exposure_minor.items())}


@dataclass(frozen=True, slots=True)
class GroupReport:
    """Groups, and what could not be resolved: companies with undefined cash-flow rights
    and circles of control (both by node id)."""

    groups: list[CorporateGroup]
    degenerate: list[tuple[str, list[str]]]
    control_cycles: list[list[str]]
    #: How the ownership edges' dates were applied (:mod:`graph.validity`).
    validity: ValiditySummary = NOT_READ


def _exposure(members: Iterable[str], book: LoanBook
              ) -> tuple[list[str], list[str], dict[str, int]]:
    member_set = set(members)
    own = {loan for m in member_set for loan in book.borrowed.get(m, ())}
    backers = {g for loan in own for g in book.guarantors.get(loan, ())} - member_set
    loans = own | {loan for g in backers for loan in book.borrowed.get(g, ())}
    total: dict[str, int] = defaultdict(int)
    for loan in loans:
        amount = book.principal.get(loan)
        if amount is not None:
            total[amount[1]] += amount[0]
    return sorted(loans), sorted(backers), dict(total)


def groups_from_control(ids: Sequence[str], labels: Sequence[Label], ctrl: Control,
                        book: LoanBook | None = None,
                        min_companies: int = DEFAULT_MIN_COMPANIES) -> list[CorporateGroup]:
    """Name the groups of ``ctrl`` by id and, with ``book``, add loans and exposure.

    Groups are sorted by controller id. O(n + evidence + loans of the groups).
    """
    members: dict[int, list[int]] = defaultdict(list)
    for i, head in enumerate(ctrl.ultimate.tolist()):
        if labels[i] is Label.COMPANY:  # an uncontrolled company heads its own block
            members[head].append(i)
    edges: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    # Down the tree: by the depth of the company controlled, then by id.
    for holder, held, pct in sorted(ctrl.evidence,
                                    key=lambda e: (ctrl.depth[e[1]], ids[e[1]], ids[e[0]])):
        edges[int(ctrl.ultimate[held])].append((ids[holder], ids[held], pct))
    groups: list[CorporateGroup] = []
    for head, companies in members.items():
        if len(companies) < min_companies or not edges.get(head):
            continue
        names = sorted(ids[c] for c in companies)
        loans, backers, exposure = _exposure(names, book) if book else ([], [], {})
        groups.append(CorporateGroup(controller=ids[head], controller_label=labels[head],
                                     members=names, control_edges=edges[head], loans=loans,
                                     guarantors=backers, exposure_minor=exposure))
    groups.sort(key=lambda g: g.controller)
    return groups


def _derive(store: GraphStore, threshold: float, plurality: float, as_of: date | None = None,
            ownership: OwnershipArrays | None = None
            ) -> tuple[OwnershipArrays, Control, CashFlowRights]:
    arrays = read_ownership(store, as_of) if ownership is None else ownership
    a = ownership_matrix(len(arrays.ids), arrays.holders, arrays.held, arrays.pct,
                         names=arrays.ids)
    return arrays, control(a, threshold, plurality), cash_flow_rights(a)


def _named_degenerate(ids: Sequence[str], found: list[Degenerate]
                      ) -> list[tuple[str, list[str]]]:
    return [(d.kind, [ids[i] for i in d.members]) for d in found]


def find_groups(store: GraphStore, threshold: float = DEFAULT_THRESHOLD,
                plurality: float = DEFAULT_PLURALITY,
                min_companies: int = DEFAULT_MIN_COMPANIES, as_of: date | None = None,
                ownership: OwnershipArrays | None = None) -> GroupReport:
    """Every corporate group of the graph in ``store``, with its exposure; with ``as_of``,
    of the ownership as it stood that day (see :func:`read_ownership`). ``ownership``: the
    edges already read by the caller (read with the same ``as_of``), instead of reading
    them again.

    Raises:
        risk.network.control.InvalidOwnership: a stored ``pct`` outside (0, 1], or bad
            parameters.
    """
    arrays, ctrl, rights = _derive(store, threshold, plurality, as_of, ownership)
    book = read_loan_book(store)
    groups = groups_from_control(arrays.ids, arrays.labels, ctrl, book, min_companies)
    return GroupReport(groups=groups, degenerate=_named_degenerate(arrays.ids, rights.degenerate),
                       control_cycles=[[arrays.ids[i] for i in c] for c in ctrl.cycles],
                       validity=arrays.validity)


def control_edges(ids: Sequence[str], ctrl: Control, rights: CashFlowRights) -> list[Edge]:
    """The ``CONTROLS`` edges ``ultimate controller -> controlled company``, sorted."""
    edges: list[Edge] = []
    for j in np.flatnonzero(ctrl.parent >= 0).tolist():
        head = int(ctrl.ultimate[j])
        if head == j:
            continue
        chain = ctrl.path(j)
        edges.append(Edge(RelType.CONTROLS, ids[head], ids[j], props={
            "depth": int(ctrl.depth[j]),
            "via": _VIA_SEPARATOR.join(ids[k] for k in chain),
            "cash_flow_right": rights.right(head, j),
            "rule": "plurality" if j in ctrl.by_plurality else "majority",
            "current": True,
        }))
    edges.sort(key=lambda e: e.identity)
    return edges


@dataclass(frozen=True, slots=True)
class ControlEdgeWrite:
    """What :func:`write_control_edges` did: edges written as current, and stored edges of
    an earlier derivation marked ``current = false``."""

    current: int
    stale: int


def write_control_edges(store: GraphStore, threshold: float = DEFAULT_THRESHOLD,
                        plurality: float = DEFAULT_PLURALITY,
                        ownership: OwnershipArrays | None = None) -> ControlEdgeWrite:
    """Derive the ``CONTROLS`` edges and upsert them, in one transaction (from
    ``ownership`` when the caller read it already, every stored ``OWNS`` edge).

    Idempotent: a second run writes the same edges. Edges stored before that no longer
    hold are marked ``current = false`` in the same batch (the store cannot delete one
    edge).
    """
    arrays, ctrl, rights = _derive(store, threshold, plurality, ownership=ownership)
    edges = control_edges(arrays.ids, ctrl, rights)
    fresh = {e.identity for e in edges}
    stale = [
        Edge(RelType.CONTROLS, source, target, key=key, props={"current": False})
        for batch in store.iter_edges([RelType.CONTROLS])
        for _, source, target, key, _ in batch
        if (RelType.CONTROLS.value, source, target, key) not in fresh
    ]
    store.upsert_batch([], edges + stale)
    return ControlEdgeWrite(current=len(edges), stale=len(stale))
