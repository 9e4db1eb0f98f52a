"""Contagion stress tests on exposure networks: DebtRank and a threshold default cascade.

The engine works on plain arrays (:class:`~risk.contagion.network.ExposureNetwork`), so it
runs the same on a network a risk team brings as CSV files
(:mod:`risk.contagion.network_files`) and on one projected from the portfolio.
"""

from __future__ import annotations

from risk.contagion.cascade import CascadeResult, default_cascade
from risk.contagion.debtrank import DebtRankResult, DebtRankRound, debtrank
from risk.contagion.network import ExposureNetwork, build_network
from risk.contagion.shocks import initial_distress, parse_shock

__all__ = [
    "CascadeResult",
    "DebtRankResult",
    "DebtRankRound",
    "ExposureNetwork",
    "build_network",
    "debtrank",
    "default_cascade",
    "initial_distress",
    "parse_shock",
]
