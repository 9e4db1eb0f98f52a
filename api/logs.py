"""Structured logs: one JSON object per line, each carrying the request id.

:class:`api.request_log.RequestLog` sets the id of the request being served
(:data:`REQUEST_ID`); :class:`RequestIdFilter` copies it into every log record made while
serving it, and :class:`JsonFormatter` writes the record as JSON with the fields a log
pipeline indexes: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``request_id``, the exception's traceback when there is one, and whatever a caller put
under ``extra={"fields": {...}}``. Only entry points configure logging
(:func:`configure_json_logging`, called by ``loanwatch serve``).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Final

__all__ = ["REQUEST_ID", "JsonFormatter", "RequestIdFilter", "configure_json_logging"]

#: The id of the request the current task serves ("" outside a request).
REQUEST_ID: Final[ContextVar[str]] = ContextVar("loanwatch_request_id", default="")


class RequestIdFilter(logging.Filter):
    """Give every record the current request id (``record.request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or REQUEST_ID.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send every log record (uvicorn's included) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
