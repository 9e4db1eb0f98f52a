"""What a job needs from its worker process: the stores, the broker, the clock, values.

The worker (``loanwatch worker``, or the in-process jobs of ``make demo``) builds one
:class:`JobRuntime` when it starts and hands it to :func:`jobs.catalog.declare_jobs`; every
job then gets a :class:`JobContext` with the runtime and, for an atomic job, the connection
of the transaction that marks its unit done. Nothing here reads settings or opens a
connection at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import dramatiq
from sqlalchemy import Connection, Engine

from auth.audit_events import AuditSink
from graph.store import GraphStore
from graph.vault import PersonalDataVault
from risk.alerts.feed import AlertFeed
from risk.collections.feed import CaseFeed

__all__ = ["JobContext", "JobRuntime", "utc_now"]

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobRuntime:
    """The resources of one worker process.

    Attributes:
        engine: the SQL database (units, dead letters, records).
        broker: the broker the process consumes (a job may enqueue more work).
        clock: now, aware, in UTC.
        open_graph: opens the graph store the first time a job asks for it.
        vault: the personal-data vault, for jobs that seal or open personal data.
        values: plain settings values the services need (named by the job modules).
        audit: where the jobs' state changes go (the audit trail); ``None``: not audited
            (a test's runtime).
        owns_graph: :meth:`close` closes the graph store (false when the caller lends one
            it closes itself, as ``loanwatch serve`` does).
        alert_feed: where jobs that raise or clear alerts announce them (the API's feed in
            process, Redis pub/sub across processes); ``None``: not announced.
        case_feed: where jobs that change collection cases announce them (as the alert
            feed); ``None``: not announced.
    """

    engine: Engine
    broker: dramatiq.Broker
    clock: Callable[[], datetime] = utc_now
    open_graph: Callable[[], GraphStore] | None = None
    vault: PersonalDataVault | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    owns_graph: bool = True
    audit: AuditSink | None = None
    alert_feed: AlertFeed | None = None
    case_feed: CaseFeed | None = None
    memo: dict[str, Any] = field(default_factory=dict)
    _graph: GraphStore | None = field(default=None, init=False, repr=False)
    _shared: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def graph(self) -> GraphStore:
        """The graph store, opened once per process on first use.

        Raises:
            RuntimeError: this runtime was built without a graph.
            BackendUnavailable: the graph store cannot be reached (a transient fault).
        """
        with self._lock:
            if self._graph is None:
                if self.open_graph is None:
                    raise RuntimeError("this worker was started without a graph store")
                self._graph = self.open_graph()
            return self._graph

    def shared(self, name: str, build: Callable[[], T]) -> T:
        """The object kept under ``name`` for this process's life, built by ``build`` the
        first time it is asked for (a job's cache across its messages: the review policy,
        the basis of a review date)."""
        with self._lock:
            if name not in self._shared:
                self._shared[name] = build()
            return self._shared[name]  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the graph store if this runtime opened and owns it (the engine belongs to
        the caller)."""
        with self._lock:
            if self._graph is not None and self.owns_graph:
                self._graph.close()
            self._graph = None


@dataclass(frozen=True, slots=True)
class JobContext:
    """What one run of a job gets: its unit's key, the runtime, and for an atomic job the
    connection whose transaction also marks the unit done (write the effect with it)."""

    key: str
    runtime: JobRuntime
    connection: Connection | None = None

    @property
    def now(self) -> datetime:
        return self.runtime.clock()
