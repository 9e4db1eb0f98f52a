"""``loanwatch stress``: contagion stress tests (DebtRank, a threshold default cascade).

Two modes, one engine (:mod:`risk.contagion`); neither stores anything:

* files: on any exposure network a risk team brings
  (``--nodes NODES.csv --exposures EXPOSURES.csv --shock ID=FRACTION ...``);
* portfolio: on the stored graph (``--party ID... | --sector S | --region R | --group ID
  [--shock FRACTION]``), over guarantee, ownership and supply links, with the buffers and
  loss rules of :mod:`risk.contagion.buffers`; it prints a loss table
  (:mod:`loanwatch.cli.stress_portfolio`).

Each prints a table, or with ``--json`` one JSON document on stdout. Options of the two
modes cannot be mixed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loanwatch.cli.stress_portfolio import PortfolioRequest, run_portfolio
from risk.contagion.buffers import (
    DEFAULT_INCOME_MONTHS,
    DEFAULT_MIN_DISTRESS,
    DEFAULT_SUPPLY_SHARE,
    StressConfig,
)
from risk.contagion.buffers import DEFAULT_LGD as PORTFOLIO_LGD
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


_FILES: Final = "Exposure network from files"
_PORTFOLIO: Final = "Shock on the stored portfolio"


def stress(
    nodes: Path | None = typer.Option(
        None, "--nodes", metavar="NODES.csv", dir_okay=False,
        help="Nodes: id,capital,value (capital > 0 is the loss-absorbing buffer).",
        rich_help_panel=_FILES),
    exposures: Path | None = typer.Option(
        None, "--exposures", metavar="EXPOSURES.csv", dir_okay=False,
        help="Exposures: creditor,debtor,amount (duplicate pairs are summed).",
        rich_help_panel=_FILES),
    shock: list[str] = typer.Option(
        [], "--shock", metavar="ID=FRACTION | FRACTION",
        help="Files: share of a node's capital lost at the start (1 = default), repeat per "
             "node. Portfolio: one share for every selected party (default 1)."),
    party: list[str] = typer.Option(
        [], "--party", metavar="ID", help="Shock this party; repeat for more.",
        rich_help_panel=_PORTFOLIO),
    sector: str | None = typer.Option(
        None, "--sector", metavar="S", help="Shock every company of this sector.",
        rich_help_panel=_PORTFOLIO),
    region: str | None = typer.Option(
        None, "--region", metavar="R",
        help="Shock every party whose province or city is R.", rich_help_panel=_PORTFOLIO),
    group: str | None = typer.Option(
        None, "--group", metavar="ID",
        help="Shock the companies of the corporate group headed by this controller.",
        rich_help_panel=_PORTFOLIO),
    currency: str | None = typer.Option(
        None, "--currency", metavar="CODE",
        help="The run's currency (default: the portfolio's only one).",
        rich_help_panel=_PORTFOLIO),
    income_months: float = typer.Option(
        DEFAULT_INCOME_MONTHS, "--income-months", metavar="N",
        help="A person's buffer in months of income.", rich_help_panel=_PORTFOLIO),
    supply_share: float = typer.Option(
        DEFAULT_SUPPLY_SHARE, "--supply-share", metavar="X",
        help="Share of 12 months' payments a payee loses when its payer defaults.",
        rich_help_panel=_PORTFOLIO),
    min_distress: float = typer.Option(
        DEFAULT_MIN_DISTRESS, "--min-distress", metavar="H",
        help="Distress from which a party counts as hit (its loans at risk).",
        rich_help_panel=_PORTFOLIO),
    method: Method = typer.Option(
        Method.DEBTRANK, "--method", case_sensitive=False,
        help="debtrank (Battiston et al. 2012) or cascade (threshold defaults)."),
    lgd: float | None = typer.Option(
        None, "--lgd", metavar="X",
        help=f"Loss given default, in [0, 1]: of the cascade (files, default "
             f"{DEFAULT_LGD:g}); of the expected loss and the cascade (portfolio, default "
             f"{PORTFOLIO_LGD:g})."),
    top: int = typer.Option(DEFAULT_TOP, "--top", min=1, help="Rows in the table."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
) -> None:
    """Propagate a shock over an exposure network: DebtRank or a default cascade.

    Nothing is stored. See the README, "Stress tests", for the file formats, the
    portfolio's buffers and loss rules.
    """
    selectors = [name for name, given in (("--party", bool(party)), ("--sector", sector),
                                          ("--region", region), ("--group", group))
                 if given is not None and given is not False]
    if selectors:
        files_given = [name for name, given in (("--nodes", nodes), ("--exposures", exposures))
                       if given is not None]
        if files_given:
            raise RiskError(
                f"{' and '.join(files_given)} (a network from files) cannot be mixed with "
                f"{selectors[0]} (a shock on the stored portfolio)",
                suggestion="run one mode at a time: --nodes/--exposures/--shock ID=FRACTION, "
                           "or --party/--sector/--region/--group")
        if len(selectors) > 1:
            raise RiskError(f"{' and '.join(selectors)}: choose one selection",
                            suggestion="shock --party ID (repeatable), --sector S, --region R "
                                       "or --group ID")
        run_portfolio(
            PortfolioRequest(parties=party, sector=sector, region=region, group=group,
                             shock=shock, method=method.value, as_json=as_json, top=top),
            _portfolio_config(lgd, currency, income_months, supply_share, min_distress))
        return
    portfolio_options = [name for name, given in (
        ("--currency", currency is not None),
        ("--income-months", income_months != DEFAULT_INCOME_MONTHS),
        ("--supply-share", supply_share != DEFAULT_SUPPLY_SHARE),
        ("--min-distress", min_distress != DEFAULT_MIN_DISTRESS)) if given]
    if portfolio_options:
        raise RiskError(f"{portfolio_options[0]} belongs to a shock on the stored portfolio",
                        suggestion="select what to shock with --party, --sector, --region "
                                   "or --group")
    if nodes is None or exposures is None:
        raise RiskError(
            "stress needs an exposure network: --nodes NODES.csv and --exposures "
            "EXPOSURES.csv; or a selection of the stored portfolio: --party, --sector, "
            "--region or --group",
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


def _portfolio_config(lgd: float | None, currency: str | None, income_months: float,
                      supply_share: float, min_distress: float) -> StressConfig:
    for option, value in (("--lgd", lgd), ("--supply-share", supply_share),
                          ("--min-distress", min_distress)):
        if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise RiskError(f"{option} {value:g} is outside [0, 1]",
                            suggestion=f"{option} is a share, from 0 to 1")
    if not (math.isfinite(income_months) and income_months > 0):
        raise RiskError(f"--income-months {income_months:g} must be above 0")
    return StressConfig(lgd=PORTFOLIO_LGD if lgd is None else lgd,
                        currency=currency.strip().upper() if currency else None,
                        income_months=income_months, supply_share=supply_share,
                        min_distress=min_distress)


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
