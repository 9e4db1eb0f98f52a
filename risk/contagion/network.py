"""An exposure network as compact arrays: node ids, capital, value and a sparse matrix.

``exposures[i, j]`` is what creditor ``i`` loses, at most, when debtor ``j`` defaults.
Rows of one creditor-debtor pair are summed when the matrix is built. It is stored once,
as CSR debtor × creditor (``by_debtor``), whose row ``j`` lists the creditors a distressed
debtor ``j`` hits — what both DebtRank and the cascade read, one debtor at a time, each
debtor once; ``exposures`` is its transpose, creditor × debtor (CSC, no copy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

from risk.errors import ContagionInputError

__all__ = ["ExposureNetwork", "build_network", "gather_rows"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class ExposureNetwork:
    """Nodes ``0..n-1`` with their ids, capital (> 0), value (>= 0) and exposures.

    Build it with :func:`build_network`, which checks the arrays; the fields are read-only
    by convention (numpy arrays are not frozen).
    """

    ids: tuple[str, ...]
    capital: FloatArray
    value: FloatArray
    #: CSR, debtor × creditor: entry (j, i) is what i loses, at most, when j defaults;
    #: duplicates summed, no stored zeros.
    by_debtor: sparse.csr_array
    _index: dict[str, int] = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def exposures(self) -> sparse.csc_array:
        """Creditor × debtor (the transpose of ``by_debtor``, sharing its arrays)."""
        return self.by_debtor.T

    def index_of(self, node_id: str) -> int | None:
        """The position of ``node_id``, or None when the network has no such node."""
        return self._index.get(node_id)


def build_network(
    ids: Sequence[str],
    capital: npt.ArrayLike,
    value: npt.ArrayLike,
    creditor: npt.ArrayLike,
    debtor: npt.ArrayLike,
    amount: npt.ArrayLike,
) -> ExposureNetwork:
    """Check the arrays and build the network; duplicate creditor-debtor pairs are summed.

    ``creditor`` and ``debtor`` are positions in ``ids``. Raises
    :class:`~risk.errors.ContagionInputError` for duplicate ids, capital <= 0, a negative or
    non-finite value or amount, all values zero (stress is weighed by value), a position
    out of range or an exposure of a node to itself. O(n + m log m) for m exposures.
    """
    ids = tuple(ids)
    n = len(ids)
    index = {node_id: i for i, node_id in enumerate(ids)}
    if len(index) != n:
        twice = next(node_id for node_id, count in Counter(ids).items() if count > 1)
        raise ContagionInputError(f"node id {twice!r} is given twice")
    cap = np.asarray(capital, dtype=np.float64).reshape(-1)
    val = np.asarray(value, dtype=np.float64).reshape(-1)
    rows = np.asarray(creditor, dtype=np.int64).reshape(-1)
    cols = np.asarray(debtor, dtype=np.int64).reshape(-1)
    amt = np.asarray(amount, dtype=np.float64).reshape(-1)
    if cap.size != n or val.size != n:
        raise ContagionInputError(f"{n} ids but {cap.size} capitals and {val.size} values")
    if not rows.size == cols.size == amt.size:
        raise ContagionInputError("creditor, debtor and amount differ in length")
    _require(cap, lambda a: np.isfinite(a) & (a > 0), "capital must be a number above 0", ids)
    _require(val, lambda a: np.isfinite(a) & (a >= 0), "value must be a number >= 0", ids)
    if n and not val.sum() > 0:
        raise ContagionInputError("every value is 0; stress is weighed by value, so one must "
                                  "be above 0")
    bad = np.flatnonzero((rows < 0) | (rows >= n) | (cols < 0) | (cols >= n))
    if bad.size:
        raise ContagionInputError(f"exposure {bad[0]} names a node position out of range")
    _require(amt, lambda a: np.isfinite(a) & (a >= 0), "amount must be a number >= 0", None)
    self_loop = np.flatnonzero(rows == cols)
    if self_loop.size:
        raise ContagionInputError(
            f"exposure {self_loop[0]}: node {ids[rows[self_loop[0]]]!r} is exposed to itself")
    # COO -> CSR sums the duplicates of one (debtor, creditor) pair.
    matrix = sparse.coo_array((amt, (cols, rows)), shape=(n, n)).tocsr()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return ExposureNetwork(ids=ids, capital=cap, value=val, by_debtor=matrix, _index=index)


def gather_rows(
    matrix: sparse.csr_array, rows: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """The stored entries of ``rows`` of a CSR matrix: (row, column, value), vectorised.

    O(entries gathered): no Python loop over rows or entries.
    """
    starts = matrix.indptr[rows].astype(np.int64)
    counts = matrix.indptr[rows + 1].astype(np.int64) - starts
    total = int(counts.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    # Position k of the gathered run of row r is starts[r] + (k - first k of r).
    first = np.cumsum(counts) - counts
    positions = np.arange(total, dtype=np.int64) + np.repeat(starts - first, counts)
    return (np.repeat(rows, counts), matrix.indices[positions].astype(np.int64),
            matrix.data[positions])


def _require(
    values: FloatArray,
    ok: Callable[[FloatArray], npt.NDArray[np.bool_]],
    message: str,
    ids: tuple[str, ...] | None,
) -> None:
    bad = np.flatnonzero(~ok(values))
    if bad.size:
        where = f"node {ids[bad[0]]!r}" if ids is not None else f"exposure {bad[0]}"
        raise ContagionInputError(f"{where}: {message}, got {values[bad[0]]!r}")
