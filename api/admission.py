"""A cap on concurrent heavy queries, so that light ones still answer while heavy ones queue.

A query whose cost (:mod:`schema.cost`) reaches ``heavy_cost`` needs one of ``slots``
turns to execute; when all are taken it waits, first come first served, at most
``wait_s`` seconds, and is then refused with :class:`schema.errors.ServerBusy`
(``SERVER_BUSY``). Lighter queries pass at once. :meth:`HeavyQueryGate.saturation` tells
``/readyz`` when every slot is taken and queries wait, so a load balancer can send new
clients elsewhere.

With ``one_light_at_a_time`` (the API sets it when every store is read in this process,
:func:`schema.loaders.reads_in_place`) the light queries also execute one after the other,
first come first served. Such a query never waits on I/O, so running several at once buys
no overlap: it only spreads each one's time over all the others in flight, and every
answer comes late. One at a time keeps the throughput and bounds the wait: at 8 clients a
request waits for at most the 7 ahead of it (the borrower 360° view's p99 at 8
connections went from 73 ms to 44-51 ms, ``benchmarks/api_load.py``). Heavy queries keep
their own turns and run beside the light ones, so a long walk never holds them up.

Example::

    gate = HeavyQueryGate(heavy_cost=10_000, slots=2, wait_s=10.0)
    async with gate(cost):
        ...  # execute
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from schema.errors import ServerBusy

__all__ = [
    "DEFAULT_HEAVY_QUERY_COST",
    "DEFAULT_HEAVY_QUERY_SLOTS",
    "DEFAULT_HEAVY_QUERY_WAIT_S",
    "HeavyQueryGate",
]

#: One neighbourhood of 2,000 nodes 6 hops deep costs 16,001; the GraphiQL example 3,401.
DEFAULT_HEAVY_QUERY_COST: Final = 10_000
DEFAULT_HEAVY_QUERY_SLOTS: Final = 2
DEFAULT_HEAVY_QUERY_WAIT_S: Final = 10.0


class HeavyQueryGate:
    """Let at most ``slots`` queries costing ``heavy_cost`` or more execute at once.

    Use one gate per application, inside one event loop. Call it with a query's cost
    to get the context to hold while the query executes.

    Args:
        heavy_cost: the cost from which a query is heavy.
        slots: heavy queries executing at once.
        wait_s: how long a heavy query waits for a turn before it is refused.
        one_light_at_a_time: light queries execute one after the other (module docstring).

    Raises:
        ValueError: a limit is below 1 (``wait_s`` below 0).
    """

    def __init__(self, *, heavy_cost: int = DEFAULT_HEAVY_QUERY_COST,
                 slots: int = DEFAULT_HEAVY_QUERY_SLOTS,
                 wait_s: float = DEFAULT_HEAVY_QUERY_WAIT_S,
                 one_light_at_a_time: bool = False) -> None:
        if heavy_cost < 1 or slots < 1 or wait_s < 0:
            raise ValueError("HeavyQueryGate needs heavy_cost >= 1, slots >= 1, wait_s >= 0")
        self.heavy_cost = heavy_cost
        self.slots = slots
        self.wait_s = wait_s
        self._turns = asyncio.Semaphore(slots)
        self._light_turn = asyncio.Lock() if one_light_at_a_time else None
        #: Heavy queries executing now, and waiting for a turn.
        self.running = 0
        self.waiting = 0

    def __repr__(self) -> str:
        return (f"HeavyQueryGate(heavy_cost={self.heavy_cost}, slots={self.slots}, "
                f"wait_s={self.wait_s:g}, running={self.running}, waiting={self.waiting})")

    @asynccontextmanager
    async def __call__(self, cost: int) -> AsyncIterator[None]:
        """Hold a turn while a query of ``cost`` executes (none when it is light).

        Raises:
            ServerBusy: the query is heavy and no turn came within ``wait_s``.
        """
        if cost < self.heavy_cost:
            if self._light_turn is None:
                yield
                return
            async with self._light_turn:  # first come, first served
                yield
            return
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await self._turns.acquire()
        except TimeoutError:
            raise ServerBusy(
                f"the server is busy: {self.slots} heavy queries are running and this one "
                f"(cost {cost:,}, heavy from {self.heavy_cost:,}) waited {self.wait_s:g} s "
                "for a turn",
                suggestion="retry in a while, or ask for less (fewer hops, smaller limits)",
            ) from None
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._turns.release()

    def saturation(self) -> str | None:
        """Why the API is overloaded (every turn taken and queries waiting), else ``None``."""
        if self.running >= self.slots and self.waiting > 0:
            return (f"heavy queries saturated: {self.running} of {self.slots} slots busy, "
                    f"{self.waiting} waiting")
        return None
