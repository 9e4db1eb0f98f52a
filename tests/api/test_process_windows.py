"""The in-memory rate-limit windows (``memory://``): the same fixed windows as ``limits``."""

from __future__ import annotations

import asyncio

from limits import parse

from api import rate_limit
from api.rate_limit import ClientRateLimiter, ProcessWindows


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_window_holds_its_amount_then_refuses_until_it_ends() -> None:
    clock = Clock()
    windows = ProcessWindows(parse("3/minute"), clock)
    assert [windows.hit("a") for _ in range(3)] == [
        (True, 2, 1_060.0), (True, 1, 1_060.0), (True, 0, 1_060.0)]
    clock.now = 1_059.9
    assert windows.hit("a") == (False, 0, 1_060.0)
    clock.now = 1_060.0  # the window opened at the first request has ended
    assert windows.hit("a") == (True, 2, 1_120.0)


def test_clients_are_counted_apart_and_a_refusal_is_not_counted() -> None:
    clock = Clock()
    windows = ProcessWindows(parse("1/second"), clock)
    assert windows.hit("a")[0] is True
    assert windows.hit("a")[0] is False
    assert windows.hit("a")[0] is False
    assert windows.hit("b") == (True, 0, 1_001.0)
    windows.reset()
    assert windows.hit("a")[0] is True


def test_ended_windows_are_swept_once_many_clients_are_held(monkeypatch) -> None:
    monkeypatch.setattr(rate_limit, "SWEEP_AFTER_CLIENTS", 3)
    clock = Clock()
    windows = ProcessWindows(parse("5/second"), clock)
    for client in ("a", "b", "c"):
        windows.hit(client)
    clock.now += 0.5
    windows.hit("d")  # a, b, c still open: nothing to sweep
    assert len(windows._windows) == 4
    clock.now += 0.6  # a, b, c ended; d's window is still open
    windows.hit("e")
    assert sorted(windows._windows) == ["d", "e"]


def test_the_limiter_on_memory_answers_from_the_process_windows() -> None:
    limiter = ClientRateLimiter.from_strings("2/minute", "memory://")

    async def three() -> list[bool]:
        return [(await limiter.hit("console")).allowed for _ in range(3)]

    assert asyncio.run(three()) == [True, True, False]
    refused = asyncio.run(limiter.hit("console"))
    assert refused.remaining == 0 and 0 < refused.reset_s <= 60
    assert refused.headers()["Retry-After"] == str(refused.reset_s)
    limiter.reset()
    assert asyncio.run(limiter.hit("console")).allowed
