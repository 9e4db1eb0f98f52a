"""The part of the graph an event's re-scoring reads, copied into a store of its own.

The rules read the graph as arrays (:mod:`risk.rules.inputs`): the projection of every loan,
the guarantee and transfer edges of the whole book. For a scan that is the right way; for
one event it was most of the work (12 of 16 s an event on the 100,000-borrower book), since
the flow keeps only the alerts of its scope. The alerts of a scope depend on less:

* ``days_past_due``, ``missed_installments``: the scope's loans and their borrowers;
* ``guarantor_overextended``: the guarantor's guarantees, their loans (dates, currency) and
  those loans' borrowers (a loan enters the projection through its ``BORROWS`` edge);
* ``inflow_drop``: the party's accounts (``HOLDS``) and the transfers into them;
* ``external_event``: the events the party is ``MENTIONED_IN``;
* ``related_default``: every party within the rule's ``hops`` of the party over its
  ``via`` edges, and those parties' loans (whether one is in default): see
  :mod:`risk.flow.history`, which reads the repayment history of the same sub-book;
* ``bureau_score_drop``: the party itself (the snapshots are in SQL).

So the nodes within ``flow hops + max(rule hops + 1, 2)`` of the event's centres over the
network relationships, with the edges among them, plus the scope's parties' own accounts
(with their transfers) and events, hold everything those alerts read. :func:`local_graph`
copies them into an in-memory embedded store (personal values sealed with the graph's own
keys), and the rules run on it: the same code on a few hundred nodes instead of the book.
A test compares the scope's alerts, signals and evidence paths with the whole book's on a
generated portfolio. Where the part is too large for the copy to pay off, or deeper than
a neighbourhood read goes: ``None``, and the rules read the whole graph.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from graph.errors import NodeNotFound
from graph.model import Edge, Label, Node, RelType
from graph.store import MAX_HOPS, GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.embedded_schema import metadata
from graph.vault import PersonalDataVault
from risk.flow.scope import NETWORK_TYPES, Scope
from risk.rules.schema import RelatedDefault, Rule

__all__ = ["COPY_COST_RATIO", "MAX_LOCAL_NODES", "MIN_LOCAL_NODES", "local_graph", "local_hops",
           "node_count"]

#: The most nodes the copy may hold, whatever the size of the graph.
MAX_LOCAL_NODES: Final = 20_000
#: Reading and copying costs about 0.15 ms a node (each node read, sealed, indexed and
#: written: 2,446 nodes in 0.4 s with the rules run on them), the whole graph's arrays about
#: 9 µs a node (3.6 s for the 400,000 nodes of the 100,000-borrower book,
#: ``benchmarks/event_flow.py``): the copy pays off below about a seventeenth of the graph,
#: a twentieth to be safe. Never refused below this many nodes (a small book reads fast
#: either way).
COPY_COST_RATIO: Final = 20
MIN_LOCAL_NODES: Final = 500
#: Beyond the scope: a guarantee's loan and that loan's borrower.
_GUARANTEE_REACH: Final = 2
_IDS_PER_READ: Final = 2_000
#: A party's own edges the rules read: its accounts, the external events naming it.
_OWN_TYPES: Final = (RelType.HOLDS, RelType.MENTIONED_IN)


def local_hops(rules: Sequence[Rule], flow_hops: int) -> int:
    """How far from the event's centres the rules' reads reach (see the module)."""
    related = [rule.hops + 1 for rule in rules if isinstance(rule, RelatedDefault)
               and rule.enabled]
    return flow_hops + max([_GUARANTEE_REACH, *related])


@contextmanager
def local_graph(graph: GraphStore, scope: Scope, *, rules: Sequence[Rule], flow_hops: int,
                max_nodes: int = MAX_LOCAL_NODES) -> Iterator[GraphStore | None]:
    """The sub-graph the ``rules`` read for ``scope`` (see the module), in an in-memory
    store for the block; ``None`` where the whole graph is read instead: deeper than a
    neighbourhood read goes, or more nodes than ``max_nodes`` or than a twentieth of the
    graph (:data:`COPY_COST_RATIO`), where copying would cost more than it saves."""
    hops = local_hops(rules, flow_hops)
    if hops > MAX_HOPS or not scope.centres:
        yield None
        return
    max_nodes = min(max_nodes, max(MIN_LOCAL_NODES, node_count(graph) // COPY_COST_RATIO))
    types = NETWORK_TYPES | {RelType(name) for rule in rules
                             if isinstance(rule, RelatedDefault) for name in rule.via}
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, str, str], Edge] = {}
    for centre in scope.centres:
        try:
            around = graph.neighbourhood(centre, hops, types=types, limit=max_nodes)
        except NodeNotFound:
            continue  # deleted since the scope was read: nothing of it to alert on
        if around.truncated:
            yield None
            return
        nodes.update((node.id, node) for node in around.nodes)
        edges.update((edge.identity, edge) for edge in around.edges)
    _add_own_records(graph, sorted(scope.parties), nodes, edges)
    if len(nodes) > max_nodes:  # several centres, or their accounts, add up
        yield None
        return
    engine = create_engine("sqlite://", poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    try:
        metadata.create_all(engine)
        store = EmbeddedGraphStore(engine, vault=_vault_of(graph))
        # An edge to a node deleted meanwhile (no longer read) is left out with the node.
        store.upsert_batch(list(nodes.values()), [
            edge for edge in edges.values() if edge.source in nodes and edge.target in nodes])
        yield store
    finally:
        engine.dispose()


def node_count(graph: GraphStore) -> int:
    """How many nodes ``graph`` holds (its counts per label, added up)."""
    labels = {label.value for label in Label}
    return sum(n for name, n in graph.count().items() if name in labels)


def _add_own_records(graph: GraphStore, parties: list[str], nodes: dict[str, Node],
                     edges: dict[tuple[str, str, str, str], Edge]) -> None:
    """What the rules read about ``parties`` themselves: the accounts they hold with the
    transfers of those accounts (and the accounts at the other end), and the external
    events they are mentioned in."""
    accounts: list[str] = []
    ends: set[str] = set()
    for start in range(0, len(parties), _IDS_PER_READ):
        for found in graph.edges_of(parties[start:start + _IDS_PER_READ], _OWN_TYPES, "out"):
            for edge in found:
                edges[edge.identity] = edge
                ends.add(edge.target)
                if edge.type is RelType.HOLDS:
                    accounts.append(edge.target)
    for start in range(0, len(accounts), _IDS_PER_READ):
        for found in graph.edges_of(accounts[start:start + _IDS_PER_READ],
                                    [RelType.TRANSFERS], "both"):
            for edge in found:
                edges[edge.identity] = edge
                ends.update((edge.source, edge.target))
    missing = sorted(ends.difference(nodes))
    for start in range(0, len(missing), _IDS_PER_READ):
        chunk = missing[start:start + _IDS_PER_READ]
        nodes.update((node.id, node) for node in graph.get_nodes(chunk) if node is not None)


def _vault_of(graph: GraphStore) -> PersonalDataVault | None:
    """The keys ``graph`` seals personal values with (the copy seals with the same)."""
    return getattr(graph, "vault", None) if hasattr(type(graph), "vault") else None
