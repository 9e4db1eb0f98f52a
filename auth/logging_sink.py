"""An :class:`AuditSink` that writes each event as one JSON line to a logger.

The default of the app factory and the CLI until the tamper-evident trail
(:mod:`auth.audit`) is given to them: nothing is lost (the line is written before
``record`` returns), but nothing is chained either.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Final

from auth.audit_events import AuditEvent

__all__ = ["AUDIT_LOGGER", "LoggingAuditSink"]

AUDIT_LOGGER: Final = "loanwatch.audit"


class LoggingAuditSink:
    """Writes audit events to the ``loanwatch.audit`` logger (or ``logger``)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger(AUDIT_LOGGER)

    def record(self, event: AuditEvent) -> None:
        document = asdict(event)
        document["at"] = event.at.isoformat()
        document["detail"] = dict(event.detail)
        self._logger.info("%s", json.dumps(document, default=str, sort_keys=True))
