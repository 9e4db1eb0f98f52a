"""``guarantor_overextended`` takes a party's imported ``loss_buffer`` as its capacity
before the registered capital or the income multiple, as the stress test does, on every
store."""

from __future__ import annotations

from graph.model import Label, Node
from risk.rules.evaluate import evaluate
from risk.rules.loader import parse_rules
from tests.risk.rules.hand_data import AS_OF, build_portfolio, hand_delinquency
from tests.risk.rules.stores import Stores

RULES = """\
rules:
  - {id: guarantor, signal: guarantor_overextended, severity: high, description: d,
     max_share: 1.0, income_multiple: 36}
"""


def _guarantor_alerts(stores: Stores) -> dict[str, dict[str, object]]:
    result = evaluate(parse_rules(RULES, "test.yaml").rules, as_of=AS_OF, graph=stores.graph,
                      engine=stores.engine, delinquency=hand_delinquency())
    return {draft.subject_id: draft.signals[0] for draft in result.drafts}


def test_an_imported_loss_buffer_replaces_the_capital_and_the_income(stores: Stores) -> None:
    build_portfolio(stores)
    # Without buffers: P1 guarantees 400,000 CNY against 36 x 10,000 income; C1's 300 CNY
    # against its 1,000,000 capital is fine.
    assert set(_guarantor_alerts(stores)) == {"P1"}

    # P1's assessed capacity (500,000) covers its guarantees; C1's audited equity (200)
    # does not cover its 300.
    stores.graph.upsert_nodes([
        Node("P1", Label.PERSON, {"loss_buffer_minor": 50_000_000,
                                  "loss_buffer_currency": "CNY"}),
        Node("C1", Label.COMPANY, {"loss_buffer_minor": 20_000,
                                   "loss_buffer_currency": "CNY"}),
    ])
    found = _guarantor_alerts(stores)

    assert set(found) == {"C1"}
    signal = found["C1"]
    assert (signal["capacity_basis"], signal["capacity_minor"], signal["guaranteed_minor"],
            signal["share"]) == ("loss_buffer", "20000", 30_000, "1.5000")
