"""The import columns the risk core reads: a party's ``loss_buffer`` (persons and
companies) and a loan's ``origination_pd``, on every store, and their bad values rejected
naming file, line and field."""

from __future__ import annotations

from pathlib import Path

from graph.model import Label
from tests.ingest.importing import import_files, rejects_of, rows_of, write
from tests.risk.rules.stores import Stores, stores

__all__ = ["stores"]

PERSONS = """
    id,name,monthly_income,loss_buffer,currency
    P1,Zhang Wei,85000.10,4800000.00,
    P2,Li Na,12000,,USD
    P3,Wang Fang,9000,0.00,
    P4,Chen Jie,9000,-5,
    P5,Zhao Lei,9000,12.345,
    P6,Sun Li,9000,lots,
    """
COMPANIES = """
    {"id": "C1", "name": "Huaxin", "registered_capital": 10000000, "loss_buffer": "23500000.50"}
    {"id": "C2", "name": "Tokyo Trading", "loss_buffer": 500000000, "currency": "JPY"}
    {"id": "C3", "name": "Broken Ltd", "loss_buffer": 0}
    {"id": "C4", "name": "Decimal Ltd", "loss_buffer": "100.5", "currency": "JPY"}
    """
LOANS = """
    id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,maturity_on,repayment_method,origination_pd
    L1,C1,working_capital,100000,CNY,0.05,12,2024-01-15,2025-01-15,bullet,0.0125
    L2,P1,consumer,5000,CNY,0.08,12,2024-01-15,2025-01-15,bullet,
    L3,P1,consumer,5000,CNY,0.08,12,2024-01-15,2025-01-15,bullet,0
    L4,P1,consumer,5000,CNY,0.08,12,2024-01-15,2025-01-15,bullet,1
    L5,P1,consumer,5000,CNY,0.08,12,2024-01-15,2025-01-15,bullet,1.5
    L6,P1,consumer,5000,CNY,0.08,12,2024-01-15,2025-01-15,bullet,high
    L7,P1,consumer,5000,CNY,0.08,12,2024-01-15,2025-01-15,bullet,-0.01
    """


def test_loss_buffers_and_origination_pds_are_imported_exactly_and_bad_ones_rejected(
    tmp_path: Path, stores: Stores,
) -> None:
    files = [write(tmp_path, "persons.csv", PERSONS),
             write(tmp_path, "companies.jsonl", COMPANIES),
             write(tmp_path, "loans.csv", LOANS)]

    report = import_files(files, stores.graph, stores.engine)

    assert rejects_of(report) == [
        ("persons.csv", 4, "loss_buffer", "must be above 0 (leave it empty when unknown)"),
        ("persons.csv", 5, "loss_buffer", "negative amount: -5"),
        ("persons.csv", 6, "loss_buffer", "3 decimals; CNY allows 2"),
        ("persons.csv", 7, "loss_buffer", "not a number: 'lots'"),
        ("companies.jsonl", 3, "loss_buffer", "must be above 0 (leave it empty when unknown)"),
        ("companies.jsonl", 4, "loss_buffer", "1 decimal; JPY allows 0"),
        ("loans.csv", 4, "origination_pd", "must be above 0 and below 1; got 0"),
        ("loans.csv", 5, "origination_pd", "must be above 0 and below 1; got 1"),
        ("loans.csv", 6, "origination_pd", "must be above 0 and below 1; got 1.5"),
        ("loans.csv", 7, "origination_pd", "not a number: 'high'"),
        ("loans.csv", 8, "origination_pd", "must be above 0 and below 1; got -0.01"),
    ]
    p1, p2, c1, c2 = stores.graph.get_nodes(["P1", "P2", "C1", "C2"])
    assert p1 is not None and p2 is not None and c1 is not None and c2 is not None
    assert (p1.props["loss_buffer_minor"], p1.props["loss_buffer_currency"]) == (480000000,
                                                                                 "CNY")
    assert "loss_buffer_minor" not in p2.props
    assert (c1.props["loss_buffer_minor"], c1.props["loss_buffer_currency"]) == (2350000050,
                                                                                 "CNY")
    assert c1.props["registered_capital_minor"] == 1000000000  # still there, beside it
    assert (c2.props["loss_buffer_minor"], c2.props["loss_buffer_currency"]) == (500000000,
                                                                                 "JPY")
    assert c2.label is Label.COMPANY
    l1, l2 = stores.graph.get_nodes(["L1", "L2"])
    assert l1 is not None and l1.props["origination_pd"] == 0.0125
    assert l2 is not None and "origination_pd" not in l2.props
    assert rows_of(stores.engine, "SELECT id, origination_pd FROM loan ORDER BY id") == [
        ("L1", 0.0125), ("L2", None)]


def test_a_reimport_without_the_pd_keeps_it_and_one_with_it_replaces_it(
    tmp_path: Path, stores: Stores,
) -> None:
    header = ("id,borrower_id,product,principal,currency,annual_rate,term_months,"
              "disbursed_on,maturity_on,repayment_method,origination_pd\n")
    row = "L1,C1,working_capital,100000,CNY,0.05,12,2024-01-15,2025-01-15,bullet,"
    parties = write(tmp_path, "companies.csv", "id,name\nC1,Huaxin Trading\n")
    first = tmp_path / "first"
    first.mkdir()
    import_files([parties, write(first, "loans.csv", header + row + "0.02\n")],
                 stores.graph, stores.engine)
    empty = tmp_path / "empty"
    empty.mkdir()
    import_files([write(empty, "loans.csv", header + row + "\n")], stores.graph, stores.engine)
    assert rows_of(stores.engine, "SELECT origination_pd FROM loan") == [(0.02,)]
    node = stores.graph.get_node("L1")
    assert node is not None and node.props["origination_pd"] == 0.02

    changed = tmp_path / "changed"
    changed.mkdir()
    import_files([write(changed, "loans.csv", header + row + "0.05\n")], stores.graph,
                 stores.engine)
    assert rows_of(stores.engine, "SELECT origination_pd FROM loan") == [(0.05,)]
    node = stores.graph.get_node("L1")
    assert node is not None and node.props["origination_pd"] == 0.05
