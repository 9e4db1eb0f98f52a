"""What the rules read from the graph, as arrays, each read once per evaluation.

Rule evaluation used to build a networkx multigraph per set of relationship types (about a
kilobyte per edge, most of a second per 100,000 edges) and loop over it in Python. The
rules now read what they need as arrays, through :class:`RuleInputs`:

* the :class:`risk.projection.PortfolioProjection` (who borrows and guarantees which loan,
  principal, currency and dates of each loan),
* the ownership edges (:func:`risk.network.groups.read_ownership`),
* the guarantee circles and corporate groups (:mod:`risk.network`), for concentration,
* the companies (their sector and registered capital), and
* streamed plain edges of any other type (:meth:`graph.store.GraphStore.iter_edges`).

A scan hands in what its earlier phases already read (``projection``, ``ownership``,
``circles``, ``groups``); the standalone paths (``loanwatch rules check``,
``loanwatch alerts run``) leave them out and each is read on first use. Either way the
rules run the same code on the same arrays, so a scan and a standalone run give the same
alerts for the same data and date (with the scan's default network settings).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import numpy as np
import scipy.sparse as sp

from graph.model import Label, RelType
from graph.store import GraphStore
from risk.network.circles import CircleReport, find_circles
from risk.network.groups import CorporateGroup, OwnershipArrays, find_groups, read_ownership
from risk.projection import PortfolioProjection, project_portfolio

__all__ = ["Companies", "EdgeColumns", "RuleInputs", "integers", "text_array", "texts"]

_T = TypeVar("_T")


def text_array(values: Sequence[str] | np.ndarray) -> np.ndarray:
    """Ids as a fixed-width unicode array: sorting, ``np.unique`` and ``searchsorted`` on
    it run in C, several times faster than on an object array of the same strings (whose
    every comparison is a Python call). The order is the same as Python's."""
    if len(values) == 0:
        return np.empty(0, dtype="<U1")
    return np.asarray(values).astype(str)


def integers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of an object column as (int64 values, known mask): ints and floats (floats
    truncated), ``None``, booleans and anything else unknown (0)."""
    known = np.array([isinstance(v, int | float) and not isinstance(v, bool) for v in values],
                     dtype=bool)
    found = np.zeros(len(values), dtype=np.int64)
    if known.any():
        found[known] = [int(v) for v in values[known]]
    return found, known


def texts(values: np.ndarray) -> np.ndarray:
    """An object column as strings: ``""`` where a value is missing or not text."""
    found = np.empty(len(values), dtype=object)
    found[:] = [v if isinstance(v, str) else "" for v in values]
    return found


@dataclass(frozen=True, slots=True)
class Companies:
    """Every ``Company`` node: ``ids`` (sorted, :func:`text_array`) with their ``props``
    (the properties the rules read, by name, as object arrays aligned with ``ids``)."""

    ids: np.ndarray
    props: dict[str, np.ndarray]

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` are companies (a bool per id)."""
        if len(self.ids) == 0 or len(ids) == 0:
            return np.zeros(len(ids), dtype=bool)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return self.ids[at] == ids


@dataclass(frozen=True, slots=True)
class EdgeColumns:
    """Edges of one read as columns: ``source``, ``target``, ``key`` (:func:`text_array`)
    and the properties asked for, by name (object arrays; ``None`` where absent)."""

    source: np.ndarray
    target: np.ndarray
    key: np.ndarray
    props: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.source)


#: Node properties the rules read from companies.
_COMPANY_PROPS: Final = ("sector", "registered_capital_minor", "registered_capital_currency")


@dataclass
class RuleInputs:
    """The graph as the rules read it, each part read at most once (see the module).

    ``projection``, ``ownership``, ``circles`` and ``groups`` may be given by a caller that
    holds them already; what is not given is read from ``graph`` on first use (circles and
    groups with :mod:`risk.network`'s default settings).
    """

    graph: GraphStore
    projection_given: PortfolioProjection | None = None
    ownership_given: OwnershipArrays | None = None
    circles_given: CircleReport | None = None
    groups_given: Sequence[CorporateGroup] | None = None
    _cache: dict[Any, Any] = field(default_factory=dict)

    def _once(self, key: Any, read: Callable[[], _T]) -> _T:
        if key not in self._cache:
            self._cache[key] = read()
        found: _T = self._cache[key]
        return found

    @property
    def projection(self) -> PortfolioProjection:
        if self.projection_given is not None:
            return self.projection_given
        return self._once("projection", lambda: project_portfolio(self.graph))

    @property
    def ownership(self) -> OwnershipArrays:
        if self.ownership_given is not None:
            return self.ownership_given
        return self._once("ownership", lambda: read_ownership(self.graph))

    @property
    def circles(self) -> CircleReport:
        if self.circles_given is not None:
            return self.circles_given
        return self._once("circles", lambda: find_circles(self.projection))

    @property
    def groups(self) -> Sequence[CorporateGroup]:
        if self.groups_given is not None:
            return self.groups_given
        return self._once("groups", lambda: find_groups(self.graph).groups)

    def loan_borrowers(self) -> sp.csc_matrix:
        """The projection's ``borrows`` by column: column ``j`` lists the borrowers of loan
        ``j`` (party indices, sorted)."""
        return self._once("loan_borrowers", lambda: self.projection.borrows.tocsc())

    def loan_position(self) -> dict[str, int]:
        """The projection's index of each loan id (for the loans of many small findings)."""
        return self._once("loan_position", lambda: {
            loan: j for j, loan in enumerate(self.projection.loan_ids.tolist())})

    def party_is_company(self) -> np.ndarray:
        """Which parties of the projection are companies (a bool per party index)."""
        return self._once("party_is_company", lambda: self.companies().contains(
            text_array(self.projection.party_ids)))

    def companies(self) -> Companies:
        """Every company, with its sector and registered capital."""

        def read() -> Companies:
            nodes = self.graph.nodes_with_label(Label.COMPANY)  # sorted by id
            ids = text_array([node.id for node in nodes])
            props = {name: np.array([node.props.get(name) for node in nodes], dtype=object)
                     for name in _COMPANY_PROPS}
            return Companies(ids=ids, props=props)

        return self._once("companies", read)

    def edges(self, rel_type: RelType, *, props: Sequence[str] = (),
              source_props: Sequence[str] = (),
              target_props: Sequence[str] = ()) -> EdgeColumns:
        """Every edge of ``rel_type`` with the named properties (of the edge, its source and
        its target; all three in one ``props`` mapping, names must not clash), streamed."""
        wanted = (rel_type, tuple(props), tuple(source_props), tuple(target_props))

        def read() -> EdgeColumns:
            sources: list[str] = []
            targets: list[str] = []
            keys: list[str] = []
            values: list[tuple[Any, ...]] = []
            for batch in self.graph.iter_edges([rel_type], props=props,
                                               source_props=source_props,
                                               target_props=target_props):
                for _, source, target, key, found in batch:
                    sources.append(source)
                    targets.append(target)
                    keys.append(key)
                    values.append(found)
            names = (*props, *source_props, *target_props)
            columns: dict[str, np.ndarray] = {}
            for i, name in enumerate(names):
                column = np.empty(len(values), dtype=object)
                column[:] = [row[i] for row in values]
                columns[name] = column
            return EdgeColumns(source=text_array(sources), target=text_array(targets),
                               key=text_array(keys), props=columns)

        return self._once(wanted, read)
