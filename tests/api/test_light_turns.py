"""With one_light_at_a_time, light queries execute one after the other, first come first
served, while heavy ones keep their own turns beside them."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from api.admission import HeavyQueryGate
from loanwatch.settings import Settings
from tests.api.apps import api_app
from tests.schema.sample import CountingStore

HEAVY = 10_000


async def _runs(gate: HeavyQueryGate, costs: list[int]) -> list[str]:
    """Each query enters the gate, yields to the loop twice, and leaves: the log shows
    whether their executions overlapped."""
    log: list[str] = []

    async def query(name: str, cost: int) -> None:
        async with gate(cost):
            log.append(f"{name}+")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            log.append(f"{name}-")

    await asyncio.gather(*(query(f"q{i}", cost) for i, cost in enumerate(costs)))
    return log


def test_light_queries_take_turns_in_arrival_order() -> None:
    gate = HeavyQueryGate(heavy_cost=HEAVY, one_light_at_a_time=True)
    log = asyncio.run(_runs(gate, [1, 5, 9]))
    assert log == ["q0+", "q0-", "q1+", "q1-", "q2+", "q2-"]


def test_without_it_light_queries_overlap() -> None:
    gate = HeavyQueryGate(heavy_cost=HEAVY)
    log = asyncio.run(_runs(gate, [1, 5, 9]))
    assert log[:3] == ["q0+", "q1+", "q2+"]


def test_a_heavy_query_runs_beside_the_light_ones() -> None:
    gate = HeavyQueryGate(heavy_cost=HEAVY, one_light_at_a_time=True)
    log = asyncio.run(_runs(gate, [1, HEAVY, 2]))
    # the heavy one (q1) starts while q0 holds the light turn; q2 waits for q0.
    assert log.index("q1+") < log.index("q0-") < log.index("q2+")


def test_the_api_on_the_embedded_sqlite_store_takes_light_turns(
        store: CountingStore, engine: Engine) -> None:
    app = api_app(Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"}),
                  store, engine)
    assert app.state.heavy_queries._light_turn is not None
