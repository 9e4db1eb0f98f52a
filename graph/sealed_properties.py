"""The store side of personal data at rest: what a graph store does around its own queries
so that it holds ciphertext while its callers see plaintext.

:class:`graph.vault.PersonalDataVault` knows how to seal and open one node's properties;
both graph stores (:mod:`graph.stores.embedded`, :mod:`graph.stores.neo4j`) take the same
steps around it, written once here:

* before its first write, a store refuses to mix new sealed values with personal data an
  older release wrote in clear (:meth:`SealedProperties.refuse_plaintext`);
* every node written is sealed, every node read opened, from the store's own form of the
  properties (a JSON text, a Neo4j property map with the store's internals) through the
  ``decode`` function the store gives;
* a node moved to a new id keeps its sealed values; a page of stored nodes is re-sealed
  under the current keys (:mod:`graph.resealing`);
* a party search finds person names through their blind-index tokens, then checks each
  candidate against its opened name, ranks the hits and opens only those returned.

The stores keep what differs between them: the queries, and how a state is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graph.errors import PlaintextPersonalData
from graph.model import Label, Node, PropertyValue
from graph.vault import PersonalDataVault, SealedNode, SearchPlan

__all__ = ["Decode", "SealedProperties", "SearchCandidate", "StoredNode"]

#: Turns a store's form of a node's properties into the properties as stored (sealed).
Decode = Callable[[Any], dict[str, PropertyValue]]
#: A node as a store read it for a re-seal: ``(id, properties in the store's form,
#: name_tokens, exact_tokens)``.
StoredNode = tuple[str, Any, str | None, str | None]
#: A party search's candidate as a store read it: ``(id, label, stored name, stored
#: exact_tokens, properties in the store's form)``.
SearchCandidate = tuple[str, Label, object, object, Any]


class SealedProperties:
    """Seals, opens, re-seals and searches the personal properties of one graph store.

    Args:
        vault: the keys of personal data; the public development keys when ``None``.
        where: how to name the store in errors ("the graph at sqlite:///...").
        decode: turns the store's form of a node's properties into a dict.
    """

    def __init__(self, vault: PersonalDataVault | None, *, where: str,
                 decode: Decode) -> None:
        self.vault = vault or PersonalDataVault.development()
        self._where = where
        self._decode = decode
        self._checked = False

    def __repr__(self) -> str:
        return f"SealedProperties({self._where!r})"

    # -- writing ---------------------------------------------------------------------------

    def refuse_plaintext(self, sealed: Callable[[], bool]) -> None:
        """Raise unless the store holds no personal data in clear; ``sealed`` reads that
        state from the store, on the first call only (it holds for the store's life).

        Raises:
            PlaintextPersonalData: an older release wrote personal data in clear.
        """
        if self._checked:
            return
        if not sealed():
            raise PlaintextPersonalData(
                f"{self._where} holds personal data written before encryption at rest; "
                "nothing was written",
                suggestion="run `loanwatch migrate`, which encrypts it")
        self._checked = True

    def mark_sealed(self) -> None:
        """Record that the store is known to hold personal data only sealed."""
        self._checked = True

    def seal(self, node: Node) -> SealedNode:
        """What the store writes for ``node`` (see :meth:`PersonalDataVault.seal_node`)."""
        return self.vault.seal_node(node)

    def moved(self, new_id: str, label: Label, stored: Any) -> SealedNode:
        """A stored node under ``new_id``: its sealed values as they are, its search text
        (which holds the id) anew. Its index tokens do not depend on the id: the store
        keeps the ones it holds."""
        return self.vault.seal_node(Node(new_id, label, self._decode(stored)))

    def resealed(self, label: Label, page: Iterable[StoredNode]) -> list[SealedNode]:
        """The nodes of ``page`` (all of ``label``) that are not sealed under the current
        keys, sealed under them with their tokens (see :meth:`PersonalDataVault.reseal`)."""
        fresh = []
        for node_id, props, name_tokens, exact_tokens in page:
            stored = {**self._decode(props), "name_tokens": name_tokens,
                      "exact_tokens": exact_tokens}
            node = self.vault.reseal(node_id, label, stored)
            if node is not None:
                fresh.append(node)
        return fresh

    # -- reading ---------------------------------------------------------------------------

    def open(self, node_id: str, label: Label, stored: Any) -> Node:
        """The node whose properties the store holds as ``stored``, opened.

        Raises:
            PlaintextPersonalData: a personal value is stored in clear.
            UnknownDataKey, UndecryptableValue: a key is missing or wrong.
        """
        return self.vault.open_node(node_id, label, self._decode(stored))

    def open_props(self, node_id: str, label: Label, stored: Any) -> dict[str, PropertyValue]:
        """The properties of :meth:`open`, without the node."""
        return self.vault.open_props(node_id, label, self._decode(stored))

    def open_loose(self, name: str, value: object) -> object:
        """``value`` of property ``name`` opened if it is sealed (whole-graph reads that do
        not know each node's label)."""
        return self.vault.open_loose(name, value)

    # -- searching -------------------------------------------------------------------------

    def search_plan(self, text: str, limit: int) -> SearchPlan | None:
        """The tokens a party search for ``text`` looks for; ``None`` when it finds nothing
        whatever the store holds (blank text, ``limit`` < 1)."""
        needle = text.strip().lower()
        if not needle or limit < 1:
            return None
        return self.vault.search_plan(needle)

    def search_hits(self, plan: SearchPlan, candidates: Iterable[SearchCandidate],
                    limit: int) -> list[Node]:
        """The candidates that really match ``plan`` (their names opened to remove token
        coincidences), ordered as :meth:`graph.store.GraphStore.search_parties` says (exact
        id first, then by name, then by id), the first ``limit`` opened whole."""
        hits: list[tuple[bool, bool, bytes, bytes, str, Label, Any]] = []
        for node_id, label, stored_name, exact_tokens, props in candidates:
            matched, name = self.vault.search_hit(plan, node_id, label, stored_name,
                                                  exact_tokens)
            if matched:
                hits.append((node_id.lower() != plan.needle, name is None,
                             (name or "").encode(), node_id.encode(), node_id, label, props))
        hits.sort(key=lambda hit: hit[:4])
        return [self.open(node_id, label, props)
                for *_, node_id, label, props in hits[:limit]]
