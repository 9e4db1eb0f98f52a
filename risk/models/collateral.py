"""Each loan's collateral as the graph records it: the kind, the value and, where the data
records one, the disposal (the day the collateral was sold and what it fetched).

A ``Collateral`` node hangs off its loan by a ``SECURED_BY`` edge with the properties the
importer writes: ``kind``, ``value_minor`` and ``value_currency`` (minor units of the
loan's currency). A disposal is read from the optional properties ``disposed_on``
(ISO date) and ``proceeds_minor``; the importer writes neither yet, so that no disposal is
ever seen on imported data (see the README's provisioning section for the import columns
they would need).

A loan with several collateral items adds their values (in the loan's currency) and their
proceeds, takes the kind of its most valuable item, and the last disposal day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np

from graph.model import RelType
from graph.store import GraphStore

__all__ = ["NO_DAY", "UNSECURED", "LoanCollateral", "loan_collateral"]

#: The kind of a loan without collateral.
UNSECURED: Final = "unsecured"
#: Where no disposal is recorded.
NO_DAY: Final = -1
#: Loans above which every ``SECURED_BY`` edge is streamed instead of asked per loan.
_STREAM_ABOVE: Final = 5_000
_EDGE_BATCH: Final = 10_000
_PROPS: Final = ("kind", "value_minor", "value_currency", "disposed_on", "proceeds_minor")
_EPOCH: Final = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class LoanCollateral:
    """Per loan (in the order asked): collateral kind (``"unsecured"`` without any), total
    value in minor units (``NaN`` where unknown, ``inf`` where only known to be secured),
    the currency of that value (``None`` if none), the last disposal day (days since
    1970-01-01, ``NO_DAY`` if none recorded) and the disposal proceeds (minor units)."""

    kind: np.ndarray
    value: np.ndarray
    currency: np.ndarray
    disposed: np.ndarray
    proceeds: np.ndarray

    @property
    def secured(self) -> np.ndarray:
        return self.kind != UNSECURED

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def from_flags(cls, secured: np.ndarray) -> LoanCollateral:
        """Loans known only to be secured or not: a secured one counts as fully covered by
        collateral of no known kind (``"collateral"``), as the fixed LGD tables assumed."""
        flags = np.asarray(secured, dtype=bool)
        n = len(flags)
        return cls(kind=np.where(flags, "collateral", UNSECURED).astype(object),
                   value=np.where(flags, np.inf, np.nan),
                   currency=np.full(n, None, dtype=object),
                   disposed=np.full(n, NO_DAY, dtype=np.int64),
                   proceeds=np.zeros(n, dtype=np.int64))

    def value_in(self, currency: np.ndarray) -> np.ndarray:
        """The value where its currency is the loan's (``currency`` per loan); ``NaN``
        where unknown or in another currency; ``inf`` stays (known only as secured)."""
        same = (self.currency == currency) | np.isinf(self.value)
        return np.where(same & self.secured, self.value, np.nan)


def _day(value: Any) -> int:
    if value is None:
        return NO_DAY
    if isinstance(value, date):
        return (value - _EPOCH).days
    try:
        return (date.fromisoformat(str(value)) - _EPOCH).days
    except ValueError:
        return NO_DAY  # an unreadable date records no disposal


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def loan_collateral(store: GraphStore, loan_ids: Sequence[str]) -> LoanCollateral:
    """The collateral of each of ``loan_ids``, as the graph stands.

    For many loans (a whole book) every ``SECURED_BY`` edge is streamed once with its
    collateral's properties; for a few, their edges and collateral nodes are asked.
    """
    items: dict[str, list[tuple[Any, ...]]] = {}
    if len(loan_ids) > _STREAM_ABOVE:
        wanted = set(loan_ids)
        for batch in store.iter_edges([RelType.SECURED_BY], target_props=_PROPS):
            for _, source, _, _, values in batch:
                if source in wanted:
                    items.setdefault(source, []).append(values)
    else:
        for start in range(0, len(loan_ids), _EDGE_BATCH):
            chunk = list(loan_ids[start:start + _EDGE_BATCH])
            edges = store.edges_of(chunk, [RelType.SECURED_BY], "out")
            targets = sorted({edge.target for loan_edges in edges for edge in loan_edges})
            nodes = dict(zip(targets, store.get_nodes(targets), strict=True))
            for loan, loan_edges in zip(chunk, edges, strict=True):
                for edge in loan_edges:
                    node = nodes.get(edge.target)
                    props = node.props if node is not None else {}
                    items.setdefault(loan, []).append(tuple(props.get(p) for p in _PROPS))
    n = len(loan_ids)
    result = LoanCollateral(
        kind=np.full(n, UNSECURED, dtype=object), value=np.full(n, np.nan),
        currency=np.full(n, None, dtype=object), disposed=np.full(n, NO_DAY, dtype=np.int64),
        proceeds=np.zeros(n, dtype=np.int64))
    for i, loan in enumerate(loan_ids):
        found = items.get(loan)
        if not found:
            continue
        values = [_number(item[1]) for item in found]
        best = max(range(len(found)), key=lambda j: (0.0 if np.isnan(values[j])
                                                      else values[j], str(found[j][0])))
        result.kind[i] = str(found[best][0] or "collateral")
        currencies = {item[2] for item in found if item[2] is not None}
        known = [v for v in values if not np.isnan(v)]
        if len(currencies) == 1 and len(known) == len(values):
            result.value[i] = sum(known)
            result.currency[i] = currencies.pop()
        result.disposed[i] = max(_day(item[3]) for item in found)
        proceeds = [_number(item[4]) for item in found]
        result.proceeds[i] = int(sum(p for p in proceeds if not np.isnan(p)))
    return result
