"""Walks read on the event loop, through the Neo4j driver's asynchronous API.

The API serves the borrower 360° view as one walk (:mod:`schema.view_walks`). Read through
the synchronous driver, each walk runs in a worker thread, and under load that thread
waits for the interpreter lock after every socket call while the event loop executes
other requests: a few milliseconds a request, all of them in the slowest percentiles. The
asynchronous driver does the same round trip on the loop itself, where waiting for Neo4j
costs nothing. The statement and the answer are the synchronous store's
(:func:`graph.stores.neo4j_cypher.walk_query`, :func:`graph.stores.neo4j_rows.walked_from`).

Example::

    walker = store.open_loop_walker()          # on the server's loop, at start-up
    walked = await walker.walk(["C1"], hops)
    await walker.aclose()                      # on the same loop, at shut-down
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from neo4j import READ_ACCESS, AsyncDriver, Record

from graph.sealed_properties import SealedProperties
from graph.stores import neo4j_cypher as cypher
from graph.stores.neo4j_errors import DRIVER_ERRORS, read_retry_pause, translate
from graph.stores.neo4j_rows import walked_from
from graph.walks import Hop, Walked, check_walk

__all__ = ["Neo4jLoopWalker"]


class Neo4jLoopWalker:
    """A :class:`graph.walks.LoopWalker` on ``driver``, an ``AsyncDriver`` this walker owns
    (closed by :meth:`aclose`); personal values opened by ``sealed``, as the store does.

    Each walk is one auto-commit read (RUN and PULL in one round trip), run again after a
    transient failure as the synchronous store's reads are; every driver error becomes a
    Loanwatch error (:mod:`graph.stores.neo4j_errors`).
    """

    def __init__(self, driver: AsyncDriver, *, database: str, address: str,
                 sealed: SealedProperties) -> None:
        self._driver = driver
        self._database = database
        self._address = address
        self._sealed = sealed

    def __repr__(self) -> str:
        return f"Neo4jLoopWalker({self._address!r}, database={self._database!r})"

    async def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        """See :meth:`graph.store.GraphStore.walk`."""
        check_walk(hops)
        start = list(dict.fromkeys(ids))
        if not start:
            return Walked()
        [record] = await self._read(cypher.walk_query(tuple(hops)), start)
        return walked_from(start, hops, record["found"], self._sealed.open)

    async def _read(self, query: str, ids: list[str]) -> list[Record]:
        for attempt in itertools.count(1):
            try:
                async with self._driver.session(database=self._database,
                                                default_access_mode=READ_ACCESS) as session:
                    result = await session.run(query, {"ids": ids})  # type: ignore[arg-type]
                    return [record async for record in result]
            except DRIVER_ERRORS as exc:
                pause = read_retry_pause(exc, attempt)
                if pause is None:
                    raise translate(exc, address=self._address,
                                    database=self._database) from exc
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: itertools.count never ends")

    async def aclose(self) -> None:
        """Close the driver's connections."""
        await self._driver.close()
