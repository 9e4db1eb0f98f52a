"""``loanwatch classify``: five-tier classification, IFRS 9 stage and expected credit loss
of every loan as of a date, with the reasons, and totals by tier and stage per currency.

``--json`` prints one JSON document: ``{"as_of", "loans": [{"loan", "tier", "stage", "dpd",
"exposure", "ecl", "reasons", "review_flags"}], "summary": {"by_tier", "by_stage",
"review_flags"}, "lgd": {"settings", "segments"}}``; ``lgd`` is the LGD table the ECL used,
as ``loanwatch model loss`` prints it (where each segment's LGD comes from). Review flags
(``--graph-flags``, the default) mark loans whose guarantor, controlling owner or circle
partner is non-performing, each with its path in the graph
(:mod:`risk.classification.graph_flags`); they never change a tier. Manual overrides in
force on the date (``loanwatch override``) are applied, each shown first among its loan's
reasons with its actor.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loanwatch.cli.dates import as_of_date
from loanwatch.cli.model_loss import lgd_table
from loanwatch.settings import Settings
from loanwatch.wiring import stores
from risk.classification.assessment import Assessment, assess
from risk.classification.config import DEFAULT_CLASSIFICATION, load_classification_config
from risk.classification.graph_flags import GraphFlags, graph_flags
from risk.classification.overrides import StoredOverrides
from risk.classification.provisioning_config import (
    DEFAULT_PROVISIONING,
    load_provisioning_config,
)

__all__ = ["classify"]

#: Loans listed in the table when no --loan is given (the worst first).
DEFAULT_LOANS_SHOWN = 20


def classify(
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Classify the book as it stood on DATE "
        "(YYYY-MM-DD; default today). Nothing dated after it is read."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document."),
    loan: list[str] = typer.Option(
        [], "--loan", metavar="ID", help="Only this loan (repeatable); its borrower's other "
        "loans are still read for the debtor-level rules."),
    config: Path | None = typer.Option(
        None, "--config", metavar="FILE", help="A TOML file with [classification] and "
        "[provisioning] tables over the defaults (see the README)."),
    show: int = typer.Option(DEFAULT_LOANS_SHOWN, "--show", min=0,
                             help="Loans listed in the table, worst first."),
    with_flags: bool = typer.Option(
        True, "--graph-flags/--no-graph-flags", help="Flag loans for downgrade review whose "
        "guarantor, controlling owner or circle partner is non-performing, with the path."),
) -> None:
    """Classify loans (正常/关注/次级/可疑/损失), stage them under IFRS 9 and provide."""
    day = as_of_date(as_of)
    classification = DEFAULT_CLASSIFICATION if config is None else \
        load_classification_config(config)
    provisioning = DEFAULT_PROVISIONING if config is None else load_provisioning_config(config)
    with stores(Settings.from_environ()) as (engine, store):
        overrides = StoredOverrides(engine)
        result = assess(engine, store, day, loans=loan or None, classification=classification,
                        provisioning=provisioning, override_source=overrides)
        flags: GraphFlags | None = None
        if with_flags:
            # A related party's loans lie outside the loans named: flag from the whole book.
            whole = result if not loan else assess(
                engine, store, day, classification=classification, provisioning=provisioning,
                override_source=overrides)
            flags = graph_flags(whole, store)
    wanted = set(loan) if loan else None
    if json_output:
        sys.stdout.buffer.write(orjson.dumps(_document(result, flags, wanted)) + b"\n")
        return
    _print(result, flags, wanted, show)


def _document(result: Assessment, flags: GraphFlags | None,
              wanted: set[str] | None) -> dict[str, Any]:
    document = result.as_json(wanted)
    if result.lgd is not None:
        document["lgd"] = result.lgd.as_json()
    if flags is None:
        return document
    for row in document["loans"]:
        row["review_flags"] = [flag.as_json() for flag in flags.of(row["loan"])]
    document["summary"]["review_flags"] = flags.summary
    return document


def _print(result: Assessment, flags: GraphFlags | None, wanted: set[str] | None,
           show: int) -> None:
    console = Console()
    loans = [a for a in result.loans if wanted is None or a.loan_id in wanted]
    loans.sort(key=lambda a: (-a.tier, -a.stage, -a.days_past_due, a.loan_id))
    table = Table(title=f"Loans as of {result.as_of.isoformat()}"
                  + ("" if wanted else f" (worst {min(show, len(loans))} of {len(loans)})"))
    columns = ["loan", "tier", "stage", "dpd", "exposure", "ECL", "reasons"]
    if flags is not None:
        columns.insert(6, "flags")
    for name in columns:
        table.add_column(name, justify="right" if name in ("dpd", "exposure", "ECL", "flags")
                         else "left")
    for a in loans if wanted else loans[:show]:
        cells = [escape(a.loan_id), f"{a.tier.slug} {a.tier.chinese}", str(a.stage),
                 str(a.days_past_due), f"{a.exposure:,} {a.currency}",
                 f"{a.ecl:,} {a.currency}",
                 escape("; ".join(r.text for r in a.reasons if r.rule != "ecl"))]
        if flags is not None:
            cells.insert(6, str(len(flags.of(a.loan_id))))
        table.add_row(*cells)
    console.print(table)
    for key, title in (("by_tier", "tier"), ("by_stage", "stage")):
        summary = Table(title=f"By {title}")
        for name in (title, "loans", "exposure", "ECL"):
            summary.add_column(name, justify="left" if name == title else "right")
        for group, row in result.summary[key].items():
            summary.add_row(group, f"{row['loans']:,}",
                            ", ".join(f"{v} {c}" for c, v in row["exposure"].items()),
                            ", ".join(f"{v} {c}" for c, v in row["ecl"].items()))
        console.print(summary)
    if result.lgd is not None:
        console.print(lgd_table(result.lgd))
    if flags is not None:
        counts = flags.summary
        kinds = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in
                          counts["by_kind"].items())
        console.print(f"Flagged for downgrade review: {counts['loans_flagged']:,} loans "
                      f"({kinds}; {counts['already_non_performing']:,} already "
                      "non-performing). See --json for each flag's path.")
