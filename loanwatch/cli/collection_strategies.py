"""``loanwatch collections strategies|tasks|contact``: the collections strategies, their
daily step and report, collectors' tasks, and borrowers' contact preferences.

* ``collections strategies run --as-of DATE``: the daily strategy step (assign new cases,
  follow up promises to pay, execute due actions; :func:`risk.collections.strategy_step.
  run_strategy_step`). Messages are kept as dispatched actions (channel, not-before time);
  a notification outbox, when configured, takes them in the same transaction.
* ``collections strategies report [--as-of DATE] [--from D1 --to D2]``: cure rate, amount
  recovered, cost per action kind and promises per strategy and arm.
* ``collections strategies check FILE``: read a strategies file and say what is wrong.
* ``collections strategies actions CASE``: a case's planned and executed actions.
* ``collections tasks list [--kind K]``, ``collections tasks done ID --outcome TEXT``.
* ``collections contact set PARTY [--prefer CH] [--refuse CH] [--timezone TZ]``,
  ``collections contact show PARTY``.

The strategies file is ``--strategies FILE``, else ``LOANWATCH_COLLECTIONS_STRATEGIES``,
else the built-in strategies. Changes by a person go to the audit trail.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jobs.collection_messages import StrategyOutbox
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.dates import as_of_date
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import (
    audit_trail,
    records_engine,
)
from portfolio.money import minor_to_decimal
from risk.collections.actions import ActionView, case_actions, complete_task, list_tasks
from risk.collections.contact import Preference, get_contact_preference, set_contact_preference
from risk.collections.strategy_config import DEFAULT_STRATEGIES, StrategyConfig
from risk.collections.strategy_file import load_strategy_config
from risk.collections.strategy_report import StrategyReport, strategy_report
from risk.collections.strategy_step import StepOutcome, run_strategy_step

__all__ = ["contact_app", "strategies_app", "tasks_app"]

strategies_app = typer.Typer(help="Collections strategies: the daily step, the champion/"
                             "challenger report, the strategies file.", no_args_is_help=True)
tasks_app = typer.Typer(help="Collectors' tasks: calls, letters, field visits, legal "
                        "referrals.", no_args_is_help=True)
contact_app = typer.Typer(help="Borrowers' contact preferences: channel, refusals, time "
                          "zone.", no_args_is_help=True)
console = Console()
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
StrategiesOption = typer.Option(
    None, "--strategies", metavar="FILE", help="The strategies (YAML) [default: "
    "LOANWATCH_COLLECTIONS_STRATEGIES, else the built-in ones].", show_default=False)
ActorOption = typer.Option(None, "--actor", metavar="LOGIN", help="Who [default: the "
                           "operating-system user].", show_default=False)


def _echo(document: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


def _strategies(path: Path | None, settings: Settings) -> StrategyConfig:
    chosen = path or settings.collections_strategies
    return DEFAULT_STRATEGIES if chosen is None else load_strategy_config(chosen)


@strategies_app.command("run")
def run_step(
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="The day (YYYY-MM-DD; default today)."),
    strategies: Path | None = StrategiesOption,
    as_json: bool = JsonOption,
) -> None:
    """Assign strategies to new cases, follow up promises, execute the due actions."""
    settings = Settings.from_environ()
    config = _strategies(strategies, settings)  # a bad file stops here
    day = as_of_date(as_of)
    with records_engine(settings) as engine, audit_trail(settings, engine) as trail:
        outcome = run_strategy_step(engine, day, config=config,
                                    dispatcher=StrategyOutbox(), audit=trail,
                                    client_id="cli")
    if as_json:
        _echo(outcome.as_json())
        return
    _print_step(outcome)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {escape(k)}" for k, n in sorted(counts.items())) or "none"


def _print_step(outcome: StepOutcome) -> None:
    console.print(
        f"Strategy step for {outcome.as_of.isoformat()}: assigned {_counts(outcome.assigned)}"
        + (f" ({outcome.unassigned:,} cases matched no segment rule)"
           if outcome.unassigned else "")
        + f"; promises kept {outcome.promises['kept']:,}, broken "
        f"{outcome.promises['broken']:,} (cases escalated: {outcome.escalated:,}); "
        f"messages {_counts(outcome.dispatched)}; tasks {_counts(outcome.tasks)}; "
        f"waiting {_counts(outcome.waiting)}; cancelled {outcome.cancelled:,}. "
        f"{outcome.seconds:.1f} s.", highlight=False)


@strategies_app.command("report")
def report(
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Outcomes as of this day [default: today]."),
    start: str | None = typer.Option(None, "--from", metavar="DATE",
                                     help="Only cases assigned on or after this day."),
    end: str | None = typer.Option(None, "--to", metavar="DATE",
                                   help="Only cases assigned on or before this day."),
    as_json: bool = JsonOption,
) -> None:
    """Cure rate, amount recovered, cost and promises per strategy and arm."""
    day = as_of_date(as_of)
    with records_engine(Settings.from_environ()) as engine:
        found = strategy_report(engine, day, start=_day(start, "--from"),
                                end=_day(end, "--to"))
    if as_json:
        _echo(found.as_json())
        return
    _print_report(found)


def _money(amounts: dict[str, int]) -> str:
    return ", ".join(f"{minor_to_decimal(m, c):,} {c}" for c, m in sorted(amounts.items())) \
        or "0"


def _print_report(found: StrategyReport) -> None:
    window = "" if found.start is None and found.end is None else \
        f", assigned {found.start or '…'} to {found.end or '…'}"
    table = Table(title=f"Collections strategies as of {found.as_of.isoformat()}{window}")
    for name in ("strategy", "arm", "cases", "cured", "cure rate", "recovered", "cost",
                 "actions", "promises kept/broken"):
        table.add_column(name, justify="right" if name in ("cases", "cured", "cure rate")
                         else "left")
    for o in found.outcomes:
        rate = "-" if o.cure_rate is None else f"{o.cure_rate:.1%}"
        table.add_row(escape(o.strategy), o.arm, f"{o.cases:,}", f"{o.cured:,}", rate,
                      _money(o.recovered), _money(o.cost()),
                      ", ".join(f"{a.count:,} {a.kind}" for a in o.actions) or "-",
                      f"{o.promises.get('kept', 0)}/{o.promises.get('broken', 0)}")
    console.print(table)
    if not found.outcomes:
        console.print("No case has been assigned a strategy yet: run `loanwatch collections "
                      "strategies run`.", highlight=False)


@strategies_app.command("check")
def check(file: Path = typer.Argument(..., metavar="FILE", help="The strategies file."),
          as_json: bool = JsonOption) -> None:
    """Read a strategies file and print what it sets (or what is wrong, with the line)."""
    config = load_strategy_config(file)
    if as_json:
        _echo(config.as_json())
        return
    for strategy in config.strategies:
        steps = ", ".join(f"{s.action.value} {s.anchor.value}{s.day:+d}d"
                          for s in strategy.steps)
        console.print(f"{escape(strategy.name)}: {escape(steps)}", highlight=False)
    for rule in config.segments:
        split = ", ".join(f"{name} {share / 100:g}%" for name, share in rule.challengers)
        console.print(f"segments {escape(rule.match)} → {escape(rule.champion)}"
                      + (f" (challengers: {escape(split)})" if split else ""),
                      highlight=False)


def _actions_table(title: str, actions: list[ActionView]) -> Table:
    table = Table(title=title)
    for name in ("id", "case", "step", "kind", "due", "status", "channel", "not before",
                 "note"):
        table.add_column(name)
    for a in actions:
        table.add_row(str(a.id), escape(a.case_id), a.step, a.kind, a.planned_on.isoformat(),
                      a.status, a.channel or "-",
                      "-" if a.not_before is None else a.not_before.isoformat(),
                      escape(a.note or ""))
    return table


@strategies_app.command("actions")
def actions(case_id: str = typer.Argument(..., metavar="CASE", help="The case (LOAN@DATE)."),
            as_json: bool = JsonOption) -> None:
    """A case's strategy actions: planned, dispatched, tasks, cancelled."""
    with records_engine(Settings.from_environ()) as engine:
        found = case_actions(engine, case_id)
    if as_json:
        _echo([a.as_json() for a in found])
        return
    console.print(_actions_table(f"Actions of {escape(case_id)} ({len(found)})", found))


@tasks_app.command("list")
def tasks(
    kind: list[str] = typer.Option([], "--kind", metavar="KIND", help="Only this kind "
                                   "(repeatable): call_task, letter, field_visit, "
                                   "legal_referral."),
    status: list[str] = typer.Option([], "--status", metavar="STATUS",
                                     help="open (default) or done (repeatable)."),
    limit: int = typer.Option(100, "--limit", min=1, help="Tasks listed at most."),
    as_json: bool = JsonOption,
) -> None:
    """Collectors' tasks, the oldest first."""
    with records_engine(Settings.from_environ()) as engine:
        found = list_tasks(engine, kinds=kind or None, statuses=status or None, limit=limit)
    if as_json:
        _echo([a.as_json() for a in found])
        return
    console.print(_actions_table(f"Tasks ({len(found)})", found))


@tasks_app.command("done")
def done(action_id: int = typer.Argument(..., metavar="ID", help="The task's id."),
         outcome: str = typer.Option(..., "--outcome", metavar="TEXT",
                                     help="What came of it (kept in the trail)."),
         actor: str | None = ActorOption, as_json: bool = JsonOption) -> None:
    """Close an open task with its outcome."""
    settings = Settings.from_environ()
    with records_engine(settings) as engine, audit_trail(settings, engine) as trail:
        found = complete_task(engine, action_id, actor=actor or default_actor(),
                              outcome=outcome, audit=trail, client_id="cli")
    if as_json:
        _echo(found.as_json())
        return
    console.print(f"Task {found.id} ({found.kind}, case {escape(found.case_id)}) done by "
                  f"{escape(found.done_by or '')}: {escape(found.note or '')}",
                  highlight=False)


def _print_preference(found: Preference) -> None:
    console.print(f"{escape(found.party_id)}: preferred channel "
                  f"{found.preferred_channel or '(none: the default)'}, refused "
                  f"{', '.join(found.refused) or 'none'}, time zone "
                  f"{escape(found.timezone or '(the default)')}", highlight=False)


@contact_app.command("set")
def set_preference(
    party: str = typer.Argument(..., metavar="PARTY", help="The borrower's id."),
    prefer: str | None = typer.Option(None, "--prefer", metavar="CHANNEL",
                                      help="sms, email or chat."),
    refuse: list[str] = typer.Option([], "--refuse", metavar="CHANNEL",
                                     help="A channel never to use (repeatable)."),
    timezone: str | None = typer.Option(None, "--timezone", metavar="TZ",
                                        help="An IANA time zone (Asia/Shanghai)."),
    actor: str | None = ActorOption,
    as_json: bool = JsonOption,
) -> None:
    """Store what a borrower said about being contacted (replaces what they said before)."""
    settings = Settings.from_environ()
    with records_engine(settings) as engine, audit_trail(settings, engine) as trail:
        found = set_contact_preference(engine, party, preferred_channel=prefer,
                                       refused=refuse, timezone=timezone,
                                       actor=actor or default_actor(), audit=trail,
                                       client_id="cli")
    if as_json:
        _echo(found.as_json())
        return
    _print_preference(found)


@contact_app.command("show")
def show_preference(party: str = typer.Argument(..., metavar="PARTY"),
                    as_json: bool = JsonOption) -> None:
    """What a borrower said about being contacted."""
    with records_engine(Settings.from_environ()) as engine:
        found = get_contact_preference(engine, party)
    if as_json:
        _echo(found.as_json())
        return
    _print_preference(found)
