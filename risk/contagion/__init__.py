"""Contagion stress tests on exposure networks: DebtRank and a threshold default cascade.

The engine works on plain arrays (:class:`risk.contagion.network.ExposureNetwork`), so it
runs the same on a network a risk team brings as CSV files
(:mod:`risk.contagion.network_files`) and on one projected from the portfolio. Import
from the modules: :mod:`~risk.contagion.debtrank`, :mod:`~risk.contagion.cascade`,
:mod:`~risk.contagion.network`, :mod:`~risk.contagion.shocks` (the package re-exports
nothing, so ``risk.contagion.debtrank`` is always the module).
"""
