"""``loanwatch collections``: the daily collections run, the bucket history, roll and cure
rates, and collection cases.

* ``collections run --as-of DATE`` buckets every loan by days past due, keeps each bucket
  move as history and opens, moves and closes cases (:func:`risk.collections.run.
  run_collections`); a date already run changes nothing, a date before the latest run is
  refused, missed days are caught up. ``--json`` prints ``{"days": [{"run", "as_of",
  "already_done", "summary"}]}``.
* ``collections bucket LOAN --as-of DATE``: the loan's bucket and days past due that day.
* ``collections report --from D1 --to D2``: the roll-rate matrix and cure rates.
* ``collections strategies run|report|check|actions``, ``collections tasks list|done``,
  ``collections contact set|show`` (:mod:`loanwatch.cli.collection_strategies`) and
  ``collections promises record|list`` (:mod:`loanwatch.cli.promises`).
* ``collections cases``, ``collections case ID`` (or ``show ID``), ``collections
  hold|resume|close ID``. A case opened from a network alert (the event flow, :mod:`risk.flow`)
  shows the alert and the graph path that raised it, with a link that opens the alert's
  evidence path in GraphiQL.

The settings file is ``--config FILE``, else ``LOANWATCH_COLLECTIONS_CONFIG``, else the
defaults. Case transitions go to the tamper-evident audit trail.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanwatch.cli.alerts import default_actor
from loanwatch.cli.collection_strategies import contact_app, strategies_app, tasks_app
from loanwatch.cli.dates import as_of_date
from loanwatch.cli.graphiql_links import ALERT_QUERY, graphiql_link
from loanwatch.cli.promises import app as promises_app
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import (
    audit_trail,
    records_engine,
)
from portfolio.money import minor_to_decimal
from risk.collections.cases import CaseEventKind, CaseView, get_case, list_cases, transition_case
from risk.collections.config import DEFAULT_COLLECTIONS, CollectionsConfig
from risk.collections.config_file import load_collections_config
from risk.collections.feed import RedisCaseFeed, case_feed_for_broker
from risk.collections.history import bucket_as_of
from risk.collections.rates import RollRates, roll_rates
from risk.collections.run import RunOutcome, run_collections

__all__ = ["app"]

app = typer.Typer(help="Collections: the daily run, bucket history, roll rates, cases.",
                  no_args_is_help=True)
console = Console()
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
ConfigOption = typer.Option(
    None, "--config", metavar="FILE", help="The collections settings (YAML) [default: "
    "LOANWATCH_COLLECTIONS_CONFIG, else the built-in buckets].", show_default=False)


def _echo(document: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


def _config(path: Path | None, settings: Settings) -> CollectionsConfig:
    chosen = path or settings.collections_config
    return DEFAULT_COLLECTIONS if chosen is None else load_collections_config(chosen)


@contextmanager
def _case_feed(settings: Settings) -> Iterator[RedisCaseFeed | None]:
    """The case feed the API's ``caseChanges`` subscribers hear across processes (Redis
    pub/sub with a Redis broker); ``None`` without one (nobody else could hear)."""
    feed = case_feed_for_broker(settings.broker_url_value)
    try:
        yield feed
    finally:
        if feed is not None:
            feed.close()


@app.command()
def run(
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="The day to run (YYYY-MM-DD; default today). "
        "Missed days since the last run are run first."),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Bucket every loan by days past due, keep the moves, open/move/close cases."""
    settings = Settings.from_environ()
    chosen = _config(config, settings)  # a bad file stops here, before any connection
    day = as_of_date(as_of)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True),
                        disable=as_json or not sys.stderr.isatty(), transient=True)
    task = progress.add_task("collections", total=None)

    def on_progress(step: str, done: int, total: int) -> None:
        progress.update(task, description=step, completed=done, total=total)

    with records_engine(settings) as engine, audit_trail(settings, engine) as trail, progress, \
            _case_feed(settings) as feed:
        outcome = run_collections(engine, day, audit=trail, config=chosen,
                                  actor=default_actor(), client_id="cli",
                                  on_progress=on_progress, feed=feed)
    if as_json:
        _echo(outcome.as_json())
        return
    _print_run(outcome)


def _print_run(outcome: RunOutcome) -> None:
    """The last day's buckets; the case transitions and history rows of every day run."""
    last = outcome.last
    summary = last.summary
    days = outcome.days
    title = f"Collections run {last.run_id} for {last.as_of.isoformat()}" + (
        " (already done: nothing changed)" if last.already_done else "")
    table = Table(title=title)
    table.add_column("bucket")
    table.add_column("loans", justify="right")
    for name, count in summary.get("by_bucket", {}).items():
        table.add_row(escape(name), f"{count:,}")
    console.print(table)
    if last.already_done:
        return
    cases: dict[str, int] = {}
    rows: dict[str, int] = {}
    seconds = 0.0
    for day in days:
        for event, n in day.summary.get("cases", {}).items():
            cases[event] = cases.get(event, 0) + n
        for kind, n in day.summary.get("history_rows", {}).items():
            rows[kind] = rows.get(kind, 0) + n
        seconds += sum(day.summary.get("seconds", {}).values())
    span = f"{len(days)} days ({days[0].as_of.isoformat()} to {last.as_of.isoformat()}, " \
        "missed days caught up)" if len(days) > 1 else "1 day"
    console.print(
        f"Ran {span}. Cases: " + ", ".join(f"{n:,} {event.replace('_', ' ')}"
                                           for event, n in cases.items())
        + f"; {summary.get('open_cases', 0):,} open. History rows: {rows.get('opening', 0):,}"
        f" first observations, {rows.get('move', 0):,} moves, {rows.get('restate', 0):,} "
        f"restated. {seconds:.1f} s.", highlight=False)


@app.command()
def bucket(
    loan: str = typer.Argument(..., metavar="LOAN", help="The loan's id."),
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="The day asked about [default: today]."),
    as_json: bool = JsonOption,
) -> None:
    """A loan's delinquency bucket and days past due on a past date, from the history."""
    day = as_of_date(as_of)
    with records_engine(Settings.from_environ()) as engine:
        position = bucket_as_of(engine, loan, day)
    if as_json:
        _echo(position.as_json())
        return
    console.print(f"{escape(loan)} on {day.isoformat()}: bucket {escape(position.bucket)}, "
                  f"{position.dpd} days past due (in this bucket since "
                  f"{position.since.isoformat()})", highlight=False)


@app.command()
def report(
    start: str = typer.Option(..., "--from", metavar="DATE", help="The first date."),
    end: str = typer.Option(..., "--to", metavar="DATE", help="The second date."),
    as_json: bool = JsonOption,
) -> None:
    """Roll rates (bucket to bucket) and cure rates between two dates."""
    with records_engine(Settings.from_environ()) as engine:
        rates = roll_rates(engine, _day(start, "--from"), _day(end, "--to"))
    if as_json:
        _echo(rates.as_json())
        return
    _print_rates(rates)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_rates(rates: RollRates) -> None:
    table = Table(title=f"Roll rates {rates.start.isoformat()} → {rates.end.isoformat()} "
                  f"({rates.loans:,} loans; {rates.new_loans:,} new loans not counted)")
    table.add_column("from \\ to")
    for column in rates.columns:
        table.add_column(escape(column), justify="right")
    table.add_column("cure rate", justify="right")
    for row in rates.buckets:
        cells = [f"{n:,} ({_percent(rates.rates[row][c])})" if (n := rates.counts[row][c])
                 else "0" for c in rates.columns]
        table.add_row(escape(row), *cells, _percent(rates.cure_rates.get(row)))
    console.print(table)
    console.print(f"Cure rate of all delinquent loans: {_percent(rates.cure_rate)}",
                  highlight=False)


@app.command()
def cases(
    state: list[str] = typer.Option([], "--state", metavar="STATE", help="Only cases in "
                                    "this state (repeatable): open, on_hold, cured, "
                                    "written_off, closed."),
    segment: str | None = typer.Option(None, "--segment", metavar="KEY",
                                       help="Only this segment (tier/band/behaviour)."),
    loan: str | None = typer.Option(None, "--loan", metavar="ID", help="Only this loan."),
    limit: int = typer.Option(100, "--limit", min=1, help="Cases listed at most."),
    as_json: bool = JsonOption,
) -> None:
    """Collection cases, the most days past due first."""
    with records_engine(Settings.from_environ()) as engine:
        found = list_cases(engine, states=state or None, loan_id=loan, segment=segment,
                           limit=limit)
    if as_json:
        _echo([c.as_json() for c in found])
        return
    table = Table(title=f"Collection cases ({len(found)})")
    for name in ("case", "state", "bucket", "dpd", "outstanding", "segment", "opened"):
        table.add_column(name, justify="right" if name in ("dpd", "outstanding") else "left")
    for c in found:
        table.add_row(escape(c.id), c.state, escape(c.bucket), str(c.dpd),
                      f"{minor_to_decimal(c.outstanding_minor, c.currency):,} {c.currency}",
                      escape(c.segment),
                      c.opened_on.isoformat())
    console.print(table)


def _path_text(path: dict[str, object]) -> str:
    """The evidence path as one line: ``A -TYPE-> B <-TYPE- C``."""
    edges = path.get("edges")
    if not isinstance(edges, list) or not edges:
        nodes = path.get("nodes")
        return ", ".join(str(n.get("id")) for n in nodes if isinstance(n, dict)) \
            if isinstance(nodes, list) else ""
    return "; ".join(f"{e.get('source')} -{e.get('type')}-> {e.get('target')}"
                     for e in edges if isinstance(e, dict))


def _print_triggers(found: CaseView, settings: Settings) -> None:
    for t in found.triggers:
        console.print(f"Opened from {t.severity} alert {t.alert_id} ({escape(t.rule_id)}) "
                      f"after event {escape(t.event_id)}"
                      + ("" if t.review_id is None else f"; triggered review {t.review_id}"),
                      highlight=False)
        console.print(f"  path: {escape(_path_text(t.path))}", highlight=False)
        console.print("  open in GraphiQL: " + graphiql_link(
            settings.host, settings.port, ALERT_QUERY, {"id": str(t.alert_id)}),
            highlight=False, soft_wrap=True)


def _print_case(found: CaseView) -> None:
    console.print(f"Case {escape(found.id)}: {found.state}, bucket {escape(found.bucket)} "
                  f"since {found.bucket_since.isoformat()}, {found.dpd} days past due as of "
                  f"{found.as_of.isoformat()}; segment {escape(found.segment)}",
                  highlight=False)
    table = Table(title="Transitions")
    for name in ("#", "on", "event", "state", "bucket", "dpd", "by", "why"):
        table.add_column(name)
    for h in found.history:
        table.add_row(str(h.seq), h.effective_on.isoformat(), h.event,
                      f"{h.from_state or '-'} → {h.to_state}",
                      f"{h.from_bucket or '-'} → {h.to_bucket or '-'}",
                      "" if h.dpd is None else str(h.dpd), escape(h.actor), escape(h.reason))
    console.print(table)


@app.command()
def case(case_id: str = typer.Argument(..., metavar="CASE", help="The case id (LOAN@DATE)."),
         as_json: bool = JsonOption) -> None:
    """One case with every transition (who, why, when) and, when a network alert opened
    it, the alert's graph path."""
    settings = Settings.from_environ()
    with records_engine(settings) as engine:
        found = get_case(engine, case_id)
    if as_json:
        _echo(found.as_json())
        return
    _print_case(found)
    _print_triggers(found, settings)


app.command(name="show", help="The same as `case`: one case, its transitions and what "
                              "opened it.")(case)


def _transition(case_id: str, event: CaseEventKind, reason: str, actor: str | None,
                as_json: bool) -> None:
    settings = Settings.from_environ()
    with records_engine(settings) as engine, audit_trail(settings, engine) as trail, \
            _case_feed(settings) as feed:
        found = transition_case(engine, case_id, event, actor=actor or default_actor(),
                                reason=reason, audit=trail, client_id="cli", feed=feed)
    if as_json:
        _echo(found.as_json())
        return
    _print_case(found)


ReasonOption = typer.Option(..., "--reason", metavar="TEXT", help="Why (kept in the trail).")
ActorOption = typer.Option(None, "--actor", metavar="LOGIN", help="Who [default: the "
                           "operating-system user].", show_default=False)


@app.command()
def hold(case_id: str = typer.Argument(..., metavar="CASE"), reason: str = ReasonOption,
         actor: str | None = ActorOption, as_json: bool = JsonOption) -> None:
    """Pause collection work on an open case (dispute, hardship review)."""
    _transition(case_id, CaseEventKind.HELD, reason, actor, as_json)


@app.command()
def resume(case_id: str = typer.Argument(..., metavar="CASE"), reason: str = ReasonOption,
           actor: str | None = ActorOption, as_json: bool = JsonOption) -> None:
    """Resume collection work on a case on hold."""
    _transition(case_id, CaseEventKind.RESUMED, reason, actor, as_json)


@app.command()
def close(case_id: str = typer.Argument(..., metavar="CASE"), reason: str = ReasonOption,
          actor: str | None = ActorOption, as_json: bool = JsonOption) -> None:
    """Close a case that needs no more work (a network alert's case on a loan not behind)."""
    _transition(case_id, CaseEventKind.CLOSED, reason, actor, as_json)


app.add_typer(strategies_app, name="strategies")
app.add_typer(tasks_app, name="tasks")
app.add_typer(contact_app, name="contact")
app.add_typer(promises_app, name="promises")
