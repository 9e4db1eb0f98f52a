"""One definition of a party's capacity (:mod:`risk.contagion.capacity`): its order and
currency rules, and the stress test's buffers agreeing with it on every store."""

from __future__ import annotations

from decimal import Decimal

import pytest

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from risk.contagion.capacity import Capacity, CapacityBasis, party_capacity
from risk.contagion.portfolio import read_portfolio_network
from tests.risk.contagion.test_portfolio import hand_portfolio

BUFFER = {"loss_buffer_minor": 80_000_000, "loss_buffer_currency": "CNY"}
CAPITAL = {"registered_capital_minor": 50_000_000, "registered_capital_currency": "CNY"}
INCOME = {"monthly_income_minor": 100_001, "monthly_income_currency": "CNY"}


def test_the_imported_buffer_comes_first_then_the_capital_then_the_income() -> None:
    assert party_capacity({**BUFFER, **CAPITAL}, income_months=36) == Capacity(
        Decimal(80_000_000), "CNY", CapacityBasis.OVERRIDE)
    assert party_capacity(CAPITAL, income_months=36) == Capacity(
        Decimal(50_000_000), "CNY", CapacityBasis.REGISTERED_CAPITAL)
    # Exact: 36 x 100,001 is not rounded, and a fractional multiple is kept.
    assert party_capacity(INCOME, income_months=36) == Capacity(
        Decimal(3_600_036), "CNY", CapacityBasis.INCOME)
    assert party_capacity(INCOME, income_months=0.5) == Capacity(
        Decimal("50000.5"), "CNY", CapacityBasis.INCOME)
    assert party_capacity({}, income_months=36) is None


def test_zero_negative_or_malformed_amounts_are_not_a_capacity() -> None:
    assert party_capacity({"loss_buffer_minor": 0, "loss_buffer_currency": "CNY", **CAPITAL},
                          income_months=36).basis is CapacityBasis.REGISTERED_CAPITAL
    assert party_capacity({"registered_capital_minor": -5,
                           "registered_capital_currency": "CNY"}, income_months=36) is None
    assert party_capacity({"loss_buffer_minor": True, "loss_buffer_currency": "CNY"},
                          income_months=36) is None
    assert party_capacity({"loss_buffer_minor": 10}, income_months=36) is None  # no currency
    with pytest.raises(ValueError, match="income_months"):
        party_capacity(INCOME, income_months=0)


def test_a_currency_skips_the_amounts_in_others() -> None:
    props = {"loss_buffer_minor": 9_000, "loss_buffer_currency": "USD", **INCOME}
    assert party_capacity(props, income_months=36) == Capacity(
        Decimal(9_000), "USD", CapacityBasis.OVERRIDE)
    assert party_capacity(props, income_months=36, currency="CNY") == Capacity(
        Decimal(3_600_036), "CNY", CapacityBasis.INCOME)
    assert party_capacity(props, income_months=36, currency="EUR") is None


def test_the_stress_buffers_are_the_shared_capacity(store: GraphStore) -> None:
    nodes, edges = hand_portfolio()
    # P3: a USD buffer and a CNY income: a CNY run takes the income.
    nodes.append(Node("P3", Label.PERSON, {"loss_buffer_minor": 9_000,
                                           "loss_buffer_currency": "USD", **INCOME}))
    nodes.append(Node("L9", Label.LOAN, {"principal_minor": 1_000, "currency": "CNY"}))
    edges.append(Edge(RelType.BORROWS, "P3", "L9"))
    store.upsert_batch(nodes, edges)

    pn = read_portfolio_network(store)

    props = {node.id: node.props for node in store.get_nodes(list(pn.network.ids)) if node}
    for i, party_id in enumerate(pn.network.ids):
        capacity = party_capacity(props[party_id], income_months=pn.config.income_months,
                                  currency=pn.currency)
        if capacity is None:
            assert (pn.basis[i].value, pn.network.capital[i]) == (
                "floor", pn.config.floor_minor), party_id
        else:
            assert (pn.basis[i].value, pn.network.capital[i]) == (
                capacity.basis.value, float(capacity.minor)), party_id
    index = {party_id: i for i, party_id in enumerate(pn.network.ids)}
    assert pn.basis[index["C3"]].value == "override"
    assert pn.basis[index["P3"]].value == "income"
