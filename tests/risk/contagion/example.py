"""The four-node network the hand-computed cases use (also docs/stress-examples/)."""

from __future__ import annotations

from pathlib import Path

from risk.contagion.network import ExposureNetwork, build_network

__all__ = ["EXAMPLES", "example"]

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "stress-examples"

IDS = ["A", "B", "C", "D"]
CAPITAL = [10, 8, 4, 16]
VALUE = [4, 2, 1, 1]  # normalised: 1/2, 1/4, 1/8, 1/8
# creditor, debtor, amount. C lends A twice: 3 + 3 = 6 is summed before W is taken, so
# W_CA = min(1, 6/4) = 1 (taking W per row and adding would give 3/4 + 3/4 = 3/2).
EXPOSURES = [("B", "A", 4), ("C", "A", 3), ("C", "A", 3), ("D", "B", 8), ("D", "C", 4),
             ("A", "D", 20), ("C", "B", 1)]
# Relative impact W_ij = min(1, amount_ij / capital_i), creditor i, debtor j:
#   W_BA = 4/8 = 1/2     W_CA = min(1, 6/4) = 1      W_DB = 8/16 = 1/2
#   W_DC = 4/16 = 1/4    W_AD = min(1, 20/10) = 1      W_CB = 1/4
# Every number in the hand-computed cases is a dyadic fraction, so the floats are exact.


def example() -> ExposureNetwork:
    position = {node_id: i for i, node_id in enumerate(IDS)}
    creditor = [position[c] for c, _, _ in EXPOSURES]
    debtor = [position[d] for _, d, _ in EXPOSURES]
    return build_network(IDS, CAPITAL, VALUE, creditor, debtor, [a for *_, a in EXPOSURES])
