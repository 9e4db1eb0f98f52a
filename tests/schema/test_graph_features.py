"""``Party.graphFeatures`` on a scanned generated portfolio, on every backend: null before any
scan, then exactly what the scan stored (money exact, per currency), batched per request (a
page of parties costs one query per feature table)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event

from auth.principal import Role
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_results import StoredFeatures, party_features, top_features_by_pagerank
from schema import build_context, build_schema
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.principals import principal_of
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

AS_OF = date(2025, 6, 30)
FIELDS = """graphFeatures { scanRun asOf hops
  degrees { borrows guaranteesGiven guaranteedBy ownsOut ownsIn directsOut directsIn uses
            holds related riskDegree }
  exposure { amount currency } exposureWithinHops { amount currency }
  delinquent defaulted delinquentNeighbourShare defaultedNeighbourShare distanceToDefault
  community pagerank betweenness }"""
PARTY = "query($id: ID!) { party(id: $id) { id " + FIELDS + " } }"
PAGE = """query($text: String!, $first: Int!) {
  searchParties(text: $text, first: $first) { edges { node { id """ + FIELDS + """ } } } }"""


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graph-features") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=300, seed=3), out)
    return out


def _query(stores: Stores, document: str, variables: dict[str, object]) -> dict:
    result = asyncio.run(build_schema(mask_errors=False).execute(
        document, variable_values=variables,
        context_value=build_context(stores.graph, records=stores.engine,
                                    principal=principal_of(Role.ANALYST))))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _expected(stored: StoredFeatures) -> dict[str, object]:
    """The GraphQL shape of one party's stored features."""
    return {
        "scanRun": stored.run_id, "asOf": stored.as_of.isoformat(), "hops": stored.hops,
        "degrees": {_camel(name): count for name, count in stored.degrees.items()},
        "exposure": [{"amount": str(v), "currency": c} for c, v in
                     sorted(stored.exposure.items())],
        "exposureWithinHops": [{"amount": str(v), "currency": c} for c, v in
                               sorted(stored.exposure_within.items())],
        "delinquent": stored.delinquent, "defaulted": stored.defaulted,
        "delinquentNeighbourShare": stored.delinquent_share,
        "defaultedNeighbourShare": stored.defaulted_share,
        "distanceToDefault": stored.distance_to_default, "community": stored.community,
        "pagerank": stored.pagerank, "betweenness": stored.betweenness}


def test_graph_features_are_null_before_a_scan_then_the_stored_ones(
        stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    party = stores.graph.search_parties("C", limit=1)[0].id
    assert _query(stores, PARTY, {"id": party})["party"]["graphFeatures"] is None

    run = run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
                   version="test")

    # The most central party: neighbours, exposure within k hops, a non-zero betweenness.
    [central] = top_features_by_pagerank(stores.engine, 1)
    got = _query(stores, PARTY, {"id": central.party_id})["party"]["graphFeatures"]
    assert got == _expected(central)
    assert got["scanRun"] == run.run_id and got["asOf"] == "2025-06-30"
    assert got["degrees"]["riskDegree"] > 0 and got["exposureWithinHops"]


def test_a_page_of_parties_costs_one_query_per_feature_table(
        stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(stores.engine, "before_cursor_execute", note)
    try:
        data = _query(stores, PAGE, {"text": "C", "first": 20})
    finally:
        event.remove(stores.engine, "before_cursor_execute", note)
    parties = [edge["node"] for edge in data["searchParties"]["edges"]]
    assert len(parties) == 20
    assert sum("FROM scan_party_features" in s for s in statements) == 1
    assert sum("FROM scan_party_exposure" in s for s in statements) == 1
    stored = party_features(stores.engine, [p["id"] for p in parties])
    assert stored, "the scan should store features for a page of parties"
    for p in parties:
        expected = stored.get(p["id"])
        assert p["graphFeatures"] == (None if expected is None else _expected(expected))
