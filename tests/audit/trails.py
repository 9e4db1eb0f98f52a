"""Helpers of the audit tests: events, a trail on a test database, counting, and tampering
with the table by raw SQL the way someone who owns it could (triggers lifted first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, text

from auth.audit import AuditTrail
from auth.audit_chain import key_id
from auth.audit_events import AuditAction, AuditEvent
from auth.audit_heads import HeadSigner
from auth.audit_verify import VerifyReport, verify_trail

__all__ = ["KEY", "SIGNER", "T0", "count_rows", "event", "tamper", "trail", "verify"]

KEY: Final = b"audit-test-key-" + b"k" * 32
SIGNER: Final = HeadSigner(bytes(range(32)))
T0: Final = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def event(i: int, *, user: str | None = "ann", action: AuditAction = AuditAction.READ_PERSONAL,
          targets: tuple[str, ...] = ("P00001",), client_id: str = "console",
          detail: dict[str, object] | None = None) -> AuditEvent:
    """The ``i``-th test event, one second after the one before."""
    return AuditEvent(at=T0 + timedelta(seconds=i), action=action, client_id=client_id,
                      user=user, operation=f"query Borrower #{i}", targets=targets,
                      source="10.0.0.7", request_id=f"req-{i}",
                      detail=detail if detail is not None else {"i": i, "fields": ["name"]})


def trail(engine: Engine, heads_file: Path | None = None, **options: object) -> AuditTrail:
    """A trail over ``engine`` under :data:`KEY`, signing heads into ``heads_file``."""
    return AuditTrail(engine, key=KEY, signer=SIGNER if heads_file else None,
                      heads_file=heads_file, **options)  # type: ignore[arg-type]


def verify(engine: Engine, heads_file: Path | None = None) -> VerifyReport:
    return verify_trail(engine, keys={key_id(KEY): KEY}, heads_file=heads_file,
                        public_key=SIGNER.public_key)


def count_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def tamper(engine: Engine, *statements: str) -> None:
    """Run ``statements`` on ``audit_log`` past its append-only triggers, as its owner could."""
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            for trigger in ("audit_log_no_update", "audit_log_no_delete"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            connection.execute(text(statement))
        if postgres:
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
