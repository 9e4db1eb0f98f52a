"""The demo's network signal on the hand-made network: the borrower in default whose loan
a guarantor backs is chosen, a court case about it recorded, and its flow opens the
guarantor's review and case, once however often the demo runs."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from rich.console import Console

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.cli.demo_flow import network_signal, signal_subject
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.database import create_sql_engine
from tests.ingest.importing import import_files
from tests.risk.flow.network import write_network


def test_the_demo_signal_opens_the_guarantors_review_and_case_once(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    import_files([write_network(tmp_path / "network")], graph, engine)
    day = date(2025, 1, 15)
    assert signal_subject(engine, graph, day) == "P2"
    assert signal_subject(engine, graph, date(2024, 7, 1)) is None  # no default yet
    settings = Settings.from_environ({})
    out = io.StringIO()

    first = network_signal(engine, graph, day, settings, Console(file=out, width=400))
    second = network_signal(engine, graph, day, settings, Console(file=io.StringIO()))

    assert first is not None and second is not None
    assert "court-case" in {o.draft.rule_id for o in first.outcomes}
    printed = out.getvalue()
    assert "case L2@2025-01-15 (`loanwatch collections show L2@2025-01-15`)" in printed
    assert "(related-default-2, high) opened triggered review" in printed
    assert "/graphql?q=" in printed
    assert {(f.alert_id, f.case_id) for f in second.follow_ups} == {
        (f.alert_id, f.case_id) for f in first.follow_ups}
    assert not any(f.written for f in second.follow_ups)
