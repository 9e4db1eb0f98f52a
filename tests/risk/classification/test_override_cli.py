"""``loanwatch override set|list|revoke`` on the import examples, and ``classify`` and
``scan`` applying what is in force, with the override's actor in the reasons.

On 2024-12-31 the examples' L004 is Pass (paid on time) and L001 is Substandard (260 days
past due), so L004 may be downgraded and L001 may not be overridden to Pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, text

from graph.stores.embedded import EmbeddedGraphStore
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import EXAMPLES, import_files

AS_OF = "2024-12-31"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    engine = command_line_database(tmp_path, monkeypatch)
    import_files([EXAMPLES], EmbeddedGraphStore(engine), engine)
    yield engine
    engine.dispose()


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    document: dict[str, object] = orjson.loads(capsys.readouterr().out)
    return document


def _rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM loan_override")).scalar_one())


def test_set_list_revoke_and_classify_and_scan_apply_it(
        database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "override", "set", "--loan", "L004", "--tier", "doubtful",
                         "--reason", "borrower emigrated", "--actor", "li.risk",
                         "--from", "2024-12-01", "--json") == 0
    created = _json(capsys)
    assert {k: created[k] for k in ("id", "loan", "action", "tier", "actor", "valid_from")} == {
        "id": 1, "loan": "L004", "action": "set", "tier": "doubtful", "actor": "li.risk",
        "valid_from": "2024-12-01"}

    assert run_loanwatch(monkeypatch, "classify", "--as-of", AS_OF, "--json",
                         "--loan", "L004") == 0
    (row,) = _json(capsys)["loans"]  # type: ignore[misc]
    assert (row["tier"], row["stage"]) == ("doubtful", 3)
    assert row["reasons"][0]["rule"] == "override.manual"
    assert row["reasons"][0]["text"].startswith("manual override #1 by li.risk from 2024-12-01")

    assert run_loanwatch(monkeypatch, "scan", "--as-of", AS_OF, "--json") == 0
    assert _json(capsys)["status"] == "succeeded"
    with database.connect() as connection:
        tier, reasons = connection.execute(text(
            "SELECT tier, reasons FROM scan_loan_result WHERE loan_id = 'L004'")).one()
    reasons = orjson.loads(reasons) if isinstance(reasons, str) else reasons
    assert tier == "doubtful" and reasons[0]["figures"]["actor"] == "li.risk"

    assert run_loanwatch(monkeypatch, "override", "revoke", "1", "--reason",
                         "borrower came back", "--actor", "wang.risk", "--from",
                         "2024-12-31") == 0
    assert "override 1 of loan L004 revoked from 2024-12-31 (revocation 2)" in \
        " ".join(capsys.readouterr().out.split())
    assert run_loanwatch(monkeypatch, "override", "list", "--loan", "L004", "--json") == 0
    trail = _json(capsys)["overrides"]
    assert [(e["id"], e["action"], e["actor"], e["revoked_by"]) for e in trail] == [  # type: ignore[union-attr,index]
        (1, "set", "li.risk", 2), (2, "revoke", "wang.risk", None)]
    assert run_loanwatch(monkeypatch, "classify", "--as-of", AS_OF, "--json",
                         "--loan", "L004") == 0
    (row,) = _json(capsys)["loans"]  # type: ignore[misc]
    assert row["tier"] == "pass"

    assert run_loanwatch(monkeypatch, "override", "list") == 0
    table = " ".join(capsys.readouterr().out.split())
    assert "revoked by 2 from 2024-12-31" in table and "borrower emigrated" in table


@pytest.mark.parametrize(("args", "message"), [
    (["--loan", "L404", "--tier", "loss", "--reason", "r"], "unknown loan id 'L404'"),
    (["--loan", "L001", "--tier", "awful", "--reason", "r"], "unknown tier 'awful'"),
    (["--loan", "L001", "--stage", "7", "--reason", "r"], "stage 7 is not an IFRS 9 stage"),
    (["--loan", "L001", "--ecl", "-10", "--reason", "r"], "ECL -10 is negative"),
    (["--loan", "L001", "--ecl", "ten", "--reason", "r"], "ECL 'ten' is not a number"),
    (["--loan", "L001", "--tier", "loss"], "an override needs a reason"),
    (["--loan", "L001", "--tier", "loss", "--reason", "r", "--from", "31/12/2024"],
     "--from '31/12/2024' is not a date YYYY-MM-DD"),
    (["--loan", "L001", "--tier", "pass", "--reason", "r", "--from", AS_OF],
     "loan L001 cannot be overridden to pass: on 2024-12-31 it is at least substandard"),
])
def test_a_bad_override_is_a_clear_error_and_stores_nothing(
        database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: list[str], message: str) -> None:
    assert run_loanwatch(monkeypatch, "override", "set", *args) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err
    assert _rows(database) == 0


def test_revoking_an_unknown_override_is_a_clear_error(
        database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "override", "revoke", "5", "--reason", "r") == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "no override has id 5" in err and "Traceback" not in err
