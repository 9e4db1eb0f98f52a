"""Reading an exposure network from CSV: what a real extract looks like is accepted."""

from __future__ import annotations

from pathlib import Path

from risk.contagion.network_files import read_network


def test_column_order_extra_columns_a_bom_blank_lines_and_duplicate_pairs(
    tmp_path: Path,
) -> None:
    nodes = tmp_path / "nodes.csv"
    nodes.write_bytes("\ufeffvalue,name,id,capital\n1.5,Bank of A,A, 10\n2,,B,4e1\n\n"
                      .encode())
    exposures = tmp_path / "exposures.csv"
    exposures.write_text('amount,debtor,creditor\n5,B,A\n"2.5",B,A\n0,A,B\n')

    network = read_network(nodes, exposures)

    assert network.ids == ("A", "B")
    assert network.capital.tolist() == [10.0, 40.0]
    assert network.value.tolist() == [1.5, 2.0]
    # A's two rows on B are one exposure of 7.5; B's exposure of 0 on A is no exposure.
    assert network.exposures.toarray().tolist() == [[0.0, 7.5], [0.0, 0.0]]
    assert network.by_debtor.toarray().tolist() == [[0.0, 0.0], [7.5, 0.0]]
    assert network.index_of("B") == 1
    assert network.index_of("Z") is None
