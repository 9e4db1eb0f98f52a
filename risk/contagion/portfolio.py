"""The stress test of the stored portfolio, as one service: read, select, shock, run.

:func:`stress_stored_portfolio` is what ``loanwatch stress --party/--sector/--region/--group``
and the GraphQL ``stress`` query both call: it reads the exposure network
(:mod:`risk.contagion.portfolio_network`), selects the parties to shock
(:mod:`risk.contagion.selection`) and propagates the shock
(:mod:`risk.contagion.portfolio_stress`). The pieces stay importable from here, as they were
when this module held them all.

Example::

    pn, run = stress_stored_portfolio(store, ShockSelection(parties=("C1",)), 0.5)
    run.expected_loss_minor  # {"CNY": 11250000}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from graph.store import GraphStore
from risk.contagion.buffers import StressConfig
from risk.contagion.portfolio_network import (
    BufferBasis,
    LinkKind,
    PortfolioNetwork,
    read_portfolio_network,
)
from risk.contagion.portfolio_stress import PartyHit, PortfolioStress, stress_portfolio
from risk.contagion.selection import select_group, select_parties, select_region, select_sector
from risk.errors import ShockError

__all__ = [
    "CLI_NAMES",
    "METHODS",
    "BufferBasis",
    "LinkKind",
    "PartyHit",
    "PortfolioNetwork",
    "PortfolioStress",
    "SelectionNames",
    "ShockSelection",
    "check_fraction",
    "read_portfolio_network",
    "select_group",
    "select_parties",
    "select_region",
    "select_sector",
    "stress_portfolio",
    "stress_stored_portfolio",
]

#: The propagation methods :func:`stress_portfolio` knows.
METHODS: Final = ("debtrank", "cascade")


class SelectionNames(NamedTuple):
    """What the caller calls each argument, so that an error names it as the caller wrote
    it (``--party`` on the command line, ``parties`` in GraphQL)."""

    parties: str
    sector: str
    region: str
    group: str
    shock: str


#: The command line's option names.
CLI_NAMES: Final = SelectionNames("--party", "--sector", "--region", "--group", "--shock")


@dataclass(frozen=True, slots=True)
class ShockSelection:
    """Which parties to shock: exactly one of ``parties`` (ids), ``sector``, ``region``
    (a province or city) or ``group`` (the id of a corporate group's ultimate controller)."""

    parties: Sequence[str] = ()
    sector: str | None = None
    region: str | None = None
    group: str | None = None

    def given(self, names: SelectionNames = CLI_NAMES) -> list[str]:
        """The names of the selections given, in ``names``' spelling."""
        return [name for name, given in (
            (names.parties, bool(self.parties)), (names.sector, self.sector is not None),
            (names.region, self.region is not None), (names.group, self.group is not None))
            if given]


def check_fraction(fraction: float, option: str = "--shock") -> float:
    """``fraction`` when it is a share of a buffer, in [0, 1].

    Raises:
        ShockError: it is not finite or lies outside [0, 1]; the message names ``option``.
    """
    if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
        raise ShockError(f"{option} {fraction:g} is outside [0, 1]",
                         suggestion="the shock is the share of each selected party's buffer "
                                    "lost at the start; 1 (the default) defaults them")
    return fraction


def stress_stored_portfolio(store: GraphStore, selection: ShockSelection,
                            fraction: float = 1.0, *, config: StressConfig | None = None,
                            method: str = "debtrank", names: SelectionNames = CLI_NAMES,
                            ) -> tuple[PortfolioNetwork, PortfolioStress]:
    """Read the portfolio's exposure network from ``store``, shock ``selection`` by
    ``fraction`` and propagate with ``method``. Nothing is stored.

    Checks the arguments before reading the graph, so a bad one fails at once.

    Raises:
        ShockError: no selection or several, a fraction outside [0, 1], an unknown
            method, or a selection that names nothing (an unknown party id, a sector no
            linked party has, ...); the message names the argument as ``names`` spell it.
        ContagionInputError: the portfolio cannot be stressed as configured (no loans,
            several currencies and none named, a bad ownership share).
    """
    given = selection.given(names)
    if len(given) != 1:
        raise ShockError(
            f"{' and '.join(given)}: choose one selection" if given else
            f"no selection: give {names.parties}, {names.sector}, {names.region} or "
            f"{names.group}",
            suggestion=f"shock {names.parties} (party ids), {names.sector}, {names.region} "
                       f"or {names.group}")
    check_fraction(fraction, names.shock)
    if method not in METHODS:
        raise ShockError(f"unknown method {method!r}: {' or '.join(METHODS)}")
    pn = read_portfolio_network(store, config)
    if selection.parties:
        selected = select_parties(store, pn, list(selection.parties), option=names.parties)
    elif selection.sector is not None:
        selected = select_sector(pn, selection.sector, option=names.sector)
    elif selection.region is not None:
        selected = select_region(pn, selection.region, option=names.region)
    else:
        assert selection.group is not None
        selected = select_group(store, pn, selection.group, option=names.group)
    return pn, stress_portfolio(pn, selected, fraction, method=method, option=names.shock)
