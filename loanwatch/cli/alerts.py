"""``loanwatch alerts run|list|show|ack|assign|resolve``: the early-warning alerts.

``run`` evaluates a rules file as of a date and stores what it raises (one transaction: a run
that fails stores nothing); the others move an alert along its lifecycle, naming the actor
(``--actor``, by default the operating-system user). A rules file with any problem is
refused before a store is touched.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loanwatch.cli.graphiql_links import ALERT_QUERY, graphiql_link
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, stores
from portfolio.alerts import Alert, AlertEvent
from risk.alerts.commands import alert_change
from risk.alerts.feed import feed_for_broker
from risk.alerts.lifecycle import (
    DEFAULT_LIST_LIMIT,
    acknowledge,
    assign,
    get_alert,
    history,
    list_alerts,
    resolve,
)
from risk.alerts.run import RunResult, run_rules
from risk.classification.history import RepaymentHistory
from risk.models.scoring import production_scores
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.rules.schema import MODEL_SIGNALS

__all__ = ["MAX_ALERTS_SHOWN", "app", "default_actor"]

#: New and changed alerts listed by ``alerts run`` (all of them with ``--json``).
MAX_ALERTS_SHOWN: Final = 20

app = typer.Typer(help="Early-warning alerts: raise them from the rules, and work them.",
                  no_args_is_help=True)
console = Console()

ActorOption = typer.Option(
    None, "--actor", help="Who does this, recorded in the alert's history "
                          "[default: the operating-system user].", show_default=False)
NoteOption = typer.Option(None, "--note", help="A note kept in the alert's history.")
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def default_actor() -> str:
    """The operating-system user name (``uid-N`` where the system has no name for it)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid-{os.getuid()}"


@app.command()
def run(
    rules_file: Path = typer.Option(DEFAULT_RULES_FILE, "--rules", help="The rules file.",
                                    show_default="the shipped default rules"),
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], show_default="today (UTC)",
        help="Evaluate the portfolio as it stood on this date (YYYY-MM-DD)."),
    as_json: bool = JsonOption,
    actor: str | None = ActorOption,
) -> None:
    """Evaluate the rules and store the alerts: print what was raised, updated, held back by
    a cool-down, and which rules were skipped and why."""
    rules = load_rules(rules_file)  # a bad file stops here, before any connection
    day = as_of.date() if as_of is not None else datetime.now(UTC).date()
    settings = Settings.from_environ()
    feed = feed_for_broker(settings.broker_url_value)
    with stores(settings) as (engine, graph):
        needs_pd = any(rule.signal in MODEL_SIGNALS for rule in rules.enabled())
        try:
            result = run_rules(rules, as_of=day, graph=graph, engine=engine,
                               actor=actor or default_actor(),
                               delinquency=RepaymentHistory(engine),
                               scores=production_scores(engine, graph, day) if needs_pd
                               else None, feed=feed)
        finally:
            if feed is not None:
                feed.close()
    if as_json:
        _echo_json(_run_json(result))
    else:
        _print_run(result)


@app.command(name="list")
def list_(
    status: str | None = typer.Option(
        None, "--status", help="Only alerts of this status: open, acknowledged, assigned, "
                               "resolved."),
    limit: int = typer.Option(DEFAULT_LIST_LIMIT, "--limit", min=1, help="At most this many."),
    as_json: bool = JsonOption,
) -> None:
    """The alerts, newest first."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        alerts = list_alerts(engine, status=status, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        _echo_json({"alerts": [_alert_json(a) for a in alerts]})
        return
    table = Table(title=f"{len(alerts)} alerts" + (f" ({status})" if status else ""))
    for column in ("id", "status", "severity", "rule", "subject", "as of", "raised",
                   "assignee"):
        table.add_column(column)
    for alert in alerts:
        table.add_row(str(alert.id), alert.status, alert.severity, escape(alert.rule_id),
                      escape(f"{alert.subject_kind} {alert.subject_id}"),
                      alert.as_of.isoformat(), f"{alert.raised_at:%Y-%m-%d %H:%M}",
                      escape(alert.assignee or ""))
    console.print(table)


@app.command()
def show(alert_id: int = typer.Argument(..., help="The alert's id."),
         as_json: bool = JsonOption) -> None:
    """One alert: its signals, its evidence path and its history."""
    settings = Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        alert = get_alert(engine, alert_id)
        events = history(engine, alert_id)
    finally:
        engine.dispose()
    link = graphiql_link(settings.host, settings.port, ALERT_QUERY, {"id": str(alert.id)})
    if as_json:
        document = _alert_json(alert) | {"history": [_event_json(e) for e in events],
                                         "graphiql": link}
        _echo_json(document)
        return
    console.print(f"alert {alert.id}: {alert.severity} {escape(alert.rule_id)} on "
                  f"{alert.subject_kind} {escape(alert.subject_id)} ({alert.status}"
                  f"{', assigned to ' + escape(alert.assignee) if alert.assignee else ''})",
                  highlight=False)
    for signal in alert.signals:
        text = json.dumps(signal, ensure_ascii=False)
        console.print(f"  signal: {escape(text)}", highlight=False)
    edges = alert.evidence.get("edges", [])
    for edge in edges[:MAX_ALERTS_SHOWN]:
        console.print(f"  path: {escape(edge['source'])} -[{edge['type']}]-> "
                      f"{escape(edge['target'])}", highlight=False)
    if len(edges) > MAX_ALERTS_SHOWN:
        console.print(f"  path: ... {len(edges) - MAX_ALERTS_SHOWN} more edges (--json)",
                      highlight=False)
    for event in events:
        console.print(f"  {event.at:%Y-%m-%d %H:%M} {escape(event.actor)} {event.action}"
                      f"{': ' + escape(event.note) if event.note else ''}", highlight=False)
    console.print(f"  open in GraphiQL (with `loanwatch serve` running): {escape(link)}",
                  highlight=False, soft_wrap=True)


@app.command(name="ack")
def ack(alert_id: int = typer.Argument(..., help="The alert's id."),
        note: str | None = NoteOption, actor: str | None = ActorOption) -> None:
    """Acknowledge an open alert."""
    _move(lambda engine, who: acknowledge(engine, alert_id, actor=who, note=note), actor)


@app.command(name="assign")
def assign_(alert_id: int = typer.Argument(..., help="The alert's id."),
            to: str = typer.Option(..., "--to", help="Who the alert goes to."),
            note: str | None = NoteOption, actor: str | None = ActorOption) -> None:
    """Assign an alert to someone (again, to reassign it)."""
    _move(lambda engine, who: assign(engine, alert_id, to=to, actor=who, note=note), actor)


@app.command(name="resolve")
def resolve_(alert_id: int = typer.Argument(..., help="The alert's id."),
             note: str | None = NoteOption, actor: str | None = ActorOption) -> None:
    """Resolve an alert; its rule then cools down for that subject."""
    _move(lambda engine, who: resolve(engine, alert_id, actor=who, note=note), actor)


def _move(change: Any, actor: str | None) -> None:
    settings = Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        alert: Alert = change(engine, actor or default_actor())
    finally:
        engine.dispose()
    feed = feed_for_broker(settings.broker_url_value)
    if feed is not None:  # the API's subscribers hear moves made here too
        try:
            feed.publish(alert_change(alert, {"open": "raised"}.get(alert.status,
                                                                     alert.status)))
        finally:
            feed.close()
    assignee = f" ({alert.assignee})" if alert.status == "assigned" else ""
    console.print(f"alert {alert.id} is now {alert.status}{escape(assignee)}", highlight=False)


def _run_json(result: RunResult) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {
        "raised": [], "escalated": [], "updated": [], "unchanged": [], "cooled_down": []}
    for found in result.outcomes:
        draft = found.draft
        grouped[found.outcome].append({
            "alert_id": found.alert_id, "rule_id": draft.rule_id, "severity": draft.severity,
            "subject_kind": draft.subject_kind, "subject_id": draft.subject_id,
            "reason": found.reason, "signals": draft.signals, "evidence": draft.evidence})
    return {"as_of": result.as_of.isoformat(), "rules_file": result.rules_file,
            "evaluated": result.evaluated, **grouped,
            "skipped": [{"rule_id": s.rule_id, "signal": s.signal, "reason": s.reason}
                        for s in result.skipped],
            "notes": result.notes}


def _print_run(result: RunResult) -> None:
    outcomes = ("raised", "escalated", "updated", "unchanged", "cooled_down")
    console.print(f"alerts as of {result.as_of} ({escape(result.rules_file)}): " + ", ".join(
        f"{result.count(name)} {name.replace('_', ' ')}" for name in outcomes), highlight=False)
    per_rule: dict[str, dict[str, int]] = {rule_id: {} for rule_id in result.evaluated}
    for found in result.outcomes:
        counts = per_rule.setdefault(found.draft.rule_id, {})
        counts[found.outcome] = counts.get(found.outcome, 0) + 1
    table = Table(title="per rule")
    table.add_column("rule")
    for name in outcomes:
        table.add_column(name.replace("_", " "), justify="right")
    for rule_id, counts in per_rule.items():
        table.add_row(escape(rule_id), *(str(counts.get(name, 0)) for name in outcomes))
    console.print(table)
    shown = [found for found in result.outcomes if found.outcome != "unchanged"]
    if shown:
        table = Table(title="new and changed alerts")
        for column in ("outcome", "alert", "rule", "severity", "subject", "why"):
            table.add_column(column)
        for found in shown[:MAX_ALERTS_SHOWN]:
            draft = found.draft
            table.add_row(found.outcome, str(found.alert_id), escape(draft.rule_id),
                          draft.severity, escape(f"{draft.subject_kind} {draft.subject_id}"),
                          escape(_summary(draft.signals) if found.outcome == "raised"
                                 else found.reason))
        console.print(table)
        if len(shown) > MAX_ALERTS_SHOWN:
            console.print(f"... and {len(shown) - MAX_ALERTS_SHOWN} more: `loanwatch alerts "
                          "list`, or `--json` for every one", highlight=False)
    for skipped in result.skipped:
        console.print(f"skipped {escape(skipped.rule_id)} ({skipped.signal}): "
                      f"{escape(skipped.reason)}", highlight=False)
    for rule_id, notes in result.notes.items():
        for note in notes:
            console.print(f"note {escape(rule_id)}: {escape(note)}", highlight=False)


def _summary(signals: list[dict[str, Any]]) -> str:
    first = {k: v for k, v in signals[0].items() if k != "signal"} if signals else {}
    text = ", ".join(f"{k}={v}" for k, v in list(first.items())[:4])
    return text + (f" (+{len(signals) - 1} more)" if len(signals) > 1 else "")


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "rule_id": alert.rule_id, "severity": alert.severity,
            "subject_kind": alert.subject_kind, "subject_id": alert.subject_id,
            "status": alert.status, "assignee": alert.assignee,
            "raised_at": alert.raised_at.isoformat(), "updated_at": alert.updated_at.isoformat(),
            "resolved_at": None if alert.resolved_at is None else alert.resolved_at.isoformat(),
            "as_of": alert.as_of.isoformat(), "signals": alert.signals,
            "evidence": alert.evidence}


def _event_json(event: AlertEvent) -> dict[str, Any]:
    return {"at": event.at.isoformat(), "actor": event.actor, "action": event.action,
            "from_status": event.from_status, "to_status": event.to_status,
            "note": event.note}


def _echo_json(document: dict[str, Any]) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
