"""``loanwatch jobs``: watch the units of work and the dead letters; retry or discard.

``jobs list`` shows the messages that failed for good (newest first) with their error;
``jobs show ID`` one of them whole; ``jobs retry ID`` enqueues the same message once more
(without a broker URL its unit goes back to ``pending`` for the in-process scheduler);
``jobs discard ID`` marks it; both are recorded in the audit trail. ``jobs units`` counts
the units of work by state and ``jobs schedules`` lists the periodic schedules. See
:mod:`jobs.dead_letters`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from auth.audit_events import AuditAction, AuditEvent
from jobs.dead_letters import (
    DEFAULT_PAGE,
    DeadLetterView,
    discard_dead_letter,
    get_dead_letter,
    list_dead_letters,
    retry_dead_letter,
)
from jobs.schedules import list_schedules
from jobs.units import count_units
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.job_wiring import open_broker
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, open_audit_trail

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
console = Console()


def _who() -> str:
    return f"cli:{default_actor()}"


def _audit(settings: Settings, engine: Engine, operation: str, letter: DeadLetterView) -> None:
    """Record a person's retry or discard in the audit trail."""
    trail = open_audit_trail(settings, engine)
    try:
        trail.record(AuditEvent(
            at=datetime.now(UTC), action=AuditAction.CHANGE, client_id="cli",
            user=default_actor(), operation=operation, targets=(f"dead-letter:{letter.id}",),
            source="cli", detail={"actor": letter.actor_name, "message_id": letter.message_id,
                                  "idempotency_key": letter.idempotency_key}))
    finally:
        trail.close()


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, indent=2)


@app.command("list")
def list_(
    state: str = typer.Option("dead", "--state",
                              help="dead, retried, discarded, or all."),
    actor: str | None = typer.Option(None, "--actor", help="Only this job."),
    limit: int = typer.Option(DEFAULT_PAGE, "--limit", min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """List dead letters (messages that failed for good), newest first."""
    settings = Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        letters = list_dead_letters(engine, state=None if state == "all" else state,
                                    actor=actor, limit=limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--state") from exc
    finally:
        engine.dispose()
    if as_json:
        typer.echo(_json([asdict(letter) for letter in letters]))
        return
    if not letters:
        console.print(f"no dead letters ({state})")
        return
    table = Table("id", "state", "actor", "key", "error", "attempts", "failed at (UTC)")
    for letter in letters:
        table.add_row(str(letter.id), letter.state, letter.actor_name,
                      letter.idempotency_key or "",
                      f"{letter.error_class}: {letter.error_message}"[:80],
                      str(letter.attempts), f"{letter.failed_at:%Y-%m-%d %H:%M:%S}")
    console.print(table)


def _describe(letter: DeadLetterView) -> str:
    return _json(asdict(letter))


@app.command("show")
def show(dead_letter_id: int = typer.Argument(..., help="The dead letter's id.")) -> None:
    """Show one dead letter whole: message, arguments, error, what was done."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        typer.echo(_describe(get_dead_letter(engine, dead_letter_id)))
    finally:
        engine.dispose()


@app.command("retry")
def retry(dead_letter_id: int = typer.Argument(..., help="The dead letter's id.")) -> None:
    """Enqueue the dead letter's message once more (same id, arguments and key)."""
    settings = Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        broker = open_broker(settings)
        try:
            letter = retry_dead_letter(engine, broker, dead_letter_id, by=_who())
        finally:
            if broker is not None:
                broker.close()
        _audit(settings, engine, "jobs retry", letter)
    finally:
        engine.dispose()
    if broker is None:
        console.print(f"dead letter {letter.id} retried: unit {letter.idempotency_key} is "
                      "pending again; the in-process scheduler of `loanwatch serve` enqueues "
                      "it", highlight=False)
    else:
        console.print(f"dead letter {letter.id} retried: {letter.actor_name} message "
                      f"{letter.message_id} enqueued again", highlight=False)


@app.command("discard")
def discard(dead_letter_id: int = typer.Argument(..., help="The dead letter's id.")) -> None:
    """Mark the dead letter discarded (its unit stays failed)."""
    settings = Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        letter = discard_dead_letter(engine, dead_letter_id, by=_who())
        _audit(settings, engine, "jobs discard", letter)
    finally:
        engine.dispose()
    console.print(f"dead letter {letter.id} discarded", highlight=False)


@app.command("units")
def units(prefix: str = typer.Option("", "--prefix", help="Only keys starting so.")) -> None:
    """Count the units of work by state (pending, enqueued, done, failed)."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        counts = count_units(engine, prefix=prefix)
    finally:
        engine.dispose()
    for state in ("pending", "enqueued", "done", "failed"):
        console.print(f"{state:>9}: {counts.get(state, 0):,}", highlight=False)


@app.command("schedules")
def schedules() -> None:
    """List the periodic schedules with their next due time."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        rows = list_schedules(engine)
    finally:
        engine.dispose()
    if not rows:
        console.print("no schedules")
        return
    table = Table("name", "job", "every (s)", "next due (UTC)", "last tick (UTC)", "enabled")
    for row in rows:
        table.add_row(row.name, row.actor_name, str(row.interval_s),
                      f"{row.next_due_at:%Y-%m-%d %H:%M:%S}",
                      f"{row.last_due_at:%Y-%m-%d %H:%M:%S}" if row.last_due_at else "",
                      "yes" if row.enabled else "no")
    console.print(table)
