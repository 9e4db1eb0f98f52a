"""Reason codes for gradient boosting at portfolio scale: path attributions of the trees.

Each tree's output for a row is the value of the leaf the row reaches; walking from the root
to that leaf, every split moves the value from the node's to the child's, and that move is
credited to the split's feature. Summed over the path, the credits are the leaf's value less
the root's (the tree's average output), so per row the credits of every tree add up to its
log-odds less the model's average: an additive explanation, like TreeSHAP, from the same
trees (Saabas' method, the one ``treeinterpreter`` popularised).

Why not LightGBM's own TreeSHAP (``pred_contrib``): measured on this machine at about a
microsecond per tree and row, a bag of a thousand trees over a million borrowers would take
a quarter of an hour; path credits cost one ``pred_leaf`` pass (as fast as predicting) and a
sparse product, seconds for the million. What is given up: TreeSHAP also splits the credit
of interacting features fairly between them; path credits give it to the feature split
nearer the leaf. For "which factors raised this borrower's score" the two agree on the top
factors in the large majority of rows (tested), and the stored reasons are always computed
the same way for a model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp

__all__ = ["PathCredits", "path_credits"]

#: Rows per chunk of the product (bounds the memory of the dense result).
CHUNK_ROWS: Final = 100_000


def _walk(node: dict[str, Any], parent_value: float | None, feature: int | None,
          credits: dict[int, float]) -> Iterator[tuple[int, dict[int, float]]]:
    """(leaf index, credits per feature on the path to it) of every leaf under ``node``."""
    value = float(node["leaf_value"] if "leaf_index" in node else node["internal_value"])
    here = dict(credits)
    if parent_value is not None and feature is not None:
        here[feature] = here.get(feature, 0.0) + value - parent_value
    if "leaf_index" in node:
        yield int(node["leaf_index"]), here
        return
    split = int(node["split_feature"])
    for child in (node["left_child"], node["right_child"]):
        yield from _walk(child, value, split, here)


class PathCredits:
    """The credit matrices of a bag of boosters, built once per model (a few milliseconds
    per hundred trees), applied to any number of rows."""

    def __init__(self, boosters: Sequence[lgb.Booster], n_features: int) -> None:
        self.boosters = list(boosters)
        self.n_features = n_features
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        self.offsets: list[np.ndarray] = []
        base = 0
        for booster in self.boosters:
            trees = booster.dump_model()["tree_info"]
            offsets = np.zeros(len(trees), dtype=np.int64)
            for t, tree in enumerate(trees):
                offsets[t] = base
                structure = tree["tree_structure"]
                if "leaf_index" not in structure and "split_feature" in structure:
                    for leaf, credits in _walk(structure, None, None, {}):
                        for f, v in credits.items():
                            rows.append(base + leaf)
                            cols.append(f)
                            vals.append(v)
                base += int(tree["num_leaves"])
            self.offsets.append(offsets)
        self.matrix = sp.csr_matrix((vals, (rows, cols)), shape=(base, n_features))

    def credits(self, features: np.ndarray) -> np.ndarray:
        """Per row and feature, the credit averaged over the bag (raw log-odds)."""
        n = len(features)
        found = np.zeros((n, self.n_features))
        for start in range(0, n, CHUNK_ROWS):
            chunk = features[start:start + CHUNK_ROWS]
            columns = [np.asarray(b.predict(chunk, pred_leaf=True), dtype=np.int64)
                       .reshape(len(chunk), -1) + offsets
                       for b, offsets in zip(self.boosters, self.offsets, strict=True)]
            leaves = np.hstack(columns)
            picks = sp.csr_matrix(
                (np.ones(leaves.size), leaves.ravel(),
                 np.arange(0, leaves.size + 1, leaves.shape[1])),
                shape=(len(chunk), self.matrix.shape[0]))
            found[start:start + len(chunk)] = (picks @ self.matrix).toarray()
        return found / max(len(self.boosters), 1)


def path_credits(boosters: Sequence[lgb.Booster], features: np.ndarray) -> np.ndarray:
    """:meth:`PathCredits.credits` of ``boosters`` on ``features`` (rows × features)."""
    return PathCredits(boosters, features.shape[1]).credits(features)
