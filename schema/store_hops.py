"""One worker-thread hop for all the store calls a request makes in one event-loop turn.

The stores are synchronous, so each DataLoader batch runs in a worker thread. A borrower
360° view makes a dozen batched calls in three or four waves (the party's edges, then its
loans' schedules, repayments, results and guarantees, then the guarantors...); giving each
call its own thread hop costs a thread hand-off and a wake-up of the event loop per call,
which under load is most of a request's latency. :class:`StoreHops` queues the calls made
in one turn of the loop and runs them one after the other in a single hop: a wave costs one
hand-off whatever the number of loaders in it. The calls themselves stay separate (each
loader's batch is still one store round trip), so counting them is unchanged.

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

    def __init__(self) -> None:
        self._queued: list[_Call] = []

    def __repr__(self) -> str:
        return f"StoreHops(queued={len(self._queued)})"

    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``fn(*args)`` in a worker thread, with every other call queued in this turn."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._queued:
            loop.call_soon(self._flush)
        self._queued.append((fn, args, future))
        return future

    def _flush(self) -> None:
        calls, self._queued = self._queued, []
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
    for (_, _, future), (ok, value) in zip(calls, done.result(), strict=True):
        if future.done():  # the awaiting resolver was cancelled meanwhile
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
