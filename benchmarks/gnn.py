"""The portfolio GNN at scale: time and peak memory to read the graph, train and score every
borrower, on the imported benchmark portfolios.

    python -m benchmarks.gnn [--sizes 100000 1000000] [--store-dir DIR] [--max-epochs N]

For each size, in a fresh child process (so that its peak RSS is its own): reads the
portfolio graph of the embedded store ``DIR/embedded-N.db`` (default ``var/bench``, made by
:func:`benchmarks.portfolios.ensure_embedded`; opened read-only, nothing is written) as of
:data:`AS_OF`, a year before the generator's last day, with the stored node attributes
(:func:`risk.models.gnn.portfolio_graph.node_attributes`); labels every borrower by the
generator's ground truth (defaulted within the 12 months after ``AS_OF``; only borrowers
with a live loan on it, and none already in default); keeps a stratified 20% of them for
testing; trains the GNN on the rest
(:func:`risk.models.gnn.portfolio_training.train_on_borrowers`, full batch, the default
configuration but ``--max-epochs``) and scores every borrower. Prints one table:
seconds per phase, epochs, peak RSS, the test AUC, and as a reference the AUC of the
generator's own latent risk on ``AS_OF`` on the same borrowers.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
from rich.console import Console
from rich.table import Table

DEFAULT_SIZES: Final = (100_000, 1_000_000)
#: A year before the generator's last day (2025-06-30): labels look 12 months ahead.
AS_OF: Final = date(2024, 6, 30)
HORIZON_END: Final = date(2025, 6, 30)
#: The generator's first month of history (the latent risk's column 0).
FIRST_MONTH: Final = np.datetime64("2023-07", "M")
MIB: Final = 1024 * 1024


def _labels(portfolio: Path, party_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per party: 1 defaulted in (AS_OF, HORIZON_END], 0 not, -1 already in default on
    AS_OF; and the generator's latent risk on AS_OF (NaN where unknown)."""
    truth = json.loads((portfolio / "ground_truth" / "ground_truth.json").read_text())
    defaults = dict(zip(truth["defaults"]["party_id"], truth["defaults"]["default_on"],
                        strict=True))
    start, end = AS_OF.isoformat(), HORIZON_END.isoformat()
    label = np.array([(-1 if defaults[p] <= start else int(defaults[p] <= end))
                      if p in defaults else 0 for p in party_ids.tolist()], dtype=np.int64)
    latent = np.load(portfolio / "ground_truth" / "latent_risk.npy", mmap_mode="r")
    persons = int(truth["latent_risk"]["persons"])
    month = int((np.datetime64(AS_OF, "M") - FIRST_MONTH).astype(int))
    rows = np.array([int(p[1:]) - 1 + (persons if p.startswith("C") else 0)
                     for p in party_ids.tolist()], dtype=np.int64)
    inside = (rows >= 0) & (rows < latent.shape[0])
    risk = np.full(len(party_ids), np.nan)
    risk[inside] = latent[rows[inside], month]
    return label, risk


def measure(database: Path, portfolio: Path, max_epochs: int,
            threads: int | None) -> dict[str, Any]:
    """Read, train and score in this process; the figures as a JSON-able dict."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from graph.stores.embedded import EmbeddedGraphStore
    from portfolio.database import create_sql_engine
    from risk.models.gnn.portfolio_graph import (
        LOAN,
        LOAN_COLUMNS,
        node_attributes,
        read_portfolio_graph,
    )
    from risk.models.gnn.portfolio_training import score_borrowers, train_on_borrowers
    from risk.models.gnn.training import GnnConfig

    def say(message: str) -> None:
        print(f"  {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)

    seconds: dict[str, float] = {}
    engine = create_sql_engine(f"sqlite:///{database}")
    store = EmbeddedGraphStore(engine)
    started = time.perf_counter()
    graph = read_portfolio_graph(store, AS_OF, progress=say)
    seconds["read graph"] = time.perf_counter() - started
    say(f"graph read: {graph.counts}")
    started = time.perf_counter()
    hetero = graph.hetero(node_attributes(store, graph))
    seconds["node attributes"] = time.perf_counter() - started
    engine.dispose()
    # Borrowers: parties with a live loan on AS_OF (disbursed by it, maturing after it).
    live = hetero.features[LOAN][:, LOAN_COLUMNS.index("days_to_maturity")] > 0
    borrows = [e for e in graph.edges if e[1] == "borrows" and e[2] == LOAN]
    borrower_ids = np.unique(np.concatenate(
        [graph.ids[s][graph.edges[(s, r, t)][0][live[graph.edges[(s, r, t)][1]]]]
         for s, r, t in borrows]))
    label, latent = _labels(portfolio, borrower_ids)
    keep = label >= 0
    ids, y, latent = borrower_ids[keep], label[keep], latent[keep]
    fit, test = train_test_split(np.arange(len(ids)), test_size=0.2, stratify=y,
                                 random_state=0)
    epochs: list[float] = []
    last = [time.perf_counter()]

    def progress(epoch: int, valid_auc: float) -> None:
        now = time.perf_counter()
        if epoch % 10 == 0:
            say(f"epoch {epoch}: valid AUC {valid_auc:.4f}, {now - last[0]:.1f} s")
        epochs.append(now - last[0])
        last[0] = now

    say(f"training on {len(fit):,} borrowers")
    started = time.perf_counter()
    model = train_on_borrowers(graph, hetero, ids[fit], y[fit],
                               config=GnnConfig(max_epochs=max_epochs), threads=threads,
                               progress=progress)
    seconds["train"] = time.perf_counter() - started
    started = time.perf_counter()
    scores = score_borrowers(model, graph, hetero, ids)
    seconds["score every borrower"] = time.perf_counter() - started
    history = model.history
    assert history is not None
    known = ~np.isnan(latent[test])
    return {
        "nodes": {t: len(v) for t, v in graph.ids.items()},
        "edges": hetero.num_edges(), "borrowers": len(ids), "positives": int(y.sum()),
        "test": len(test), "seconds": seconds, "epochs": history.epochs,
        "best_epoch": history.best_epoch, "seconds_per_epoch": float(np.median(epochs)),
        "auc": float(roc_auc_score(y[test], scores[test])),
        "latent_auc": float(roc_auc_score(y[test][known], latent[test][known])),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--store-dir", type=Path, default=Path("var/bench"),
                        help="Where embedded-N.db and portfolio-N/ are (default var/bench).")
    parser.add_argument("--max-epochs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: every core this process may use).")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--portfolio", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        json.dump(measure(args.measure, args.portfolio, args.max_epochs, args.threads),
                  sys.stdout)
        return 0
    console = Console()
    runs = []
    for size in args.sizes:
        database = args.store_dir / f"embedded-{size}.db"
        portfolio = args.store_dir / f"portfolio-{size}"
        if not database.exists():
            from benchmarks.portfolios import ensure_embedded

            database = ensure_embedded(size, console=console).database
        console.print(f"{size:,} borrowers: {database}")
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.gnn", "--measure", str(database),
             "--portfolio", str(portfolio), "--max-epochs", str(args.max_epochs),
             *(["--threads", str(args.threads)] if args.threads else [])],
            check=True, stdout=subprocess.PIPE, text=True)
        runs.append((size, json.loads(done.stdout)))
    table = Table(title=f"Portfolio GNN as of {AS_OF} (labels: default by {HORIZON_END}), "
                        "full batch on the CPU")
    table.add_column("")
    for size, _ in runs:
        table.add_column(f"{size:,} borrowers", justify="right")
    rows = [
        ("nodes (person / company / loan)", lambda r: " / ".join(
            f"{r['nodes'][t]:,}" for t in ("person", "company", "loan"))),
        ("edges (both directions: x2)", lambda r: f"{r['edges']:,}"),
        ("labelled borrowers (defaults)", lambda r: f"{r['borrowers']:,} ({r['positives']:,})"),
        *[(f"{name} (s)", lambda r, name=name: f"{r['seconds'][name]:.1f}")
          for name in ("read graph", "node attributes", "train", "score every borrower")],
        ("epochs (best) / s per epoch", lambda r: f"{r['epochs']} ({r['best_epoch']}) / "
                                                 f"{r['seconds_per_epoch']:.2f}"),
        ("peak RSS (MiB)", lambda r: f"{r['peak_rss_mib']:,.0f}"),
        ("test AUC (GNN)", lambda r: f"{r['auc']:.4f}"),
        ("test AUC (latent risk, reference)", lambda r: f"{r['latent_auc']:.4f}"),
    ]
    for name, cell in rows:
        table.add_row(name, *[cell(run) for _, run in runs])
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
