"""``loanwatch scan [--as-of DATE] [--json]`` and ``loanwatch scan show [--run ID] [--json]``.

``scan`` runs the whole pass over the portfolio (:func:`risk.scan.run_scan`) and stores it as
one versioned run, showing each phase's progress; ``--json`` prints one document ``{"run",
"as_of", "status", "phases": {name: {"seconds", "peak_mib"}}, "summary"}``. ``scan show``
prints a stored run's summary (the latest by default).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanwatch.cli.dates import as_of_date
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, stores
from risk.alerts.feed import feed_for_broker
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import DEFAULT_PHASES, DEFAULT_RETENTION, ScanSettings, run_scan
from risk.scan_results import (
    RunSummary,
    ScanNotFound,
    latest_run,
    party_scores,
    run_summary,
    top_scores,
)

__all__ = ["app"]

app = typer.Typer(help="The whole pass over the portfolio, stored as one versioned run.",
                  invoke_without_command=True)
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid-{os.getuid()}"


@app.callback()
def scan(
    ctx: typer.Context,
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Scan the portfolio as it stood on DATE "
        "(YYYY-MM-DD; default today)."),
    as_json: bool = JsonOption,
    rules_file: Path = typer.Option(DEFAULT_RULES_FILE, "--rules", help="The rules file.",
                                    show_default="the shipped default rules"),
    keep: int = typer.Option(DEFAULT_RETENTION, "--keep", min=1,
                             help="Runs kept; older runs and their results are deleted."),
) -> None:
    """Run the scan (circles, groups, rings, components, classification, rules) and store
    it as one run; `loanwatch scan show` reads it back."""
    if ctx.invoked_subcommand is not None:
        return
    rules = load_rules(rules_file)  # a bad file stops here, before any connection
    day = as_of_date(as_of)
    settings = ScanSettings(retention=keep, actor=_actor())
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} phases"),
                        TimeElapsedColumn(), console=Console(stderr=True),
                        disable=as_json or not sys.stderr.isatty(), transient=True)
    task = progress.add_task("scan", total=len(DEFAULT_PHASES) + 2)
    descriptions = {p.name: p.description for p in DEFAULT_PHASES} | {
        "store": "storing the results", "alerts": "raising the alerts"}

    def on_phase(event: str, name: str, index: int, count: int) -> None:
        if event == "start":
            progress.update(task, description=f"{name}: {descriptions.get(name, name)}")
        else:
            progress.update(task, completed=index + 1)

    environment = Settings.from_environ()
    feed = feed_for_broker(environment.broker_url_value)
    with stores(environment) as (engine, store), progress:
        try:
            outcome = run_scan(engine, store, day, rules=rules, settings=settings,
                               on_phase=on_phase, feed=feed)
        finally:
            if feed is not None:
                feed.close()
    if as_json:
        _echo(outcome.as_json())
        return
    _print_run(outcome.as_json())


@app.command()
def show(run: int | None = typer.Option(None, "--run", metavar="ID",
                                        help="The run to show [default: the latest]."),
         as_json: bool = JsonOption) -> None:
    """A stored run: its date, status, code version, phases and summary."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        found: RunSummary | None = latest_run(engine) if run is None \
            else run_summary(engine, run)
    finally:
        engine.dispose()
    if found is None:
        raise ScanNotFound("no scan has succeeded yet", suggestion="run `loanwatch scan`")
    if as_json:
        _echo(found.as_json())
        return
    _print_run(found.as_json())


@app.command()
def scores(
    party: list[str] = typer.Option(None, "--party", metavar="ID",
                                    help="These borrowers (repeat the option)."),
    top: int = typer.Option(20, "--top", min=1, help="Otherwise the highest PDs."),
    run: int | None = typer.Option(None, "--run", metavar="ID",
                                   help="The run to read [default: the latest]."),
    as_json: bool = JsonOption,
) -> None:
    """Borrowers' PD with reason codes, as the scan stored them (the highest first)."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        if party:
            found = party_scores(engine, party, run)
            unknown = [p for p in party if p not in found]
            if unknown:
                raise ScanNotFound(f"no stored PD for {', '.join(unknown)} in the scan read",
                                   suggestion="run `loanwatch scan` with a production model "
                                   "(`loanwatch model list`); only borrowers are scored")
            rows = [found[p] for p in party]
        else:
            rows = top_scores(engine, top, run=run)
    finally:
        engine.dispose()
    if as_json:
        _echo([{"party": s.party_id, "pd": s.pd, "model": s.model_id, "points": s.points,
                "run": s.run_id, "as_of": s.as_of.isoformat(), "reasons": s.reasons}
               for s in rows])
        return
    if not rows:
        typer.echo("no PD stored: promote a model (`loanwatch model fit --promote`), then "
                   "run `loanwatch scan`")
        return
    table = Table("borrower", "PD", "model", "reasons", title=(
        f"PD within 12 months, scan run {rows[0].run_id} as of {rows[0].as_of.isoformat()}"))
    for s in rows:
        table.add_row(s.party_id, f"{s.pd:.2%}", s.model_id,
                      escape("; ".join(str(r["text"]) for r in s.reasons)))
    Console().print(table)


def _print_run(document: dict[str, Any]) -> None:
    console = Console()
    latest = " (latest)" if document.get("latest") else ""
    console.print(f"scan run {document['run']} as of {document['as_of']}: "
                  f"{document['status']}{latest}", highlight=False)
    if document.get("code_version"):
        console.print(f"code {escape(document['code_version'])}", highlight=False)
    if document.get("error"):
        console.print(f"[red]error:[/] {escape(document['error'])}", highlight=False)
    table = Table(title="phases")
    for name in ("phase", "seconds", "peak MiB"):
        table.add_column(name, justify="left" if name == "phase" else "right")
    for name, figures in document.get("phases", {}).items():
        table.add_row(name, f"{figures['seconds']:.2f}", f"{figures['peak_mib']:.0f}")
    console.print(table)
    summary = document.get("summary", {})
    facts = Table(title="summary")
    facts.add_column("what")
    facts.add_column("count", justify="right")
    for key in ("parties", "loans", "co_guarantees", "public_identifiers", "control_cycles"):
        if key in summary:
            facts.add_row(key.replace("_", " "), f"{summary[key]:,}")
    for kind, count in summary.get("findings", {}).items():
        facts.add_row(f"findings: {kind}", f"{count:,}")
    for outcome, count in summary.get("alerts", {}).items():
        facts.add_row(f"alerts {outcome.replace('_', ' ')}", f"{count:,}")
    components = summary.get("components")
    if components:
        facts.add_row("risk components", f"{components['count']:,}")
        facts.add_row("largest component (parties)", f"{components['largest']:,}")
    for tier, row in summary.get("by_tier", {}).items():
        facts.add_row(f"tier {tier}", f"{row['loans']:,}")
    console.print(facts)
    scored = summary.get("scores") or {}
    if scored.get("model"):
        mean = scored.get("mean_pd")
        console.print(
            f"PD by {scored['model']} ({scored['kind']}): {scored['borrowers']:,} borrowers, "
            f"{scored['in_default']:,} in default, mean PD of the others "
            f"{'-' if mean is None else f'{mean:.2%}'}, {scored['pd_over_20pct']:,} at 20% "
            "or more; `loanwatch scan scores` lists them with their reasons", highlight=False)
        if scored.get("drifting_features"):
            console.print("drift (PSI > 0.25 against the training population): "
                          + ", ".join(scored["drifting_features"]), highlight=False)
    elif scored:
        console.print(f"PD: {scored.get('note')}", highlight=False)


def _echo(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
