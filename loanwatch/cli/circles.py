"""``loanwatch circles``: guarantee circles, mutual guarantees and joint-guarantee groups.

Reads the graph once into a :class:`risk.projection.PortfolioProjection` and runs
:func:`risk.network.circles.find_circles` on it; prints a table, or with ``--json`` one JSON
document ``{"circles": [...]}`` on stdout.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext

import orjson
import typer
from rich.console import Console
from rich.table import Table

from loanwatch.settings import Settings
from loanwatch.wiring import stores
from risk.network.circles import (
    DEFAULT_MAX_CYCLE_LENGTH,
    Circle,
    CircleOptions,
    CircleReport,
    find_circles,
)
from risk.projection import project_portfolio

__all__ = ["circles", "circles_document"]

#: Members shown per row of the table before "… and N more".
_MEMBERS_SHOWN = 12


def circles(
    min_size: int = typer.Option(
        2, "--min-size", min=2, metavar="N",
        help="Report findings of at least N parties (2 keeps mutual guarantees)."),
    max_cycle_length: int = typer.Option(
        DEFAULT_MAX_CYCLE_LENGTH, "--max-cycle-length", min=3, metavar="L",
        help="Longest simple cycle reported inside a larger strongly connected part."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON document {\"circles\": [...]} on stdout."),
) -> None:
    """Guarantee circles (担保圈), mutual guarantees (互保) and joint groups (联保).

    A circle is a strongly connected part of the party guarantee graph (A guarantees a loan
    that B borrows); inside a larger one, each simple cycle of up to L parties is listed as
    its own circle. Exposure is the principal of the loans guaranteed among the members.
    """
    options = CircleOptions(min_size=min_size, max_cycle_length=max_cycle_length)
    settings = Settings.from_environ()
    status = Console(stderr=True)
    with (stores(settings) as (_, graph),
          nullcontext() if as_json else status.status("reading the guarantee graph")):
        projection = project_portfolio(graph)
    report = find_circles(projection, options)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(circles_document(report)) + b"\n")
        sys.stdout.flush()
        return
    _print_table(report, Console())


def circles_document(report: CircleReport) -> dict[str, object]:
    """The ``--json`` document: ``{"circles": [...]}``, one object per finding with
    ``kind``, ``members``, ``loans`` and ``exposure`` (decimal strings per currency), and
    as evidence ``scope``, ``guaranteed`` and the guarantee ``edges``."""
    return {"circles": [_circle_json(circle) for circle in report.circles]}


def _circle_json(circle: Circle) -> dict[str, object]:
    return {
        "kind": circle.kind,
        "members": list(circle.members),
        "loans": list(circle.loans),
        "exposure": circle.exposure,
        "scope": circle.scope,
        "guaranteed": circle.guaranteed,
        "edges": [{"guarantor": e.guarantor, "borrower": e.borrower, "loans": list(e.loans),
                   "amount": e.amount} for e in circle.edges],
    }


def _money(totals: dict[str, str]) -> str:
    return ", ".join(f"{amount} {code}" for code, amount in totals.items()) or "-"


def _print_table(report: CircleReport, console: Console) -> None:
    table = Table(title="Guarantee circles", title_justify="left")
    for column in ("kind", "scope", "members", "parties", "loans", "exposure"):
        table.add_column(column, justify="right" if column in ("parties", "loans") else "left")
    for circle in report.circles:
        shown = ", ".join(circle.members[:_MEMBERS_SHOWN])
        if len(circle.members) > _MEMBERS_SHOWN:
            shown += f" … and {len(circle.members) - _MEMBERS_SHOWN} more"
        table.add_row(circle.kind, circle.scope, shown, f"{len(circle.members):,}",
                      f"{len(circle.loans):,}", _money(circle.exposure))
    console.print(table)
    kinds = {kind: sum(c.kind == kind for c in report.circles)
             for kind in ("circle", "mutual", "joint")}
    console.print(
        f"{kinds['circle']:,} circles, {kinds['mutual']:,} mutual guarantees, "
        f"{kinds['joint']:,} joint groups; {report.components:,} strongly connected parts "
        f"(largest {report.largest_component:,} parties); "
        f"{len(report.co_guarantees):,} loans with several guarantors (co-guarantees, "
        "not circles)", highlight=False)
    if report.truncated_components:
        console.print(
            f"[yellow]warning:[/] cycle search stopped at its cap in "
            f"{len(report.truncated_components)} strongly connected parts; "
            "lower --max-cycle-length to list every cycle", highlight=False)
