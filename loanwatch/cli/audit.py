"""``loanwatch audit verify|list|export-head|public-key``: the tamper-evident audit trail.

``verify`` walks the whole chain with the audit key (``LOANWATCH_AUDIT_KEY``) and checks the
signed heads (``LOANWATCH_AUDIT_HEADS_FILE``, by default ``var/audit-heads.jsonl``) against
it; it names the first bad entry and exits with :data:`EXIT_TAMPERED` when anything is wrong.
``list`` shows entries, newest first, filtered. ``export-head`` signs and appends the head
now (a cron line can call it where no API process runs); ``public-key`` prints the key an
auditor verifies the heads with, elsewhere, without the private key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auth.audit_chain import key_id
from auth.audit_events import AuditAction
from auth.audit_heads import HeadSigner, append_head
from auth.audit_store import list_records, read_head
from auth.audit_verify import VerifyReport, verify_trail
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings

__all__ = ["EXIT_TAMPERED", "app"]

#: The exit status of ``verify`` when the trail or its heads do not hold.
EXIT_TAMPERED: Final = 4
#: Entries ``list`` shows unless told otherwise, and at most.
DEFAULT_LIST_LIMIT: Final = 50
MAX_LIST_LIMIT: Final = 10_000
_PROBLEMS_SHOWN: Final = 10

app = typer.Typer(help="The tamper-evident audit trail: verify it, list it, export its head.",
                  no_args_is_help=True)
JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def _echo(document: object) -> None:
    typer.echo(orjson.dumps(document).decode())


def _instant(option: str, text: str | None) -> datetime | None:
    """``text`` (``YYYY-MM-DD``: midnight UTC, or an ISO 8601 instant; UTC when it names no
    zone) as an aware datetime."""
    if text is None:
        return None
    try:
        if len(text) == len("YYYY-MM-DD"):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"{option} {text!r} is not a date YYYY-MM-DD or an ISO 8601 "
                                 "time (2026-12-01T09:30:00+01:00)") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _public_key(text: str | None, settings: Settings) -> bytes:
    if text is None:
        return HeadSigner(settings.resolved_audit_signing_key).public_key
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigurationError(f"--public-key {text!r} is not an Ed25519 public key "
                                 "(64 hex digits, as `loanwatch audit public-key` prints)")
    return key


def _print_report(report: VerifyReport) -> None:
    console = Console()
    heads = (f"{report.heads_checked} signed heads checked (up to entry "
             f"{report.signed_up_to})" if report.heads_checked else "no signed head checked")
    console.print(f"audit trail: {report.entries} entries (last {report.last_seq}), {heads}",
                  highlight=False)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if report.ok:
        console.print("[green]OK[/]: every entry chains and every signed head holds",
                      highlight=False)
        return
    first = report.first_problem
    where = f"the first bad entry is {first.seq}" if first and first.seq else "a heads line"
    count = report.problem_count
    console.print(f"[bold red]TAMPERED[/]: {count} problem{'' if count == 1 else 's'}; "
                  f"{where}", highlight=False)
    for problem in report.problems[:_PROBLEMS_SHOWN]:
        console.print(f"  {problem.kind}: {escape(problem.message)}", highlight=False)
    if report.problem_count > _PROBLEMS_SHOWN:
        console.print(f"  ... and {report.problem_count - _PROBLEMS_SHOWN} more (--json "
                      f"lists up to {len(report.problems)})", highlight=False)


@app.command()
def verify(
    heads: Path | None = typer.Option(
        None, "--heads", metavar="FILE", help="The file of signed heads [default: "
        "LOANWATCH_AUDIT_HEADS_FILE, or audit-heads.jsonl in the data folder].",
        show_default=False),
    public_key: str | None = typer.Option(
        None, "--public-key", metavar="HEX", help="The Ed25519 public key the heads are "
        "signed with [default: that of LOANWATCH_AUDIT_SIGNING_KEY].", show_default=False),
    as_json: bool = JsonOption,
) -> None:
    """Check every entry's MAC and every signed head; name the first bad entry."""
    settings = Settings.from_environ()
    key = settings.resolved_audit_key
    verifying_key = _public_key(public_key, settings)
    engine = create_engine_from_settings(settings)
    try:
        report = verify_trail(engine, keys={key_id(key): key},
                              heads_file=heads or settings.resolved_audit_heads_file,
                              public_key=verifying_key)
    finally:
        engine.dispose()
    if as_json:
        _echo(report.as_json())
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_TAMPERED)


@app.command(name="list")
def list_(
    actor: str | None = typer.Option(None, "--actor", metavar="LOGIN|CLIENT",
                                     help="Only entries of this user login or client id."),
    action: AuditAction | None = typer.Option(None, "--action", help="Only this action."),
    target: str | None = typer.Option(None, "--target", metavar="ID",
                                      help="Only entries naming this id (a node, a client)."),
    since: str | None = typer.Option(None, "--since", metavar="TIME",
                                     help="From this day or instant (UTC unless it says)."),
    until: str | None = typer.Option(None, "--until", metavar="TIME",
                                     help="Before this day or instant."),
    limit: int = typer.Option(DEFAULT_LIST_LIMIT, "--limit", min=1, max=MAX_LIST_LIMIT,
                              help="At most this many entries."),
    as_json: bool = JsonOption,
) -> None:
    """Audit entries, newest first."""
    start, end = _instant("--since", since), _instant("--until", until)
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        records = list_records(engine, actor=actor, action=action, target=target, since=start,
                               until=end, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        _echo({"entries": [record.as_json() for record in records]})
        return
    table = Table(title=f"{len(records)} audit entries, newest first")
    for column in ("seq", "at (UTC)", "action", "user", "client", "operation", "targets",
                   "source", "request"):
        table.add_column(column)
    for record in records:
        targets = ", ".join(record.targets[:3]) + (" ..." if len(record.targets) > 3 else "")
        table.add_row(str(record.seq), f"{record.at:%Y-%m-%d %H:%M:%S}", record.action,
                      escape(record.user or ""), escape(record.client_id),
                      escape(record.operation), escape(targets), escape(record.source),
                      escape(record.request_id))
    Console().print(table)


@app.command(name="export-head")
def export_head(as_json: bool = JsonOption) -> None:
    """Sign the chain's head now and append it to the heads file."""
    settings = Settings.from_environ()
    signer = HeadSigner(settings.resolved_audit_signing_key)
    engine = create_engine_from_settings(settings)
    try:
        head = read_head(engine)
    finally:
        engine.dispose()
    if head.seq == 0:
        raise ConfigurationError("the audit trail is empty: there is no head to export")
    signed = signer.sign(head, datetime.now(UTC))
    path = settings.resolved_audit_heads_file
    try:
        append_head(path, signed)
    except OSError as exc:
        raise ConfigurationError(f"cannot append to the heads file {path}: "
                                 f"{exc.strerror or exc}",
                                 suggestion="check LOANWATCH_AUDIT_HEADS_FILE") from exc
    if as_json:
        _echo({"heads_file": str(path), **signed.as_json()})
        return
    typer.echo(f"head at entry {head.seq} signed and appended to {path}")


@app.command(name="public-key")
def public_key_() -> None:
    """Print the Ed25519 public key of the head signatures (hex), for auditors."""
    typer.echo(HeadSigner(Settings.from_environ().resolved_audit_signing_key).public_key.hex())
