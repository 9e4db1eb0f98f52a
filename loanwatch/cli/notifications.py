"""``loanwatch notifications``: watch the outbox, send a failed or dead notification again,
or run a delivery pass now.

``notifications list`` shows the notifications, newest first (filters: status, channel,
party) with their attempts and last error; ``notifications retry ID`` makes a ``failed``
or ``dead`` one ``pending`` again with fresh attempts (recorded in the audit trail), sent by
the next delivery pass; ``notifications deliver`` runs one pass in this process (the jobs
run one every 30 seconds on their own). See :mod:`notifications.outbox`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from auth.audit_events import AuditAction, AuditEvent
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.notification_wiring import notification_config
from loanwatch.settings import Settings
from loanwatch.wiring import (
    create_engine_from_settings,
    open_audit_trail,
    open_vault,
    stores,
)
from notifications.config import open_channels
from notifications.contacts import GraphContacts
from notifications.delivery import deliver_due
from notifications.outbox import QueuedNotification, list_notifications, retry_notification

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
console = Console()
#: Notifications listed unless told otherwise.
DEFAULT_LIMIT = 50


def _view(notification: QueuedNotification) -> dict[str, Any]:
    """What the CLI shows of a notification: everything but the claim and the sealed
    address."""
    shown = asdict(notification)
    for hidden in ("sent_to", "claim_token"):
        shown.pop(hidden)
    return shown


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status",
                                      help="pending, sending, sent, failed or dead."),
    channel: str | None = typer.Option(None, "--channel", help="email, sms, chat or file."),
    party: str | None = typer.Option(None, "--party", help="Only those to this party id."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """List notifications, newest first."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        rows = list_notifications(engine, status=status, channel=channel, party_id=party,
                                  limit=limit)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([_view(row) for row in rows], default=str, ensure_ascii=False,
                              indent=2))
        return
    if not rows:
        console.print("no notifications")
        return
    table = Table("id", "status", "channel", "party", "template", "attempts",
                  "next attempt (UTC)", "key", "last error")
    for row in rows:
        table.add_row(str(row.id), row.status, row.channel, row.party_id, row.template,
                      str(row.attempts),
                      "" if row.status in ("sent", "dead") else
                      f"{row.next_attempt_at:%Y-%m-%d %H:%M:%S}",
                      row.key, (row.last_error or "")[:60])
    console.print(table)


@app.command("retry")
def retry(notification_id: int = typer.Argument(..., help="The notification's id.")) -> None:
    """Send a failed or dead notification again at the next delivery pass."""
    settings = Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        row = retry_notification(engine, notification_id, now=datetime.now(UTC))
        trail = open_audit_trail(settings, engine)
        try:
            trail.record(AuditEvent(
                at=datetime.now(UTC), action=AuditAction.CHANGE, client_id="cli",
                user=default_actor(), operation="notifications retry",
                targets=(f"notification:{row.id}",), source="cli",
                detail={"key": row.key, "channel": row.channel, "party_id": row.party_id}))
        finally:
            trail.close()
    finally:
        engine.dispose()
    console.print(f"notification {row.id} ({row.key}) is pending again: the next delivery "
                  f"pass sends it", highlight=False)


@app.command("deliver")
def deliver() -> None:
    """Run one delivery pass now, in this process, with the LOANWATCH_NOTIFY_* channels."""
    settings = Settings.from_environ()
    config = notification_config(settings)
    with stores(settings) as (engine, graph), open_channels(config.channels) as channels:
        report = deliver_due(engine, channels, GraphContacts(graph), vault=open_vault(settings),
                             clock=lambda: datetime.now(UTC), policy=config.policy)
    console.print(f"{report.sent} sent, {report.retrying} to retry, {report.dead} dead, "
                  f"{report.expired} claims expired", highlight=False)
