"""Case changes are announced once committed: the daily run announces each case transition
of each day it runs (a day already run announces nothing), a person's hold announces
itself, a refused one nothing; and a change survives the wire as it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine

from risk.collections.cases import CaseEventKind, transition_case
from risk.collections.errors import CaseTransitionRefused
from risk.collections.feed import CaseChange, LocalCaseFeed
from risk.collections.run import run_collections
from tests.audit.trails import trail
from tests.risk.collections.test_run import CONFIG, FIRST, NOW, _book


def _heard(feed: LocalCaseFeed, act: Callable[[], object]) -> list[CaseChange]:
    """What ``act`` announced on ``feed``."""
    async def scenario() -> list[CaseChange]:
        async with feed.subscribe() as changes:
            await asyncio.to_thread(act)
            await asyncio.sleep(0.05)  # deliveries are scheduled on this loop
            heard = []
            while True:
                try:
                    heard.append(await asyncio.wait_for(anext(changes), 0.05))
                except TimeoutError:
                    return heard
    return asyncio.run(scenario())


def test_the_daily_run_and_a_hold_announce_their_transitions_once(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    feed = LocalCaseFeed()

    def run(day: date) -> object:
        return run_collections(database, day, audit=audit, config=CONFIG, now=lambda: NOW,
                               feed=feed)

    opened = _heard(feed, lambda: run(FIRST))
    again = _heard(feed, lambda: run(FIRST))
    held = _heard(feed, lambda: transition_case(
        database, "L2@2024-02-15", CaseEventKind.HELD, actor="ann", reason="dispute",
        audit=audit, feed=feed, now=lambda: NOW))

    def hold_again() -> None:
        try:
            transition_case(database, "L2@2024-02-15", CaseEventKind.HELD, actor="ann",
                            reason="dispute", audit=audit, feed=feed)
        except CaseTransitionRefused:
            return
        raise AssertionError("a held case was held again")

    refused = _heard(feed, hold_again)

    assert sorted((c.case_id, c.event, c.from_state, c.state, c.bucket, c.actor)
                  for c in opened) == [
        ("L2@2024-02-15", "opened", None, "open", "1-60", "system"),
        ("L4@2024-02-15", "opened", None, "open", "1-60", "system")]
    assert all(c.segment and c.at == NOW.isoformat() for c in opened)
    assert again == []
    assert [(c.event, c.from_state, c.state, c.actor) for c in held] == [
        ("held", "open", "on_hold", "ann")]
    assert held[0].segment == next(c.segment for c in opened if c.loan_id == "L2")
    assert refused == []


def test_a_change_survives_the_wire() -> None:
    change = CaseChange(case_id="L1@2025-01-01", loan_id="L1", event="opened", from_state=None,
                        state="open", bucket="1-30", segment="high/small/new", actor="system",
                        at="2025-01-01T00:00:00+00:00")
    assert CaseChange.from_json(change.to_json()) == change
