"""The whole pass against the real Neo4j: the borrower's type and the collateral come from
the graph, the records from PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from graph.model import Edge, Label, Node, RelType
from graph.stores.neo4j import Neo4jGraphStore
from risk.classification.assessment import assess
from risk.classification.tiers import Tier
from tests.portfolio.databases import empty_database
from tests.risk.classification.books import add_loan

DUE = date(2024, 3, 31)


@pytest.mark.neo4j
@pytest.mark.postgres
def test_assess_reads_borrower_types_and_collateral_from_neo4j(
        postgres_engine: Engine, neo4j_store: Neo4jGraphStore) -> None:
    empty_database(postgres_engine)
    neo4j_store.delete_all()
    neo4j_store.upsert_batch(
        [Node("P1", Label.PERSON, {"name": "Li"}), Node("C1", Label.COMPANY, {"name": "Acme"}),
         Node("LP", Label.LOAN, {}), Node("LC1", Label.LOAN, {}), Node("LC2", Label.LOAN, {}),
         Node("COL1", Label.COLLATERAL, {"kind": "property", "value_minor": 2_000,
                                                  "value_currency": "CNY"})],
        [Edge(RelType.SECURED_BY, "LC2", "COL1")])
    for loan, borrower, principal in (("LP", "P1", 200), ("LC1", "C1", 200),
                                      ("LC2", "C1", 1_000)):
        due = [DUE] if loan != "LC2" else [DUE + timedelta(days=400)]
        add_loan(postgres_engine, loan, borrower, due, principal_each=principal, interest_each=0)

    result = assess(postgres_engine, neo4j_store, DUE + timedelta(days=100))

    loans = {loan.loan_id: loan for loan in result.loans}
    assert {k: (v.retail, v.tier) for k, v in loans.items()} == {
        "LP": (True, Tier.SUBSTANDARD), "LC1": (False, Tier.SUBSTANDARD),
        # The company's other loan follows the 10% rule; the person's rules do not spread.
        "LC2": (False, Tier.SUBSTANDARD)}
    ecl_reason = loans["LC2"].reasons[-1]
    # Secured, through SECURED_BY in Neo4j: the collateral's value covers the loan twice.
    assert ecl_reason.figures["lgd"] == 0.25
    assert ecl_reason.figures["lgd_segment"] == {
        "collateral": "property", "coverage": ">=100%", "observations": 0,
        "realised_mean": None, "prior": 0.25}
    assert loans["LP"].reasons[-1].figures["lgd"] == 0.45
