"""Reading what the graph features need besides the projection: the party–party and
party–identifier edges in force on the as-of date, and which loans were disbursed by then.

Both stream :meth:`graph.store.GraphStore.iter_edges` as plain tuples (only the date
properties named). An edge with ``valid_from`` after the as-of date or ``valid_to`` before
it is left out; an edge without those dates is taken as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np

from graph.model import RelType
from graph.store import GraphStore
from risk.projection import PortfolioProjection

__all__ = ["LINK_TYPES", "Links", "live_loans", "read_links"]

#: The relationship types read besides the projection's BORROWS and GUARANTEES.
LINK_TYPES: Final = (RelType.OWNS, RelType.DIRECTS, RelType.RELATED, RelType.USES,
                     RelType.HOLDS)
_DATED: Final = ("valid_from", "valid_to")


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
class Links:
    """Party–party and party–identifier edges by type, as id lists (sources, targets)."""

    by_type: dict[RelType, tuple[list[str], list[str]]]


def read_links(store: GraphStore, as_of: date | None) -> Links:
    """The edges of :data:`LINK_TYPES` in force on ``as_of`` (all of them when None)."""
    by_type: dict[RelType, tuple[list[str], list[str]]] = {t: ([], []) for t in LINK_TYPES}
    for batch in store.iter_edges(list(LINK_TYPES), props=_DATED):
        for edge_type, source, target, _key, props in batch:
            if not _in_force(props, as_of):
                continue
            sources, targets = by_type[RelType(edge_type)]
            sources.append(source)
            targets.append(target)
    return Links(by_type)


def live_loans(projection: PortfolioProjection, as_of: date | None) -> np.ndarray:
    """A mask over the projection's loans: disbursed on or before ``as_of`` (or undated),
    from the disbursement dates the projection already holds."""
    if as_of is None:
        return np.ones(projection.n_loans, dtype=bool)
    return projection.disbursed_by(as_of)
