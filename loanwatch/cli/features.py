"""``loanwatch features``: graph features per party (degrees, exposure within k hops,
delinquent and defaulted neighbours, distance to default, community, PageRank,
betweenness), computed for the whole portfolio in one pass (see
:mod:`risk.network.features`).

``--json`` prints one document: ``{"as_of": DATE, "hops": K, "parties": [{...}]}``, one
object per requested party (``--party``) or, without ``--party``, the top parties by
PageRank. ``--out FILE.csv`` writes every party to a CSV file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from loanwatch.cli.dates import as_of_date
from loanwatch.errors import LoanwatchError
from loanwatch.settings import Settings
from loanwatch.wiring import stores
from risk.classification.history import RepaymentHistory
from risk.network.features import (
    DEFAULT_HOPS,
    DEGREE_NAMES,
    FeatureParameters,
    PartyFeatures,
    party_features,
)
from risk.network.rings import DEFAULT_PUBLIC_ABOVE

__all__ = ["features"]

#: Parties shown when no --party is given (highest PageRank first).
DEFAULT_SHOWN = 20


def features(
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Features as the portfolio stood on DATE "
        "(YYYY-MM-DD; default today): repayments and loans after it are not read."),
    party: list[str] = typer.Option([], "--party", metavar="ID",
                                    help="Show this party (repeatable)."),
    hops: int = typer.Option(DEFAULT_HOPS, "--hops", min=1,
                             help="Hops of the exposure-within-k feature."),
    public_above: int = typer.Option(
        DEFAULT_PUBLIC_ABOVE, "--public-above", min=2,
        help="An identifier with more users than this links nobody."),
    show: int = typer.Option(DEFAULT_SHOWN, "--show", min=0,
                             help="Parties listed without --party, by PageRank."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document."),
    out: Path | None = typer.Option(None, "--out", metavar="FILE.csv",
                                    help="Write every party's features to a CSV file."),
) -> None:
    """Graph features per party for the credit models."""
    day = as_of_date(as_of)
    params = FeatureParameters(hops=hops, public_above=public_above)
    with stores(Settings.from_environ()) as (engine, graph):
        result = party_features(graph, RepaymentHistory(engine), as_of=day, params=params)
    unknown = [p for p in party if result.index_of(p) < 0]
    if unknown:
        raise LoanwatchError(f"--party {', '.join(unknown)}: no such party in the graph",
                             suggestion="a party with no relationship has no graph features")
    wanted = party or result.top_by_pagerank(show)
    if out is not None:
        try:
            written = result.write_csv(out)
        except OSError as exc:
            raise LoanwatchError(f"cannot write {out}: {exc.strerror}") from exc
        if not json_output:
            Console(stderr=True).print(f"{written:,} parties written to {out}")
    rows = [result.party(p) for p in wanted]
    if json_output:
        document = {"as_of": day.isoformat(), "hops": hops, "parties": rows}
        sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
        return
    _print(result, rows)


def _money(amounts: object) -> str:
    if not isinstance(amounts, dict) or not amounts:
        return ""
    return "\n".join(f"{value} {code}" for code, value in amounts.items())


def _print(result: PartyFeatures, rows: list[dict[str, object]]) -> None:
    console = Console()
    title = f"Graph features of {len(rows):,} of {result.n_parties:,} parties"
    table = Table(title=title + (f" as of {result.as_of}" if result.as_of else ""))
    for column in ("party", "degrees", "exposure", f"within {result.hops} hops",
                   "late/default nbrs", "dist. default", "community", "PageRank",
                   "betweenness"):
        table.add_column(column)
    for row in rows:
        degrees = ", ".join(f"{name} {row[name]}" for name in DEGREE_NAMES if row[name])
        late, gone = row["delinquent_neighbour_share"], row["defaulted_neighbour_share"]
        shares = "" if late is None else f"{late:.2f} / {gone:.2f}"
        distance = row["distance_to_default"]
        flag = " (defaulted)" if row["defaulted"] else " (late)" if row["delinquent"] else ""
        table.add_row(
            f"{row['party']}{flag}", degrees, _money(row["exposure"]),
            _money(row[f"exposure_{result.hops}_hops"]), shares,
            "" if distance is None else str(distance), str(row["community"]),
            f"{row['pagerank']:.3g}", f"{row['betweenness']:.3g}")
    console.print(table)
