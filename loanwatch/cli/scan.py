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
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import DEFAULT_PHASES, DEFAULT_RETENTION, ScanSettings, run_scan
from risk.scan_results import RunSummary, ScanNotFound, latest_run, run_summary

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

    with stores(Settings.from_environ()) as (engine, store), progress:
        outcome = run_scan(engine, store, day, rules=rules, settings=settings,
                           on_phase=on_phase)
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


def _echo(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
