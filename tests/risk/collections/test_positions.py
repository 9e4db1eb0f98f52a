"""``bucket_positions`` (many loans on one day, for the API's DataLoader) answers exactly
what ``bucket_as_of`` answers loan by loan, errors included, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from risk.collections.errors import CollectionsError, HistoryNotCovered
from risk.collections.history import bucket_as_of, bucket_positions
from tests.audit.trails import trail
from tests.risk.classification.books import add_loan
from tests.risk.collections.test_run import CONFIG, DUES, FIRST, _book, _run

LOANS = ("L1", "L2", "L3", "L4", "L5", "L9")


def _one(engine: Engine, loan: str, day: date) -> object:
    try:
        return bucket_as_of(engine, loan, day)
    except CollectionsError as exc:
        return (type(exc), str(exc))


def test_positions_of_many_loans_are_those_of_each_loan(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    _run(database, FIRST, audit)
    add_loan(database, "L5", "P5", DUES)  # disbursed, never observed by the runs below
    _run(database, date(2024, 3, 14), audit)

    day = FIRST - timedelta(days=1)
    while day <= date(2024, 3, 15):
        batched = bucket_positions(database, list(LOANS), day)
        assert sorted(batched) == sorted(LOANS)
        assert {loan: (found if not isinstance(found, CollectionsError)
                       else (type(found), str(found))) for loan, found in batched.items()
                } == {loan: _one(database, loan, day) for loan in LOANS}, day
        day += timedelta(days=1)

    on_day = bucket_positions(database, ["L2", "L5", "L9"], FIRST)
    assert on_day["L2"].bucket == CONFIG.bucket_of(on_day["L2"].dpd)  # type: ignore[union-attr]
    assert isinstance(on_day["L5"], HistoryNotCovered)
    assert "first observed 2024-02-16" in str(on_day["L5"])
    assert str(on_day["L9"]) == "no loan 'L9'"
