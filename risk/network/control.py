"""Ownership versus control: cash-flow rights solved exactly, control followed in blocks.

Two different questions about one ownership network, answered on arrays so that any reader
(the networkx projection today, a CSR projection later) can feed them.

The input is the direct ownership matrix ``A`` (n × n, sparse): ``A[i, j]`` is the share
of company ``j`` held by party ``i`` (an ``OWNS`` edge's ``pct``, a fraction in (0, 1]).
Columns of persons are empty; rows are persons or companies.

**Cash-flow rights** (:func:`cash_flow_rights`). The integrated ownership of Vitali,
Glattfelder and Battiston (2011, "The network of global corporate control", SI §2), the
sum over every ownership path of the product of its stakes::

    C = A + A² + A³ + … = A (I − A)⁻¹ = (I − A)⁻¹ − I

``C[i, j]`` is the share of ``j``'s own business that flows to ``i``. Cross-holdings are
cycles in the ownership graph, and a path enumeration around a cycle never ends; the sum
is a geometric series instead, which the linear system ``(I − A) X = I`` sums exactly.
For a final owner (a person, or a company nobody holds) the row of ``C`` is its exact
cash-flow right in the sense of Brioschi, Buzzacchi and Colombo (1989): two firms A and B
with A holding 30 % of B and B 20 % of A give A's sole outside owner with 80 % of A
``0.8 × 0.3 / (1 − 0.3 × 0.2) = 25.53 %`` of B, and the final owners' rights in a firm sum
to the share its outside owners hold, never more. For a company inside a cross-holding
cycle, its row also counts the part of its own value that returns to it around the cycle
(``C[i, i] > 0``).

``(I − A)`` is invertible when the spectral radius of ``A`` is below one. ``A`` has column
sums ≤ 1, so by Perron–Frobenius its radius is one exactly when some strongly connected
set of companies is held 100 % from inside itself (two firms owning each other outright):
no final owner exists and rights are undefined. Such *closed loops*, and companies whose
recorded stakes sum to more than 100 % (*over-owned*, a data error), are reported as
:class:`Degenerate` and left out of the solve (their incoming stakes are ignored), never a
crash or a singular matrix. The solve runs only on the weakly connected parts of the graph
where a held company holds a stake (elsewhere ``C = A``), part by part since ``I − A`` is
block diagonal over them: small parts (corporate groups) inverted in dense batches of equal
size, a large part with one sparse LU factorisation (``scipy.sparse.linalg.splu``) and
right-hand sides in chunks.

**Control** (:func:`control`). Majority control follows chains, not products: 51 % of a
firm that holds 51 % of another controls both, though its cash-flow right in the second is
26.01 %. Control is found in *blocks*: each party starts as its own block; a block
controls a company when the stakes that the block's members (the block's head and every
company it already controls) hold together in that company exceed ``threshold`` (default
0.5). Stakes held through several controlled vehicles therefore add up (30 % + 25 % held
by two 51 %-owned subsidiaries is 55 %). Optionally (``plurality``, default 0.30, 0 turns
it off) a block that is the largest holder with at least that share also controls: the
"more than 30 % of the voting rights" test of the CSRC's Measures for the Administration
of the Takeover of Listed Companies, art. 84, read here as "at least". Majority rounds run
to a fixed point before each plurality round, so that a block is whole before it competes
for a relative majority. A company whose blocks would control each other in a circle
(A holds 60 % of B and B 60 % of A) is reported in :attr:`Control.cycles` and stays
uncontrolled. The *ultimate controller* of a party is the head of its final block: a
person, or a company nobody controls.

Complexity: control runs in rounds of sparse products, O(rounds × nnz(A)); rounds are
bounded by the depth of the control forest. Cash-flow rights cost O(Σ s³) over the small
parts of s parties, and a sparse LU with chunked triangular solves for a large part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from loanwatch.errors import LoanwatchError

__all__ = [
    "DEFAULT_PLURALITY",
    "DEFAULT_THRESHOLD",
    "CashFlowRights",
    "Control",
    "Degenerate",
    "InvalidOwnership",
    "cash_flow_rights",
    "control",
    "ownership_matrix",
]

#: A block controls a company when its members hold more than this share together.
DEFAULT_THRESHOLD: Final = 0.5
#: A block that is the largest holder with at least this share also controls (0: off).
DEFAULT_PLURALITY: Final = 0.30
#: Stakes are floats; sums within this of a bound count as the bound.
_EPS: Final = 1e-9
#: Parts of the ownership graph up to this many parties are inverted in dense batches.
_SMALL_PART: Final = 64
#: Right-hand sides solved at once against the LU factors of a large part, and the most
#: floats such a chunk may hold (64 MiB).
_SOLVE_CHUNK: Final = 256
_SOLVE_CELLS: Final = 8 * 1024 * 1024


class InvalidOwnership(LoanwatchError):
    """An ownership stake or a control parameter is outside what the model allows."""


def ownership_matrix(n: int, holders: Sequence[int] | np.ndarray,
                     held: Sequence[int] | np.ndarray,
                     pct: Sequence[float] | np.ndarray,
                     names: Sequence[str] | None = None) -> sp.csr_matrix:
    """The direct ownership matrix ``A`` (``A[i, j]`` = share of ``j`` held by ``i``).

    Parallel stakes of one pair are summed. ``names`` (the ids of the n parties) only make
    error messages name the edge.

    Raises:
        InvalidOwnership: a stake outside (0, 1] or not a number; an index outside 0..n-1.
    """
    src = np.asarray(holders, dtype=np.int64)
    dst = np.asarray(held, dtype=np.int64)
    val = np.asarray(pct, dtype=np.float64)
    if not (len(src) == len(dst) == len(val)):
        raise InvalidOwnership("holders, held and pct must have the same length")
    if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise InvalidOwnership(f"a party index is outside 0..{n - 1}")
    bad = np.flatnonzero(~np.isfinite(val) | (val <= 0) | (val > 1 + _EPS))
    if len(bad):
        k = int(bad[0])
        who = (f"{names[src[k]]} -> {names[dst[k]]}" if names is not None
               else f"{src[k]} -> {dst[k]}")
        what = ("is missing or not a number" if np.isnan(val[k])
                else f"{float(val[k])!r} is not a share in (0, 1]")
        raise InvalidOwnership(
            f"OWNS edge {who}: pct {what}"
            + (f" ({len(bad)} such edges)" if len(bad) > 1 else ""),
            suggestion="pct is a fraction: 51 % is 0.51")
    return sp.csr_matrix((val, (src, dst)), shape=(n, n))


@dataclass(frozen=True, slots=True)
class Degenerate:
    """Companies whose cash-flow rights are undefined, and why: ``closed_loop`` (held 100 %
    from inside a set of companies that own one another) or ``over_owned`` (stakes in it
    sum to more than 100 %)."""

    kind: Literal["closed_loop", "over_owned"]
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CashFlowRights:
    """Integrated ownership ``C`` (CSR, n × n) and the degenerate companies left out."""

    matrix: sp.csr_matrix
    degenerate: list[Degenerate] = field(default_factory=list)

    def right(self, holder: int, held: int) -> float:
        """``C[holder, held]``: the share of ``held``'s value that reaches ``holder``."""
        return float(self.matrix[holder, held])


def _degenerate(a: sp.csr_matrix) -> list[Degenerate]:
    """Over-owned columns and closed loops (strong components held 100 % from inside)."""
    found: list[Degenerate] = []
    n = a.shape[0]
    column_sums = np.asarray(a.sum(axis=0)).ravel()
    over = np.flatnonzero(column_sums > 1 + _EPS)
    found.extend(Degenerate("over_owned", (int(j),)) for j in over)
    count, comp = connected_components(a, directed=True, connection="strong")
    coo = a.tocoo()
    inside = comp[coo.row] == comp[coo.col]
    internal = np.bincount(coo.col[inside], weights=coo.data[inside], minlength=n)
    held_inside = np.zeros(n, dtype=bool)
    held_inside[coo.col[inside]] = True
    closed = held_inside & (internal >= 1 - _EPS)
    # A strong component is closed only when every one of its members is held in full
    # from inside it.
    members_per = np.bincount(comp, minlength=count)
    closed_per = np.bincount(comp[closed], minlength=count)
    for c in np.flatnonzero((closed_per == members_per) & (members_per > 0)):
        found.append(Degenerate("closed_loop", tuple(int(i) for i in np.flatnonzero(comp == c))))
    return found


def cash_flow_rights(a: sp.spmatrix) -> CashFlowRights:
    """The integrated ownership ``C = A (I − A)⁻¹`` of every party in every company.

    Degenerate companies (closed loops, over-owned) are reported and their incoming stakes
    ignored, so the system stays non-singular.

    Example: a person holding 51 % of F, which holds 51 % of G, has ``C = 0.2601`` in G.
    """
    a = sp.csr_matrix(a, dtype=np.float64)
    n = a.shape[0]
    degenerate = _degenerate(a)
    if degenerate:
        drop = np.zeros(n, dtype=bool)
        for d in degenerate:
            drop[list(d.members)] = True
        keep = sp.diags((~drop).astype(np.float64))
        a = (a @ keep).tocsr()
        a.eliminate_zeros()
    # Only the weakly connected parts where a held company holds a stake (so that a path
    # of two steps or more exists) need the solve; elsewhere C = A.
    is_held = np.asarray(a.getnnz(axis=0) > 0)
    coo = a.tocoo()
    relayed = is_held[coo.row]
    rights = a.copy()
    if relayed.any():
        _, comp = connected_components(a, directed=True, connection="weak")
        deep = np.isin(comp, np.unique(comp[coo.row[relayed]]))
        rights = _solve_deep(a, np.flatnonzero(deep))
    return CashFlowRights(matrix=rights.tocsr(), degenerate=degenerate)


def _solve_deep(a: sp.csr_matrix, deep: np.ndarray) -> sp.csr_matrix:
    """``C`` with the rows and columns of ``deep`` solved; elsewhere ``C = A``.

    ``deep`` is a union of weakly connected parts, and ``(I − A)`` is block diagonal over
    them, so each part is solved on its own: ``X = (I − A_part)⁻¹`` and ``C = X − I``.
    Parts of up to :data:`_SMALL_PART` parties (corporate groups with their owners) are
    stacked by size and inverted in batches; a larger part gets one sparse LU
    factorisation and right-hand sides in chunks.
    """
    n = a.shape[0]
    sub = a[deep][:, deep].tocsr()
    m = len(deep)
    _, part = connected_components(sub, directed=False)
    sizes = np.bincount(part)
    order = np.argsort(part, kind="stable")  # parties of each part together, in order
    starts = np.r_[0, np.cumsum(sizes)]
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m) - starts[part[order]]
    coo = sub.tocoo()
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for size in np.unique(sizes).tolist():
        parts = np.flatnonzero(sizes == size)
        if size <= _SMALL_PART:
            found.append(_invert_batch(coo, part, position, parts, starts, order, size))
        else:
            for p in parts.tolist():
                found.append(_invert_large(sub, order[starts[p]:starts[p + 1]]))
    r = np.concatenate([f[0] for f in found])
    c = np.concatenate([f[1] for f in found])
    v = np.concatenate([f[2] for f in found])
    solved = sp.csr_matrix((v, (deep[r], deep[c])), shape=(n, n))
    outside = np.ones(n, dtype=bool)
    outside[deep] = False
    shallow = (sp.diags(outside.astype(np.float64)) @ a).tocsr()
    shallow.eliminate_zeros()
    return (solved + shallow).tocsr()


def _invert_batch(coo: sp.coo_matrix, part: np.ndarray, position: np.ndarray,
                  parts: np.ndarray, starts: np.ndarray, order: np.ndarray, size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(I − A_p)⁻¹ − I`` for every part ``p`` of ``parts`` (all of ``size`` parties), as
    ``(row, column, value)`` in the deep set's indices."""
    batch = np.full(part.max() + 1, -1, dtype=np.int64)
    batch[parts] = np.arange(len(parts))
    stack = np.broadcast_to(np.eye(size), (len(parts), size, size)).copy()
    mine = batch[part[coo.row]] >= 0
    b, i, j = batch[part[coo.row[mine]]], position[coo.row[mine]], position[coo.col[mine]]
    np.subtract.at(stack, (b, i, j), coo.data[mine])
    x = np.linalg.inv(stack) - np.eye(size)
    b, i, j = np.nonzero(np.abs(x) > 1e-15)
    members = order[starts[parts][:, None] + np.arange(size)]  # (parts, size) deep indices
    return members[b, i], members[b, j], x[b, i, j]


def _invert_large(sub: sp.csr_matrix, members: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(I − A_p)⁻¹ − I`` for one large part, by sparse LU and chunked solves."""
    block = sub[members][:, members].tocsc()
    size = len(members)
    lu = splu((sp.identity(size, format="csc") - block).tocsc())
    held = np.flatnonzero(np.diff(block.indptr) > 0)  # columns with entries in C
    chunk_width = max(1, min(_SOLVE_CHUNK, _SOLVE_CELLS // size))
    rows, cols, vals = [], [], []
    for start in range(0, len(held), chunk_width):
        chunk = held[start:start + chunk_width]
        rhs = np.zeros((size, len(chunk)))
        rhs[chunk, np.arange(len(chunk))] = 1.0
        x = lu.solve(rhs)
        x[chunk, np.arange(len(chunk))] -= 1.0
        r, c = np.nonzero(np.abs(x) > 1e-15)
        rows.append(members[r])
        cols.append(members[chunk[c]])
        vals.append(x[r, c])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


@dataclass(frozen=True, slots=True)
class Control:
    """Who controls whom, for n parties.

    ``ultimate[i]``: the head of ``i``'s final block (``i`` itself when nobody controls it);
    ``parent[i]``: the member of the controlling block holding the largest stake in ``i``
    (``-1`` for an uncontrolled party); ``depth[i]``: steps from the ultimate controller
    down the ``parent`` links; ``evidence``: ``(holder, held, pct)`` for every stake a
    controlling block held in a company when it took control; ``by_plurality``: companies
    controlled by the relative-majority rule; ``cycles``: companies whose blocks would
    control one another in a circle.
    """

    ultimate: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    evidence: list[tuple[int, int, float]]
    by_plurality: frozenset[int] = frozenset()
    cycles: list[tuple[int, ...]] = field(default_factory=list)

    def path(self, i: int) -> list[int]:
        """The chain of control from ``i``'s ultimate controller down to ``i``."""
        chain = [i]
        while self.parent[chain[-1]] >= 0:
            chain.append(int(self.parent[chain[-1]]))
        return chain[::-1]


def _check_parameters(threshold: float, plurality: float) -> None:
    if not 0 < threshold < 1:
        raise InvalidOwnership(f"control threshold {threshold!r} must be in (0, 1)",
                               suggestion="majority control is 0.5")
    if not 0 <= plurality <= threshold:
        raise InvalidOwnership(
            f"plurality {plurality!r} must be between 0 (off) and the threshold {threshold}",
            suggestion="a plurality of 0 switches the relative-majority rule off")


def _winners(a: sp.csr_matrix, root: np.ndarray, open_: np.ndarray, threshold: float,
             plurality: float | None) -> tuple[np.ndarray, np.ndarray]:
    """For each open company, the block that takes control of it this round.

    Returns parallel arrays ``(company, block head)``. With ``plurality`` ``None`` only the
    majority test runs.
    """
    n = a.shape[0]
    p = sp.csr_matrix((np.ones(n), (root, np.arange(n))), shape=(n, n))
    blocks = (p @ a).tocoo()  # blocks[r, j]: stake of block r in company j
    keep = open_[blocks.col] & (blocks.row != blocks.col)
    r, j, v = blocks.row[keep], blocks.col[keep], blocks.data[keep]
    if not len(j):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((r, -v, j))  # per company, the largest block first (ties by id)
    r, j, v = r[order], j[order], v[order]
    first = np.r_[True, j[1:] != j[:-1]]
    second_value = np.zeros(len(j))
    has_second = np.r_[~first[1:], False]  # the entry after a first of the same company
    second_value[first] = np.where(has_second[first], np.r_[v[1:], 0.0][first], 0.0)
    best_r, best_j, best_v, runner_up = r[first], j[first], v[first], second_value[first]
    if plurality is None:
        wins = best_v > threshold + _EPS
    else:
        wins = (best_v >= plurality - _EPS) & (best_v > runner_up + _EPS)
    return best_j[wins].astype(np.int64), best_r[wins].astype(np.int64)


def _cycle_members(company: np.ndarray, head: np.ndarray, n: int) -> np.ndarray:
    """Companies on a circle of this round's attachments (``company -> head``)."""
    graph = sp.csr_matrix((np.ones(len(company)), (company, head)), shape=(n, n))
    count, comp = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(comp, minlength=count)
    return np.flatnonzero(sizes[comp] > 1)


def control(a: sp.spmatrix, threshold: float = DEFAULT_THRESHOLD,
            plurality: float = DEFAULT_PLURALITY) -> Control:
    """Ultimate control of every party under ``A``: see the module docstring.

    Parameters:
        a: the direct ownership matrix (n × n, ``a[i, j]`` share of ``j`` held by ``i``).
        threshold: a block controls a company when it holds strictly more than this.
        plurality: a block that is the largest holder with at least this share controls
            too; 0 switches the rule off.

    Raises:
        InvalidOwnership: ``threshold`` outside (0, 1) or ``plurality`` outside
            [0, threshold].

    Complexity: O(rounds × nnz(A) log nnz(A)).
    """
    _check_parameters(threshold, plurality)
    a = sp.csr_matrix(a, dtype=np.float64)
    n = a.shape[0]
    root = np.arange(n)
    open_ = np.asarray(a.getnnz(axis=0) > 0)  # companies with a holder, not yet controlled
    head_of = np.full(n, -1, dtype=np.int64)  # the block that took each company
    taken_round = np.full(n, -1, dtype=np.int64)
    evidence: list[tuple[int, int, float]] = []
    by_plurality: set[int] = set()
    cycles: list[tuple[int, ...]] = []
    coo = a.tocoo()
    majority_only = True
    rounds = 0
    while True:
        company, head = _winners(a, root, open_, threshold,
                                 None if majority_only else plurality)
        if not len(company):
            if majority_only and plurality > 0:
                majority_only = False
                continue
            break
        on_cycle = _cycle_members(company, head, n)
        if len(on_cycle):
            circular = np.isin(company, on_cycle)
            graph = sp.csr_matrix((np.ones(int(circular.sum())),
                                   (company[circular], head[circular])), shape=(n, n))
            _, comp = connected_components(graph, directed=True, connection="strong")
            for c in np.unique(comp[on_cycle]):
                cycles.append(tuple(int(i) for i in on_cycle[comp[on_cycle] == c]))
            open_[on_cycle] = False
            company, head = company[~circular], head[~circular]
        rounds += 1
        # Evidence: every stake of the winning block in the company it took.
        winner = np.full(n, -1, dtype=np.int64)
        winner[company] = head
        mask = (winner[coo.col] >= 0) & (root[coo.row] == winner[coo.col])
        evidence.extend(zip(coo.row[mask].tolist(), coo.col[mask].tolist(),
                            coo.data[mask].tolist(), strict=True))
        if not majority_only:
            by_plurality.update(company.tolist())
        head_of[company] = head
        taken_round[company] = rounds
        open_[company] = False
        # Re-head every block: follow the attachments to their end (no circles remain).
        step = np.arange(n)
        step[company] = head
        while True:
            nxt = step[step]
            if np.array_equal(nxt, step):
                break
            step = nxt
        root = step[root]
        majority_only = True
    parent = _parents(n, evidence)
    return Control(ultimate=root, parent=parent, depth=_depths(parent),
                   evidence=evidence, by_plurality=frozenset(by_plurality), cycles=cycles)


def _parents(n: int, evidence: list[tuple[int, int, float]]) -> np.ndarray:
    """For each controlled company, the block member holding its largest stake."""
    parent = np.full(n, -1, dtype=np.int64)
    if not evidence:
        return parent
    holder = np.array([e[0] for e in evidence], dtype=np.int64)
    held = np.array([e[1] for e in evidence], dtype=np.int64)
    pct = np.array([e[2] for e in evidence])
    order = np.lexsort((holder, -pct, held))
    held, holder = held[order], holder[order]
    first = np.r_[True, held[1:] != held[:-1]]
    parent[held[first]] = holder[first]
    return parent


def _depths(parent: np.ndarray) -> np.ndarray:
    """Steps from the root of the ``parent`` forest, level by level."""
    depth = np.zeros(len(parent), dtype=np.int64)
    controlled = np.flatnonzero(parent >= 0)
    while True:
        new = depth.copy()
        new[controlled] = depth[parent[controlled]] + 1
        if np.array_equal(new, depth):
            return depth
        depth = new
