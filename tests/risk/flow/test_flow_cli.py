"""``loanwatch collections show CASE`` prints the alert that opened a case from the event
flow, its graph path, and a GraphiQL link to the alert's evidence; ``--json`` carries the
path whole."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from graph.stores.embedded import EmbeddedGraphStore
from ingest.recording import record_row
from risk.classification.history import RepaymentHistory
from risk.flow.events import flow_event
from risk.flow.run import run_flow
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files
from tests.risk.flow.network import EVENT_DAY, write_network


def test_show_prints_the_path_that_opened_the_case(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    engine = command_line_database(tmp_path, monkeypatch, columns=400)
    graph = EmbeddedGraphStore(engine)
    import_files([write_network(tmp_path / "network")], graph, engine)
    recorded = record_row("repayments", "ev-1", {"id": "R-9", "loan_id": "L1",
                                                 "paid_on": EVENT_DAY, "amount": "100.00"},
                          graph=graph, engine=engine, actor="bank-feed")
    result = run_flow(flow_event("repayments", "ev-1", recorded.values), engine=engine,
                      graph=graph, rules=load_rules(DEFAULT_RULES_FILE),
                      delinquency=RepaymentHistory(engine))
    alert = next(o.alert_id for o in result.outcomes if o.draft.rule_id == "related-default-2")
    engine.dispose()

    assert run_loanwatch(monkeypatch, "collections", "show", "L2@2025-01-15") == 0
    out = capsys.readouterr().out
    assert f"Opened from high alert {alert} (related-default-2) after event ev-1" in out
    assert "path: P2 -BORROWS-> L1; P1 -GUARANTEES-> L1" in out
    link = next(line for line in out.splitlines() if "open in GraphiQL:" in line).split()[-1]
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("127.0.0.1:8000", "/graphql")
    query = parse_qs(parts.query)
    assert "evidencePath" in query["q"][0] and orjson.loads(query["variables"][0]) == {
        "id": str(alert)}

    assert run_loanwatch(monkeypatch, "collections", "case", "L2@2025-01-15", "--json") == 0
    document = orjson.loads(capsys.readouterr().out)
    (trigger,) = document["triggers"]
    assert (trigger["alert"], trigger["event"], trigger["rule"]) == (alert, "ev-1",
                                                                     "related-default-2")
    assert [e["type"] for e in trigger["path"]["edges"]] == ["BORROWS", "GUARANTEES"]
