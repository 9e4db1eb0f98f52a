"""``loanwatch reviews run|due|queue|decide`` as a user runs them, on a SQLite database with
the embedded graph: reviews written once, the queue, a decision as a user with its audit
entry, and bad input as one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auth.audit_events import AuditAction
from auth.audit_store import list_records
from auth.principal import Role
from auth.users import UserStore
from graph.stores.embedded import EmbeddedGraphStore
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.auth.oauth_fixtures import CHEAP_PASSWORDS
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files

AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reviews-cli") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=150, seed=11), out)
    return out


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portfolio: Path) -> Engine:
    engine = command_line_database(tmp_path, monkeypatch)
    import_files([portfolio], EmbeddedGraphStore(engine), engine)
    return engine


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_run_due_queue_and_decide(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run_loanwatch(monkeypatch, "reviews", "due", "--as-of", AS_OF, "--json") == 0
    due = _json(capsys)["due"]
    assert due and all(d["due_on"] is None for d in due)
    # A policy that routes every live loan: a large exposure from one cent.
    policy = tmp_path / "policy.yaml"
    policy.write_text("intervals_months: {pass: 12, special_mention: 3, substandard: 1, "
                      "doubtful: 1, loss: 1}\nroute: {large_exposure: {CNY: '0.01'}}\n")

    assert run_loanwatch(monkeypatch, "reviews", "run", "--as-of", AS_OF, "--policy",
                         str(policy), "--json") == 0
    first = _json(capsys)
    assert first["reviewed"] == first["written"] > 0 and first["pending"] > 0
    assert run_loanwatch(monkeypatch, "reviews", "run", "--as-of", AS_OF, "--json") == 0
    assert _json(capsys)["reviewed"] == 0  # nothing due any more on the date
    named = [d["loan"] for d in due[:2]]
    assert run_loanwatch(monkeypatch, "reviews", "run", "--as-of", AS_OF, "--loan", named[0],
                         "--loan", named[1], "--json") == 0
    again = _json(capsys)
    assert (again["written"], again["already_stored"]) == (0, 2)
    assert [r["loan"] for r in again["reviews"]] == named

    assert run_loanwatch(monkeypatch, "reviews", "queue", "--json") == 0
    queue = _json(capsys)["queue"]
    assert len(queue) == first["pending"] and queue[0]["route"][0]["rule"] == "large_exposure"
    users = UserStore(engine, CHEAP_PASSWORDS)
    users.create("ann", Role.MANAGER, "correct horse battery")
    users.create("cole", Role.COLLECTOR, "correct horse battery")
    review = str(queue[0]["id"])

    assert run_loanwatch(monkeypatch, "reviews", "decide", review, "--confirm", "--reason",
                         "ok", "--as", "nobody") == 1
    assert "--as 'nobody': no such user" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "reviews", "decide", review, "--confirm", "--reason",
                         "ok", "--as", "cole") == 1
    assert "cole is a collector" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "reviews", "decide", review, "--override", "worst",
                         "--reason", "ok", "--as", "ann") == 1
    assert "--override 'worst' is not a tier" in capsys.readouterr().err
    worse = "loss" if queue[0]["tier"] != "loss" else "doubtful"
    assert run_loanwatch(monkeypatch, "reviews", "decide", review, "--override", worse,
                         "--reason", "collateral sold", "--as", "ann", "--json") == 0
    decided = _json(capsys)
    assert (decided["status"], decided["decided_tier"], decided["decided_by"],
            decided["reason"]) == ("overridden", worse, "ann", "collateral sold")
    assert run_loanwatch(monkeypatch, "reviews", "decide", review, "--confirm", "--reason",
                         "again", "--as", "ann") == 1
    assert f"review {review} is overridden by ann" in capsys.readouterr().err
    entries = [e for e in list_records(engine, action=AuditAction.CHANGE)
               if e.operation == "reviews decide"]
    assert len(entries) == 1 and entries[0].user == "ann"
    assert entries[0].targets == (f"review:{review}", queue[0]["loan"])


def test_bad_input_is_one_clear_line(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    assert run_loanwatch(monkeypatch, "reviews", "run", "--as-of", AS_OF, "--loan",
                         "L-NOPE") == 1
    assert "no loan with id L-NOPE" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "reviews", "run", "--as-of", "2025-13-01") == 1
    assert "--as-of '2025-13-01' is not a date" in capsys.readouterr().err
    gaps = tmp_path / "gaps.yaml"
    gaps.write_text("intervals_months: {pass: 12}\n")
    assert run_loanwatch(monkeypatch, "reviews", "run", "--policy", str(gaps)) == 1
    err = capsys.readouterr().err
    assert "intervals_months.special_mention: missing" in err and "Traceback" not in err
    UserStore(engine, CHEAP_PASSWORDS).create("ann", Role.MANAGER, "correct horse battery")
    assert run_loanwatch(monkeypatch, "reviews", "decide", "999", "--confirm", "--reason",
                         "x", "--as", "ann") == 1
    assert "no review with id 999" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "reviews", "decide", "1", "--reason", "x", "--as",
                         "ann") == 1
    assert "exactly one of --confirm and --override" in capsys.readouterr().err
