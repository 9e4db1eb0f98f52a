"""The dates of the generated relationships: a share dated, some ended, none after as_of,
and every planted structure still holding on as_of."""

from __future__ import annotations

from datetime import date

from tests.seeds.portfolio_files import PortfolioFiles, normalise_identifier


def _held_on(row: dict[str, str], day: str) -> bool:
    return (not row["valid_from"] or row["valid_from"] <= day) and (
        not row["valid_to"] or day < row["valid_to"])


def test_a_share_is_dated_some_ended_and_every_end_follows_its_start(
        portfolio: PortfolioFiles) -> None:
    as_of = portfolio.as_of.isoformat()
    for entity, ended in (("ownerships", False), ("directorships", True),
                          ("identifiers", True), ("relations", False)):
        rows = portfolio.table(entity)
        dated = [r for r in rows if r["valid_from"]]
        finished = [r for r in rows if r["valid_to"]]
        if entity == "relations":
            assert not dated and not finished
            continue
        assert 0.3 < len(dated) / len(rows) < 0.9, entity
        assert bool(finished) is ended, entity
        for row in finished:
            assert row["valid_from"]
            assert date.fromisoformat(row["valid_from"]) < date.fromisoformat(row["valid_to"])
            assert row["valid_to"] <= as_of
        assert all(r["valid_from"] < as_of for r in dated)


def test_planted_rings_and_groups_hold_on_as_of(portfolio: PortfolioFiles) -> None:
    as_of = portfolio.as_of.isoformat()
    held = {(r["party_id"], r["kind"], normalise_identifier(r["kind"], r["value"]))
            for r in portfolio.table("identifiers") if _held_on(r, as_of)}
    for ring in portfolio.truth["identity_rings"]:
        for kind, value in ring["values"].items():
            assert all((m, kind, value) in held for m in ring["members"]), ring
    owns = {(r["owner_id"], r["company_id"]) for r in portfolio.table("ownerships")
            if _held_on(r, as_of)}
    assert len(owns) == len(portfolio.table("ownerships"))
