"""The PD models compared on held-out borrowers of the generated portfolio, in one run:
(a) gradient boosting without graph features, (b) with them, (c) the GNN, (d) their
ensemble, against the generator's own latent risk on the same borrowers.

    python -m benchmarks.pd_models --portfolio 100000 [--portfolio 1000000] [--no-gnn]

The snapshot is the portfolio's date less 12 months (so the 12-month outcome is known); the
label is the configured default in the 12 months after it; 20% of the borrowers (stratified,
seeded) are held out and every model learns from the other 80% only. AUC is reported on all
held-out borrowers and on those within two hops of a contagion seed of the generator's
ground truth (in the risk graph as of the snapshot: guarantees, ownership, directorships of
the features, RELATED links, shared identifiers). The latent risk is the generator's logit
of each borrower's monthly default probability at the snapshot month: the risk it drew the
defaults from, before any contagion after the snapshot; a model can beat it only by seeing
that contagion coming through the graph.

Timings: the dataset (features and labels), each model's training (wall seconds and the
process's peak resident memory during it), and scoring every borrower of the portfolio on
its own date (features, PD, reason codes) with model (b), the production candidate.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import ensure_embedded
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.models import metrics
from risk.models.dataset import PortfolioDataset, build_dataset
from risk.models.gbm import fit_gbm
from risk.models.portfolio_training import months_before
from risk.network.features import FeatureParameters
from risk.network.features.links import live_loans, read_links
from risk.network.features.risk_graph import risk_graph
from risk.projection import project_portfolio
from seeds.ground_truth import GROUND_TRUTH_DIR

HOLDOUT: Final = 0.2
SEED: Final = 0
HOPS: Final = 2
console = Console()


@contextmanager
def measured(figures: dict[str, Any], name: str) -> Iterator[None]:
    """Wall seconds and the peak resident MiB of the process during the block (the
    high-water mark is reset before it through /proc/self/clear_refs)."""
    with suppress(OSError):  # not Linux: the peak so far
        Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    yield
    figures[name] = {"seconds": round(time.perf_counter() - started, 1),
                     "peak_mib": round(_peak_mib())}


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _latent(portfolio: Path, ids: np.ndarray, day: date) -> np.ndarray:
    """The generator's latent risk of ``ids`` at the month of ``day``."""
    truth = json.loads((portfolio / GROUND_TRUTH_DIR / "ground_truth.json").read_text())
    persons = int(truth["summary"]["persons"])
    month = truth["months"].index(day.strftime("%Y-%m"))
    latent = np.load(portfolio / GROUND_TRUTH_DIR / "latent_risk.npy", mmap_mode="r")
    rows = np.array([int(p[1:]) - 1 if p[0] == "P" else persons + int(p[1:]) - 1
                     for p in ids.tolist()], dtype=np.int64)
    return np.asarray(latent[rows, month], dtype=np.float64)


def _near_seeds(graph: EmbeddedGraphStore, portfolio: Path, day: date,
                ids: np.ndarray) -> np.ndarray:
    """Whether each of ``ids`` is within two hops of a contagion seed (or is one)."""
    truth = json.loads((portfolio / GROUND_TRUTH_DIR / "ground_truth.json").read_text())
    seeds = sorted({s["party_id"] for s in truth["contagion_seeds"]})
    projection = project_portfolio(graph)
    params = FeatureParameters()
    risk = risk_graph(projection, read_links(graph, day), live_loans(projection, day), params)
    index = {p: i for i, p in enumerate(risk.party_ids.tolist())}
    frontier = np.zeros(risk.n, dtype=bool)
    frontier[[index[s] for s in seeds if s in index]] = True
    near = frontier.copy()
    for _ in range(HOPS):
        frontier = (risk.adjacency @ frontier.astype(np.float64)) > 0
        near |= frontier
    return np.array([near[index[p]] if p in index else False for p in ids.tolist()])


def _split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split
    rows = np.arange(len(y))
    train, test = train_test_split(rows, test_size=HOLDOUT, stratify=y, random_state=SEED)
    return np.sort(train), np.sort(test)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _borrower_matrix(dataset: PortfolioDataset, columns: list[str]) -> np.ndarray:
    """The dataset's ``columns`` as float32 (categories as their codes, missing as NaN)."""
    parts = []
    for name in columns:
        values = dataset.frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy(dtype=np.float32)
            parts.append(np.where(codes < 0, np.nan, codes))
        else:
            parts.append(pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float32))
    return np.column_stack(parts).astype(np.float32)


def gnn_scores(graph: EmbeddedGraphStore, dataset: PortfolioDataset, columns: list[str],
               train: np.ndarray, test: np.ndarray, figures: dict[str, Any],
               epochs: dict[str, int]) -> np.ndarray:
    """(c): the portfolio GNN as of the snapshot (persons, companies, loans and their typed
    links, nothing after the date), borrowers described by the dataset's ``columns`` (the
    non-graph features: the network is the GNN's to learn), loans by their terms; trained on
    the training borrowers, scoring the held-out ones."""
    from risk.models.gnn.portfolio_graph import node_attributes, read_portfolio_graph
    from risk.models.gnn.portfolio_training import score_borrowers, train_on_borrowers
    from risk.models.gnn.training import GnnConfig

    assert dataset.label is not None
    with measured(figures, "gnn: graph"):
        portfolio_graph = read_portfolio_graph(graph, dataset.as_of)
        features = dict(node_attributes(graph, portfolio_graph))
    matrix = _borrower_matrix(dataset, columns)
    ids = dataset.party_ids
    persons = np.char.startswith(ids.astype(str), "P")
    features["person"] = (ids[persons], matrix[persons], columns)
    features["company"] = (ids[~persons], matrix[~persons], columns)
    hetero = portfolio_graph.hetero(features)
    figures["gnn graph"] = {"nodes": int(sum(hetero.num_nodes(t) for t in hetero.node_types)),
                            "edges": hetero.num_edges()}
    with measured(figures, "gnn: train"):
        model = train_on_borrowers(portfolio_graph, hetero, ids[train],
                                   dataset.label[train].astype(int),
                                   config=GnnConfig(**epochs))
    if model.history is not None:
        figures["gnn epochs"] = {"run": model.history.epochs,
                                 "best": model.history.best_epoch,
                                 "valid_auc": round(model.history.best_valid_auc, 4)}
    with measured(figures, "gnn: score"):
        return score_borrowers(model, portfolio_graph, hetero, ids[test])


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401 - only whether it imports
    except ImportError:
        return False
    return True


def run(borrowers: int, *, reuse_stale: bool, with_gnn: bool,
        gnn_epochs: dict[str, int] | None = None) -> dict[str, Any]:
    store = ensure_embedded(borrowers, console=console, reuse_stale=reuse_stale)
    engine = create_sql_engine(f"sqlite:///{store.database}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    snapshot = months_before(store.as_of, 12)
    figures: dict[str, Any] = {"borrowers": borrowers, "snapshot": snapshot.isoformat()}
    with measured(figures, "dataset"):
        dataset = build_dataset(engine, graph, snapshot)
    assert dataset.label is not None
    y = dataset.label.astype(int)
    train, test = _split(y)
    figures.update(rows=len(y), defaults=int(y.sum()), test_rows=len(test),
                   test_defaults=int(y[test].sum()))
    near = _near_seeds(graph, store.portfolio, snapshot, dataset.party_ids)[test]
    figures.update(near_rows=int(near.sum()), near_defaults=int(y[test][near].sum()))
    plain_columns = [c for c in dataset.frame.columns if c not in dataset.graph_columns]
    scores: dict[str, np.ndarray] = {}
    models: dict[str, Any] = {}
    for name, columns in (("plain", plain_columns), ("graph_features",
                                                     list(dataset.frame.columns))):
        with measured(figures, f"train {name}"):
            models[name] = fit_gbm(dataset.frame[columns].iloc[train], y[train], seed=SEED)
        scores[name] = models[name].predict_pd(dataset.frame[columns].iloc[test])
    if with_gnn and _torch_available():
        scores["gnn"] = gnn_scores(graph, dataset, plain_columns, train, test, figures,
                                   gnn_epochs or {})
        scores["ensemble"] = 1 / (1 + np.exp(-(_logit(scores["graph_features"])
                                               + _logit(scores["gnn"])) / 2))
    scores["latent risk"] = _latent(store.portfolio, dataset.party_ids[test], snapshot)
    table: dict[str, dict[str, float | None]] = {}
    for name, p in scores.items():
        table[name] = {
            "auc": metrics.auc(y[test], p),
            "auc_near_seed": metrics.auc(y[test][near], p[near])
            if 0 < y[test][near].sum() < near.sum() else None,
            "ks": metrics.ks(y[test], p),
            "brier": None if name == "latent risk" else metrics.brier(y[test], p)}
    figures["models"] = table
    # Scoring every borrower on the portfolio's own date with (b), as the scan does.
    with measured(figures, "score: features"):
        today = build_dataset(engine, graph, store.as_of, horizon_months=None)
    frame = today.frame[list(dataset.frame.columns)]
    with measured(figures, "score: PD"):
        models["graph_features"].predict_pd(frame)
    with measured(figures, "score: reasons"):
        models["graph_features"].reasons(frame, describe=today.describe)
    figures["scored"] = len(frame)
    engine.dispose()
    return figures


def _print(found: dict[str, Any]) -> None:
    table = Table("model", "AUC", "AUC within 2 hops of a seed", "KS", "Brier",
                  title=(f"{found['borrowers']:,} borrowers: snapshot {found['snapshot']}, "
                         f"{found['test_rows']:,} held-out borrowers ({found['test_defaults']:,}"
                         f" defaults), {found['near_rows']:,} within two hops of a contagion "
                         f"seed ({found['near_defaults']:,} defaults)"))
    for name, m in found["models"].items():
        table.add_row(name, f"{m['auc']:.4f}",
                      "-" if m["auc_near_seed"] is None else f"{m['auc_near_seed']:.4f}",
                      f"{m['ks']:.4f}", "-" if m["brier"] is None else f"{m['brier']:.4f}")
    console.print(table)
    timing = Table("step", "seconds", "peak MiB", title="Time and memory")
    for step, value in found.items():
        if isinstance(value, dict) and "seconds" in value:
            timing.add_row(step, f"{value['seconds']:.1f}", f"{value['peak_mib']:,}")
    console.print(timing)
    if "gnn epochs" in found:
        e = found["gnn epochs"]
        console.print(f"GNN: {e['run']} epochs, the best at epoch {e['best']} "
                      f"(validation AUC {e['valid_auc']})")
    score_seconds = sum(found[s]["seconds"] for s in ("score: features", "score: PD",
                                                      "score: reasons"))
    console.print(f"scoring all {found['scored']:,} borrowers (features, PD, reasons): "
                  f"{score_seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portfolio", type=int, action="append",
                        help="Borrowers in the generated portfolio (repeatable; 100000).")
    parser.add_argument("--reuse-stale", action="store_true",
                        help="Keep imported stores made by an older generator or importer.")
    parser.add_argument("--no-gnn", action="store_true", help="Leave the GNN out.")
    parser.add_argument("--gnn-max-epochs", type=int, help="Cap the GNN's epochs (a "
                        "million borrowers take about a minute an epoch on 2 cores).")
    parser.add_argument("--gnn-patience", type=int, help="Epochs without a better "
                        "validation AUC before the GNN stops.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args()
    epochs = {name: value for name, value in (("max_epochs", args.gnn_max_epochs),
                                              ("patience", args.gnn_patience))
              if value is not None}
    found = [run(n, reuse_stale=args.reuse_stale, with_gnn=not args.no_gnn, gnn_epochs=epochs)
             for n in (args.portfolio or [100_000])]
    for figures in found:
        _print(figures)
    if args.json:
        args.json.write_text(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
