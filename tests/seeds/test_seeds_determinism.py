"""The same seed writes the same bytes; another seed writes another portfolio."""

from __future__ import annotations

from pathlib import Path

import orjson

from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from seeds.writer import SCHEMA


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_files(tmp_path: Path) -> None:
    config = PortfolioConfig(borrowers=1_000)
    generate_portfolio(config, tmp_path / "a")
    generate_portfolio(config, tmp_path / "b")
    generate_portfolio(PortfolioConfig(borrowers=1_000, seed=8), tmp_path / "c")
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert len(a) == 18  # sixteen entity files, the ground truth and the latent paths
    assert a == b
    changed = [name for name in a if a[name] != c[name]]
    assert {"loans.csv", "persons.csv", "guarantees.csv",
            "ground_truth/ground_truth.json"} <= set(changed)


def test_jsonl_holds_the_same_rows_as_csv(tmp_path: Path) -> None:
    config = PortfolioConfig(borrowers=500)
    csv_summary = generate_portfolio(config, tmp_path / "csv")
    json_summary = generate_portfolio(config, tmp_path / "jsonl", file_format="jsonl")
    assert json_summary.rows == csv_summary.rows
    for entity, fields in SCHEMA.items():
        lines = (tmp_path / "jsonl" / f"{entity}.jsonl").read_bytes().splitlines()
        assert len(lines) == csv_summary.rows[entity]
        names = {name for name, _ in fields}
        for line in lines[:200]:
            row = orjson.loads(line)
            assert set(row) <= names
    loan = orjson.loads((tmp_path / "jsonl" / "loans.jsonl").read_bytes().splitlines()[0])
    first_csv = (tmp_path / "csv" / "loans.csv").read_text(encoding="utf-8").splitlines()[1]
    assert first_csv.startswith(f"{loan['id']},{loan['borrower_id']},{loan['product']},")
    assert isinstance(loan["principal"], float) and isinstance(loan["term_months"], int)
    event = orjson.loads((tmp_path / "jsonl" / "events.jsonl").read_bytes().splitlines()[0])
    assert isinstance(event["party_ids"], list) and event["party_ids"]
