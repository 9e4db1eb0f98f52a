"""DebtRank against cases computed by hand, a literal reading of the paper, and properties."""

from __future__ import annotations

import numpy as np
import pytest

from risk.contagion import debtrank as debtrank_module
from risk.contagion.debtrank import debtrank
from risk.contagion.network import ExposureNetwork, build_network
from risk.contagion.shocks import initial_distress
from risk.errors import ContagionInputError
from tests.risk.contagion.example import example


def test_a_default_of_a_spreads_two_rounds_and_defaults_c() -> None:
    # Start: h = (A 1, B 0, C 0, D 0); A is distressed (D), A is already at h = 1.
    # Round 1, A passes on h_A = 1:   B = 0 + 1/2·1 = 1/2,   C = min(1, 0 + 1·1) = 1.
    #   B and C became distressed; A is now inactive.
    # Round 2, B passes 1/2 and C passes 1:
    #   D = 0 + W_DB·1/2 + W_DC·1 = 1/4 + 1/4 = 1/2
    #   C = min(1, 1 + W_CB·1/2) = min(1, 9/8) = 1   (C is at 1: it cannot rise)
    #   D became distressed; B and C are now inactive.
    # Round 3, D passes 1/2: A = min(1, 1 + 1·1/2) = 1. Nothing rose: 2 rounds.
    # Additional stress = 1/2·0 + 1/4·1/2 + 1/8·1 + 1/8·1/2 = 1/8 + 1/8 + 1/16 = 5/16.
    # Additional defaults: {A, C} at 1 at the end, {A} at the start: 1.
    network = example()

    result = debtrank(network, initial_distress(network, [("A", 1.0)]))

    assert result.distress.tolist() == [1.0, 0.5, 1.0, 0.5]
    assert result.rounds == 2
    assert result.additional_stress == 5 / 16
    assert result.additional_defaults == 1
    assert [r.propagating.tolist() for r in result.history] == [[0], [1, 2]]
    assert [r.newly_distressed.tolist() for r in result.history] == [[1, 2], [3]]
    assert [r.additional_stress for r in result.history] == [1 / 4, 5 / 16]


def test_distress_reaching_an_inactive_node_is_not_passed_on() -> None:
    # Start: h = (A 1/2, 0, 0, 0).
    # Round 1, A passes 1/2:  B = 1/2·1/2 = 1/4,  C = 1·1/2 = 1/2 (3/4 if W were per row).
    # Round 2, B passes 1/4, C passes 1/2:
    #   D = 1/2·1/4 + 1/4·1/2 = 1/4;  C = 1/2 + W_CB·1/4 = 1/2 + 1/16 = 9/16 (C is then
    #   inactive: the 1/16 goes no further).
    # Round 3, D passes 1/4: A = 1/2 + 1·1/4 = 3/4. A already propagated: it stays inactive,
    #   so the walk stops here (a second pass of A would raise B and C again).
    # Additional stress = 1/2·1/4 + 1/4·1/4 + 1/8·9/16 + 1/8·1/4 = 37/128.
    network = example()

    result = debtrank(network, initial_distress(network, [("A", 0.5)]))

    assert result.distress.tolist() == [0.75, 0.25, 0.5625, 0.25]
    assert result.rounds == 3
    assert result.additional_stress == 37 / 128
    assert result.additional_defaults == 0
    assert result.history[-1].raised.tolist() == [0]
    assert result.history[-1].newly_distressed.tolist() == []


def test_no_shock_spreads_nothing() -> None:
    network = example()

    result = debtrank(network, np.zeros(4))

    assert (result.rounds, result.additional_stress, result.additional_defaults) == (0, 0.0, 0)
    assert result.distress.tolist() == [0.0] * 4
    assert result.history == ()


def test_a_shock_of_a_node_nobody_lent_to_takes_no_round() -> None:
    network = build_network(["X", "Y"], [1, 1], [1, 1], [1], [0], [1])  # Y lent to X

    result = debtrank(network, [0.0, 0.5])  # nobody lent to Y: its distress reaches no one

    assert result.rounds == 0
    assert result.distress.tolist() == [0.0, 0.5]


def test_a_shock_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ContagionInputError, match=r"\[0, 1\]"):
        debtrank(example(), [1.5, 0, 0, 0])


def literal_debtrank(network: ExposureNetwork, h0: np.ndarray) -> tuple[np.ndarray, int]:
    """The paper's Methods read literally: dense W, states U/D/I, one loop per round."""
    n = network.size
    amounts = network.exposures.toarray()
    w = np.minimum(1.0, amounts / network.capital[:, None])  # creditor i, debtor j
    h = h0.copy()
    state = np.where(h > 0, "D", "U")
    rounds = 0
    while (state == "D").any():
        new_h = h.copy()
        for i in range(n):
            total = sum(w[i, j] * h[j] for j in range(n) if state[j] == "D")
            new_h[i] = min(1.0, h[i] + total)
        new_state = state.copy()
        for i in range(n):
            if state[i] == "D":
                new_state[i] = "I"
            elif new_h[i] > 0 and state[i] != "I":
                new_state[i] = "D"
        if (new_h > h).any():
            rounds += 1
        h, state = new_h, new_state
    return h, rounds


@pytest.mark.parametrize("spmv_share", [1, 8, 10**9], ids=["gather", "mixed", "product"])
@pytest.mark.parametrize("seed", range(12))
def test_random_networks_match_the_literal_reading_and_the_properties(
    seed: int, spmv_share: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The two ways of summing a round (gathering rows, a sparse product) give one answer.
    monkeypatch.setattr(debtrank_module, "SPMV_SHARE", spmv_share)
    rng = np.random.default_rng(seed)
    n, m = 30, 120
    creditor = rng.integers(0, n, m)
    debtor = (creditor + rng.integers(1, n, m)) % n  # never the creditor itself
    network = build_network([f"N{i}" for i in range(n)], rng.uniform(1, 10, n),
                            rng.uniform(0, 5, n), creditor, debtor, rng.uniform(0, 6, m))
    h0 = np.zeros(n)
    h0[rng.choice(n, 3, replace=False)] = rng.uniform(0, 1, 3)

    result = debtrank(network, h0)

    expected, rounds = literal_debtrank(network, h0)
    np.testing.assert_allclose(result.distress, expected, rtol=1e-12, atol=0)
    assert result.rounds == rounds
    assert np.all((result.distress >= h0) & (result.distress <= 1.0))
    previous = h0.copy()
    for record in result.history:  # h never falls from one round to the next
        assert np.all(record.distress > previous[record.raised])
        previous[record.raised] = record.distress
    propagated = np.concatenate([r.propagating for r in result.history] or [np.empty(0)])
    assert np.unique(propagated).size == propagated.size  # each node propagates once
    weight = network.value / network.value.sum()
    assert result.additional_stress == pytest.approx(weight @ (result.distress - h0))
