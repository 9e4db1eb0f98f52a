"""The audit trail: an :class:`auth.audit_events.AuditSink` that chains and writes in the
background, so that no request ever waits on the audit table.

``record(event)`` turns the event into its stored text and appends it to an in-memory queue
(a few microseconds, no I/O, no lock held across anything slow). One writer thread wakes
every ``flush_interval_s`` (sooner when ``batch_size`` events wait, or on ``flush``/``close``),
takes what has queued, in batches of up to ``batch_size`` events, chains each batch after
the stored head and inserts it in one transaction (:func:`auth.audit_store.append_batch`).
Waking at an interval rather than per event is what keeps the trail cheap: a transaction
costs the same for one event as for hundreds, and in Python the writer's work competes
with the requests for the interpreter, so it must be done in few, large pieces. Every
``head_interval_s`` (and on close) the writer appends the chain's head, signed, to the heads
file (:mod:`auth.audit_heads`).

What "never lose an accepted event" means here:

* ``record`` either accepts the event or raises (:class:`auth.errors.AuditBacklogFull` when
  ``max_pending`` events already wait, :class:`auth.errors.AuditClosed` after ``close``):
  the caller knows, and a request that cannot be audited should fail (503).
* a batch that the database refuses or cannot take stays queued, in order, and is tried
  again with a growing pause (logged), until it is written; nothing is dropped.
* ``flush()`` waits until everything accepted so far is written; ``close()`` stops
  accepting, drains the queue, exports the head and joins the writer. It also runs at
  interpreter exit (``atexit``), so a process that ends normally (SIGTERM through uvicorn's
  shutdown, the end of a command) loses nothing.
* a hard crash (SIGKILL, out of memory, power loss) loses the events accepted and not yet
  committed: those of the last ``flush_interval_s`` (50 ms by default) plus the batch being
  written, and at most ``max_pending`` when the database was unreachable. Bound it with
  ``flush_interval_s`` and ``max_pending`` (``LOANWATCH_AUDIT_FLUSH_INTERVAL_S``,
  ``LOANWATCH_AUDIT_MAX_PENDING``); a caller that must not answer before its event is
  durable calls ``flush()``.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import orjson
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from auth.audit_chain import PreparedEvent, key_id, prepare_event
from auth.audit_events import AuditEvent
from auth.audit_heads import HeadSigner, append_head
from auth.audit_store import ChainHead, append_batch
from auth.errors import AuditBacklogFull, AuditClosed, AuditError

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CLOSE_TIMEOUT_S",
    "DEFAULT_FLUSH_INTERVAL_S",
    "DEFAULT_HEAD_INTERVAL_S",
    "DEFAULT_MAX_PENDING",
    "AuditTrail",
]

#: The longest an accepted event waits before the writer takes it (seconds).
DEFAULT_FLUSH_INTERVAL_S: Final = 0.05
#: Most events written in one transaction.
DEFAULT_BATCH_SIZE: Final = 2_000
#: Most events accepted and not yet written; ``record`` refuses beyond it.
DEFAULT_MAX_PENDING: Final = 100_000
#: Seconds between two signed exports of the head (when it moved).
DEFAULT_HEAD_INTERVAL_S: Final = 60.0
#: How long ``close`` waits for the queue to drain before it gives up and says so.
DEFAULT_CLOSE_TIMEOUT_S: Final = 30.0
#: Pause after a failed write, doubling up to the maximum.
_RETRY_FIRST_S: Final = 0.05
_RETRY_MAX_S: Final = 5.0

_log = logging.getLogger("loanwatch.audit")


def _reason(exc: BaseException) -> str:
    """The first line of the driver's message (no SQL, no parameters)."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


class AuditTrail:
    """The tamper-evident audit trail of one process (thread-safe; one per process).

    Args:
        engine: the SQL database holding ``audit_log`` (migrated).
        key: the HMAC-SHA256 key of the chain (from configuration, never the database).
        signer: signs exported heads; ``None`` exports none (truncation of the tail then
            goes unseen: only for tests and tools).
        heads_file: where signed heads are appended (needed with ``signer``).
        flush_interval_s: the longest an event waits in memory before it is written (the
            most a hard crash loses, with the batch in flight).
        head_interval_s: seconds between two head exports.
        batch_size: most events per transaction.
        max_pending: most events waiting to be written.
        clock: the time of head exports (tests pass a fixed one).
    """

    def __init__(self, engine: Engine, *, key: bytes, signer: HeadSigner | None = None,
                 heads_file: Path | None = None,
                 head_interval_s: float = DEFAULT_HEAD_INTERVAL_S,
                 flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
                 batch_size: int = DEFAULT_BATCH_SIZE, max_pending: int = DEFAULT_MAX_PENDING,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if signer is not None and heads_file is None:
            raise ValueError("a head signer needs a heads_file to write to")
        if batch_size < 1 or max_pending < 1 or head_interval_s <= 0 or flush_interval_s <= 0:
            raise ValueError("batch_size and max_pending must be positive, head_interval_s "
                             "and flush_interval_s more than zero")
        if not key:
            raise ValueError("the audit key is empty")
        self._engine = engine
        self._key = key
        self._key_name = key_id(key)
        self._signer = signer
        self._heads_file = heads_file
        self._head_interval_s = head_interval_s
        self._flush_interval_s = flush_interval_s
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._clock = clock
        self._queue: deque[PreparedEvent] = deque()
        # Accepting and closing exclude each other, so nothing is queued after the drain.
        self._accepting = threading.Lock()
        self._closed = False
        self._accepted = 0
        self._written = 0
        self._progress = threading.Condition()
        self._wakeup = threading.Event()
        self._head: ChainHead | None = None
        self._exported: ChainHead | None = None
        self._last_export = time.monotonic()
        #: Failed batch writes so far (each was retried), and batches written.
        self.write_failures = 0
        self.batches_written = 0
        self._writer = threading.Thread(target=self._run, name="audit-trail-writer",
                                        daemon=True)
        self._writer.start()
        atexit.register(self._close_at_exit)

    # -- the sink --------------------------------------------------------------------

    def record(self, event: AuditEvent) -> None:
        """Accept ``event`` for the trail; returns at once.

        Raises:
            AuditBacklogFull: ``max_pending`` events already wait (not accepted).
            AuditClosed: the trail is closed (not accepted).
            ValueError: ``event.at`` has no time zone (not accepted).
        """
        prepared = prepare_event(event)
        with self._accepting:
            if self._closed:
                raise AuditClosed()
            pending = len(self._queue)
            if pending >= self._max_pending:
                raise AuditBacklogFull(pending)
            self._queue.append(prepared)
            self._accepted += 1
        if pending + 1 == self._batch_size:
            self._wakeup.set()  # a full batch need not wait for the interval

    # -- waiting and closing -----------------------------------------------------------

    @property
    def pending(self) -> int:
        """Events accepted and not yet written."""
        with self._progress:
            return self._accepted - self._written

    @property
    def head(self) -> ChainHead | None:
        """The head this process last wrote (``None`` before its first write)."""
        return self._head

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every event accepted before this call is written; ``False`` when
        ``timeout_s`` passed first."""
        with self._accepting:
            target = self._accepted
        self._wakeup.set()
        with self._progress:
            return self._progress.wait_for(lambda: self._written >= target, timeout_s)

    def close(self, timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S) -> None:
        """Stop accepting, write everything queued, export the head, stop the writer.
        Closing twice is harmless.

        Raises:
            AuditError: the queue could not be written within ``timeout_s`` (the database
                is down); the unwritten events are logged, one JSON line each, at ERROR
                level on the ``loanwatch.audit`` logger, so they survive in the logs.
        """
        with self._accepting:
            self._closed = True
        self._wakeup.set()
        self._writer.join(timeout_s)
        atexit.unregister(self._close_at_exit)
        if self._writer.is_alive():
            left = list(self._queue)
            for event in left:
                _log.error("audit event not written: %s", orjson.dumps(
                    event.columns(0, self._key_name), default=str).decode())
            raise AuditError(f"the audit trail could not write {len(left)} events within "
                             f"{timeout_s:g} s of closing; they are in the error log",
                             suggestion="check that the SQL database answers")

    def _close_at_exit(self) -> None:
        try:
            self.close()
        except AuditError as exc:
            _log.error("%s", exc.message)

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the writer ----------------------------------------------------------------------

    def _run(self) -> None:
        pause = _RETRY_FIRST_S
        while True:
            self._wakeup.wait(self._flush_interval_s)
            self._wakeup.clear()
            while self._queue:
                batch = list(itertools.islice(self._queue, self._batch_size))
                try:
                    self._head = append_batch(self._engine, batch, key=self._key,
                                              key_name=self._key_name)
                except Exception as exc:
                    # Kept queued, in order; tried again after a pause. The thread is a
                    # daemon: it retries until the database answers or the process ends
                    # (``close`` reports what it could not write). A database error is
                    # expected (down, locked, not migrated); anything else is a bug, logged
                    # with its traceback, and still never loses the batch.
                    self.write_failures += 1
                    _log.log(logging.WARNING if isinstance(exc, sa_exc.SQLAlchemyError)
                             else logging.ERROR,
                             "audit trail: writing %d events failed (%s: %s); retrying in "
                             "%.2f s", len(batch), exc.__class__.__name__, _reason(exc),
                             pause, exc_info=not isinstance(exc, sa_exc.SQLAlchemyError))
                    time.sleep(pause)
                    pause = min(pause * 2, _RETRY_MAX_S)
                    continue
                pause = _RETRY_FIRST_S
                self.batches_written += 1
                for _ in batch:
                    self._queue.popleft()
                with self._progress:
                    self._written += len(batch)
                    self._progress.notify_all()
                self._export_head_when_due(force=False)
            if self._closed and not self._queue:
                self._export_head_when_due(force=True)
                return
            self._export_head_when_due(force=False)

    def _export_head_when_due(self, *, force: bool) -> None:
        if self._signer is None or self._heads_file is None or self._head is None:
            return
        if self._head == self._exported:
            return
        if not force and time.monotonic() - self._last_export < self._head_interval_s:
            return
        signed = self._signer.sign(self._head, self._clock())
        try:
            append_head(self._heads_file, signed)
        except OSError as exc:
            _log.error("audit trail: cannot append the signed head to %s: %s",
                       self._heads_file, exc.strerror or exc)
            return
        self._exported = self._head
        self._last_export = time.monotonic()

    def __repr__(self) -> str:
        return (f"AuditTrail(pending={self.pending}, batch_size={self._batch_size}, "
                f"max_pending={self._max_pending}, key={self._key_name})")
