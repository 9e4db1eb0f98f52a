"""``loanwatch override set|list|revoke``: audited manual overrides of a loan's tier, IFRS 9
stage or expected credit loss.

Every override and every revocation is a new row naming its actor (``--actor``, by default
the operating-system user), its reason and the day it takes effect; nothing is changed in
place, so ``override list`` is the whole trail. ``loanwatch classify`` and ``loanwatch scan``
apply the overrides in force on their date. The rules (a tier may never be overridden to
better than the loan's regulatory floor) are in :mod:`risk.classification.overrides`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loanwatch.cli.alerts import default_actor
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, stores
from portfolio.overrides import LoanOverride
from risk.classification.overrides import (
    OverrideEntry,
    list_overrides,
    parse_ecl,
    parse_tier,
    revoke_override,
    set_override,
)

__all__ = ["app"]

app = typer.Typer(help="Audited manual overrides of a loan's tier, stage or ECL.",
                  no_args_is_help=True)

ActorOption = typer.Option(
    None, "--actor", help="Who decides, recorded with the override "
                          "[default: the operating-system user].", show_default=False)
FromOption = typer.Option(None, "--from", metavar="DATE",
                          help="The first day it holds (YYYY-MM-DD) [default: today].",
                          show_default=False)
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
ReasonOption = typer.Option(None, "--reason", metavar="TEXT",
                            help="Why (required; kept in the trail).")


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"--from {text!r} is not a date YYYY-MM-DD") from None


def _echo(document: object) -> None:
    typer.echo(orjson.dumps(document).decode())


def _summary(row: LoanOverride) -> str:
    parts = []
    if row.tier is not None:
        parts.append(f"tier {row.tier}")
    if row.stage is not None:
        parts.append(f"stage {row.stage}")
    if row.ecl_minor is not None:
        entry = OverrideEntry(row)
        parts.append(f"ECL {entry.ecl} {row.currency}")
    return ", ".join(parts)


@app.command(name="set")
def set_(
    loan: str = typer.Option(..., "--loan", metavar="ID", help="The loan overridden."),
    tier: str | None = typer.Option(
        None, "--tier", metavar="TIER", help="pass, special_mention, substandard, doubtful "
        "or loss (or 正常/关注/次级/可疑/损失); never better than the loan's floor."),
    stage: int | None = typer.Option(None, "--stage", metavar="N", help="IFRS 9 stage 1-3."),
    ecl: str | None = typer.Option(None, "--ecl", metavar="AMOUNT",
                                   help="Expected credit loss in the loan's currency."),
    reason: str | None = ReasonOption,
    actor: str | None = ActorOption,
    valid_from: str | None = FromOption,
    as_json: bool = JsonOption,
) -> None:
    """Override a loan's tier, stage and/or ECL from a date, with a reason."""
    # Every argument is checked before a store is opened.
    tier_value = None if tier is None else parse_tier(tier)
    ecl_value = None if ecl is None else parse_ecl(ecl)
    day = _day(valid_from)
    with stores(Settings.from_environ()) as (engine, graph):
        row = set_override(engine, graph, loan_id=loan, reason=reason,
                           actor=actor if actor is not None else default_actor(),
                           valid_from=day, now=datetime.now(UTC), tier=tier_value,
                           stage=stage, ecl=ecl_value)
    if as_json:
        _echo(OverrideEntry(row).as_json())
        return
    Console().print(f"override {row.id}: loan {escape(row.loan_id)} {_summary(row)} from "
                    f"{row.valid_from.isoformat()}, by {escape(row.actor)}", highlight=False)


@app.command()
def revoke(
    override_id: int = typer.Argument(..., metavar="ID", help="The override to revoke."),
    reason: str | None = ReasonOption,
    actor: str | None = ActorOption,
    valid_from: str | None = FromOption,
    as_json: bool = JsonOption,
) -> None:
    """End an override from a date (stored as a revocation; the override stays listed)."""
    day = _day(valid_from)
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        row = revoke_override(engine, override_id, reason=reason,
                              actor=actor if actor is not None else default_actor(),
                              valid_from=day, now=datetime.now(UTC))
    finally:
        engine.dispose()
    if as_json:
        _echo(OverrideEntry(row).as_json())
        return
    Console().print(f"override {override_id} of loan {escape(row.loan_id)} revoked from "
                    f"{row.valid_from.isoformat()} (revocation {row.id}), by "
                    f"{escape(row.actor)}", highlight=False)


@app.command(name="list")
def list_(
    loan: str | None = typer.Option(None, "--loan", metavar="ID", help="Only this loan."),
    as_json: bool = JsonOption,
) -> None:
    """The trail of overrides and revocations, oldest first."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        entries = list_overrides(engine, loan_id=loan)
    finally:
        engine.dispose()
    if as_json:
        _echo({"overrides": [entry.as_json() for entry in entries]})
        return
    table = Table(title=f"{len(entries)} override rows" + (f" of loan {loan}" if loan else ""))
    for column in ("id", "loan", "action", "sets", "from", "actor", "reason", "status",
                   "recorded"):
        table.add_column(column)
    for entry in entries:
        row = entry.row
        if row.revokes_id is not None:
            sets, status = f"revokes {row.revokes_id}", ""
        else:
            sets = _summary(row)
            status = (f"revoked by {entry.revoked_by.id} from "
                      f"{entry.revoked_by.valid_from.isoformat()}" if entry.revoked_by else
                      f"replaced by {entry.replaced_by.id} from "
                      f"{entry.replaced_by.valid_from.isoformat()}" if entry.replaced_by else
                      "active")
        table.add_row(str(row.id), escape(row.loan_id), row.action, sets,
                      row.valid_from.isoformat(), escape(row.actor), escape(row.reason),
                      status, f"{row.created_at:%Y-%m-%d %H:%M}")
    Console().print(table)
