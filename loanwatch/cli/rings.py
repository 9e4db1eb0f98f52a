"""``loanwatch rings``: parties that share phones, addresses, devices or accounts.

See :mod:`risk.network.rings` for the definition. ``--json`` prints one document::

    {"rings": [{"members": [...], "shared": [{"id": ..., "kind": ...}, ...]}],
     "public": [{"id": ..., "kind": ..., "users": n}, ...]}

With ``--as-of DATE`` the identifier links are read as they stood that day
(:mod:`graph.validity`), and the document adds
``"validity": {"as_of", "relationships", "undated", "excluded"}``: how many links were read,
how many had no dates (taken as they stand), and how many did not hold that day.

Identifier values are personal data: the JSON carries node ids only, the table the values
as masking shows them.
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
from risk.network.rings import (
    DEFAULT_MIN_SIZE,
    DEFAULT_PUBLIC_ABOVE,
    RingReport,
    SharedIdentifier,
    read_rings,
)

__all__ = ["rings"]


def rings(
    min_size: int = typer.Option(DEFAULT_MIN_SIZE, "--min-size", min=2,
                                 help="Fewest parties in a ring."),
    public_above: int = typer.Option(
        DEFAULT_PUBLIC_ABOVE, "--public-above", min=2,
        help="An identifier with more users than this is public, not a ring."),
    as_of: datetime | None = RelationshipsAsOfOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List identity rings and public identifiers."""
    settings = Settings.from_environ()
    day = None if as_of is None else as_of.date()
    with stores(settings) as (_, graph):
        report = read_rings(graph, min_size, public_above, masked=not as_json, as_of=day)
    if as_json:
        typer.echo(orjson.dumps(_document(report)).decode())
    else:
        _print(report)


def _document(report: RingReport) -> dict[str, object]:
    document: dict[str, object] = {
        "rings": [{"members": r.members,
                   "shared": [{"id": s.id, "kind": s.kind} for s in r.shared]}
                  for r in report.rings],
        "public": [{"id": p.id, "kind": p.kind, "users": p.users} for p in report.public],
    }
    if report.validity.as_of is not None:
        document["validity"] = report.validity.as_json()
    return document


def _shown(s: SharedIdentifier) -> str:
    return f"{s.kind} {s.id}" + ("" if s.masked is None else f" ({s.masked})")


def _print(report: RingReport) -> None:
    console = Console()
    table = Table(title=f"{len(report.rings):,} identity rings")
    for column in ("size", "members", "shared"):
        table.add_column(column)
    for r in report.rings:
        table.add_row(str(len(r.members)), ", ".join(r.members),
                      "\n".join(_shown(s) for s in r.shared))
    console.print(table)
    console.print(f"identifier links {report.validity.describe()}", highlight=False)
    if report.public:
        public = Table(title=f"{len(report.public):,} public identifiers (not rings)")
        for column in ("kind", "id", "users", "shown as"):
            public.add_column(column)
        for p in report.public:
            public.add_row(p.kind, p.id, f"{p.users:,}", "" if p.masked is None else str(p.masked))
        console.print(public)
