"""Store calls made in one event-loop turn share one worker-thread hop; each caller gets
its own result or its own error."""

from __future__ import annotations

import asyncio
import threading

import pytest

from schema.store_hops import StoreHops


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


def test_an_error_reaches_only_its_caller() -> None:
    def fail() -> None:
        raise LookupError("no such node")

    async def main() -> list[object]:
        hops = StoreHops()
        return await asyncio.gather(hops.run(fail), hops.run(len, "abc"),
                                    return_exceptions=True)

    failed, fine = asyncio.run(main())
    assert isinstance(failed, LookupError) and str(failed) == "no such node"
    assert fine == 3


def test_a_cancelled_caller_does_not_stop_the_others() -> None:
    async def main() -> int:
        hops = StoreHops()
        doomed = hops.run(len, "ab")
        kept = hops.run(len, "abcd")
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return await kept

    assert asyncio.run(main()) == 4
