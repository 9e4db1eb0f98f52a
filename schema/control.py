"""The stop switch of one GraphQL request, and the gate it passes before executing.

A :class:`QueryControl` travels in the request's :class:`schema.context.Context`. The HTTP
layer stops it when the client disconnects or the time limit passes; graph walks running
in worker threads call :meth:`QueryControl.check` between hops (through
:data:`graph.traversal.traversal_checkpoint`), so a stopped request stops working instead
of finishing an answer nobody reads. Before executing, the cost extension
(:mod:`schema.cost_limit`) enters ``admission(cost)``, which may make a heavy query wait
for a turn (:class:`api.admission.HeavyQueryGate`) or refuse it.

Example::

    control = QueryControl(time_limit_s=15.0)
    control.stop(QueryCancelled("the client disconnected"))
    control.check()  # raises QueryCancelled
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from schema.errors import QueryInterrupted, QueryTimedOut

__all__ = ["Admission", "QueryControl", "admit_everything", "timed_out"]

#: Given a query's cost, a context held while the query executes; entering it may wait,
#: or raise :class:`schema.errors.ServerBusy`.
Admission = Callable[[int], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def admit_everything(cost: int) -> AsyncIterator[None]:
    """Let every query in at once (scripts and tests, which have no concurrent clients)."""
    yield


class QueryControl:
    """Whether one request should stop, and why; safe to check from any thread.

    Args:
        time_limit_s: seconds the request may take from now; ``None``: no limit.
        admission: the gate the request passes before executing.
        clock: a monotonic clock in seconds (tests may pass their own).
    """

    def __init__(
        self,
        *,
        time_limit_s: float | None = None,
        admission: Admission = admit_everything,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.time_limit_s = time_limit_s
        self.admission = admission
        self._clock = clock
        self._deadline = None if time_limit_s is None else clock() + time_limit_s
        # A plain attribute, set once: reading and writing it is atomic, and nobody waits
        # on it (a threading.Event cost a lock and a condition per request).
        self._reason: QueryInterrupted | None = None

    def __repr__(self) -> str:
        return f"QueryControl(time_limit_s={self.time_limit_s}, stopped={self.stopped})"

    @property
    def stopped(self) -> bool:
        return self._reason is not None

    @property
    def reason(self) -> QueryInterrupted | None:
        """Why the request was stopped; ``None`` while it may go on."""
        return self._reason

    def stop(self, reason: QueryInterrupted) -> None:
        """Stop the request; the first reason given is kept."""
        if self._reason is None:
            self._reason = reason

    def check(self) -> None:
        """Return while the request may go on.

        Raises:
            QueryInterrupted: it was stopped (its reason), or ran past its time limit
                (:class:`schema.errors.QueryTimedOut`).
        """
        if self._deadline is not None and self._reason is None \
                and self._clock() > self._deadline:
            self.stop(timed_out(self.time_limit_s or 0.0))
        if self._reason is not None:
            raise self._reason


def timed_out(time_limit_s: float) -> QueryTimedOut:
    """The error of a request that ran past ``time_limit_s``."""
    return QueryTimedOut(
        f"the query ran past its time limit of {time_limit_s:g} s and was stopped",
        suggestion="ask for fewer hops, a smaller limit or fewer fields, then try again",
    )
