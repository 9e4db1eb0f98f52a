"""``loanwatch groups``: corporate groups under their ultimate controllers.

Control follows chains of majority (``--threshold``) and, unless ``--plurality 0``, of a
relative majority; see :mod:`risk.network.control`. ``--json`` prints one document::

    {"groups": [{"controller": id, "members": [...], "exposure": {"CNY": "<decimal>"},
                 "control_edges": [[holder, held, pct], ...]}]}

With ``--as-of DATE`` the ownership is read as it stood that day (:mod:`graph.validity`),
and the document adds ``"validity": {"as_of", "relationships", "undated", "excluded"}``:
how many ownership edges were read, how many had no dates (taken as they stand), and how
many did not hold that day.
"""

from __future__ import annotations

from datetime import datetime

import orjson
import typer
from rich.console import Console
from rich.table import Table

from loanwatch.cli.dates import RelationshipsAsOfOption
from loanwatch.settings import Settings
from loanwatch.wiring import stores
from risk.network.control import DEFAULT_PLURALITY, DEFAULT_THRESHOLD
from risk.network.groups import DEFAULT_MIN_COMPANIES, GroupReport, find_groups

__all__ = ["groups"]


def groups(
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", metavar="SHARE",
        help="A block controls a company when it holds more than this share."),
    plurality: float = typer.Option(
        DEFAULT_PLURALITY, "--plurality", metavar="SHARE",
        help="The largest holder with at least this share also controls (0: off)."),
    min_companies: int = typer.Option(
        DEFAULT_MIN_COMPANIES, "--min-companies", min=1,
        help="Companies a controller needs under it to make a group."),
    as_of: datetime | None = RelationshipsAsOfOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List corporate groups: members, control tree and exposure per currency."""
    settings = Settings.from_environ()
    day = None if as_of is None else as_of.date()
    with stores(settings) as (_, graph):
        report = find_groups(graph, threshold, plurality, min_companies, as_of=day)
    if as_json:
        typer.echo(orjson.dumps(_document(report)).decode())
    else:
        _print(report)


def _document(report: GroupReport) -> dict[str, object]:
    document: dict[str, object] = {"groups": [{
        "controller": g.controller,
        "members": g.members,
        "exposure": g.exposure,
        "control_edges": [list(edge) for edge in g.control_edges],
    } for g in report.groups]}
    if report.validity.as_of is not None:
        document["validity"] = report.validity.as_json()
    return document


def _print(report: GroupReport) -> None:
    console = Console()
    table = Table(title=f"{len(report.groups):,} corporate groups")
    for column in ("controller", "companies", "members", "control", "loans", "exposure"):
        table.add_column(column)
    for g in report.groups:
        shown = ", ".join(g.members[:6]) + (" …" if len(g.members) > 6 else "")
        chains = "\n".join(f"{h} → {t} {pct:.2%}" for h, t, pct in g.control_edges[:8])
        if len(g.control_edges) > 8:
            chains += f"\n… {len(g.control_edges) - 8} more"
        exposure = "\n".join(f"{amount} {cur}" for cur, amount in g.exposure.items())
        table.add_row(f"{g.controller} ({g.controller_label.value})", str(len(g.members)),
                      shown, chains, str(len(g.loans)), exposure or "-")
    console.print(table)
    console.print(f"ownership {report.validity.describe()}", highlight=False)
    for kind, members in report.degenerate:
        console.print(f"[yellow]cash-flow rights undefined ({kind.replace('_', ' ')}):[/] "
                      f"{', '.join(members)}", highlight=False)
    for cycle in report.control_cycles:
        console.print(f"[yellow]circular control, no ultimate controller:[/] "
                      f"{', '.join(cycle)}", highlight=False)
