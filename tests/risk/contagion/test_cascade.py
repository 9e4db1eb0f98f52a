"""The threshold default cascade against cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from risk.contagion.cascade import default_cascade
from risk.contagion.network import build_network
from risk.contagion.shocks import initial_distress
from risk.errors import ContagionInputError
from tests.risk.contagion.example import example

# The network of example.py: capital A 10, B 8, C 4, D 16; exposures (creditor <- debtor)
# B<-A 4, C<-A 6 (3 + 3), D<-B 8, D<-C 4, A<-D 20, C<-B 1.


def test_a_cascade_by_hand_with_full_loss() -> None:
    # Shocks: A defaults (1), B has lost half its capital (4 of 8), D a quarter (4 of 16).
    # Round 1, A's creditors: B 4 + 4 = 8 >= 8 defaults; C 0 + 6 = 6 >= 4 defaults.
    #   Both were pushed over by A, the only debtor that defaulted in round 0.
    # Round 2, B's and C's creditors: D 4 + 8 (B) + 4 (C) = 16 >= 16 defaults; B cost it
    #   more than C, so B pushed it over. C also loses 1 on B (already in default).
    # Round 3, D's creditor A loses 20 (already in default): no new default.
    # Losses on defaulted debtors: 4 + 6 + 8 + 4 + 1 + 20 = 43.
    network = example()

    result = default_cascade(
        network, initial_distress(network, [("A", 1.0), ("B", 0.5), ("D", 0.25)]))

    assert [r.tolist() for r in result.defaults_by_round] == [[0], [1, 2], [3]]
    assert result.rounds == 2
    assert result.additional_defaults == 3
    assert result.chain == ((1, 0, 1), (2, 0, 1), (3, 1, 2))
    assert result.losses == 43.0
    assert result.loss.tolist() == [30.0, 8.0, 7.0, 16.0]


def test_a_loss_given_default_of_a_half_stops_the_cascade() -> None:
    # Round 1 with LGD 1/2: B 4 + 4/2 = 6 < 8; C 6/2 = 3 < 4. No default: 0 rounds.
    # Losses: (4 + 6)/2 = 5.
    network = example()

    result = default_cascade(
        network, initial_distress(network, [("A", 1.0), ("B", 0.5), ("D", 0.25)]), lgd=0.5)

    assert result.rounds == 0
    assert result.additional_defaults == 0
    assert result.chain == ()
    assert result.losses == 5.0
    assert result.defaulted.tolist() == [True, False, False, False]


def test_a_partial_shock_alone_defaults_nobody() -> None:
    network = example()

    result = default_cascade(network, initial_distress(network, [("A", 0.99)]))

    assert result.rounds == 0
    assert result.defaults_by_round[0].size == 0
    assert result.losses == 0.0


def test_every_chain_leads_back_to_a_shocked_node() -> None:
    rng = np.random.default_rng(3)
    n, m = 200, 1200
    creditor = rng.integers(0, n, m)
    debtor = (creditor + rng.integers(1, n, m)) % n
    network = build_network([f"N{i}" for i in range(n)], rng.uniform(1, 4, n),
                            np.ones(n), creditor, debtor, rng.uniform(0, 2, m))
    shock = np.zeros(n)
    shock[:5] = 1.0

    result = default_cascade(network, shock)

    assert result.rounds >= 2
    pushed_by = {c: (d, r) for c, d, r in result.chain}
    assert set(pushed_by) == set(np.flatnonzero(result.defaulted).tolist()) - set(range(5))
    for node, (debtor_, round_) in pushed_by.items():
        assert result.defaulted[debtor_]
        assert debtor_ in result.defaults_by_round[round_ - 1]
        assert node in result.defaults_by_round[round_]
        assert network.exposures[node, debtor_] > 0


def test_a_loss_given_default_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ContagionInputError, match="loss given default"):
        default_cascade(example(), np.zeros(4), lgd=1.5)
