"""Neo4j answers a neighbourhood in one Cypher query, the embedded store walks it hop by hop
(:mod:`graph.traversal`): on the same imported portfolio both give the same subgraph, for
hops 0 to 6, with and without filters, cut at the limit or not."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.errors import NodeNotFound
from graph.model import PARTY_LABELS, Edge, Label, Node, RelType
from graph.store import MAX_HOPS, GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files

#: (relationship types, labels) of the walks compared: all; the guarantee network of the
#: API; ownership and control among parties; every type into parties and identifiers only;
#: no type at all.
FILTERS: list[tuple[frozenset[RelType] | None, frozenset[Label] | None]] = [
    (None, None),
    (frozenset({RelType.BORROWS, RelType.GUARANTEES}), PARTY_LABELS | {Label.LOAN}),
    (frozenset({RelType.OWNS, RelType.DIRECTS, RelType.CONTROLS}), None),
    (None, PARTY_LABELS | {Label.PHONE, Label.ADDRESS, Label.DEVICE}),
    (frozenset(), None),
]
LIMITS = (1, 7, 60, 500)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("neighbourhoods") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=150, seed=11), out)
    return out


@pytest.fixture(scope="module")
def embedded(portfolio: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[EmbeddedGraphStore]:
    engine = create_sql_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'lw.db'}")
    migrate(engine)
    store = EmbeddedGraphStore(engine)
    import_files([portfolio], store, engine)
    yield store
    store.close()


@pytest.fixture(scope="module")
def neo4j(portfolio: Path, tmp_path_factory: pytest.TempPathFactory,
          neo4j_store: Neo4jGraphStore) -> Iterator[Neo4jGraphStore]:
    engine = create_sql_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'records.db'}")
    migrate(engine)
    neo4j_store.delete_all()
    import_files([portfolio], neo4j_store, engine)
    yield neo4j_store
    neo4j_store.delete_all()
    engine.dispose()


def _centers(store: GraphStore) -> list[str]:
    """The three nodes of most edges, and every 60th node of an edge in id order."""
    degree: Counter[str] = Counter()
    for batch in store.iter_edges(list(RelType)):
        for _, source, target, _, _ in batch:
            degree[source] += 1
            degree[target] += 1
    spread = sorted(degree)[::60]
    return list(dict.fromkeys([node for node, _ in degree.most_common(3)] + spread))


@pytest.mark.neo4j
def test_both_stores_give_the_same_neighbourhoods(embedded: EmbeddedGraphStore,
                                                   neo4j: Neo4jGraphStore) -> None:
    assert embedded.count() == neo4j.count()
    centers = _centers(embedded)
    assert len(centers) >= 8
    cut = whole = deep = 0
    for center in centers:
        for types, labels in FILTERS:
            for limit in LIMITS:
                sizes = []
                for hops in range(MAX_HOPS + 1):
                    expected = embedded.neighbourhood(center, hops, types=types,
                                                      labels=labels, limit=limit)
                    found = neo4j.neighbourhood(center, hops, types=types, labels=labels,
                                                limit=limit)
                    assert found == expected, (center, hops, types, labels, limit)
                    sizes.append(len(found.nodes))
                    cut += found.truncated
                    whole += not found.truncated and len(found.nodes) > 1
                deep += sizes[MAX_HOPS] > sizes[2] > sizes[1]
    # The comparison covered walks cut at the limit, walks ending before it, and walks
    # still growing past two hops.
    assert cut > 100 and whole > 100 and deep > 10


@pytest.mark.neo4j
def test_a_missing_center_and_hop_zero_on_neo4j(neo4j: Neo4jGraphStore,
                                                embedded: EmbeddedGraphStore) -> None:
    with pytest.raises(NodeNotFound, match="ghost"):
        neo4j.neighbourhood("ghost", 2)
    center = _centers(embedded)[0]
    alone = neo4j.neighbourhood(center, 0)
    assert [node.id for node in alone.nodes] == [center] and not alone.truncated


# Ids whose order differs between code points (Python's, the embedded store's) and UTF-16
# units: U+FFFF sorts before U+1F600 by code point, after its surrogates by unit.
ODD_IDS = ["hub-a\U0001f600", "hub-a\uffff", "hub-a\u00e9", "hub-aZ", "hub-b", "hub-a"]


def test_a_hop_is_cut_in_code_point_order_on_every_store(store: GraphStore) -> None:
    store.upsert_nodes([Node("hub", Label.COMPANY, {"name": "Hub"}),
                        *(Node(i, Label.COMPANY, {"name": i}) for i in ODD_IDS)])
    store.upsert_edges([Edge(RelType.OWNS, "hub", i) for i in ODD_IDS])
    for limit in range(1, len(ODD_IDS) + 2):
        sub = store.neighbourhood("hub", 1, limit=limit)
        assert [node.id for node in sub.nodes] == ["hub", *sorted(ODD_IDS)][:limit]
        assert sub.truncated == (limit < len(ODD_IDS) + 1)
