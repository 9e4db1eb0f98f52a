"""``loanwatch seed``: generate a realistic synthetic loan portfolio to import.

Writes the fifteen import files (``docs/import-format.md``) into ``--out`` and the ground
truth into ``--out``/ground_truth, then prints rows per file, the planted structures and
the NPL ratio. The same ``--seed`` always writes the same bytes.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from seeds.config import PortfolioConfig
from seeds.generate import PortfolioSummary, generate_portfolio
from seeds.ground_truth import GROUND_TRUTH_DIR

__all__ = ["SeedFormat", "seed"]

console = Console()


class SeedFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def seed(
    out: Path = typer.Option(Path("var/portfolio"), "--out", help="Directory to write into."),
    borrowers: int = typer.Option(1_000, "--borrowers", help="Borrowers (persons + companies)."),
    seed: int = typer.Option(7, "--seed", help="Random seed; same seed, same files."),
    months: int = typer.Option(24, "--months", help="Months of history."),
    file_format: SeedFormat = typer.Option(SeedFormat.CSV, "--format",
                                           help="File format: csv or jsonl."),
    company_share: float = typer.Option(0.10, "--company-share",
                                        help="Share of borrowers that are companies."),
    contagion: float = typer.Option(1.0, "--contagion",
                                    help="Contagion strength (0 switches it off)."),
    base_intensity: float | None = typer.Option(
        None, "--base-intensity", help="Base monthly default intensity (default 0.0007)."),
    circles: int | None = typer.Option(None, "--circles",
                                       help="Planted guarantee circles (default: scaled)."),
    rings: int | None = typer.Option(None, "--rings",
                                     help="Identity rings (default: scaled)."),
    bureau_every: int = typer.Option(3, "--bureau-every",
                                     help="Months between bureau snapshots (3: quarterly)."),
    transaction_months: int = typer.Option(4, "--transaction-months",
                                           help="Months of account transactions."),
    quiet: bool = typer.Option(False, "--quiet", help="Print no progress bar."),
) -> None:
    """Generate a synthetic portfolio (CSV or JSON Lines) with its ground truth."""
    extra = {} if base_intensity is None else {"base_default_intensity": base_intensity}
    config = PortfolioConfig(borrowers=borrowers, seed=seed, months=months,
                             company_share=company_share, contagion_strength=contagion,
                             circle_count=circles, ring_count=rings,
                             bureau_every_months=bureau_every,
                             transaction_months=transaction_months, **extra)
    if quiet:
        summary = generate_portfolio(config, out, file_format=file_format.value)
    else:
        with Progress(TextColumn("[bold]{task.description:<26}"), BarColumn(),
                      TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("starting", total=1.0)

            def report(stage: str, fraction: float) -> None:
                bar.update(task, description=stage, completed=fraction)

            summary = generate_portfolio(config, out, progress=report,
                                         file_format=file_format.value)
    _print_summary(summary)


def _print_summary(summary: PortfolioSummary) -> None:
    files = Table(title=f"Wrote {summary.out_dir} ({summary.file_format})")
    files.add_column("file")
    files.add_column("rows", justify="right")
    for entity, rows in summary.rows.items():
        files.add_row(f"{entity}.{summary.file_format}", f"{rows:,}")
    files.add_row("[bold]total", f"[bold]{summary.total_rows:,}")
    console.print(files)
    s = summary.stats
    facts = Table(title="Portfolio")
    facts.add_column("what")
    facts.add_column("value", justify="right")
    for label, value in (
        ("borrowers (persons / companies)", f"{s['persons']:,} / {s['companies']:,}"),
        ("loans", f"{s['loans']:,}"),
        ("non-performing loans", f"{s['npl_loans']:,}"),
        ("NPL ratio (all loans)", f"{s['npl_ratio']:.2%}"),
        ("NPL ratio (loans not closed)", f"{s['book_npl_ratio']:.2%}"),
        ("defaults (contagion / planted)",
         f"{s['defaults']:,} ({s['contagion_defaults']:,} / {s['planted_defaults']:,})"),
        ("corporate groups", f"{s['groups']:,}"),
        ("guarantee circles", f"{s['guarantee_circles']:,}"),
        ("mutual guarantees", f"{s['mutual_guarantees']:,}"),
        ("joint-guarantee groups", f"{s['joint_groups']:,}"),
        ("identity rings", f"{s['identity_rings']:,}"),
        ("seconds", f"{summary.seconds:.1f}"),
    ):
        facts.add_row(label, value)
    console.print(facts)
    console.print(f"ground truth: {summary.out_dir / GROUND_TRUTH_DIR / 'ground_truth.json'}")
