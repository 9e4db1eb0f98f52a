"""build_dataset on a generated portfolio: who is scored, the label, the frame's types as
the models expect them, the words, and the errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from graph.stores.embedded import EmbeddedGraphStore
from risk.classification.book import day_number, load_book
from risk.classification.delinquency import delinquency
from risk.errors import NoDataAsOf
from risk.models.dataset import build_dataset
from risk.models.default_definition import DefaultDefinition
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.portfolio.databases import sqlite_engine

__all__ = ["sqlite_engine"]

D = date(2024, 6, 30)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=600, seed=9, transaction_months=24), out)
    return out


@pytest.fixture
def imported(portfolio: Path, sqlite_engine: Engine) -> tuple[Engine, EmbeddedGraphStore]:
    graph = EmbeddedGraphStore(sqlite_engine)
    import_files([portfolio], graph, sqlite_engine)
    return sqlite_engine, graph


def test_rows_are_live_borrowers_not_in_default_and_labels_count_the_next_year(
        imported: tuple[Engine, EmbeddedGraphStore]) -> None:
    engine, graph = imported

    found = build_dataset(engine, graph, D)

    book = load_book(engine, D)
    dq = delinquency(book)
    live = sorted({str(b) for b in book.borrower_ids[(dq.outstanding > 0) | (dq.overdue > 0)]})
    assert found.defaults is not None
    days = dict(zip(found.defaults.party_ids.tolist(), found.defaults.day.tolist(),
                    strict=True))
    in_default = [p for p in live if days.get(p, 10**9) <= day_number(D)]
    assert found.party_ids.tolist() == [p for p in live if p not in in_default]
    assert found.in_default == len(in_default) > 0
    end = day_number(date(2025, 6, 30))
    expected = [int(day_number(D) < days.get(p, 10**9) <= end) for p in found.party_ids]
    assert found.label is not None and found.label.dtype == np.int8
    assert found.label.tolist() == expected and 0 < sum(expected) < len(expected)
    assert len(found.frame) == len(found.party_ids)


def test_the_frame_holds_floats_and_categories_with_inflows_and_graph_columns(
        imported: tuple[Engine, EmbeddedGraphStore]) -> None:
    engine, graph = imported

    found = build_dataset(engine, graph, D, horizon_months=None)

    assert found.label is None
    kinds = {str(dtype) for dtype in found.frame.dtypes}
    assert kinds == {"float64", "category"}
    assert set(found.frame.select_dtypes("category").columns) == {
        "product", "sector", "company_size"}
    assert set(found.graph_columns) <= set(found.frame.columns)
    assert {"guarantors_defaulted", "graph_pagerank"} <= set(found.graph_columns)
    # The generator pays into a tenth of the borrowers: they have an inflow ratio.
    assert found.frame["inflow_ratio_6m"].notna().sum() > 5
    assert found.frame["bureau_score"].notna().all()
    row = int(np.argmax(found.frame["missed_12m"].to_numpy()))
    count = int(found.frame["missed_12m"].iloc[row])
    assert found.describe("missed_12m", float(count), row) == (
        f"{count} missed installment{'s' if count != 1 else ''} in 12 months")


def test_a_stricter_definition_leaves_more_borrowers_out(
        imported: tuple[Engine, EmbeddedGraphStore]) -> None:
    engine, graph = imported

    usual = build_dataset(engine, graph, D, graph_features=False)
    strict = build_dataset(engine, graph, D, graph_features=False,
                           definition=DefaultDefinition(days_past_due=30))

    assert strict.in_default > usual.in_default
    assert set(strict.party_ids) < set(usual.party_ids)


def test_dates_before_any_loan_and_bad_horizons_are_refused(
        imported: tuple[Engine, EmbeddedGraphStore]) -> None:
    engine, graph = imported
    with pytest.raises(NoDataAsOf, match="no loan was disbursed on or before 2000-01-01"):
        build_dataset(engine, graph, date(2000, 1, 1))
    with pytest.raises(ValueError, match="horizon_months must be at least 1"):
        build_dataset(engine, graph, D, horizon_months=0)


def test_a_horizon_past_the_last_data_is_warned_about(
        imported: tuple[Engine, EmbeddedGraphStore]) -> None:
    engine, graph = imported
    heard: list[str] = []

    build_dataset(engine, graph, D, graph_features=False, progress=heard.append)
    assert not [m for m in heard if m.startswith("warning")]
    build_dataset(engine, graph, date(2024, 12, 31), graph_features=False,
                  progress=heard.append)
    assert [m for m in heard if m.startswith("warning")] == [
        "warning: the horizon ends on 2025-12-31, after the last data (2025-06-30): "
        "defaults after that are unknown and their labels 0"]
