"""``loanwatch disposals propose|approve|reject|list|show``: disposal under maker-checker.

A restructuring (term extension, payment holiday, reduced installments), a write-off, a
recovery after write-off or a collateral sale is proposed by one user and approved or
rejected by another (:mod:`risk.disposals`). Whoever proposes or decides signs in: ``--as
LOGIN`` and the password, asked on the terminal (or read from the first line of standard
input with ``--password-stdin``), checked against the user store, so the four-eyes rule is
checked on an authenticated identity, never on a name typed in. Amounts are in the loan's
currency (``1234.56``).
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from auth.credentials import Passwords
from auth.users import UserStore
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import audit_trail, create_engine_from_settings, stores
from portfolio.disposals import DisposalKind, DisposalState
from portfolio.money import minor_to_decimal
from risk.disposals import (
    DisposalView,
    InvalidTerms,
    Person,
    Terms,
    approve,
    get_disposal,
    list_disposals,
    propose,
    reject,
)

__all__ = ["app"]

app = typer.Typer(help="Disposals under maker-checker: propose, approve, reject, list, show.",
                  no_args_is_help=True)
console = Console()
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
LoginOption = typer.Option(..., "--as", metavar="LOGIN",
                           help="Who you are: a user (`loanwatch users list`); the password "
                                "is asked.")
PasswordStdinOption = typer.Option(False, "--password-stdin",
                                   help="Read the password from standard input.")
ReasonOption = typer.Option(..., "--reason", metavar="TEXT", help="Why (kept, audited).")
EventIdOption = typer.Option(None, "--event-id", metavar="ID",
                             help="An id of this command: sent again, it changes nothing.")
#: The option of each field a proposal's error names.
_OPTIONS: Final = {"loan_id": "LOAN", "effective_on": "--effective-on",
                   "extend_by": "--extend-by", "holiday": "--holiday", "reduced": "--reduced",
                   "payment": "--payment", "amount": "--amount", "collateral_id": "--collateral",
                   "proceeds": "--proceeds", "costs": "--costs"}


def _echo(document: Any) -> None:
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")


def _amount(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ConfigurationError(f"{option} {text!r} is not an amount (1234.56)") from None


def _signed_in(engine: Engine, login: str, from_stdin: bool) -> Person:
    """The user ``login``, once their password checks out.

    Raises:
        ConfigurationError: no password given, or the login and password do not match.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigurationError("--password-stdin: standard input has no password on its "
                                     "first line")
    else:
        password = str(typer.prompt(f"Password of {login}", hide_input=True))
    user = UserStore(engine, Passwords()).authenticate(login, password)
    if user is None:
        raise ConfigurationError(f"--as {login!r}: wrong login or password",
                                 suggestion="`loanwatch users list` shows the users")
    return Person(user.login, user.role)


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else f"{minor_to_decimal(minor, currency)} {currency}"


def _summary(found: DisposalView) -> str:
    what = {DisposalKind.TERM_EXTENSION.value: "term extension",
            DisposalKind.PAYMENT_HOLIDAY.value: "payment holiday",
            DisposalKind.REDUCED_INSTALLMENTS.value: "reduced installments",
            DisposalKind.WRITE_OFF.value: "write-off", DisposalKind.RECOVERY.value: "recovery",
            DisposalKind.COLLATERAL_DISPOSAL.value: "collateral disposal"}[found.kind]
    amount = _money(found.amount_minor, found.currency)
    return (f"disposal {found.id}: {what} of loan {found.loan_id}"
            + (f", {amount}" if amount else "") + f", {found.state}")


def _report(found: DisposalView, as_json: bool) -> None:
    if as_json:
        _echo({**found.as_json(), "replayed": found.replayed})
        return
    note = " (already recorded under this event id: nothing changed)" if found.replayed else ""
    console.print(escape(_summary(found)) + note, highlight=False)


@app.command(name="propose")
def propose_(
    loan_id: str = typer.Argument(..., metavar="LOAN", help="The loan's id."),
    kind: DisposalKind = typer.Option(..., "--kind", case_sensitive=False,
                                      help="What is proposed."),
    effective_on: str = typer.Option(..., "--effective-on", metavar="DATE",
                                     help="When it takes effect (YYYY-MM-DD)."),
    extend_by: int | None = typer.Option(None, "--extend-by", metavar="N",
                                         help="More installments (term_extension, "
                                              "reduced_installments)."),
    holiday: int | None = typer.Option(None, "--holiday", metavar="N",
                                       help="Installments not paid (payment_holiday)."),
    reduced: int | None = typer.Option(None, "--reduced", metavar="N",
                                       help="Installments of --payment each "
                                            "(reduced_installments)."),
    payment: str | None = typer.Option(None, "--payment", metavar="AMOUNT",
                                       help="The reduced installment."),
    amount: str | None = typer.Option(None, "--amount", metavar="AMOUNT",
                                      help="Written off (default: all owed) or recovered."),
    collateral: str | None = typer.Option(None, "--collateral", metavar="ID",
                                          help="The collateral sold (collateral_disposal)."),
    proceeds: str | None = typer.Option(None, "--proceeds", metavar="AMOUNT",
                                        help="What the sale fetched."),
    costs: str | None = typer.Option(None, "--costs", metavar="AMOUNT",
                                     help="What the sale cost."),
    no_difficulty: bool = typer.Option(False, "--no-financial-difficulty",
                                       help="A restructuring that is not a concession to a "
                                            "debtor in financial difficulty."),
    reason: str = ReasonOption,
    login: str = LoginOption,
    password_stdin: bool = PasswordStdinOption,
    event_id: str | None = EventIdOption,
    as_json: bool = JsonOption,
) -> None:
    """Propose a disposal: checked and computed, stored until another person decides."""
    try:
        day = date.fromisoformat(effective_on)
    except ValueError:
        raise ConfigurationError(f"--effective-on {effective_on!r} is not a date "
                                 "YYYY-MM-DD") from None
    terms = Terms(kind=kind, effective_on=day, extend_by=extend_by, holiday=holiday,
                  reduced=reduced, payment=_amount(payment, "--payment"),
                  amount=_amount(amount, "--amount"), collateral_id=collateral,
                  proceeds=_amount(proceeds, "--proceeds"), costs=_amount(costs, "--costs"),
                  financial_difficulty=not no_difficulty)
    settings = Settings.from_environ()
    with stores(settings) as (engine, graph):
        person = _signed_in(engine, login, password_stdin)
        with audit_trail(settings, engine) as trail:
            try:
                found = propose(engine, graph, terms, loan_id=loan_id, reason=reason,
                                proposer=person, audit=trail, event_id=event_id)
            except InvalidTerms as exc:
                raise ConfigurationError("; ".join(
                    f"{_OPTIONS.get(p.field, p.field)}: {p.problem}" for p in exc.problems),
                    suggestion="nothing was stored") from None
    _report(found, as_json)
    if not as_json and found.plan.get("schedule"):
        _schedule(found)


def _decide(disposal_id: int, login: str, password_stdin: bool, reason: str,
            event_id: str | None, approving: bool) -> DisposalView:
    settings = Settings.from_environ()
    with stores(settings) as (engine, graph):
        person = _signed_in(engine, login, password_stdin)
        with audit_trail(settings, engine) as trail:
            if approving:
                return approve(engine, graph, disposal_id, checker=person, reason=reason,
                               audit=trail, event_id=event_id)
            return reject(engine, disposal_id, checker=person, reason=reason, audit=trail,
                          event_id=event_id)


@app.command(name="approve")
def approve_(
    disposal_id: int = typer.Argument(..., metavar="DISPOSAL", help="The disposal's id."),
    reason: str = ReasonOption, login: str = LoginOption,
    password_stdin: bool = PasswordStdinOption, event_id: str | None = EventIdOption,
    as_json: bool = JsonOption,
) -> None:
    """Approve a disposal someone else proposed, and apply it."""
    _report(_decide(disposal_id, login, password_stdin, reason, event_id, True), as_json)


@app.command(name="reject")
def reject_(
    disposal_id: int = typer.Argument(..., metavar="DISPOSAL", help="The disposal's id."),
    reason: str = ReasonOption, login: str = LoginOption,
    password_stdin: bool = PasswordStdinOption, event_id: str | None = EventIdOption,
    as_json: bool = JsonOption,
) -> None:
    """Reject a disposal someone else proposed: nothing of the loan changes."""
    _report(_decide(disposal_id, login, password_stdin, reason, event_id, False), as_json)


@app.command(name="list")
def list_(
    states: list[DisposalState] = typer.Option([], "--state", case_sensitive=False,
                                               help="Only these states (repeat)."),
    kinds: list[DisposalKind] = typer.Option([], "--kind", case_sensitive=False,
                                             help="Only these kinds (repeat)."),
    loan_id: str | None = typer.Option(None, "--loan", metavar="ID", help="Only this loan."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many."),
    as_json: bool = JsonOption,
) -> None:
    """Disposals, oldest first."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        found = list_disposals(engine, states=[s.value for s in states],
                               kinds=[k.value for k in kinds], loan_id=loan_id, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        _echo({"disposals": [d.as_json() for d in found]})
        return
    table = Table(title=f"{len(found)} disposal(s)")
    for column in ("id", "loan", "kind", "effective", "amount", "state", "proposed by",
                   "decided by"):
        table.add_column(column, no_wrap=True)
    for d in found:
        table.add_row(str(d.id), escape(d.loan_id), d.kind, d.effective_on.isoformat(),
                      _money(d.amount_minor, d.currency), d.state, escape(d.proposed_by),
                      escape(d.decided_by or ""))
    console.print(table)


def _schedule(found: DisposalView) -> None:
    table = Table(title=f"the new schedule from {found.effective_on.isoformat()} (replaces "
                        f"{len(found.plan['replaces'])} installment(s))")
    for column in ("seq", "due on", "principal", "interest", "total"):
        table.add_column(column, no_wrap=True, justify="right")
    for row in found.plan["schedule"]:
        principal, interest = row["principal_minor"], row["interest_minor"]
        table.add_row(str(row["seq"]), row["due_on"], _money(principal, found.currency),
                      _money(interest, found.currency),
                      _money(principal + interest, found.currency))
    console.print(table)


@app.command()
def show(disposal_id: int = typer.Argument(..., metavar="DISPOSAL", help="The disposal's id."),
         as_json: bool = JsonOption) -> None:
    """A disposal: its terms, what it does (or did), and every transition."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        found = get_disposal(engine, disposal_id)
    finally:
        engine.dispose()
    if as_json:
        _echo(found.as_json())
        return
    console.print(escape(_summary(found)), highlight=False)
    console.print(f"effective on {found.effective_on.isoformat()}; terms "
                  f"{escape(orjson.dumps(found.terms).decode())}; reason: "
                  f"{escape(found.reason)}", highlight=False)
    if found.plan.get("schedule") is not None:
        _schedule(found)
    if found.outcome is not None:
        console.print(f"applied: {escape(orjson.dumps(found.outcome).decode())}",
                      highlight=False)
    table = Table(title="transitions")
    for column in ("seq", "event", "from", "to", "who", "when", "why"):
        table.add_column(column)
    for h in found.history:
        table.add_row(str(h.seq), h.event, h.from_state or "", h.to_state, escape(h.actor),
                      f"{h.recorded_at:%Y-%m-%d %H:%M}", escape(h.reason))
    console.print(table)
