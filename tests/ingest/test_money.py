"""Money is exact from the CSV cell to SQL and to the API, on SQLite, PostgreSQL and Neo4j,
and every amount follows one rule: more decimals than its currency has is a rejected row,
never a rounding."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.model import Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from ingest.errors import IngestError
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from schema import build_schema
from tests.ingest.importing import import_files, rejects_of, rows_of, write
from tests.schema.running import execute

PARTIES = """
    id,name,monthly_income,currency
    P1,Zhang Wei,85000.10,
    P2,Li Na,0.20,USD
    """
COMPANIES = """
    id,name,registered_capital,annual_revenue,currency
    C1,Huaxin Trading,12345678901234.56,0.10,CNY
    C2,Tokyo Trading,500000000,1234,JPY
    """
LOANS = """
    id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,maturity_on,repayment_method
    L1,C1,working_capital,12345678901234.56,CNY,0.05,12,2024-01-15,2025-01-15,bullet
    L2,C2,working_capital,1000000,JPY,0.01,12,2024-01-15,2025-01-15,bullet
    L3,P1,consumer,1.250,KWD,0.05,12,2024-01-15,2025-01-15,bullet
    """
INSTALLMENTS = """
    loan_id,seq,due_on,principal_due,interest_due
    L1,1,2024-02-15,0.10,0.20
    L1,2,2024-03-15,0.20,0.10
    L2,1,2024-02-15,500000,834
    L3,1,2024-02-15,0.625,0.005
    """
REPAYMENTS = """
    id,loan_id,paid_on,amount
    R1,L1,2024-02-15,0.10
    R2,L1,2024-02-16,0.20
    R3,L3,2024-02-16,0.630
    """
GUARANTEES = """
    guarantor_id,loan_id,amount,share,currency
    P1,L1,0.10,0.5,
    P2,L1,0.20,0.5,USD
    C1,L2,300000,0.3,
    """
COLLATERAL = """
    id,loan_id,kind,value,currency
    K1,L1,property,12345678901234.56,
    K2,L2,deposit,1000.25,USD
    """
BUREAU = """
    id,party_id,as_of,score,total_debt
    B1,P1,2024-06-01,700,12345678901234.56
    B2,P2,2024-06-01,700,
    """

API = """
query Money {
  c1: party(id: "C1") {
    ... on Company { registeredCapital { amount currency } annualRevenue { amount currency } }
    loans { principal { amount currency }
            guarantees { guarantor { id } amount { amount currency } } }
  }
  c2: party(id: "C2") {
    ... on Company { registeredCapital { amount currency } }
    loans { principal { amount currency } guarantees { amount { amount currency } } }
  }
  l3: loan(id: "L3") { principal { amount currency } }
}
"""


def _portfolio(folder: Path) -> list[Path]:
    return [write(folder, "persons.csv", PARTIES), write(folder, "companies.csv", COMPANIES),
            write(folder, "loans.csv", LOANS), write(folder, "installments.csv", INSTALLMENTS),
            write(folder, "repayments.csv", REPAYMENTS),
            write(folder, "guarantees.csv", GUARANTEES),
            write(folder, "collateral.csv", COLLATERAL), write(folder, "bureau.csv", BUREAU)]


def _api_amounts(graph: GraphStore) -> dict[str, object]:
    result = execute(build_schema(mask_errors=False), graph, API)
    assert result.errors is None
    return result.data  # type: ignore[return-value]


def _money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


EXPECTED_API = {
    "c1": {
        "registeredCapital": _money("12345678901234.56", "CNY"),
        "annualRevenue": _money("0.10", "CNY"),
        "loans": [{"principal": _money("12345678901234.56", "CNY"), "guarantees": [
            {"guarantor": {"id": "P1"}, "amount": _money("0.10", "CNY")},
            {"guarantor": {"id": "P2"}, "amount": _money("0.20", "USD")},
        ]}],
    },
    "c2": {
        "registeredCapital": _money("500000000", "JPY"),
        "loans": [{"principal": _money("1000000", "JPY"),
                   "guarantees": [{"amount": _money("300000", "JPY")}]}],
    },
    "l3": {"principal": _money("1.250", "KWD")},
}


def test_amounts_survive_import_sql_and_api_exactly(tmp_path: Path, database: Engine,
                                                    graph: EmbeddedGraphStore) -> None:
    report = import_files(_portfolio(tmp_path), graph, database)

    assert report.rejects == []
    assert rows_of(database, "SELECT id, principal_minor, currency FROM loan ORDER BY id") == [
        ("L1", 1234567890123456, "CNY"), ("L2", 1000000, "JPY"), ("L3", 1250, "KWD")]
    # 0.10 + 0.20 is 0.30 exactly, in SQL as in the API.
    assert rows_of(database, "SELECT loan_id, SUM(principal_due_minor), SUM(interest_due_minor),"
                             " MIN(currency) FROM installment GROUP BY loan_id ORDER BY loan_id"
                   ) == [("L1", 30, 30, "CNY"), ("L2", 500000, 834, "JPY"),
                         ("L3", 625, 5, "KWD")]
    assert rows_of(database, "SELECT loan_id, SUM(amount_minor), MIN(currency) FROM repayment "
                             "GROUP BY loan_id ORDER BY loan_id") == [("L1", 30, "CNY"),
                                                                      ("L3", 630, "KWD")]
    assert rows_of(database, "SELECT id, total_debt_minor, currency FROM bureau_snapshot "
                             "ORDER BY id") == [("B1", 1234567890123456, "CNY"),
                                                ("B2", None, None)]
    data = _api_amounts(graph)
    assert data == EXPECTED_API
    guarantees = data["c1"]["loans"][0]["guarantees"]  # type: ignore[index]
    assert (Decimal(guarantees[0]["amount"]["amount"]) + Decimal("0.20")) == Decimal("0.30")
    # Graph properties: exact minor units beside the analytics float, with the currency.
    collateral = graph.get_nodes(["K1", "K2", "P1", "P2"])
    assert [(n.props["value_minor"], n.props["value_currency"]) for n in collateral[:2]] == [
        (1234567890123456, "CNY"), (100025, "USD")]
    assert collateral[0].props["value"] == 12345678901234.56
    assert [(n.props["monthly_income_minor"], n.props["monthly_income_currency"])
            for n in collateral[2:]] == [
        (8500010, "CNY"), (20, "USD")]


@pytest.mark.neo4j
def test_amounts_survive_neo4j_exactly(tmp_path: Path, sqlite_engine: Engine,
                                       neo4j_store: Neo4jGraphStore) -> None:
    neo4j_store.delete_all()
    (tmp_path / "more").mkdir()
    big = write(tmp_path / "more", "collateral.csv",
                "id,loan_id,kind,value\nK9,L1,property,9999999999999999.99\n")
    report = import_files([*_portfolio(tmp_path), big], neo4j_store, sqlite_engine)

    assert report.rejects == []
    assert _api_amounts(neo4j_store) == EXPECTED_API
    (node,) = neo4j_store.get_nodes(["K9"])
    assert node is not None and node.props["value_minor"] == 999999999999999999
    (edges,) = neo4j_store.edges_of(["L2"], [RelType.GUARANTEES])
    assert [(e.props["amount_minor"], e.props["amount_currency"]) for e in edges] == [
        (300000, "JPY")]


def test_one_rule_for_every_amount_never_rounding(tmp_path: Path, sqlite_engine: Engine,
                        sqlite_graph: EmbeddedGraphStore) -> None:
    # The probe: 2.675 became 2.68 as a principal and 2.67 as a guarantee amount and as an
    # income; -0 was accepted as a principal.
    base = tmp_path / "base"
    base.mkdir()
    assert import_files(_portfolio(base), sqlite_graph, sqlite_engine).rejects == []
    files = [
        write(tmp_path, "persons.csv", """
            id,name,monthly_income
            P7,Wang Fang,2.675
            P8,Chen Jie,2.670
            P9,Zhou Min,NaN
            """),
        write(tmp_path, "loans.csv", """
            id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,maturity_on,repayment_method
            L7,P1,consumer,2.675,CNY,0.05,12,2024-01-15,2025-01-15,bullet
            L8,P1,consumer,-0,CNY,0.05,12,2024-01-15,2025-01-15,bullet
            L9,P1,consumer,100.5,JPY,0.05,12,2024-01-15,2025-01-15,bullet
            L10,P1,consumer,inf,CNY,0.05,12,2024-01-15,2025-01-15,bullet
            L11,P1,consumer,1e309,CNY,0.05,12,2024-01-15,2025-01-15,bullet
            L12,P1,consumer,1.2345,KWD,0.05,12,2024-01-15,2025-01-15,bullet
            L13,P1,consumer,10000000000000000,USD,0.05,12,2024-01-15,2025-01-15,bullet
            L14,P1,consumer,1.234,KWD,0.05,12,2024-01-15,2025-01-15,bullet
            """),
        write(tmp_path, "guarantees.csv", """
            guarantor_id,loan_id,amount,currency
            P2,L2,2.675,CNY
            C2,L1,2.675,
            P1,L2,1.5,
            """),
        write(tmp_path, "installments.csv", """
            loan_id,seq,due_on,principal_due,interest_due
            L2,2,2024-03-15,1.5,0
            L1,3,2024-04-15,1,0.001
            """),
        write(tmp_path, "transactions.jsonl",
              '{"source_account": "A1", "target_account": "A2", "month": "2024-01", '
              '"amount": 12345678901234.56, "count": 1}\n'),
    ]
    accounts = write(tmp_path, "accounts.csv", "id,holder_id,bank\nA1,P1,ICBC\nA2,P2,ICBC\n")

    report = import_files([*files, accounts], sqlite_graph, sqlite_engine)

    assert rejects_of(report) == [
        ("persons.csv", 2, "monthly_income", "3 decimals; CNY allows 2"),
        ("persons.csv", 4, "monthly_income", "not a number: 'NaN'"),
        ("loans.csv", 2, "principal", "3 decimals; CNY allows 2"),
        ("loans.csv", 3, "principal", "negative amount: -0"),
        ("loans.csv", 4, "principal", "1 decimal; JPY allows 0"),
        ("loans.csv", 5, "principal", "not a number: 'inf'"),
        ("loans.csv", 6, "principal",
         "amount too large: 1e309 (at most 18 digits before the point)"),
        ("loans.csv", 7, "principal", "4 decimals; KWD allows 3"),
        ("loans.csv", 8, "principal", "amount too large: 10000000000000000 USD is more than "
                                      "999999999999999999 minor units"),
        ("installments.csv", 2, "principal_due", "1 decimal; JPY allows 0"),
        ("installments.csv", 3, "interest_due", "3 decimals; CNY allows 2"),
        ("transactions.jsonl", 1, "amount",
         "12345678901234.56 has more than 15 significant digits, which a JSON number may not "
         "keep exactly; write the amount as a string"),
        ("guarantees.csv", 2, "amount", "3 decimals; CNY allows 2"),
        ("guarantees.csv", 3, "amount", "3 decimals; CNY allows 2"),
        ("guarantees.csv", 4, "amount", "1 decimal; JPY allows 0"),
    ]
    (p8, l14) = sqlite_graph.get_nodes(["P8", "L14"])
    assert p8 is not None and p8.props["monthly_income_minor"] == 267  # "2.670": zeros only
    assert l14 is not None and (l14.props["principal_minor"], l14.label) == (1234, Label.LOAN)
    assert rows_of(sqlite_engine, "SELECT id FROM loan WHERE id IN ('L7', 'L8', 'L14')") == [
        ("L14",)]


def test_the_default_currency_is_a_plain_setting(tmp_path: Path, sqlite_engine: Engine,
                                                  sqlite_graph: EmbeddedGraphStore) -> None:
    persons = write(tmp_path, "persons.csv", "id,name,monthly_income\nP1,Zhang Wei,100.5\n")
    assert Settings.from_environ({"LOANWATCH_BASE_CURRENCY": "JPY"}).base_currency == "JPY"
    with pytest.raises(ConfigurationError, match="LOANWATCH_BASE_CURRENCY"):
        Settings.from_environ({"LOANWATCH_BASE_CURRENCY": "yen"})
    with pytest.raises(IngestError, match="'XYZ' is not an ISO 4217 currency code"):
        import_files([persons], sqlite_graph, sqlite_engine, default_currency="XYZ")

    in_jpy = import_files([persons], sqlite_graph, sqlite_engine, default_currency="JPY")
    in_usd = import_files([persons], sqlite_graph, sqlite_engine, default_currency="USD")

    assert rejects_of(in_jpy) == [("persons.csv", 2, "monthly_income", "1 decimal; JPY allows 0")]
    assert in_usd.rejects == []
    (p1,) = sqlite_graph.get_nodes(["P1"])
    assert p1 is not None
    assert (p1.props["monthly_income_minor"], p1.props["monthly_income_currency"]) == (
        10050, "USD")


def test_each_amount_keeps_its_own_currency_across_reimports(
        tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore) -> None:
    first = write(tmp_path, "companies.csv",
                  "id,name,registered_capital,currency\nC1,Huaxin,100.50,CNY\n")
    assert import_files([first], sqlite_graph, sqlite_engine).rejects == []
    (tmp_path / "again").mkdir()
    again = write(tmp_path / "again", "companies.csv",
                  "id,name,annual_revenue,currency\nC1,Huaxin,5,USD\n")

    assert import_files([again], sqlite_graph, sqlite_engine).rejects == []

    data = execute(build_schema(mask_errors=False), sqlite_graph, """
        { party(id: "C1") { ... on Company { registeredCapital { amount currency }
                                             annualRevenue { amount currency } } } }
    """).data
    assert data == {"party": {"registeredCapital": {"amount": "100.50", "currency": "CNY"},
                              "annualRevenue": {"amount": "5.00", "currency": "USD"}}}


def test_an_amount_in_its_loans_currency_needs_the_loan_record(
        tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore) -> None:
    # A loan node whose record is missing (written by hand, or by an import cut short).
    sqlite_graph.upsert_nodes([Node("P1", Label.PERSON, {"name": "Zhang Wei"}),
                               Node("P2", Label.PERSON, {"name": "Li Na"}),
                               Node("L9", Label.LOAN, {})])
    guarantees = write(tmp_path, "guarantees.csv",
                       "guarantor_id,loan_id,amount,currency\nP1,L9,10.00,\nP2,L9,10.00,EUR\n")

    report = import_files([guarantees], sqlite_graph, sqlite_engine)

    assert rejects_of(report) == [
        ("guarantees.csv", 2, "loan_id", "the currency of loan 'L9' is unknown: it has no loan "
                                         "record"),
    ]
    (edges,) = sqlite_graph.edges_of(["L9"], [RelType.GUARANTEES])
    assert [(e.source, e.props["amount_minor"], e.props["amount_currency"]) for e in edges] == [
        ("P2", 1000, "EUR")]


def test_the_generic_property_list_shows_amounts_exactly(tmp_path: Path, sqlite_engine: Engine,
                                                         sqlite_graph: EmbeddedGraphStore) -> None:
    import_files(_portfolio(tmp_path), sqlite_graph, sqlite_engine)
    query = '{ loan(id: "L1") { properties { key value } } }'
    result = execute(build_schema(mask_errors=False), sqlite_graph, query)
    assert result.errors is None
    shown = {p["key"]: p["value"] for p in result.data["loan"]["properties"]}  # type: ignore[index]
    # The exact text, never the analytics float (1.2345678901234562e13) nor the minor units.
    assert shown["principal"] == "12345678901234.56"
    assert shown["principal_currency"] == "CNY"
    assert "principal_minor" not in shown
