"""The model registry on both SQL backends: registering, listing, promoting and rolling back,
a damaged artefact refused, the promotion history append-only; and its commands."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from risk.models.errors import ModelNotFound, RegistryError
from risk.models.registry import (
    list_models,
    load_model,
    parse_model_id,
    previous_production,
    production_model,
    promote,
    promotions,
    register_model,
)
from tests.command_line import command_line_database, run_loanwatch
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _register(engine: Engine, payload: bytes = b"model-a", *, scope: str = "portfolio",
              auc: float = 0.8) -> str:
    return register_model(
        engine, kind="gbm", payload=payload, feature_names=["dpd_now", "bureau_score"],
        target="default within 12 months", training={"as_of": "2024-06-30", "rows": 900},
        metrics={"auc": auc, "ks": 0.5, "brier": 0.04}, params={"seed": 0}, actor="ann",
        scope=scope, code_version="0.1.0+gtest", now=lambda: T0)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_register_and_load_keep_everything_that_reproduces_a_score(database: Engine) -> None:
    first = _register(database)
    second = _register(database, b"model-b", auc=0.85)
    assert (first, second) == ("M00001", "M00002")
    loaded = load_model(database, "m2")
    assert loaded.payload == b"model-b"
    assert loaded.feature_names == ["dpd_now", "bureau_score"]
    assert loaded.training == {"as_of": "2024-06-30", "rows": 900}
    assert loaded.metrics["auc"] == 0.85
    assert loaded.code_version == "0.1.0+gtest"
    assert loaded.status == "candidate"
    assert [m.id for m in list_models(database)] == ["M00002", "M00001"]
    assert list_models(database, scope="file") == []


def test_promote_and_roll_back(database: Engine) -> None:
    first, second = _register(database), _register(database, b"model-b")
    assert production_model(database) is None
    promote(database, first, reason="validated out of time", actor="ann", now=lambda: T0)
    promote(database, second, reason="better KS", actor="bob", now=lambda: T0)
    current = production_model(database)
    assert current is not None and current.id == second
    assert {m.id: m.status for m in list_models(database)} == {
        first: "retired", second: "production"}
    assert previous_production(database) == first
    promote(database, previous_production(database), reason="roll back", actor="ann")
    rolled = production_model(database)
    assert rolled is not None and rolled.id == first
    assert [(p.model_id, p.actor) for p in promotions(database, "portfolio")] == [
        (first, "ann"), (second, "bob"), (first, "ann")]
    with pytest.raises(RegistryError, match="already the production model"):
        promote(database, first, reason="again", actor="ann")
    with pytest.raises(RegistryError, match="needs a reason"):
        promote(database, second, reason="  ", actor="ann")
    assert _count(database, "model_promotion") == 3


def test_a_file_model_never_becomes_the_portfolio_production_model(database: Engine) -> None:
    model = _register(database, scope="file")
    promote(database, model, reason="lender file", actor="ann")
    assert production_model(database) is None
    scoped = production_model(database, "file")
    assert scoped is not None and scoped.id == model


def test_a_damaged_artefact_is_refused(database: Engine) -> None:
    model = _register(database)
    with database.begin() as connection:
        connection.execute(text("UPDATE model_registry SET payload = :p"), {"p": b"model-X"})
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        load_model(database, model)
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        promote(database, model, reason="r", actor="ann")
    assert _count(database, "model_promotion") == 0


def test_the_promotion_history_is_append_only(database: Engine) -> None:
    promote(database, _register(database), reason="first", actor="ann")
    for statement in ("UPDATE model_promotion SET reason = 'never happened'",
                      "DELETE FROM model_promotion"):
        with pytest.raises(DBAPIError, match="model_promotion is append-only"), \
                database.begin() as connection:
            connection.execute(text(statement))
    assert [p.reason for p in promotions(database, "portfolio")] == ["first"]


def test_bad_requests_name_the_problem_and_store_nothing(database: Engine) -> None:
    for bad in ("X7", "M", "0", "M-3", ""):
        with pytest.raises(RegistryError, match="is not a model id"):
            parse_model_id(bad)
    with pytest.raises(ModelNotFound, match="no model M00009"):
        load_model(database, "M00009")
    with pytest.raises(RegistryError, match="metrics cannot be stored as JSON"):
        register_model(database, kind="gbm", payload=b"x", feature_names=["a"], target="t",
                       training={}, metrics={"auc": object()}, code_version="v")
    with pytest.raises(RegistryError, match="unknown model scope"):
        _register(database, scope="everything")
    with pytest.raises(RegistryError, match="nothing to roll back"):
        previous_production(database)
    promote(database, _register(database), reason="only one", actor="ann")
    with pytest.raises(RegistryError, match="no earlier one to roll back to"):
        previous_production(database)
    assert _count(database, "model_registry") == 1


def test_model_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    engine = command_line_database(tmp_path, monkeypatch)
    first, second = _register(engine), _register(engine, b"model-b")
    assert run_loanwatch(monkeypatch, "model", "promote", first, "--reason", "first",
                         "--actor", "ann") == 0
    assert run_loanwatch(monkeypatch, "model", "promote", second, "--reason", "better",
                         "--json") == 0
    out = capsys.readouterr().out
    assert orjson.loads(out.splitlines()[-1])["model"] == second
    assert run_loanwatch(monkeypatch, "model", "list", "--json") == 0
    listed = orjson.loads(capsys.readouterr().out)
    assert [(m["id"], m["status"]) for m in listed] == [(second, "production"),
                                                        (first, "retired")]
    assert "payload" not in listed[0] and listed[0]["bytes"] == len(b"model-b")
    assert run_loanwatch(monkeypatch, "model", "rollback", "--reason", "regression") == 0
    assert f"rolled back to {first}" in capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "model", "show", first) == 0
    shown = capsys.readouterr().out
    assert "production" in shown and "regression" in shown and "dpd_now" in shown
    assert run_loanwatch(monkeypatch, "model", "show", "M00042") == 1
    assert "no model M00042" in capsys.readouterr().err
    # Square brackets in a message are text, never console markup.
    assert run_loanwatch(monkeypatch, "model", "show", "[bold]7") == 1
    assert "'[bold]7' is not a model id" in capsys.readouterr().err
    engine.dispose()
