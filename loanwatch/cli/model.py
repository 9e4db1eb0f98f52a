"""``loanwatch model list|show|promote|rollback``: the model registry.

Training commands register on this sub-app from their own modules (``model train`` on a
lender's file, ``model train-graph`` on a network, ``model fit`` on the stored portfolio);
this module holds the registry's own commands. Promoting makes a model the production model
of its scope (``portfolio`` models are what the scan scores with); rolling back promotes the
one that was in production before. Both are kept in the promotion history with who and why.
"""

from __future__ import annotations

from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from loanwatch.cli.alerts import default_actor
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings
from portfolio.models import ModelScope
from risk.models.registry import (
    RegisteredModel,
    list_models,
    load_model,
    previous_production,
    promote,
    promotions,
)

__all__ = ["app"]

app = typer.Typer(help="Credit models: train, register, score, and choose the production "
                       "model.", no_args_is_help=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
ActorOption = typer.Option(None, "--actor", help="Who decides, kept in the promotion history "
                                                 "[default: the operating-system user].",
                           show_default=False)
ScopeOption = typer.Option(ModelScope.PORTFOLIO.value, "--scope",
                           help="portfolio (what the scan scores with), file or graph.")


def _echo(document: object) -> None:
    typer.echo(orjson.dumps(document).decode())


def _headline(metrics: dict[str, Any]) -> str:
    """The validation figures a list shows: AUC, KS and Brier, where the model has them
    (a number, or ``{"mean": x, "std": s}`` from cross-validation)."""
    parts = []
    for name in ("auc", "ks", "brier"):
        value = metrics.get(name)
        if isinstance(value, dict) and "mean" in value:
            parts.append(f"{name.upper()} {value['mean']:.3f}±{value.get('std', 0.0):.3f}")
        elif isinstance(value, int | float):
            parts.append(f"{name.upper()} {value:.3f}")
    return "  ".join(parts) or "-"


def _engine() -> Engine:
    return create_engine_from_settings(Settings.from_environ())


@app.command(name="list")
def list_(
    scope: str | None = typer.Option(None, "--scope", help="Only this scope."),
    as_json: bool = JsonOption,
) -> None:
    """Every registered model, newest first, with its status and validation figures."""
    engine = _engine()
    try:
        models = list_models(engine, scope=scope)
    finally:
        engine.dispose()
    if as_json:
        _echo([m.summary() for m in models])
        return
    if not models:
        typer.echo("no models registered yet: `loanwatch model fit` trains one on the stored "
                   "portfolio, `loanwatch model train --data FILE.csv` on a file")
        return
    table = Table("id", "kind", "scope", "status", "target", "features", "validation",
                  "created", title="Registered models")
    for m in models:
        table.add_row(m.id, m.kind, m.scope, m.status, escape(m.target),
                      str(len(m.feature_names)), _headline(m.metrics),
                      m.created_at.strftime("%Y-%m-%d %H:%M"))
    Console().print(table)


#: Training facts `model show` prints, in this order (the rest is in --json).
_TRAINING_FACTS = ("source", "file", "as_of", "snapshots", "horizon_months", "rows",
                   "defaults", "definition_text", "graph_features", "seed")


def _measured(name: str, figures: dict[str, Any] | None) -> str | None:
    if not figures:
        return None
    return (f"  {name:<16}AUC {figures['auc']:.3f}  KS {figures['ks']:.3f}  "
            f"Brier {figures['brier']:.4f}  ({figures['defaults']:,} defaults in "
            f"{figures['rows']:,} rows)")


def _show(model: RegisteredModel, history: list[dict[str, Any]]) -> None:
    console = Console(highlight=False)
    console.print(f"[bold]{model.id}[/] {model.kind}, scope {model.scope}, {model.status}")
    console.print(f"  predicts        {escape(model.target)}")
    console.print(f"  trained         {model.created_at.isoformat()} by {escape(model.actor)}, "
                  f"code {escape(model.code_version)}")
    for key in _TRAINING_FACTS:
        if key in model.training:
            value = model.training[key]
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            console.print(f"  {key.replace('_', ' '):<16}{escape(shown)}")
    console.print(f"  validation      {_headline(model.metrics)}")
    validation = model.metrics.get("validation") or {}
    out_of_time = validation.get("out_of_time") or {}
    for name, figures in (("out of sample", validation.get("out_of_sample")),
                          ("out of time", out_of_time or None),
                          ("OOT unseen", out_of_time.get("unseen"))):
        line = _measured(name, figures)
        if line:
            console.print(line)
    drift = sorted((validation.get("psi_features") or {}).items(), key=lambda kv: -kv[1])[:5]
    if drift:
        console.print("  largest PSI     " + ", ".join(f"{escape(f)} {v:.3f}" for f, v in drift))
    console.print(f"  artefact        {len(model.payload):,} bytes, sha256 {model.payload_sha256}")
    console.print(f"  features        ({len(model.feature_names)}) "
                  f"{escape(', '.join(model.feature_names))}")
    for p in history:
        console.print(f"  promoted        {p['promoted_at']} by {escape(p['actor'])}: "
                      f"{escape(p['reason'])}")


@app.command()
def show(
    model_id: str = typer.Argument(..., metavar="ID", help="The model, e.g. M00003."),
    as_json: bool = JsonOption,
) -> None:
    """One model: what it predicts, its features, training window, metrics, code version,
    artefact checksum (verified) and when it was promoted."""
    engine = _engine()
    try:
        model = load_model(engine, model_id)
        history = [{"reason": p.reason, "actor": p.actor,
                    "promoted_at": p.promoted_at.isoformat()}
                   for p in promotions(engine, model.scope) if p.model_id == model.id]
    finally:
        engine.dispose()
    if as_json:
        _echo({**model.summary(), "promotions": history})
        return
    _show(model, history)


def _promote(engine: Engine, model_id: str, reason: str, actor: str | None,
             as_json: bool, verb: str) -> None:
    done = promote(engine, model_id, reason=reason,
                   actor=actor if actor is not None else default_actor())
    if as_json:
        _echo({"model": done.model_id, "scope": done.scope, "reason": done.reason,
               "actor": done.actor, "promoted_at": done.promoted_at.isoformat()})
        return
    typer.echo(f"{verb} {done.model_id}: now the production model of scope {done.scope}")


@app.command(name="promote")
def promote_(
    model_id: str = typer.Argument(..., metavar="ID", help="The model to put in production."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT",
                               help="Why (kept in the promotion history)."),
    actor: str | None = ActorOption,
    as_json: bool = JsonOption,
) -> None:
    """Make a model the production model of its scope."""
    engine = _engine()
    try:
        _promote(engine, model_id, reason, actor, as_json, "promoted")
    finally:
        engine.dispose()


@app.command()
def rollback(
    reason: str = typer.Option(..., "--reason", metavar="TEXT",
                               help="Why (kept in the promotion history)."),
    scope: str = ScopeOption,
    actor: str | None = ActorOption,
    as_json: bool = JsonOption,
) -> None:
    """Put back the model that was in production before the current one."""
    engine = _engine()
    try:
        _promote(engine, previous_production(engine, scope), reason, actor, as_json,
                 "rolled back to")
    finally:
        engine.dispose()
