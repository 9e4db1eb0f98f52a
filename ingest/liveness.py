"""Which import batches recorded as ``running`` have lost their process.

An import records its process id and host when it starts and a heartbeat after every batch
of rows. A process killed outright (``kill -9``, out of memory, a power cut) never writes
its end, so its batch would stay ``running`` forever; the next import looks at every
running batch and marks it ``interrupted`` when

* it ran on this host and its process is gone (or the process now holding that id started
  after the batch did: the id was reused), or
* its heartbeat is older than ``stale_after`` (on any host: a process on another machine
  cannot be asked directly).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import psutil

from ingest.report import InterruptedBatch
from ingest.sql_records import RecordWriter, RunningBatch

__all__ = ["DEFAULT_STALE_AFTER", "find_interrupted", "process_alive"]

#: A running batch whose heartbeat is older than this is taken for dead, on any host. One
#: batch of rows takes seconds; this leaves room for a server that stalls for minutes.
DEFAULT_STALE_AFTER: Final = timedelta(minutes=30)
#: Slack between a process's recorded start time and its batch's start (clock rounding).
_START_SLACK_S: Final = 2.0


def process_alive(pid: int, since: datetime) -> bool:
    """Whether process ``pid`` of this host exists, is not a zombie, and started no later
    than ``since`` (a younger process holding the id is another program)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= since.timestamp() + _START_SLACK_S
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists; whose it is cannot be told


def _why_dead(batch: RunningBatch, *, hostname: str, now: datetime,
              stale_after: timedelta) -> str | None:
    if batch.hostname == hostname and batch.pid is not None and not process_alive(
            batch.pid, batch.started_at):
        return f"process {batch.pid} on {hostname} ended without finishing it"
    last_seen = batch.heartbeat_at or batch.started_at
    if now - last_seen > stale_after:
        return (f"no sign of life from process {batch.pid} on {batch.hostname} "
                f"since {last_seen.isoformat(timespec='seconds')}")
    return None


def find_interrupted(records: RecordWriter, *, hostname: str, now: datetime,
                     stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[InterruptedBatch]:
    """Mark every running batch whose process is dead ``interrupted``; return them."""
    found: list[InterruptedBatch] = []
    for batch in records.running_batches():
        reason = _why_dead(batch, hostname=hostname, now=now, stale_after=stale_after)
        if reason is not None and records.mark_interrupted(batch.id, reason):
            found.append(InterruptedBatch(batch.id, list(batch.files), batch.rows_imported,
                                          reason))
    return found
