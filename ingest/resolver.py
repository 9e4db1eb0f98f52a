"""Knowing which ids exist, so that references are checked before anything is written.

An id exists when a row earlier in this import created it, or when it is already stored:
graph nodes are looked up with :meth:`GraphStore.labels_of`, loan records in SQL. Lookups
are made once per batch for all the ids the batch names, and their answers are kept in a
bounded cache, so a borrower named by a thousand loans is looked up once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Final

from graph.model import Label
from graph.store import GraphStore
from ingest.errors import RowRejected
from ingest.specs import EntitySpec, RefTarget, Values

__all__ = ["DEFAULT_CACHE_IDS", "LOAN_TABLE", "ReferenceResolver"]

#: Ids whose label is remembered between batches (about 150 bytes each).
DEFAULT_CACHE_IDS: Final = 1_000_000
#: The table of loan records; a spec that writes it creates loan records.
LOAN_TABLE: Final = "loan"

FindLoans = Callable[[Sequence[str]], set[str]]


class ReferenceResolver:
    """Checks own ids and references of rows against this import and the stores.

    Args:
        graph: where graph nodes are looked up.
        find_loans: returns which of the given ids are stored loan records.
        cache_ids: how many ids to remember before the cache starts afresh.
    """

    def __init__(self, graph: GraphStore, find_loans: FindLoans,
                 cache_ids: int = DEFAULT_CACHE_IDS) -> None:
        self._graph = graph
        self._find_loans = find_loans
        self._cache_ids = cache_ids
        self._labels: dict[str, Label] = {}
        self._loans: set[str] = set()

    def prepare(self, spec: EntitySpec, batch: Iterable[Values]) -> None:
        """Look up, in one round trip per store, every id ``batch`` creates or names.

        Call it once every earlier batch has been written.
        """
        node_ids: set[str] = set()
        loan_ids: set[str] = set()
        own_id = spec.node_label is not None
        derived_node = spec.derived_node
        references = spec.references
        for values in batch:
            if own_id:
                node_ids.add(values["id"])
            elif derived_node is not None:
                node_ids.add(derived_node(values)[1])
            for ref in references:
                wanted = loan_ids if ref.target is RefTarget.LOAN_RECORD else node_ids
                if ref.many:
                    wanted.update(values[ref.field])
                else:
                    wanted.add(values[ref.field])
        self._lookup(node_ids, loan_ids)

    @property
    def full(self) -> bool:
        """The cache holds more ids than it may; call :meth:`forget` between batches."""
        return len(self._labels) + len(self._loans) > self._cache_ids

    def forget(self) -> None:
        """Empty the cache; later lookups ask the stores."""
        self._labels.clear()
        self._loans.clear()

    def _lookup(self, node_ids: Collection[str], loan_ids: Collection[str]) -> None:
        labels = self._labels
        unknown = [node_id for node_id in node_ids if node_id not in labels]
        if unknown:
            labels.update(self._graph.labels_of(unknown))
        unknown_loans = [loan_id for loan_id in loan_ids if loan_id not in self._loans]
        if unknown_loans:
            self._loans.update(self._find_loans(unknown_loans))

    def problem(self, spec: EntitySpec, values: Values) -> RowRejected | None:
        """Why ``values`` cannot be imported given what exists, or ``None``.

        Needs :meth:`prepare` to have seen the row's batch.
        """
        labels = self._labels
        if spec.node_label is not None:
            field, node_id, label = "id", values["id"], spec.node_label
        elif spec.derived_node is not None:
            field, node_id, label = spec.derived_node(values)
        else:
            node_id = None
        if node_id is not None:
            found = labels.get(node_id)
            if found is not None and found is not label:
                return RowRejected(field, (
                    f"id {node_id!r} is already {_a(found.value)}; ids are unique across "
                    "parties, loans, accounts, collateral and events"))
        for ref in spec.references:
            value = values[ref.field]
            for ref_id in value if ref.many else (value,):
                if ref.target is RefTarget.LOAN_RECORD:
                    if ref_id not in self._loans:
                        return RowRejected(ref.field, f"unknown {ref.noun} {ref_id!r}: not "
                                                      "in this import and not stored")
                    continue
                found = labels.get(ref_id)
                if found is None:
                    return RowRejected(ref.field, f"unknown {ref.noun} {ref_id!r}: not in "
                                                  "this import and not stored")
                if found not in ref.labels:
                    return RowRejected(ref.field, f"{ref_id!r} is {_a(found.value)}, "
                                                  f"not {_a(ref.noun)}")
        return None

    def register(self, spec: EntitySpec, values: Values) -> None:
        """Remember what an accepted row creates, for the rows and files after it."""
        if spec.node_label is not None:
            self._labels[values["id"]] = spec.node_label
        elif spec.derived_node is not None:
            _, node_id, label = spec.derived_node(values)
            self._labels[node_id] = label
        if LOAN_TABLE in spec.tables:
            self._loans.add(values["id"])


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"
