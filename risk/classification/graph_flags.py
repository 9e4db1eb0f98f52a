"""Classification that follows the graph: a loan whose guarantor, controlling owner or
guarantee-circle partner turned non-performing is flagged for downgrade review, and the flag
carries the path that relates them.

Three kinds of flag, each decided on the classifier's own result as of a date (a loan is
non-performing when its tier is Substandard, Doubtful or Loss, the NPL definition of the
2023 measures, after any manual override):

* ``guarantor``: a party that guarantees the loan (``GUARANTEES`` party → loan) borrows a
  non-performing loan of its own. Path: ``guarantor -GUARANTEES-> loan``,
  ``guarantor -BORROWS-> its NPL loan``.
* ``controlling_owner``: a controller on the borrower's control chain (its ultimate
  controller, or any company between, by :func:`risk.network.control.control` on the
  ``OWNS`` edges: majority chains and the plurality rule) borrows a non-performing loan.
  Path: ``borrower -BORROWS-> loan``, the ``OWNS`` edges of the chain from that controller
  down to the borrower (each with its ``pct``), ``controller -BORROWS-> its NPL loan``.
* ``circle_partner``: the borrower and a party with a non-performing loan are members of
  one guarantee circle, mutual-guarantee pair or joint-guarantee group
  (:func:`risk.network.circles.find_circles`). Path: ``borrower -BORROWS-> loan``, the
  guarantee steps between them inside that finding (the fewest, over every finding that
  holds both; each step is ``guarantor -GUARANTEES-> loan`` and ``borrower -BORROWS->
  loan``), ``partner -BORROWS-> its NPL loan``.

A flag never changes a tier: the measures let a qualitative signal worsen a tier only after
an officer's review (:class:`risk.classification.five_tier.QualitativeSignal`). A loan that
is already non-performing is still flagged (the flag is evidence of contagion) and says so.
When the related party has several non-performing loans, the flag names the worst (highest
tier, then most days past due, then the smallest id) and counts them.

What "as of" means here: tiers are as of the date (nothing dated after it is read); loans
disbursed after it are neither flagged nor a reason for a flag. The relationships are the
graph as it stands (edges carry no dates yet).

Loans' borrowers come from the book (the loan record's ``borrower_id``, from the same
import row as the ``BORROWS`` edge); guarantees, ownership and circles from the graph.
Edge keys are read back from the store for the edges of the flags only.

Complexity: one projection and one ownership read of the graph (streamed), then numpy
passes over guarantee edges (O(G)) and control chains (O(n × depth)); per finding with a
non-performing member, one breadth-first search per such member over the finding's edges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any, Final, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from graph.model import RelType
from graph.store import GraphStore
from risk.classification.assessment import Assessment
from risk.classification.tiers import Tier
from risk.network.circles import Circle, CircleOptions, CircleReport, find_circles
from risk.network.control import (
    DEFAULT_PLURALITY,
    DEFAULT_THRESHOLD,
    Control,
    control,
    ownership_matrix,
)
from risk.network.groups import OwnershipArrays, read_ownership
from risk.projection import PortfolioProjection, project_portfolio

__all__ = ["FLAG_KINDS", "FlagKind", "GraphFlags", "PathEdge", "ReviewFlag", "flag_loans",
           "graph_flags"]

FlagKind = Literal["guarantor", "controlling_owner", "circle_partner"]
#: The kinds of flag, in the order they are listed.
FLAG_KINDS: Final[tuple[FlagKind, ...]] = ("guarantor", "controlling_owner", "circle_partner")
_KIND_RANK: Final = {kind: i for i, kind in enumerate(FLAG_KINDS)}
_FINDING_RANK: Final = {"joint": 0, "mutual": 1, "circle": 2}
_KEY_BATCH: Final = 10_000


@dataclass(frozen=True, slots=True)
class PathEdge:
    """One typed edge of a flag's path, ``source -[type]-> target``, as stored (``key``
    separates parallel edges); ``figures`` are what the edge says (an ``OWNS`` stake)."""

    source: str
    type: RelType
    target: str
    key: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "type": self.type.value, "target": self.target,
                "key": self.key, **self.figures}


@dataclass(frozen=True, slots=True)
class ReviewFlag:
    """A loan flagged for downgrade review because a related party is non-performing.

    Attributes:
        loan_id: the flagged loan; ``borrower``: its borrower.
        kind: ``guarantor``, ``controlling_owner`` or ``circle_partner``.
        party: the related party; ``npl_loan``, ``npl_tier``: its worst non-performing
            loan and that loan's tier; ``npl_loans``: how many it has.
        loan_non_performing: the flagged loan is itself non-performing already.
        path: the typed edges from the flagged loan to the party's NPL loan, in order.
        text: one sentence; ``figures``: the kind's details (chain depth, circle kind).
    """

    loan_id: str
    borrower: str
    kind: FlagKind
    party: str
    npl_loan: str
    npl_tier: Tier
    npl_loans: int
    loan_non_performing: bool
    path: tuple[PathEdge, ...]
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "party": self.party, "npl_loan": self.npl_loan,
                "npl_tier": self.npl_tier.slug, "npl_loans": self.npl_loans,
                "loan_non_performing": self.loan_non_performing, "text": self.text,
                "figures": self.figures, "path": [edge.as_json() for edge in self.path]}


@dataclass(frozen=True, slots=True)
class GraphFlags:
    """Every review flag as of ``as_of``, by loan id (each loan's flags sorted by kind,
    then party)."""

    as_of: date
    flags: dict[str, tuple[ReviewFlag, ...]]

    def of(self, loan_id: str) -> tuple[ReviewFlag, ...]:
        return self.flags.get(loan_id, ())

    @property
    def summary(self) -> dict[str, Any]:
        """Loans flagged, flags by kind, and flagged loans already non-performing."""
        by_kind = dict.fromkeys(FLAG_KINDS, 0)
        for found in self.flags.values():
            for flag in found:
                by_kind[flag.kind] += 1
        return {"loans_flagged": len(self.flags), "by_kind": by_kind,
                "already_non_performing": sum(
                    1 for found in self.flags.values() if found[0].loan_non_performing)}


@dataclass(frozen=True, slots=True)
class _Npl:
    """Each non-performing party's worst NPL loan, tier and NPL count."""

    loan: dict[str, str]
    tier: dict[str, Tier]
    count: dict[str, int]


class _Book:
    """The assessed loans as arrays: ids sorted, with borrower, tier and days past due."""

    def __init__(self, assessment: Assessment) -> None:
        loans = sorted(assessment.loans, key=lambda a: a.loan_id)
        self.ids = np.array([a.loan_id for a in loans], dtype=object)
        self.borrower = np.array([a.borrower_id for a in loans], dtype=object)
        self.tier = np.array([int(a.tier) for a in loans], dtype=np.int64)
        self.dpd = np.array([a.days_past_due for a in loans], dtype=np.int64)
        npl = np.flatnonzero(self.tier >= Tier.SUBSTANDARD)
        order = npl[np.lexsort((self.ids[npl].astype(str), -self.dpd[npl], -self.tier[npl],
                                self.borrower[npl].astype(str)))]
        worst: dict[str, str] = {}
        tier: dict[str, Tier] = {}
        count: dict[str, int] = {}
        for i in order.tolist():
            party = str(self.borrower[i])
            if party not in worst:
                worst[party] = str(self.ids[i])
                tier[party] = Tier(int(self.tier[i]))
            count[party] = count.get(party, 0) + 1
        self.npl = _Npl(worst, tier, count)
        by_borrower = np.argsort(self.borrower.astype(str), kind="stable")
        self.loans_of: dict[str, list[int]] = {}
        for i in by_borrower.tolist():
            self.loans_of.setdefault(str(self.borrower[i]), []).append(i)

    def index(self, ids: np.ndarray) -> np.ndarray:
        """Positions of loan ``ids`` in the book, -1 where not assessed as of the date."""
        if len(self.ids) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[at] == ids, at, -1).astype(np.int64)


def _member(ids: np.ndarray, wanted: Collection[str]) -> np.ndarray:
    """Whether each of ``ids`` is in ``wanted``, by hashing (``np.isin`` on object arrays
    compares every pair)."""
    return np.fromiter((i in wanted for i in ids.tolist()), dtype=bool, count=len(ids))


def _flag(book: _Book, loan: int, kind: FlagKind, party: str, path: list[PathEdge],
          text: str, figures: dict[str, Any]) -> ReviewFlag:
    npl_loan = book.npl.loan[party]
    tier = book.npl.tier[party]
    own = Tier(int(book.tier[loan]))
    steps: dict[tuple[str, str, str], PathEdge] = {}
    for edge in (*path, PathEdge(party, RelType.BORROWS, npl_loan)):
        # An edge met twice (a partner's guarantee of this very loan) is drawn once.
        steps.setdefault((edge.source, edge.type.value, edge.target), edge)
    return ReviewFlag(
        loan_id=str(book.ids[loan]), borrower=str(book.borrower[loan]), kind=kind,
        party=party, npl_loan=npl_loan, npl_tier=tier, npl_loans=book.npl.count[party],
        loan_non_performing=own.non_performing,
        path=tuple(steps.values()),
        text=(f"{text} has non-performing loan {npl_loan} ({tier.slug})"
              + (f" and {book.npl.count[party] - 1} more" if book.npl.count[party] > 1 else "")
              + ("; this loan is non-performing already" if own.non_performing else "")),
        figures=figures)


def _guarantor_flags(book: _Book, projection: PortfolioProjection) -> list[ReviewFlag]:
    if not book.npl.loan or not len(projection.guarantee_party):
        return []
    npl_party = _member(projection.party_ids, book.npl.loan)
    guarantor = projection.guarantee_party
    loan_ids = projection.loan_ids[projection.guarantee_loan]
    position = book.index(loan_ids)
    hit = npl_party[guarantor] & (position >= 0)
    flags: list[ReviewFlag] = []
    for k in np.flatnonzero(hit).tolist():
        party = str(projection.party_ids[guarantor[k]])
        loan = int(position[k])
        if party == book.borrower[loan] or book.npl.loan[party] == book.ids[loan]:
            continue  # a borrower guaranteeing its own loan relates nothing new
        flags.append(_flag(book, loan, "guarantor", party,
                           [PathEdge(party, RelType.GUARANTEES, str(book.ids[loan]))],
                           f"guarantor {party}", {}))
    return flags


def _control_flags(book: _Book, ownership: OwnershipArrays, ctrl: Control,
                   stakes: sp.csr_matrix) -> list[ReviewFlag]:
    if not book.npl.loan or not ownership.ids:
        return []
    ids = np.array(ownership.ids, dtype=object)
    npl_owner = _member(ids, book.npl.loan)
    borrowing = _member(ids, book.loans_of)
    hits: list[tuple[int, int]] = []
    node = np.flatnonzero(borrowing & (ctrl.parent >= 0))
    above = ctrl.parent[node]
    while len(node):
        found = npl_owner[above]
        hits.extend(zip(node[found].tolist(), above[found].tolist(), strict=True))
        going = ctrl.parent[above] >= 0
        node, above = node[going], ctrl.parent[above[going]]
    flags: list[ReviewFlag] = []
    for company, owner in hits:
        chain = ctrl.path(company)
        chain = chain[chain.index(owner):]
        borrower, party = ids[company], str(ids[owner])
        steps = [PathEdge(str(ids[a]), RelType.OWNS, str(ids[b]),
                          figures={"pct": round(float(stakes[a, b]), 6)})
                 for a, b in pairwise(chain)]
        figures = {"depth": len(steps), "ultimate": int(ctrl.ultimate[company]) == owner,
                   "rule": "plurality" if any(c in ctrl.by_plurality for c in chain[1:])
                   else "majority"}
        what = "ultimate controller" if figures["ultimate"] else "controller"
        for loan in book.loans_of[borrower]:
            flags.append(_flag(
                book, loan, "controlling_owner", party,
                [PathEdge(borrower, RelType.BORROWS, str(book.ids[loan])), *steps],
                f"{what} {party} of borrower {borrower} ({len(steps)} ownership step(s))",
                figures))
    return flags


def _step(finding: Circle, edges: dict[tuple[str, str], tuple[str, ...]], near: str,
          far: str) -> list[PathEdge]:
    """One guarantee step between ``near`` and ``far``, preferring ``far`` as the
    guarantor of ``near``'s loan; the smallest loan id of the pair."""
    for guarantor, borrower in ((far, near), (near, far)):
        loans = edges.get((guarantor, borrower))
        if loans:
            return [PathEdge(guarantor, RelType.GUARANTEES, loans[0]),
                    PathEdge(borrower, RelType.BORROWS, loans[0])]
    raise AssertionError(f"no guarantee between {near} and {far} in {finding.members}")


def _circle_flags(book: _Book, circles: CircleReport) -> list[ReviewFlag]:
    if not book.npl.loan:
        return []
    # (borrower, partner) -> (steps, rank, finding, party path)
    best: dict[tuple[str, str], tuple[int, tuple[Any, ...], Circle, list[str]]] = {}
    for finding in circles.circles:
        members = sorted(set(finding.members))
        partners = [m for m in members if m in book.npl.loan]
        if not partners or not any(m in book.loans_of for m in members):
            continue
        local = {m: i for i, m in enumerate(members)}
        pairs = np.array([(local[e.guarantor], local[e.borrower]) for e in finding.edges],
                         dtype=np.int64).reshape(-1, 2)
        graph = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                              shape=(len(members), len(members)))
        graph = (graph + graph.T).tocsr()
        graph.sort_indices()
        rank = (_FINDING_RANK[finding.kind], len(finding.members), finding.members)
        for partner in partners:
            _, predecessor = breadth_first_order(graph, local[partner], directed=False,
                                                 return_predecessors=True)
            for member in members:
                if member == partner or member not in book.loans_of:
                    continue
                walk = [local[member]]
                while walk[-1] != local[partner] and predecessor[walk[-1]] >= 0:
                    walk.append(int(predecessor[walk[-1]]))
                if walk[-1] != local[partner]:
                    continue
                key = (member, partner)
                candidate = (len(walk) - 1, rank, finding, [members[i] for i in walk])
                if key not in best or candidate[:2] < best[key][:2]:
                    best[key] = candidate
    flags: list[ReviewFlag] = []
    for (member, partner), (steps, _, finding, walk) in sorted(best.items()):
        edges = {(e.guarantor, e.borrower): e.loans for e in finding.edges}
        between = [edge for near, far in pairwise(walk)
                   for edge in _step(finding, edges, near, far)]
        figures = {"circle": finding.kind, "scope": finding.scope,
                   "members": list(finding.members), "steps": steps}
        name = {"circle": "guarantee circle", "mutual": "mutual guarantee",
                "joint": "joint-guarantee group"}[finding.kind]
        for loan in book.loans_of[member]:
            flags.append(_flag(
                book, loan, "circle_partner", partner,
                [PathEdge(member, RelType.BORROWS, str(book.ids[loan])), *between],
                f"{partner}, in a {name} of {len(finding.members)} with borrower {member} "
                f"({steps} guarantee step(s) apart),", figures))
    return flags


def flag_loans(assessment: Assessment, projection: PortfolioProjection,
               ownership: OwnershipArrays, circles: CircleReport, *,
               threshold: float = DEFAULT_THRESHOLD,
               plurality: float = DEFAULT_PLURALITY) -> GraphFlags:
    """The review flags of ``assessment``'s loans from arrays already at hand (edge keys
    left empty; :func:`graph_flags` reads them back).

    Raises:
        risk.network.control.InvalidOwnership: a stored ``pct`` outside (0, 1], or a bad
            ``threshold``/``plurality``.
    """
    book = _Book(assessment)
    stakes = ownership_matrix(len(ownership.ids), ownership.holders, ownership.held,
                              ownership.pct, names=ownership.ids)
    ctrl = control(stakes, threshold, plurality)
    found = (_guarantor_flags(book, projection)
             + _control_flags(book, ownership, ctrl, stakes)
             + _circle_flags(book, circles))
    by_loan: dict[str, dict[tuple[str, str], ReviewFlag]] = {}
    for flag in found:
        # Parallel edges (two guarantees of one loan by one party) make one flag.
        by_loan.setdefault(flag.loan_id, {}).setdefault((flag.kind, flag.party), flag)
    return GraphFlags(as_of=assessment.as_of, flags={
        loan: tuple(sorted(flags.values(), key=lambda f: (_KIND_RANK[f.kind], f.party)))
        for loan, flags in sorted(by_loan.items())})


def _with_keys(store: GraphStore, flags: GraphFlags) -> GraphFlags:
    """The flags with each path edge's stored key (the smallest of parallel edges)."""
    sources = sorted({edge.source for found in flags.flags.values() for flag in found
                      for edge in flag.path})
    keys: dict[tuple[str, str, str], str] = {}
    types = [RelType.BORROWS, RelType.GUARANTEES, RelType.OWNS]
    for start in range(0, len(sources), _KEY_BATCH):
        chunk = sources[start:start + _KEY_BATCH]
        for edges in store.edges_of(chunk, types, "out"):
            for edge in edges:  # sorted by identity: the smallest key comes first
                keys.setdefault((edge.type.value, edge.source, edge.target), edge.key)

    def keyed(path: Iterable[PathEdge]) -> tuple[PathEdge, ...]:
        return tuple(PathEdge(e.source, e.type, e.target,
                              keys.get((e.type.value, e.source, e.target), e.key), e.figures)
                     for e in path)

    return GraphFlags(as_of=flags.as_of, flags={
        loan: tuple(ReviewFlag(
            loan_id=f.loan_id, borrower=f.borrower, kind=f.kind, party=f.party,
            npl_loan=f.npl_loan, npl_tier=f.npl_tier, npl_loans=f.npl_loans,
            loan_non_performing=f.loan_non_performing, path=keyed(f.path), text=f.text,
            figures=f.figures) for f in found)
        for loan, found in flags.flags.items()})


def graph_flags(assessment: Assessment, store: GraphStore, *,
                projection: PortfolioProjection | None = None,
                circles: CircleReport | None = None,
                circle_options: CircleOptions | None = None,
                threshold: float = DEFAULT_THRESHOLD,
                plurality: float = DEFAULT_PLURALITY) -> GraphFlags:
    """Flag ``assessment``'s loans for downgrade review from the graph in ``store``.

    ``assessment`` should cover the whole book (a guarantor's NPL loan outside it is not
    seen). ``projection`` and ``circles``, when a caller has them, are not read again.

    Raises:
        risk.network.control.InvalidOwnership: a stored ``pct`` outside (0, 1].
        GraphBackendError, BackendUnavailable: the graph could not be read.
    """
    projection = projection if projection is not None else project_portfolio(store)
    circles = circles if circles is not None else find_circles(projection, circle_options)
    flags = flag_loans(assessment, projection, read_ownership(store), circles,
                       threshold=threshold, plurality=plurality)
    return _with_keys(store, flags)

