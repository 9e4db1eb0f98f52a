"""``loanwatch stress``: contagion stress tests (DebtRank, a threshold default cascade).

The file-based mode runs on any exposure network a risk team brings
(``--nodes NODES.csv --exposures EXPOSURES.csv --shock ID=FRACTION ...``); it reads the
two files, runs the engine of :mod:`risk.contagion` and prints a table, or with ``--json``
one JSON document on stdout. It stores nothing. Portfolio shocks (``--party``,
``--sector``, ``--group``) are a second mode of the same command, beside
:func:`stress_files`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from risk.contagion.cascade import DEFAULT_LGD, CascadeResult, default_cascade
from risk.contagion.debtrank import DebtRankResult, debtrank
from risk.contagion.network import ExposureNetwork
from risk.contagion.network_files import read_network
from risk.contagion.shocks import initial_distress, parse_shock
from risk.errors import RiskError

__all__ = [
    "DEFAULT_TOP",
    "FileStress",
    "Method",
    "cascade_document",
    "debtrank_document",
    "stress",
    "stress_files",
]

#: Rows of the readable table (the most distressed nodes; the JSON has every node).
DEFAULT_TOP: Final = 20


class Method(StrEnum):
    DEBTRANK = "debtrank"
    CASCADE = "cascade"


@dataclass(frozen=True, eq=False)
class FileStress:
    """A stress test on a network read from files: the network and one method's result."""

    network: ExposureNetwork
    result: DebtRankResult | CascadeResult


def stress(
    nodes: Path | None = typer.Option(
        None, "--nodes", metavar="NODES.csv", dir_okay=False,
        help="Nodes: id,capital,value (capital > 0 is the loss-absorbing buffer).",
        rich_help_panel="Exposure network from files"),
    exposures: Path | None = typer.Option(
        None, "--exposures", metavar="EXPOSURES.csv", dir_okay=False,
        help="Exposures: creditor,debtor,amount (duplicate pairs are summed).",
        rich_help_panel="Exposure network from files"),
    shock: list[str] = typer.Option(
        [], "--shock", metavar="ID=FRACTION",
        help="Share of a node's capital lost at the start (1 = default); repeat per node.",
        rich_help_panel="Exposure network from files"),
    method: Method = typer.Option(
        Method.DEBTRANK, "--method", case_sensitive=False,
        help="debtrank (Battiston et al. 2012) or cascade (threshold defaults)."),
    lgd: float | None = typer.Option(
        None, "--lgd", metavar="X",
        help=f"Loss given default of the cascade, in [0, 1] (default {DEFAULT_LGD:g})."),
    top: int = typer.Option(DEFAULT_TOP, "--top", min=1, help="Rows in the table."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
) -> None:
    """Propagate a shock over an exposure network: DebtRank or a default cascade.

    Nothing is stored. See the README, "Stress tests", for the file formats.
    """
    if nodes is None or exposures is None:
        raise RiskError(
            "stress needs an exposure network: --nodes NODES.csv and --exposures EXPOSURES.csv",
            suggestion="loanwatch stress --nodes docs/stress-examples/nodes.csv "
                       "--exposures docs/stress-examples/exposures.csv --shock A=1")
    if not shock:
        raise RiskError("no shock: give at least one --shock ID=FRACTION",
                        suggestion="e.g. --shock A=1 defaults node A; --shock A=0.3 takes "
                                   "30% of its capital")
    if lgd is not None and method is not Method.CASCADE:
        raise RiskError("--lgd is the loss given default of the cascade; DebtRank has none",
                        suggestion="add --method cascade, or leave --lgd out")
    run = stress_files(nodes, exposures, shock, method=method,
                       lgd=DEFAULT_LGD if lgd is None else lgd)
    if as_json:
        document = (debtrank_document(run.network, run.result)
                    if isinstance(run.result, DebtRankResult)
                    else cascade_document(run.network, run.result))
        typer.echo(json.dumps(document))
    elif isinstance(run.result, DebtRankResult):
        print_debtrank(run.network, run.result, top)
    else:
        print_cascade(run.network, run.result, top)


def stress_files(
    nodes: Path, exposures: Path, shocks: list[str], *, method: Method = Method.DEBTRANK,
    lgd: float = DEFAULT_LGD,
) -> FileStress:
    """Read the network, parse the shocks (``ID=FRACTION``) and run ``method`` on it."""
    parsed = [parse_shock(text) for text in shocks]  # a bad shock fails before the reading
    if not (np.isfinite(lgd) and 0.0 <= lgd <= 1.0):
        raise RiskError(f"--lgd {lgd:g} is outside [0, 1]",
                        suggestion="the loss given default is a share of the exposure")
    network = read_network(nodes, exposures)
    distress = initial_distress(network, parsed)
    if method is Method.DEBTRANK:
        return FileStress(network, debtrank(network, distress))
    return FileStress(network, default_cascade(network, distress, lgd=lgd))


def debtrank_document(network: ExposureNetwork, result: DebtRankResult) -> dict[str, Any]:
    """The JSON of a DebtRank run: rounds, additional stress and defaults, distress by id."""
    return {
        "rounds": result.rounds,
        "additional_stress": result.additional_stress,
        "additional_defaults": result.additional_defaults,
        "distress": result.distress_by_id(network.ids),
    }


def cascade_document(network: ExposureNetwork, result: CascadeResult) -> dict[str, Any]:
    """The JSON of a cascade: defaults by round (round 0 = the shock), losses, the chain."""
    ids = network.ids
    return {
        "rounds": result.rounds,
        "lgd": result.lgd,
        "additional_defaults": result.additional_defaults,
        "losses": result.losses,
        "defaults": [[ids[i] for i in round_.tolist()] for round_ in result.defaults_by_round],
        "chain": [{"creditor": ids[c], "debtor": ids[d], "round": r}
                  for c, d, r in result.chain],
    }


def print_debtrank(network: ExposureNetwork, result: DebtRankResult, top: int) -> None:
    console = Console()
    h, h0 = result.distress, result.initial_distress
    weight = network.value / network.value.sum()
    hit = np.flatnonzero(h > 0)
    order = hit[np.lexsort((-weight[hit], -h[hit]))][:top]
    table = Table(title=f"DebtRank: the {order.size} most distressed of {hit.size} "
                        "distressed nodes")
    for column in ("node", "initial h", "final h", "value share", "status"):
        table.add_column(column, justify="left" if column in ("node", "status") else "right")
    for i in order.tolist():
        table.add_row(escape(network.ids[i]), f"{h0[i]:.4f}", f"{h[i]:.4f}",
                      f"{weight[i]:.2%}", "defaulted" if h[i] >= 1.0 else "")
    console.print(table)
    console.print(f"rounds: {result.rounds}   additional stress: "
                  f"{result.additional_stress:.6f}   additional defaults: "
                  f"{result.additional_defaults}", highlight=False)


def print_cascade(network: ExposureNetwork, result: CascadeResult, top: int) -> None:
    console = Console()
    ids = network.ids
    pushed_by = {c: d for c, d, _ in result.chain}
    table = Table(title=f"Default cascade (LGD {result.lgd:g}): {result.defaulted.sum()} "
                        f"of {network.size:,} nodes defaulted")
    for column in ("round", "node", "pushed over by", "loss / capital"):
        table.add_column(column, justify="right" if column != "node" else "left")
    shown = 0
    for round_, defaults in enumerate(result.defaults_by_round):
        for i in defaults.tolist()[: max(0, top - shown)]:
            by = escape(ids[pushed_by[i]]) if i in pushed_by else "shock"
            table.add_row(str(round_), escape(ids[i]), by,
                          f"{result.loss[i] / network.capital[i]:.4f}")
            shown += 1
    console.print(table)
    defaults = int(result.defaulted.sum())
    if shown < defaults:
        console.print(f"… and {defaults - shown:,} more (--top N shows more, --json all)")
    console.print(f"rounds: {result.rounds}   additional defaults: "
                  f"{result.additional_defaults}   losses on defaulted debtors: "
                  f"{result.losses:,.2f}", highlight=False)
