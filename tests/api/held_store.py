"""The sample store whose graph walks wait at their first hop until the test lets them go.

It stands in for a walk that takes long, without timing: the test decides when the hop
returns, and then sees whether the walk went on or stopped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection, Sequence

from sqlalchemy import Engine

from graph.model import Edge, RelType, Subgraph
from tests.api.server import WAIT_S
from tests.schema.sample import EDGES, NODES, CountingStore

#: A walk of the sample graph that would take 3 hops.
HELD_WALK = 'query Walk { neighbourhood(id: "C1", hops: 3, limit: 50) { nodes { id } } }'


class HeldStore(CountingStore):
    """Each hop of a walk waits for :attr:`released`; :attr:`outcomes` gets, per walk,
    ``"finished"`` or the name of the exception that stopped it."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.released = threading.Event()
        self.hops_reached = threading.Semaphore(0)
        self.hops = 0
        self.outcomes: queue.Queue[str] = queue.Queue()

    def _incident_edges(self, ids: Sequence[str], types: Collection[RelType] | None
                        ) -> list[Edge]:
        self.hops += 1
        self.hops_reached.release()
        if not self.released.wait(WAIT_S):
            raise AssertionError("the test never released the walk")
        return super()._incident_edges(ids, types)

    def neighbourhood(self, center: str, hops: int = 2, **kwargs: object) -> Subgraph:
        try:
            subgraph = super().neighbourhood(center, hops, **kwargs)
        except Exception as exc:
            self.outcomes.put(type(exc).__name__)
            raise
        self.outcomes.put("finished")
        return subgraph

    def wait_for_a_hop(self) -> None:
        if not self.hops_reached.acquire(timeout=WAIT_S):
            raise AssertionError("no walk reached a hop")

    def outcome(self) -> str:
        return self.outcomes.get(timeout=WAIT_S)


def held_store(engine: Engine) -> HeldStore:
    store = HeldStore(engine)
    store.upsert_nodes(NODES)
    store.upsert_edges(EDGES)
    store.calls.clear()
    return store
