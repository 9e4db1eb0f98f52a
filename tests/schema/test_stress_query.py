"""The ``stress`` query on every backend: the hand portfolio of
``tests/risk/contagion/test_portfolio.py`` (figures computed by hand there), the same figures
as ``loanwatch stress --json``, capped lists, typed argument errors, and the heavy-query gate.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.admission import HeavyQueryGate
from loanwatch.cli.stress_portfolio import PortfolioRequest, portfolio_document
from loanwatch.cli.stress_portfolio import stress_stored_portfolio as cli_stress
from risk.contagion.buffers import StressConfig
from schema import LoanwatchSchema, build_context
from schema.control import QueryControl
from schema.cost import WHOLE_PORTFOLIO_COST
from schema.limits import DEFAULT_MAX_COST
from tests.risk.contagion.test_portfolio import hand_portfolio
from tests.schema.running import ANALYST
from tests.schema.sample import Counting
from tests.schema.test_errors_and_limits import cost

STRESS = """
query($parties: [ID!], $sector: String, $region: String, $group: ID, $shock: Float! = 1,
      $method: StressMethod! = DEBTRANK, $lgd: Float! = 0.45, $first: Int! = 100) {
  stress(parties: $parties, sector: $sector, region: $region, group: $group, shock: $shock,
         method: $method, lgd: $lgd, first: $first) {
    method currency shock lgd shocked rounds additionalStress additionalDefaults
    minDistress belowThreshold
    exposureAtRisk { amount currency } expectedLoss { amount currency }
    parties { id initial distress round via links path loans
      exposure { amount currency } expectedLoss { amount currency } }
    partiesTotal
    loans { id borrower distress principal { amount currency } }
    loansTotal truncated links { kind count } buffers leftOut
  }
}
"""


def _run(schema: LoanwatchSchema, store: Counting, variables: dict[str, Any],
         control: QueryControl | None = None) -> Any:
    async def run() -> Any:
        return await schema.execute(STRESS, variable_values=variables,
                                    context_value=build_context(store, control, principal=ANALYST))

    return asyncio.run(run())


def _stress(schema: LoanwatchSchema, store: Counting, **variables: Any) -> dict:
    result = _run(schema, store, variables)
    assert result.errors is None, result.errors
    return result.data["stress"]


def _codes(result: Any) -> list[str]:
    return [(error.extensions or {}).get("code") for error in result.errors or []]


@pytest.fixture
def hand(blank_store: Counting) -> Counting:
    blank_store.upsert_batch(*hand_portfolio())
    return blank_store


def test_a_default_is_reported_as_computed_by_hand(schema: LoanwatchSchema,
                                                   hand: Counting) -> None:
    got = _stress(schema, hand, parties=["C1"])

    assert (got["method"], got["currency"], got["shock"], got["rounds"]) == (
        "DEBTRANK", "CNY", 1.0, 2)
    assert got["shocked"] == ["C1"]
    assert got["additionalStress"] == pytest.approx(5 / 38)
    assert got["exposureAtRisk"] == [{"amount": "350000.00", "currency": "CNY"}]
    assert got["expectedLoss"] == [{"amount": "112500.00", "currency": "CNY"}]
    hit = {p["id"]: p for p in got["parties"]}
    assert {i: p["distress"] for i, p in hit.items()} == pytest.approx(
        {"C1": 1.0, "P1": 0.5, "C3": 0.25, "C4": 0.3, "P2": 0.2})
    # The paths that carried the shock: by guarantee to P1, then on to its guarantor P2.
    assert (hit["P1"]["via"], hit["P1"]["links"], hit["P1"]["path"]) == (
        "C1", ["guarantee"], ["C1", "P1"])
    assert (hit["P2"]["via"], hit["P2"]["path"], hit["P2"]["round"]) == (
        "P1", ["C1", "P1", "P2"], 2)
    assert (hit["C3"]["links"], hit["C4"]["links"]) == (["ownership"], ["supply"])
    assert hit["C1"]["via"] is None and hit["C1"]["round"] == 0
    # Largest expected loss first: C1's 20,000,000 fen x 1 x 0.45.
    assert got["parties"][0]["id"] == "C1"
    assert got["parties"][0]["expectedLoss"] == [{"amount": "90000.00", "currency": "CNY"}]
    assert {loan["id"]: loan["principal"]["amount"] for loan in got["loans"]} == {
        "L1": "200000.00", "L2": "50000.00", "L3": "100000.00"}
    assert (got["partiesTotal"], got["loansTotal"], got["truncated"]) == (5, 3, False)
    assert {link["kind"]: link["count"] for link in got["links"]} == {
        "guarantee": 2, "ownership": 3, "supply": 1}


def test_the_query_gives_the_figures_of_the_command_line(schema: LoanwatchSchema,
                                                         hand: Counting) -> None:
    for method in ("debtrank", "cascade"):
        got = _stress(schema, hand, parties=["C1", "P9"], shock=0.8, method=method.upper())
        pn, run = cli_stress(hand, PortfolioRequest(parties=["C1", "P9"], shock=["0.8"],
                                                    method=method), StressConfig())
        cli = portfolio_document(pn, run)
        assert got["rounds"] == cli["rounds"] and got["shocked"] == cli["shocked"]
        assert got["additionalStress"] == cli["additional_stress"]
        assert got["additionalDefaults"] == cli["additional_defaults"]
        assert got["exposureAtRisk"] == [{"amount": a, "currency": c}
                                         for c, a in cli["exposure_at_risk"].items()]
        assert got["expectedLoss"] == [{"amount": a, "currency": c}
                                       for c, a in cli["expected_loss"].items()]
        assert {p["id"]: (p["distress"], p["via"], p["links"], p["path"])
                for p in got["parties"]} == {
            p["id"]: (p["distress"], p["via"], p["links"], p["path"])
            for p in cli["parties_hit"]}
        assert sorted(loan["id"] for loan in got["loans"]) == [
            loan["id"] for loan in cli["loans_hit"]]
        assert got["buffers"] == cli["buffers"] and got["leftOut"] == cli["left_out"]


def test_a_sector_a_region_and_a_group_select_as_on_the_command_line(
        schema: LoanwatchSchema, hand: Counting) -> None:
    assert sorted(_stress(schema, hand, sector="c13")["shocked"]) == ["C1", "C4"]
    assert sorted(_stress(schema, hand, region="浙江")["shocked"]) == ["C1", "P1"]
    assert sorted(_stress(schema, hand, group="P9", shock=0.5)["shocked"]) == ["C5", "C6"]


def test_first_caps_the_lists_and_says_so(schema: LoanwatchSchema, hand: Counting) -> None:
    got = _stress(schema, hand, parties=["C1"], first=2)
    assert [p["id"] for p in got["parties"]] == ["C1", "P1"]  # largest expected loss first
    assert len(got["loans"]) == 2 and got["loans"][0]["id"] == "L1"
    assert (got["partiesTotal"], got["loansTotal"], got["truncated"]) == (5, 3, True)
    # The totals are over everything, whatever the cap.
    assert got["expectedLoss"] == [{"amount": "112500.00", "currency": "CNY"}]


@pytest.mark.parametrize(("variables", "message"), [
    ({"parties": ["NOPE"]}, "parties NOPE: no node has the id 'NOPE'"),
    ({"parties": ["L1"]}, "parties L1: 'L1' is not a person or a company"),
    ({"parties": ["P0"]}, "parties P0: Person 'P0' has no loan"),
    ({"parties": ["C1"], "shock": 1.5}, "shock 1.5 is outside [0, 1]"),
    ({"parties": ["C1"], "shock": -0.1}, "shock -0.1 is outside [0, 1]"),
    ({}, "no selection: give parties, sector, region or group"),
    ({"parties": ["C1"], "sector": "C13"}, "parties and sector: choose one selection"),
    ({"sector": "mining"}, "sector mining: no party"),
    ({"group": "C1"}, "group C1: no corporate group is headed by 'C1'"),
    ({"parties": ["C1"], "lgd": 2.0}, "lgd must be between 0 and 1, got 2"),
    ({"parties": ["C1"], "first": 0}, "first must be between 1 and 1000"),
])
def test_bad_arguments_are_typed_errors_that_name_them(
        schema: LoanwatchSchema, hand: Counting, variables: dict[str, Any],
        message: str) -> None:
    result = _run(schema, hand, variables)
    assert result.data is None or result.data.get("stress") is None
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert message in result.errors[0].message


def test_the_stress_test_is_a_heavy_query_that_waits_for_the_gate(
        schema: LoanwatchSchema, hand: Counting) -> None:
    gate = HeavyQueryGate(heavy_cost=10_000, slots=1, wait_s=0.0)

    async def run_while_the_slot_is_taken() -> Any:
        async with gate(10_000):  # another heavy query holds the only slot
            return await schema.execute(
                STRESS, variable_values={"parties": ["C1"]},
                context_value=build_context(hand, QueryControl(admission=gate),
                                            principal=ANALYST))

    busy = asyncio.run(run_while_the_slot_is_taken())
    assert _codes(busy) == ["SERVER_BUSY"]
    # With the slot free it runs, and it cost at least a whole-portfolio pass.
    result = _run(schema, hand, {"parties": ["C1"]}, QueryControl(admission=gate))
    assert result.errors is None
    assert WHOLE_PORTFOLIO_COST < cost(schema, STRESS, parties=["C1"]) < DEFAULT_MAX_COST
