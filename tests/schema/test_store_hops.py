"""Store calls made in one event-loop turn share one worker-thread hop; each caller gets
its own result or its own error."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from schema.loaders import reads_in_place
from schema.store_hops import StoreHops
from tests.schema.sample import Counting
from tests.services import POSTGRES_URL


def test_calls_of_one_turn_run_in_one_thread_in_order() -> None:
    seen: list[tuple[str, int]] = []

    def call(name: str) -> str:
        seen.append((name, threading.get_ident()))
        return name.upper()

    async def main() -> tuple[list[str], str]:
        hops = StoreHops()
        first = await asyncio.gather(hops.run(call, "a"), hops.run(call, "b"),
                                     hops.run(call, "c"))
        later = await hops.run(call, "d")
        return first, later

    first, later = asyncio.run(main())
    assert (first, later) == (["A", "B", "C"], "D")
    assert [name for name, _ in seen] == ["a", "b", "c", "d"]
    threads = [ident for _, ident in seen]
    assert len(set(threads[:3])) == 1
    assert threading.get_ident() not in threads


def test_inline_calls_run_on_the_loop_still_batched_per_turn() -> None:
    seen: list[tuple[str, int, int]] = []
    turns = 0

    def call(name: str) -> str:
        seen.append((name, threading.get_ident(), turns))
        return name.upper()

    async def main() -> tuple[list[str], str]:
        nonlocal turns
        hops = StoreHops(inline=True)
        pending = [hops.run(call, name) for name in "abc"]
        assert seen == []  # queued: nothing runs before the loop's next turn
        first = await asyncio.gather(*pending)
        turns += 1
        later = await hops.run(call, "d")
        return first, later

    assert asyncio.run(main()) == (["A", "B", "C"], "D")
    assert [name for name, _, _ in seen] == ["a", "b", "c", "d"]
    assert {ident for _, ident, _ in seen} == {threading.get_ident()}
    assert [turn for _, _, turn in seen] == [0, 0, 0, 1]


@pytest.mark.parametrize("inline", [False, True])
def test_an_error_reaches_only_its_caller(inline: bool) -> None:
    def fail() -> None:
        raise LookupError("no such node")

    async def main() -> list[object]:
        hops = StoreHops(inline=inline)
        return await asyncio.gather(hops.run(fail), hops.run(len, "abc"),
                                    return_exceptions=True)

    failed, fine = asyncio.run(main())
    assert isinstance(failed, LookupError) and str(failed) == "no such node"
    assert fine == 3


@pytest.mark.parametrize("inline", [False, True])
def test_a_cancelled_caller_does_not_stop_the_others(inline: bool) -> None:
    async def main() -> int:
        hops = StoreHops(inline=inline)
        doomed = hops.run(len, "ab")
        kept = hops.run(len, "abcd")
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return await kept

    assert asyncio.run(main()) == 4


def test_only_sqlite_files_are_read_in_place(blank_store: Counting,
                                             request: pytest.FixtureRequest,
                                             tmp_path: Path) -> None:
    backend = request.node.callspec.params["blank_store"]
    local = backend == "embedded-sqlite"
    assert blank_store.reads_in_process is local
    assert reads_in_place(blank_store, None) is local
    sqlite_records = create_engine(f"sqlite:///{tmp_path / 'records.db'}")
    assert reads_in_place(blank_store, sqlite_records) is local
    # Records on a server keep the worker thread even beside a local graph.
    assert reads_in_place(blank_store, create_engine(POSTGRES_URL)) is False
