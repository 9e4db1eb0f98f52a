"""One worker-thread hop for all the store calls a request makes in one event-loop turn.

The stores are synchronous, so each DataLoader batch runs in a worker thread. A borrower
360° view makes a dozen batched calls in three or four waves (the party's edges, then its
loans' schedules, repayments, results and guarantees, then the guarantors...); giving each
call its own thread hop costs a thread hand-off and a wake-up of the event loop per call,
which under load is most of a request's latency. :class:`StoreHops` queues the calls made
in one turn of the loop and runs them one after the other in a single hop: a wave costs one
hand-off whatever the number of loaders in it. The calls themselves stay separate (each
loader's batch is still one store round trip), so counting them is unchanged.

When every store the request reads is an in-process database file (the embedded store on
SQLite, :attr:`graph.store.GraphStore.reads_in_process`), the hop buys nothing: a read there
is Python work that holds the interpreter either way, with no network wait to overlap. The
calls then run on the event loop itself (``inline=True``), still queued per turn, which
saves the hand-off, the wake-up and the interpreter-lock traffic between the threads (about
a third of a borrower 360° view's CPU time, measured with ``benchmarks/api_load.py``).

Example::

    hops = StoreHops()
    nodes = await hops.run(graph.get_nodes, ["C1", "C2"])
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["StoreHops"]

T = TypeVar("T")

_Call = tuple[Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any]"]


def _run_all(calls: list[_Call]) -> list[tuple[bool, Any]]:
    """Each call's outcome, in order: ``(True, result)`` or ``(False, exception)``."""
    outcomes: list[tuple[bool, Any]] = []
    for fn, args, _ in calls:
        try:
            outcomes.append((True, fn(*args)))
        except Exception as exc:  # handed to the caller's future, re-raised there
            outcomes.append((False, exc))
    return outcomes


class StoreHops:
    """Runs the synchronous store calls of one request in as few thread hops as possible.

    Per request (it holds the calls queued in the current turn); not thread-safe: call
    :meth:`run` from the event loop only.
    """

    def __init__(self, *, inline: bool = False) -> None:
        self._queued: list[_Call] = []
        self._inline = inline

    def __repr__(self) -> str:
        return f"StoreHops(queued={len(self._queued)}, inline={self._inline})"

    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``fn(*args)`` in a worker thread (on the loop when ``inline``), with every other
        call queued in this turn."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._queued:
            loop.call_soon(self._flush)
        self._queued.append((fn, args, future))
        return future

    def _flush(self) -> None:
        calls, self._queued = self._queued, []
        if self._inline:
            _deliver(calls, _run_all(calls))
            return
        task = asyncio.ensure_future(asyncio.to_thread(_run_all, calls))
        task.add_done_callback(lambda done: _settle(calls, done))


def _settle(calls: list[_Call], done: asyncio.Future[list[tuple[bool, Any]]]) -> None:
    if done.cancelled():
        for _, _, future in calls:
            future.cancel()
        return
    error = done.exception()
    if error is not None:
        for _, _, future in calls:
            if not future.done():
                future.set_exception(error)
        return
    _deliver(calls, done.result())


def _deliver(calls: list[_Call], outcomes: list[tuple[bool, Any]]) -> None:
    for (_, _, future), (ok, value) in zip(calls, outcomes, strict=True):
        if future.done():  # the awaiting resolver was cancelled meanwhile
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
