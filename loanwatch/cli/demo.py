"""``loanwatch demo``: a whole Loanwatch on this machine, with no server to install.

Generates a synthetic portfolio once (kept under ``<data dir>/demo``), imports it into the
configured stores (the embedded default unless ``LOANWATCH_NEO4J_URI`` is set; importing
again changes nothing), trains and promotes the PD model the first time, scans the portfolio
as of its date (so every borrower has a PD with its reason codes, and the alerts are raised),
sends one network signal through the event flow (:mod:`loanwatch.cli.demo_flow`: a review
and a case opened from a guarantor's network alert), prints where to start exploring, and
serves the API.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Final

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from graph.store import GraphStore
from ingest.importer import import_paths
from loanwatch.cli.demo_access import demo_access
from loanwatch.cli.demo_flow import network_signal
from loanwatch.cli.imports import ImportProgressBar, print_report
from loanwatch.cli.serve import check_bind_host, check_port_free, run_server
from loanwatch.settings import Settings
from loanwatch.wiring import open_stores
from risk.models.errors import ModelError
from risk.models.portfolio_training import train_portfolio_models
from risk.models.registry import production_model
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_results import top_scores
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from seeds.ground_truth import GROUND_TRUTH_DIR

__all__ = ["DEFAULT_DEMO_BORROWERS", "demo", "with_business_date"]

DEFAULT_DEMO_BORROWERS: Final = 5_000
_COMPLETE_MARKER: Final = ".complete"

console = Console()


def _portfolio(out: Path, borrowers: int, seed: int) -> Path:
    """The demo portfolio in ``out``, generated unless a finished one is already there."""
    marker = out / _COMPLETE_MARKER
    wanted = f"borrowers={borrowers} seed={seed}\n"
    if marker.exists() and marker.read_text() == wanted:
        console.print(f"portfolio: reusing {out}")
        return out
    with Progress(TextColumn("[bold]{task.description:<26}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("generating portfolio", total=1.0)
        summary = generate_portfolio(
            PortfolioConfig(borrowers=borrowers, seed=seed), out,
            progress=lambda stage, done: bar.update(task, description=stage, completed=done),
        )
    marker.write_text(wanted)
    console.print(f"portfolio: generated {summary.total_rows:,} rows for {borrowers:,} "
                  f"borrowers in {summary.seconds:.1f} s into {out}")
    return out


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _starting_points(portfolio: Path) -> list[str]:
    """Lines telling a newcomer which parties are worth a look, from the ground truth."""
    truth = json.loads((portfolio / GROUND_TRUTH_DIR / "ground_truth.json").read_text())
    lines = []
    if truth.get("guarantee_circles"):
        circle = truth["guarantee_circles"][0]["members"]
        lines.append(f"a guarantee circle of {len(circle)} firms includes {circle[0]}: "
                     f'party(id: "{circle[0]}") {{ guaranteeNetwork(hops: 4) {{ ... }} }}')
    if truth.get("mutual_pairs"):
        a, b = truth["mutual_pairs"][0]
        lines.append(f"{a} and {b} guarantee each other (互保): "
                     f'shortestPaths(source: "{a}", target: "{b}")')
    if truth.get("identity_rings"):
        ring = truth["identity_rings"][0]
        lines.append(f"{len(ring['members'])} persons share {_with_article(ring['kinds'][0])} with "
                     f'{ring["members"][0]}: neighbourhood(id: "{ring["members"][0]}", hops: 2)')
    return lines


def _portfolio_as_of(portfolio: Path) -> date:
    truth = json.loads((portfolio / GROUND_TRUTH_DIR / "ground_truth.json").read_text())
    return date.fromisoformat(truth["as_of"])


def _score_and_scan(engine: Engine, graph: GraphStore, as_of: date) -> None:
    """Train and promote the PD model once (a production model already there is kept),
    then scan as of the portfolio's date, so every borrower has a PD with its reasons."""
    if production_model(engine) is None:
        try:
            with console.status("training the PD models (gradient boosting and scorecard)") \
                    as s:
                trained = train_portfolio_models(
                    engine, graph, as_of, promote_best=True, actor="demo",
                    progress=lambda message: s.update(f"PD model: {message}"))
        except ModelError as exc:  # a small demo portfolio can hold too few defaults
            console.print(f"PD model: not trained ({exc}); the scan runs without PDs",
                          highlight=False)
        else:
            best = trained.kinds[trained.best]
            measured = best.out_of_time or best.out_of_sample
            console.print(f"PD model: {trained.best} {best.model_id} promoted (out-of-time "
                          f"AUC {measured['auc']:.3f}, KS {measured['ks']:.3f}); "
                          "`loanwatch model list` shows both")
    with console.status("scanning the portfolio") as s:
        outcome = run_scan(engine, graph, as_of, rules=load_rules(DEFAULT_RULES_FILE),
                           on_phase=lambda event, name, i, n: s.update(
                               f"scan: {name} ({i + 1}/{n})"))
    scored = outcome.summary.get("scores", {})
    console.print(f"scan run {outcome.run_id} as of {as_of.isoformat()}: "
                  f"{scored.get('borrowers', 0):,} borrowers scored by {scored.get('model')}; "
                  f"`loanwatch scan scores` lists the highest PDs with their reasons")
    highest = top_scores(engine, 3)
    for top in highest:
        reasons = "; ".join(str(r["text"]) for r in top.reasons)
        console.print(f"  • {top.party_id}: PD {top.pd:.1%} ({reasons})", highlight=False)
    if highest:
        console.print(f'  in GraphQL: party(id: "{highest[0].party_id}") '
                      "{ pd { pd model reasons { text contribution } } }", highlight=False)


def with_business_date(settings: Settings, as_of: date) -> Settings:
    """``settings`` with the jobs' business date set to ``as_of`` unless one is set."""
    if settings.jobs_as_of is not None:
        return settings
    return settings.model_copy(update={"jobs_as_of": as_of})


def demo(
    borrowers: int = typer.Option(DEFAULT_DEMO_BORROWERS, "--borrowers", min=100,
                                  help="Borrowers in the generated portfolio."),
    seed: int = typer.Option(7, "--seed", help="Seed of the generated portfolio."),
    port: int | None = typer.Option(None, "--port", min=1, max=65535,
                                    help="Port (default: LOANWATCH_PORT, else 8000)."),
    no_serve: bool = typer.Option(False, "--no-serve",
                                  help="Generate and import, then exit without serving."),
) -> None:
    """Generate a demo portfolio, import it, and serve GraphiQL on 127.0.0.1."""
    settings = Settings.from_environ()
    # The OAuth issuer (and the curl printed) follow --port.
    settings = settings.model_copy(update={"port": port or settings.port})
    # No SMTP server or SMS gateway in a demo: notifications go to the file channel
    # (var/notifications/notifications.jsonl).
    settings = settings.model_copy(update={"notify_file_fallback": True})
    identifier_key = settings.resolved_identifier_key
    check_bind_host(settings.host, allow_remote=False)
    if not no_serve:  # say so now, not after generating and importing
        check_port_free(settings.host, port or settings.port)
    portfolio = _portfolio(settings.data_dir / "demo" / f"portfolio-{borrowers}-{seed}",
                           borrowers, seed)
    # The scheduled reviews and collections run as of the portfolio's date, where its data
    # end (not today's, months later), unless LOANWATCH_JOBS_AS_OF says otherwise.
    settings = with_business_date(settings, _portfolio_as_of(portfolio))
    engine, graph = open_stores(settings)
    try:
        with ImportProgressBar(console) as bar:
            report = import_paths([portfolio], graph=graph, engine=engine,
                                  identifier_key=identifier_key,
                                  batch_rows=settings.import_batch_rows, progress=bar.update)
        print_report(report, console, max_rejects_shown=5)
        as_of = _portfolio_as_of(portfolio)
        _score_and_scan(engine, graph, as_of)
        network_signal(engine, graph, as_of, settings, console)
        console.print("\n[bold]Where to start[/]")
        for line in _starting_points(portfolio):
            console.print(f"  • {line}", highlight=False)
        demo_access(settings, engine).print(console)
        if not no_serve and settings.broker_url_value is None:
            console.print(f"jobs: the reviews and the collections run of "
                          f"{settings.jobs_as_of} start on their own with the server; "
                          "watch them with `loanwatch jobs units` and `loanwatch reviews "
                          "queue`", highlight=False)
        if not no_serve:
            console.print()
            run_server(settings, engine, graph, settings.host, port or settings.port)
    finally:
        graph.close()
        engine.dispose()
