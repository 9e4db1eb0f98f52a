"""Audited manual overrides on every store: the floor rule, what is in force on a date,
revocation and replacement as new rows, and every bad request refused with nothing stored.

The book (no payments on L1; L2 paid on time), borrowers C1 and C2 (companies):

* L1: 1,000.00 + 100.00 due on the 1st of each month from 2024-02 to 2024-12, never paid:
  10 days past due on 2024-02-11 (floor special mention), 104 on 2024-05-15 (substandard).
* L2: the same schedule, every installment paid on its day: Pass, no floor above it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from graph.model import Label, Node
from portfolio.overrides import LoanOverride
from risk.classification.assessment import Assessment, assess
from risk.classification.errors import OverrideError, OverrideNotFound
from risk.classification.overrides import (
    StoredOverrides,
    list_overrides,
    parse_ecl,
    parse_tier,
    revoke_override,
    set_override,
)
from risk.classification.tiers import Tier
from tests.risk.classification.books import add_loan, pay
from tests.risk.rules.stores import Stores, stores

__all__ = ["stores"]

DUES = [date(2024, month, 1) for month in range(2, 13)]
EARLY = date(2024, 2, 11)
LATE = date(2024, 5, 15)
NOW = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def book(stores: Stores) -> Stores:
    stores.graph.upsert_nodes([Node("C1", Label.COMPANY, {"name": "Acme"}),
                               Node("C2", Label.COMPANY, {"name": "Build Co"})])
    add_loan(stores.engine, "L1", "C1", DUES)
    add_loan(stores.engine, "L2", "C2", DUES)
    pay(stores.engine, "L2", [(due, 1_100) for due in DUES])
    return stores


def _assess(stores: Stores, as_of: date) -> Assessment:
    return assess(stores.engine, stores.graph, as_of,
                  override_source=StoredOverrides(stores.engine))


def _loan(result: Assessment, loan_id: str) -> tuple[str, int, Decimal, list[str]]:
    (loan,) = [loan for loan in result.loans if loan.loan_id == loan_id]
    return loan.tier.slug, loan.stage, loan.ecl, [reason.rule for reason in loan.reasons]


def _count(stores: Stores) -> int:
    with stores.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(
            LoanOverride.__table__)).scalar_one())  # type: ignore[arg-type]


def test_a_downgrade_is_applied_with_its_actor_and_reason_first(book: Stores) -> None:
    computed = _loan(_assess(book, LATE), "L1")
    assert computed[:2] == ("substandard", 3)

    row = set_override(book.engine, book.graph, loan_id="L1", tier=Tier.DOUBTFUL,
                       reason="borrower absconded", actor="risk.officer",
                       valid_from=date(2024, 5, 1), now=NOW)

    assert (row.id, row.action, row.tier, row.actor) == (1, "set", "doubtful", "risk.officer")
    result = _assess(book, LATE)
    (loan,) = [loan for loan in result.loans if loan.loan_id == "L1"]
    assert (loan.tier, loan.stage) == (Tier.DOUBTFUL, 3)
    first = loan.reasons[0]
    assert first.rule == "override.manual"
    assert first.text == ("manual override #1 by risk.officer from 2024-05-01 (tier doubtful): "
                          "borrower absconded")
    assert (first.figures["actor"], first.figures["computed_tier"],
            first.figures["held_at_floor"]) == ("risk.officer", "substandard", False)
    assert result.summary["by_tier"]["doubtful"]["loans"] == 1
    # Before the day it takes effect, nothing changes.
    assert _loan(_assess(book, date(2024, 4, 30)), "L1")[0] == "special_mention"  # 89 dpd


def test_an_upgrade_past_a_floor_is_refused_naming_the_floor(book: Stores) -> None:
    with pytest.raises(OverrideError) as caught:
        set_override(book.engine, book.graph, loan_id="L1", tier=Tier.SPECIAL_MENTION,
                     reason="they promised to pay", actor="optimist", valid_from=LATE, now=NOW)

    message = caught.value.message
    assert message.startswith("loan L1 cannot be overridden to special_mention: on 2024-05-15 "
                              "it is at least substandard (overdue.over_90")
    assert "regulatory floor" in message
    assert caught.value.suggestion is not None and "--tier substandard" in \
        caught.value.suggestion
    assert _count(book) == 0
    # Pass is the floor of a loan paid on time: any tier is allowed there.
    set_override(book.engine, book.graph, loan_id="L2", tier=Tier.PASS, reason="same",
                 actor="a", valid_from=LATE, now=NOW)
    assert _count(book) == 1


def test_a_floor_that_rises_later_wins_and_the_reason_says_so(book: Stores) -> None:
    set_override(book.engine, book.graph, loan_id="L1", tier=Tier.SPECIAL_MENTION,
                 reason="a late payer, not a bad one", actor="officer", valid_from=EARLY,
                 now=NOW)
    assert _loan(_assess(book, EARLY), "L1")[0] == "special_mention"

    result = _assess(book, LATE)
    (loan,) = [loan for loan in result.loans if loan.loan_id == "L1"]
    assert loan.tier is Tier.SUBSTANDARD
    assert loan.reasons[0].figures["held_at_floor"] is True
    assert "tier special_mention, held at the floor substandard" in loan.reasons[0].text


def test_stage_and_ecl_move_either_way_and_the_ecl_is_exact(book: Stores) -> None:
    # Rebutting the 90-day presumption: stage 2, and a judged ECL, tier left as computed.
    set_override(book.engine, book.graph, loan_id="L1", stage=2, ecl=Decimal("1234.56"),
                 reason="fully secured by a deposit", actor="officer", valid_from=LATE, now=NOW)

    tier, stage, ecl, rules = _loan(_assess(book, LATE), "L1")

    assert (tier, stage, ecl) == ("substandard", 2, Decimal("1234.56"))
    assert rules[0] == "override.manual"
    (entry,) = list_overrides(book.engine)
    assert entry.as_json()["ecl"] == {"amount": "1234.56", "currency": "CNY"}


def test_revocation_and_replacement_are_new_rows_and_keep_the_history(book: Stores) -> None:
    first = set_override(book.engine, book.graph, loan_id="L2", tier=Tier.SPECIAL_MENTION,
                         reason="sector under stress", actor="ann",
                         valid_from=date(2024, 3, 1), now=NOW)
    second = set_override(book.engine, book.graph, loan_id="L2", tier=Tier.SUBSTANDARD,
                          reason="main customer failed", actor="bob",
                          valid_from=date(2024, 4, 1), now=NOW)
    revocation = revoke_override(book.engine, second.id or 0, reason="customer paid after all",
                                 actor="carl", valid_from=date(2024, 5, 1), now=NOW)

    assert (revocation.action, revocation.revokes_id, revocation.loan_id) == (
        "revoke", second.id, "L2")
    tiers = {day: _loan(_assess(book, day), "L2")[0] for day in (
        date(2024, 2, 15), date(2024, 3, 15), date(2024, 4, 15), date(2024, 5, 15))}
    # The revoked replacement does not bring the first override back.
    assert tiers == {date(2024, 2, 15): "pass", date(2024, 3, 15): "special_mention",
                     date(2024, 4, 15): "substandard", date(2024, 5, 15): "pass"}
    trail = [entry.as_json() for entry in list_overrides(book.engine, loan_id="L2")]
    assert [(e["id"], e["action"], e["tier"], e["actor"], e["revoked_by"], e["replaced_by"])
            for e in trail] == [
        (first.id, "set", "special_mention", "ann", None, second.id),
        (second.id, "set", "substandard", "bob", revocation.id, None),
        (revocation.id, "revoke", None, "carl", None, None)]
    assert trail[0]["reason"] == "sector under stress"  # nothing was changed in place
    assert list_overrides(book.engine, loan_id="L1") == []


@pytest.mark.parametrize(("change", "message"), [
    ({"loan_id": "L404"}, "unknown loan id 'L404'"),
    ({"stage": 4, "tier": None}, "stage 4 is not an IFRS 9 stage; give 1, 2 or 3"),
    ({"ecl": Decimal("-1"), "tier": None}, "ECL -1 is negative"),
    ({"ecl": Decimal("1.005"), "tier": None}, "ECL 1.005 has more decimals than CNY allows"),
    ({"reason": "  "}, "an override needs a reason"),
    ({"reason": None}, "an override needs a reason"),
    ({"actor": ""}, "an override needs an actor"),
    ({"tier": None}, "an override must set a tier, a stage or an ECL"),
    ({"valid_from": date(2023, 12, 31)}, "loan L2 was disbursed on 2024-01-01, after"),
])
def test_a_bad_override_is_refused_and_nothing_is_stored(
        book: Stores, change: dict[str, object], message: str) -> None:
    request: dict[str, object] = {"loan_id": "L2", "tier": Tier.DOUBTFUL, "reason": "why",
                                  "actor": "who", "valid_from": LATE, "now": NOW, **change}
    with pytest.raises(OverrideError, match=message.replace("(", r"\(")):
        set_override(book.engine, book.graph, **request)  # type: ignore[arg-type]
    assert _count(book) == 0


def test_bad_revocations_are_refused(book: Stores) -> None:
    row = set_override(book.engine, book.graph, loan_id="L2", tier=Tier.LOSS, reason="fraud",
                       actor="a", valid_from=LATE, now=NOW)
    with pytest.raises(OverrideNotFound, match="no override has id 99"):
        revoke_override(book.engine, 99, reason="r", actor="a", valid_from=LATE, now=NOW)
    with pytest.raises(OverrideError, match="would precede the override"):
        revoke_override(book.engine, row.id or 0, reason="r", actor="a",
                        valid_from=date(2024, 5, 1), now=NOW)
    with pytest.raises(OverrideError, match="needs a reason"):
        revoke_override(book.engine, row.id or 0, reason="", actor="a", valid_from=LATE,
                        now=NOW)
    revocation = revoke_override(book.engine, row.id or 0, reason="not fraud", actor="a",
                                 valid_from=LATE, now=NOW)
    with pytest.raises(OverrideError, match=f"already revoked \\(by {revocation.id}\\)"):
        revoke_override(book.engine, row.id or 0, reason="r", actor="a", valid_from=LATE,
                        now=NOW)
    with pytest.raises(OverrideError, match="is a revocation"):
        revoke_override(book.engine, revocation.id or 0, reason="r", actor="a",
                        valid_from=LATE, now=NOW)
    assert _count(book) == 2


def test_tier_and_ecl_text_are_parsed_with_clear_errors() -> None:
    assert parse_tier("Special mention") is Tier.SPECIAL_MENTION
    assert parse_tier("次级") is Tier.SUBSTANDARD
    with pytest.raises(OverrideError, match="unknown tier 'awful'; expected one of pass"):
        parse_tier("awful")
    assert parse_ecl(" 12.50 ") == Decimal("12.50")
    for text in ("twelve", "NaN", "inf"):
        with pytest.raises(OverrideError, match="is not a number"):
            parse_ecl(text)
