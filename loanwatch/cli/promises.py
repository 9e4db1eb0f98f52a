"""``loanwatch collections promises record|list``: promises to pay.

* ``collections promises record CASE --amount 500.00 --by DATE --channel call``: a
  promise made today (or ``--made-on``) on the case's loan; recorded once (the same
  promise again answers the first), audited.
* ``collections promises list [--case CASE] [--status pending|kept|broken]``.

The daily strategy step (``collections strategies run``) marks them kept or broken.
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loanwatch.cli.alerts import default_actor
from loanwatch.cli.dates import as_of_date
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import open_audit_trail, records_engine
from portfolio.money import minor_to_decimal
from risk.collections.promises import PROMISE_CHANNELS, list_promises, record_promise

__all__ = ["app"]

app = typer.Typer(help="Promises to pay: record them, list them.", no_args_is_help=True)
console = Console()
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def _echo(document: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")


@app.command()
def record(
    case_id: str = typer.Argument(..., metavar="CASE", help="The case (LOAN@DATE)."),
    amount: str = typer.Option(..., "--amount", metavar="AMOUNT",
                               help="In the loan's currency (500.00)."),
    by: str = typer.Option(..., "--by", metavar="DATE", help="The day it will be paid by."),
    channel: str = typer.Option("call", "--channel", metavar="CHANNEL",
                                help=f"How it was made: {', '.join(PROMISE_CHANNELS)}."),
    made_on: str | None = typer.Option(None, "--made-on", metavar="DATE",
                                       help="The day it was made [default: today]."),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="Anything to keep."),
    actor: str | None = typer.Option(None, "--actor", metavar="LOGIN", help="Who took it "
                                     "[default: the operating-system user].",
                                     show_default=False),
    as_json: bool = JsonOption,
) -> None:
    """Record a promise to pay on a case."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ConfigurationError(f"--amount {amount!r} is not an amount (500.00)") from None
    settings = Settings.from_environ()
    with records_engine(settings) as engine:
        trail = open_audit_trail(settings, engine)
        try:
            recorded = record_promise(
                engine, case_id, amount=value, promised_for=as_of_date(by), channel=channel,
                actor=actor or default_actor(), audit=trail,
                made_on=None if made_on is None else as_of_date(made_on), note=note,
                client_id="cli")
        finally:
            trail.close()
    if as_json:
        _echo({**recorded.promise.as_json(), "replayed": recorded.replayed})
        return
    p = recorded.promise
    console.print(f"Promise {p.id} on {escape(p.case_id)}: {p.amount:,} {p.currency} by "
                  f"{p.promised_for.isoformat()} ({p.channel}, taken by "
                  f"{escape(p.recorded_by)})"
                  + (" — already recorded, nothing changed" if recorded.replayed else ""),
                  highlight=False)


@app.command("list")
def list_(
    case_id: str | None = typer.Option(None, "--case", metavar="CASE", help="Only this case."),
    status: list[str] = typer.Option([], "--status", metavar="STATUS",
                                     help="pending, kept or broken (repeatable)."),
    limit: int = typer.Option(100, "--limit", min=1, help="Promises listed at most."),
    as_json: bool = JsonOption,
) -> None:
    """Promises to pay, the soonest date first."""
    with records_engine(Settings.from_environ()) as engine:
        found = list_promises(engine, case_id=case_id, statuses=status or None, limit=limit)
    if as_json:
        _echo([p.as_json() for p in found])
        return
    table = Table(title=f"Promises to pay ({len(found)})")
    for name in ("id", "case", "amount", "by", "status", "paid", "channel", "taken by"):
        table.add_column(name, justify="right" if name in ("amount", "paid") else "left")
    for p in found:
        table.add_row(str(p.id), escape(p.case_id), f"{p.amount:,} {p.currency}",
                      p.promised_for.isoformat(), p.status,
                      "-" if p.paid_minor is None
                      else f"{minor_to_decimal(p.paid_minor, p.currency):,}",
                      p.channel, escape(p.recorded_by))
    console.print(table)
