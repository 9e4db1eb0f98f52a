"""The graph as it stood on a date: a read-only :class:`~graph.store.GraphStore` view whose
edge stream leaves out every edge dated after the as-of date.

Every whole-portfolio pass of the features (part 1's graph features, the projection, the
relational default facts, inflows, events, collateral) streams edges through
:meth:`GraphStore.iter_edges`; reading them through this view is what keeps data dated
after D out of all of them at once. An edge is left out when

* ``BORROWS``/``GUARANTEES``: its loan was disbursed after D (``disbursed_on`` of the loan
  node), or the guarantee was signed after D (``signed_on``);
* ``OWNS``/``DIRECTS``/``RELATED``/``USES``: it held only from after D (``valid_from``);
* ``HOLDS``: the account was opened after D (``opened_on``);
* ``TRANSFERS``: its month (the key, ``YYYY-MM``) had not ended on D (a monthly
  aggregate holds days after D until its month is over);
* ``SECURED_BY``: the collateral was valued after D (``valued_on``);
* ``MENTIONED_IN``: the event occurred after D (``occurred_on``).

An edge without the date is taken as it stands. ``valid_to`` is left to the readers (an
edge that ended before D is the readers' business: part 1 applies it, see
:mod:`risk.network.features.links`). Everything else (nodes, neighbourhoods) is the
wrapped store's. Writes are refused: this is a view.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Final

import networkx as nx

from graph.model import Edge, Label, Node, RelType
from graph.store import DEFAULT_EDGE_BATCH, DEFAULT_SEARCH_LIMIT, BatchWrite, EdgeRow, GraphStore
from risk.errors import RiskError

__all__ = ["AsOfGraph"]

#: Per type: (edge properties, target properties) that date an edge; an edge dated after the
#: as-of date is left out.
_DATES: Final[dict[RelType, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    RelType.BORROWS: ((), ("disbursed_on",)),
    RelType.GUARANTEES: (("signed_on",), ("disbursed_on",)),
    RelType.OWNS: (("valid_from",), ()),
    RelType.DIRECTS: (("valid_from",), ()),
    RelType.RELATED: (("valid_from",), ()),
    RelType.USES: (("valid_from",), ()),
    RelType.HOLDS: ((), ("opened_on",)),
    RelType.SECURED_BY: ((), ("valued_on",)),
    RelType.MENTIONED_IN: ((), ("occurred_on",)),
}


class AsOfGraph(GraphStore):
    """``store`` as of ``as_of`` for edge streams (see the module)."""

    def __init__(self, store: GraphStore, as_of: date) -> None:
        self._store = store
        self.as_of = as_of
        self._day = as_of.isoformat()
        # A month's aggregate is known once the month has ended.
        ended = (as_of + timedelta(days=1)).day == 1
        last_month = as_of if ended else as_of.replace(day=1) - timedelta(days=1)
        self._month = last_month.isoformat()[:7]

    def __repr__(self) -> str:
        return f"AsOfGraph({self._store!r}, {self._day})"

    def iter_edges(self, types: Collection[RelType], *, props: Sequence[str] = (),
                   source_props: Sequence[str] = (), target_props: Sequence[str] = (),
                   batch_size: int = DEFAULT_EDGE_BATCH) -> Iterator[list[EdgeRow]]:
        """The wrapped store's edges of ``types`` dated on or before the as-of date."""
        for rel_type in types:
            yield from self._one_type(RelType(rel_type), tuple(props), tuple(source_props),
                                      tuple(target_props), batch_size)

    def _one_type(self, rel_type: RelType, props: tuple[str, ...],
                  source_props: tuple[str, ...], target_props: tuple[str, ...],
                  batch_size: int) -> Iterator[list[EdgeRow]]:
        edge_dates, target_dates = _DATES.get(rel_type, ((), ()))
        # A date the caller asks for anyway is read once; the others are added and then
        # stripped from the rows handed on.
        extra_edge = tuple(p for p in edge_dates if p not in props)
        extra_target = tuple(p for p in target_dates if p not in target_props)
        all_props, all_target = props + extra_edge, target_props + extra_target
        n_p, n_all, n_s, n_t = len(props), len(all_props), len(source_props), len(target_props)
        dated = [all_props.index(p) for p in edge_dates] + [
            n_all + n_s + all_target.index(p) for p in target_dates]
        strip = bool(extra_edge or extra_target)
        day, month = self._day, self._month
        for batch in self._store.iter_edges(
                [rel_type], props=all_props, source_props=source_props,
                target_props=all_target, batch_size=batch_size):
            if rel_type == RelType.TRANSFERS:
                kept = [row for row in batch if row[3][:7] <= month]
            elif len(dated) == 1:
                at = dated[0]
                kept = [row for row in batch if not (
                    (value := row[4][at]).__class__ is str and value[:10] > day)]
            elif dated:
                kept = [row for row in batch if not any(
                    row[4][at].__class__ is str and row[4][at][:10] > day for at in dated)]
            else:
                kept = batch
            if strip:
                kept = [(kind, source, target, key, values[:n_p] + values[n_all:n_all + n_s + n_t])
                        for kind, source, target, key, values in kept]
            if kept:
                yield kept

    # -- the rest is the wrapped store's ------------------------------------------------

    def ensure_schema(self) -> None:
        self._store.ensure_schema()

    def ping(self) -> None:
        self._store.ping()

    def close(self) -> None:
        """Nothing to release: the wrapped store belongs to the caller."""

    def upsert_batch(self, nodes: Sequence[Node], edges: Sequence[Edge]) -> BatchWrite:
        raise RiskError("an as-of view of the graph is read-only")

    def rename_nodes(self, renames: Mapping[str, str]) -> int:
        raise RiskError("an as-of view of the graph is read-only")

    def delete_all(self) -> None:
        raise RiskError("an as-of view of the graph is read-only")

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        return self._store.get_nodes(ids)

    def nodes_with_label(self, label: Label) -> list[Node]:
        return self._store.nodes_with_label(label)

    def labels_of(self, ids: Collection[str]) -> dict[str, Label]:
        return self._store.labels_of(ids)

    def _incident_edges(self, ids: Sequence[str],
                        types: Collection[RelType] | None) -> list[Edge]:
        return self._store._incident_edges(ids, types)

    def party_ids_where(self, keys: Sequence[str], value: str) -> list[str]:
        return self._store.party_ids_where(keys, value)

    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        return self._store.search_parties(text, limit)

    def project(self, types: Collection[RelType],
                labels: Collection[Label] | None = None) -> nx.MultiDiGraph:
        return self._store.project(types, labels)

    def count(self) -> dict[str, int]:
        return self._store.count()
