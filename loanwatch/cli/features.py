"""``loanwatch features``: graph features per party (degrees, exposure within k hops,
delinquent and defaulted neighbours, distance to default, community, PageRank,
betweenness), computed for the whole portfolio in one pass (see
:mod:`risk.network.features`).

``--json`` prints one document: ``{"as_of": DATE, "hops": K, "parties": [{...}]}``, one
object per requested party (``--party``) or, without ``--party``, the top parties by
PageRank. ``--out FILE.csv`` writes every party to a CSV file.

``--from-scan`` reads the features the latest ``loanwatch scan`` stored instead of computing
them (``--run ID``: a succeeded run by id); the document then also names ``scan_run``, and
each party carries it. Computing stays the default: it answers any ``--as-of`` and
``--hops`` on the data as it is now, where a scan answers instantly for its own date and
settings. ``--as-of``, ``--hops``, ``--public-above`` and ``--out`` shape a computation and
are refused with ``--from-scan``.
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
from loanwatch.wiring import create_engine_from_settings, stores
from risk import scan_results
from risk.classification.history import RepaymentHistory
from risk.network.features import (
    DEFAULT_HOPS,
    DEGREE_NAMES,
    FeatureParameters,
    party_features,
)
from risk.network.rings import DEFAULT_PUBLIC_ABOVE
from risk.scan_results import StoredFeatures

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
    from_scan: bool = typer.Option(
        False, "--from-scan", help="Read the features the latest `loanwatch scan` stored "
        "instead of computing them now."),
    run: int | None = typer.Option(None, "--run", metavar="ID",
                                   help="With --from-scan: this succeeded scan run."),
) -> None:
    """Graph features per party for the credit models."""
    if from_scan or run is not None:
        shaping = {"--as-of": as_of is not None, "--hops": hops != DEFAULT_HOPS,
                   "--public-above": public_above != DEFAULT_PUBLIC_ABOVE,
                   "--out": out is not None}
        refused = [name for name, given in shaping.items() if given]
        if refused:
            raise LoanwatchError(
                f"{', '.join(refused)} cannot be used with --from-scan: the scan stored its "
                "features for its own date and settings",
                suggestion="leave out --from-scan to compute the features now")
        _from_scan(party, show, json_output, run)
        return
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
    title = f"Graph features of {len(rows):,} of {result.n_parties:,} parties"
    _print(title + (f" as of {result.as_of}" if result.as_of else ""), result.hops, rows)


def _from_scan(party: list[str], show: int, json_output: bool, run: int | None) -> None:
    """The stored features of ``party`` (or the top ``show`` by PageRank) of a scan run."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        scan = scan_results.latest_run(engine) if run is None \
            else scan_results.run_summary(engine, run)
        if scan is None:
            raise scan_results.ScanNotFound(
                "no scan has succeeded yet",
                suggestion="run `loanwatch scan`, or leave out --from-scan to compute the "
                "features now")
        found: list[StoredFeatures]
        if party:
            stored = scan_results.party_features(engine, party, scan.id)
            unknown = [p for p in party if p not in stored]
            if unknown:
                raise LoanwatchError(
                    f"--party {', '.join(unknown)}: no graph features in scan run {scan.id}",
                    suggestion="a party with no relationship, or added after the scan, has "
                    "none")
            found = [stored[p] for p in party]
        else:
            found = scan_results.top_features_by_pagerank(engine, show, scan.id)
    finally:
        engine.dispose()
    hops = int(scan.settings.get("feature_hops", DEFAULT_HOPS))
    rows = [f.as_json() for f in found]
    if json_output:
        document = {"as_of": scan.as_of.isoformat(), "hops": hops, "scan_run": scan.id,
                    "parties": rows}
        sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
        return
    parties = scan.summary.get("features", {}).get("parties", len(rows))
    _print(f"Graph features of {len(rows):,} of {parties:,} parties, stored by scan run "
           f"{scan.id} as of {scan.as_of}", hops, rows)


def _money(amounts: object) -> str:
    if not isinstance(amounts, dict) or not amounts:
        return ""
    return "\n".join(f"{value} {code}" for code, value in amounts.items())


def _print(title: str, hops: int, rows: list[dict[str, object]]) -> None:
    console = Console()
    table = Table(title=title)
    for column in ("party", "degrees", "exposure", f"within {hops} hops",
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
            _money(row[f"exposure_{hops}_hops"]), shares,
            "" if distance is None else str(distance), str(row["community"]),
            f"{row['pagerank']:.3g}", f"{row['betweenness']:.3g}")
    console.print(table)
