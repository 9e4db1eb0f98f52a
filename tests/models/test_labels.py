"""Default dates and labels: each criterion on a tiny book, ties, the definition's knobs, the
12-month label and who is in default already; then agreement with the generator's ground
truth on a small generated portfolio."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from risk.classification.book import day_number
from risk.models.default_definition import DefaultDefinition
from risk.models.labels import DefaultEvents, default_events
from risk.rules.inputs import text_array
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.models.small_world import (
    MONTH_ENDS,
    borrower,
    bureau,
    event,
    mark_written_off,
    modify,
)
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

DUES = MONTH_ENDS[1:4]  # 2024-01-31, 2024-02-29, 2024-03-31


def _world(engine: Engine, graph: GraphStore) -> None:
    # P1 pays January only: February's installment is 91 days late on 2024-05-30.
    borrower(engine, graph, "P1", "L1", DUES, payments=[(DUES[0], 1_100)])
    # P2 pays on time but its loan is restructured for financial difficulty.
    borrower(engine, graph, "P2", "L2", DUES, payments=[(d, 1_100) for d in DUES])
    modify(engine, "M2", "L2", "term_extension", date(2024, 3, 15), difficulty=True)
    # P3 pays nothing and is written off: more than 90 days late from 2024-05-01.
    borrower(engine, graph, "P3", "L3", DUES)
    mark_written_off(engine, "L3")
    # P4 pays on time and goes bankrupt; P5 is only in a court case.
    borrower(engine, graph, "P4", "L4", DUES, payments=[(d, 1_100) for d in DUES])
    event(graph, "EV4", ["P4"], "court_case", date(2024, 4, 10), "P4破产清算案受理", 5)
    borrower(engine, graph, "P5", "L5", DUES, payments=[(d, 1_100) for d in DUES])
    event(graph, "EV5", ["P5"], "court_case", date(2024, 4, 10), "P5买卖合同纠纷", 3)
    # P6 pays 30 days late, always.
    borrower(engine, graph, "P6", "L6", DUES,
             payments=[(date.fromordinal(d.toordinal() + 30), 1_100) for d in DUES])
    # The data reach the end of 2024.
    bureau(engine, "B1", "P1", date(2024, 12, 31), 0, 0)


def _firsts(found: DefaultEvents) -> dict[str, tuple[str, str, str]]:
    return {party: (day.isoformat(), criterion, cause) for party in found.party_ids.tolist()
            for day, criterion, cause in [found.first(party)]}  # type: ignore[misc]


def test_each_criterion_dates_the_first_default_and_names_its_loan_or_event(
        stores: Stores) -> None:
    _world(stores.engine, stores.graph)

    found = default_events(stores.engine, stores.graph)

    assert _firsts(found) == {
        "P1": ("2024-05-30", "days_past_due", "L1"),
        "P2": ("2024-03-15", "restructuring", "L2"),
        # Written off and more than 90 days past due on the same day: the criteria's order.
        "P3": ("2024-05-01", "days_past_due", "L3"),
        "P4": ("2024-04-10", "bankruptcy", "EV4"),
    }
    assert found.observed_until == date(2024, 12, 31)


def test_the_definition_turns_criteria_off_and_moves_thresholds(stores: Stores) -> None:
    _world(stores.engine, stores.graph)

    only_write_off = default_events(stores.engine, stores.graph, DefaultDefinition(
        days_past_due=None, restructuring=False, bankruptcy=False))
    stricter = default_events(stores.engine, stores.graph, DefaultDefinition(
        days_past_due=28, bankruptcy_words=(), bankruptcy_kinds=("court_case",)))

    assert _firsts(only_write_off) == {"P3": ("2024-05-01", "write_off", "L3")}
    firsts = _firsts(stricter)
    assert firsts["P1"] == ("2024-03-29", "days_past_due", "L1")  # Feb 29 + 29 days
    # Paying 30 days late, P6 is 29 days past due the day before: more than 28.
    assert firsts["P6"] == ("2024-02-29", "days_past_due", "L6")
    assert firsts["P5"] == ("2024-04-10", "bankruptcy", "EV5")  # every court case now


def test_a_written_off_loan_never_that_late_is_dated_the_last_day_of_the_data(
        stores: Stores) -> None:
    _world(stores.engine, stores.graph)
    mark_written_off(stores.engine, "L6")

    found = default_events(stores.engine, stores.graph)

    assert found.first("P6") == (date(2024, 12, 31), "write_off", "L6")


def test_the_label_counts_defaults_within_the_horizon_after_the_date(stores: Stores) -> None:
    _world(stores.engine, stores.graph)
    found = default_events(stores.engine, stores.graph)
    ids = text_array(["P1", "P2", "P3", "P4", "P5", "P6"])

    assert found.label(ids, date(2024, 3, 31), 12).tolist() == [1, 0, 1, 1, 0, 0]
    # (Mar 31, May 31] holds P1 (May 30), P3 (May 1) and P4; (Mar 31, Apr 30] only P4.
    assert found.label(ids, date(2024, 3, 31), 2).tolist() == [1, 0, 1, 1, 0, 0]
    assert found.label(ids, date(2024, 3, 31), 1).tolist() == [0, 0, 0, 1, 0, 0]
    assert found.defaulted_by(date(2024, 4, 10)).tolist() == ["P2", "P4"]
    assert found.days_of(text_array(["P5"]))[0] > day_number(date(2100, 1, 1))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("labels") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=1_500, seed=11), out)
    return out, orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())


def test_labels_agree_with_the_generators_ground_truth(
        generated: tuple[Path, dict], sqlite_engine: Engine) -> None:
    graph = EmbeddedGraphStore(sqlite_engine)
    import_files([generated[0]], graph, sqlite_engine)
    truth = generated[1]["defaults"]
    true_day = {party: day_number(date.fromisoformat(day))
                for party, day in zip(truth["party_id"], truth["default_on"], strict=True)}

    found = default_events(sqlite_engine, graph)

    end = day_number(found.observed_until)
    mine = dict(zip(found.party_ids.tolist(), found.day.tolist(), strict=True))
    criterion = dict(zip(found.party_ids.tolist(), found.criterion.tolist(), strict=True))
    # A true default is seen once an installment is 90 days late: those old enough are found.
    old_enough = [p for p, d in true_day.items() if d + 150 <= end]
    seen = [p for p in old_enough if p in mine]
    assert len(old_enough) > 20
    assert len(seen) / len(old_enough) >= 0.9
    # Days past due never invent a default, and they see it after it happened.
    late = [p for p in mine if criterion[p] == "days_past_due"]
    assert late and all(p in true_day for p in late)
    assert all(mine[p] > true_day[p] for p in late)
    lag = np.array([mine[p] - true_day[p] for p in late])
    assert 91 <= np.median(lag) <= 200
