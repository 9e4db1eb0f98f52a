"""``loanwatch model train-graph``: the four models of a lender's own network, compared.

``--nodes NODES.csv --edges EDGES.csv --target COLUMN [--split COLUMN] [--positive VALUE]``
reads and checks both files (:mod:`risk.models.gnn.node_files`), splits the labelled nodes
(the split column, or a seeded stratified random split), trains (a) gradient boosting on the
attributes, (b) on the attributes plus graph features, (c) the GNN and (d) their ensemble
(:mod:`risk.models.gnn.network_comparison`), and prints AUC, KS and Brier on the test part;
with ``--json``, one document ``{"test_rows": n, "models": {"plain": {"auc", "ks",
"brier"}, "graph_features": ..., "gnn": ..., "ensemble": ...}}``. Nothing is stored.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["train_graph"]

_LABELS = {"plain": "(a) attributes only", "graph_features": "(b) attributes + graph features",
           "gnn": "(c) graph neural network", "ensemble": "(d) ensemble of (b) and (c)"}


def train_graph(
    nodes: Path = typer.Option(..., "--nodes", metavar="NODES.csv", dir_okay=False,
                               help="Nodes: id, the target, optionally a split column, and "
                                    "any attribute columns."),
    edges: Path = typer.Option(..., "--edges", metavar="EDGES.csv", dir_okay=False,
                               help="Edges: source,target and optionally type and weight."),
    target: str = typer.Option(..., "--target", metavar="COLUMN",
                               help="The column to predict (empty: the node takes part in "
                                    "the graph only)."),
    split: str | None = typer.Option(None, "--split", metavar="COLUMN",
                                     help="A column of train/valid/test [default: a seeded "
                                          "stratified random split 60/20/20]."),
    positive: str | None = typer.Option(None, "--positive", metavar="VALUE",
                                        help="The target value of the positive class "
                                             "[default: 1, true or yes]."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and of every model."),
    threads: int | None = typer.Option(None, "--threads", min=1,
                                       help="CPU threads for the GNN [default: one for "
                                            "small graphs, every core for large ones]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Compare attributes only, graph features, a GNN and their ensemble on your network."""
    from risk.models.gnn.node_files import read_edges, read_nodes

    err = Console(stderr=True)
    with err.status("reading the network", spinner="dots") as status:
        node_table = read_nodes(nodes, target, split=split, positive=positive)
        edge_table = read_edges(edges, node_table)
        # torch is imported only now: the files are checked without it.
        from risk.models.gnn.network_comparison import MODELS, compare_on_network

        comparison = compare_on_network(
            node_table, edge_table, seed=seed, threads=threads,
            progress=lambda step: status.update(f"training: {step}"))
    if as_json:
        typer.echo(orjson.dumps(comparison.document()).decode())
        return
    out = Console()
    counts = comparison.split_counts
    labelled = int((node_table.label >= 0).sum())
    out.print(f"{node_table.n} nodes ({labelled} labelled: {counts['train']} train, "
              f"{counts['valid']} valid, {counts['test']} test), {edge_table.m} edges of "
              f"{len(edge_table.types)} type(s): {escape(', '.join(edge_table.types))}",
              highlight=False)
    if node_table.dropped:
        out.print(f"columns left out (constant or id-like): "
                  f"{escape(', '.join(node_table.dropped))}", highlight=False)
    table = Table(title=f"Test part ({comparison.test_rows} nodes)")
    table.add_column("model")
    for name in ("AUC", "KS", "Brier"):
        table.add_column(name, justify="right")
    for name in MODELS:
        scores = comparison.models[name]
        table.add_row(_LABELS[name], f"{scores.auc:.4f}", f"{scores.ks:.4f}",
                      f"{scores.brier:.4f}")
    out.print(table)
    history = comparison.gnn.history
    if history is not None:
        out.print(f"GNN: {history.epochs} epochs, best at {history.best_epoch} "
                  f"(valid AUC {history.best_valid_auc:.4f})", highlight=False)
