"""``loanwatch reviews run|due|queue|decide``: loan reviews (定期复审 and triggered reviews).

``run`` reviews the loans due on the date (or the ``--loan``\\ s named) in batches, with a
progress bar, each review written once (a second run finds them and writes nothing);
``due`` lists what is due; ``queue`` the reviews waiting for a person; ``decide`` confirms
or overrides one, with a reason, as a user of the front door (``--as``), recorded in the
audit trail. The policy is ``--policy FILE``, else ``LOANWATCH_REVIEW_POLICY_FILE``, else the
shipped one.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from auth.credentials import Passwords
from auth.users import UserStore
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.dates import as_of_date
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, open_audit_trail, stores
from risk.classification.tiers import Tier
from risk.reviews import (
    DEFAULT_POLICY_FILE,
    DEFAULT_REVIEW_BATCH,
    Review,
    Reviewer,
    ReviewError,
    ReviewPolicy,
    decide,
    due_reviews,
    load_policy,
    review_basis,
    review_queue,
    run_reviews,
)
from risk.reviews.review import DEFAULT_ACTOR, check_loans

__all__ = ["app"]

app = typer.Typer(help="Loan reviews: run the due ones, list the queue, decide.",
                  no_args_is_help=True)
console = Console()
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
PolicyOption = typer.Option(None, "--policy", metavar="FILE",
                            help="The review policy (YAML) [default: LOANWATCH_REVIEW_POLICY_"
                                 "FILE, else the shipped policy].")


def _echo(document: Any) -> None:
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")


def _policy(path: Path | None, settings: Settings) -> ReviewPolicy:
    return load_policy(path or settings.review_policy_file or DEFAULT_POLICY_FILE)


def _all_due(engine: Any, day: date, batch: int) -> list[str]:
    found: list[str] = []
    after: str | None = None
    while True:
        page = due_reviews(engine, day, batch, after=after)
        found.extend(d.loan_id for d in page)
        if len(page) < batch:
            return found
        after = page[-1].loan_id


@app.command()
def run(
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Review as of DATE (YYYY-MM-DD; default today)."),
    loans: list[str] = typer.Option([], "--loan", metavar="ID",
                                    help="Review this loan (repeat); default: every loan due."),
    trigger: str | None = typer.Option(
        None, "--trigger", metavar="TEXT",
        help="A triggered review (not a periodic one), for this reason (an alert, an event)."),
    policy_file: Path | None = PolicyOption,
    batch: int = typer.Option(DEFAULT_REVIEW_BATCH, "--batch", min=1,
                              help="Loans per batch (one transaction)."),
    as_json: bool = JsonOption,
) -> None:
    """Review the loans due on the date (or those named): each review written once."""
    settings = Settings.from_environ()
    policy = _policy(policy_file, settings)  # a bad policy stops here, before any work
    day = as_of_date(as_of)
    kind = "periodic" if trigger is None else "triggered"
    trigger_json = None if trigger is None else {"source": "cli", "text": trigger,
                                                 "actor": default_actor()}
    actor = DEFAULT_ACTOR if not loans and trigger is None else default_actor()
    reviews: list[Review] = []
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} loans"), TimeElapsedColumn(),
                        console=Console(stderr=True),
                        disable=as_json or not sys.stderr.isatty(), transient=True)
    with stores(settings) as (engine, graph), progress:
        wanted = list(dict.fromkeys(loans)) or _all_due(engine, day, batch)
        if loans:
            check_loans(engine, wanted, day)  # an unknown or later loan stops here
        task = progress.add_task("reading the book for the date", total=len(wanted))
        basis = review_basis(engine, graph, day) if wanted else None
        progress.update(task, description="reviewing")
        for start in range(0, len(wanted), batch):
            chunk = wanted[start:start + batch]
            reviews.extend(run_reviews(engine, graph, chunk, day, basis=basis, policy=policy,
                                       kind=kind, trigger=trigger_json, actor=actor))
            progress.update(task, completed=start + len(chunk))
    summary = {"as_of": day.isoformat(), "reviewed": len(reviews),
               "written": sum(r.written for r in reviews),
               "already_stored": sum(not r.written for r in reviews),
               "pending": sum(r.status == "pending" for r in reviews),
               "closed": sum(r.status == "closed" for r in reviews)}
    if as_json:
        _echo({**summary, "reviews": [_brief(r) for r in reviews] if loans else []})
        return
    console.print(f"{summary['reviewed']} loan(s) reviewed as of {summary['as_of']}: "
                  f"{summary['written']} written, {summary['already_stored']} already stored; "
                  f"{summary['pending']} in the review queue", highlight=False)
    if loans:
        _table(reviews, f"reviews as of {day.isoformat()}")


def _brief(review: Review) -> dict[str, Any]:
    return {"id": review.id, "loan": review.loan_id, "as_of": review.as_of.isoformat(),
            "kind": review.kind, "status": review.status, "tier": review.tier,
            "stage": review.stage, "pd": review.pd, "ecl": str(review.ecl),
            "currency": review.currency, "next_review": None if review.next_review is None
            else review.next_review.isoformat(), "route": [r["rule"] for r in review.route],
            "decided_tier": review.decided_tier, "written": review.written}


def _why(review: Review) -> str:
    """The routing rules that held, in a few words (``alert dpd-90, large_exposure``)."""
    words = [f"alert {r['text'].split('(')[1].split(')')[0]}" if r["rule"] == "alert"
             and "(" in r["text"] else r.get("kind", r["rule"]) if r["rule"] == "flag"
             else r["rule"] for r in review.route]
    return ", ".join(dict.fromkeys(words))


def _table(reviews: list[Review], title: str) -> None:
    table = Table(title=title)
    for column in ("id", "loan", "status", "tier", "stage", "PD", "ECL", "next review"):
        table.add_column(column, no_wrap=True)
    table.add_column("why a person")
    for r in reviews:
        table.add_row(str(r.id), escape(r.loan_id), r.status,
                      r.decided_tier or r.tier or "repaid", "" if r.stage is None
                      else str(r.stage), "" if r.pd is None else f"{r.pd:.4f}",
                      f"{r.ecl} {r.currency}", "" if r.next_review is None
                      else r.next_review.isoformat(), escape(_why(r)))
    console.print(table)


@app.command()
def due(
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Due on DATE (YYYY-MM-DD; default today)."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many."),
    as_json: bool = JsonOption,
) -> None:
    """The loans due for review on the date (never reviewed, or their date has come)."""
    day = as_of_date(as_of)
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        found = due_reviews(engine, day, limit)
    finally:
        engine.dispose()
    if as_json:
        _echo({"as_of": day.isoformat(), "due": [
            {"loan": d.loan_id, "due_on": None if d.due_on is None else d.due_on.isoformat(),
             "tier": d.tier} for d in found]})
        return
    table = Table(title=f"{len(found)} loan(s) due for review on {day.isoformat()}"
                  + (" (first ones)" if len(found) == limit else ""))
    for column in ("loan", "due on", "tier"):
        table.add_column(column)
    for d in found:
        table.add_row(escape(d.loan_id), "never reviewed" if d.due_on is None
                      else d.due_on.isoformat(), d.tier or "")
    console.print(table)


@app.command()
def queue(limit: int = typer.Option(100, "--limit", min=1, help="At most this many."),
          as_json: bool = JsonOption) -> None:
    """The reviews waiting for a person, oldest first, with why each is there."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        found = review_queue(engine, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        _echo({"queue": [{**_brief(r), "route": r.route} for r in found]})
        return
    _table(found, f"{len(found)} review(s) waiting for a person")


@app.command(name="decide")
def decide_(
    review_id: int = typer.Argument(..., metavar="REVIEW", help="The review's id."),
    confirm: bool = typer.Option(False, "--confirm", help="Confirm the computed tier."),
    override: str | None = typer.Option(None, "--override", metavar="TIER",
                                        help="Override the tier: pass, special_mention, "
                                             "substandard, doubtful, loss."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why (kept, audited)."),
    login: str = typer.Option(..., "--as", metavar="USER",
                              help="The reviewer: a user (`loanwatch users list`)."),
    policy_file: Path | None = PolicyOption,
    as_json: bool = JsonOption,
) -> None:
    """Confirm or override a review in the queue, with a reason, as a user."""
    if confirm == (override is not None):
        raise ConfigurationError("give exactly one of --confirm and --override TIER")
    tier = None
    if override is not None:
        try:
            tier = Tier.from_slug(override)
        except ValueError as exc:
            raise ConfigurationError(f"--override {override!r} is not a tier; one of: "
                                     f"{', '.join(t.slug for t in Tier)}") from exc
    settings = Settings.from_environ()
    policy = _policy(policy_file, settings)
    engine = create_engine_from_settings(settings)
    try:
        user = UserStore(engine, Passwords()).get(login)
        if user is None:
            raise ReviewError(f"--as {login!r}: no such user",
                              suggestion="`loanwatch users list` shows the users")
        trail = open_audit_trail(settings, engine)
        try:
            decided = decide(engine, review_id, reviewer=Reviewer(user.login, user.role),
                             reason=reason, audit=trail, override=tier, policy=policy)
        finally:
            trail.close()
    finally:
        engine.dispose()
    if as_json:
        _echo({**_brief(decided), "decided_by": decided.decided_by,
               "reason": decided.decision_reason})
        return
    console.print(f"review {decided.id} of loan {escape(decided.loan_id)}: {decided.status} "
                  f"({decided.decided_tier}) by {escape(decided.decided_by or '')}; next review "
                  f"{decided.next_review}", highlight=False)
