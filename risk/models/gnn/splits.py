"""Which labelled nodes train, validate and test a model, and the checks that each part can
do its job.

Without a split column: a seeded stratified random split of the labelled nodes,
:data:`TRAIN_SHARE` / :data:`VALID_SHARE` / the rest for test. With one: as given; when it
names no ``valid`` node, a stratified :data:`VALID_SHARE` of the train part validates.
Train and test need both classes (a model learns nothing, an AUC means nothing, from one);
so does valid (early stopping and calibration read it).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from sklearn.model_selection import train_test_split

from risk.models.gnn.errors import GraphModelError

__all__ = ["TEST_SHARE", "TRAIN_SHARE", "VALID_SHARE", "Split", "split_nodes"]

TRAIN_SHARE: Final = 0.6
VALID_SHARE: Final = 0.2
TEST_SHARE: Final = 0.2

Split = dict[str, np.ndarray]


def split_nodes(label: np.ndarray, given: np.ndarray | None, *, seed: int = 0,
                where: str = "the nodes file") -> Split:
    """Boolean masks ``{"train", "valid", "test"}`` over the nodes.

    Parameters:
        label: 1 / 0 per node, -1 for a node without a label (in no part).
        given: ``"train"`` / ``"valid"`` / ``"test"`` per node (``""`` without a label),
            or ``None`` for a random stratified split.
        where: the file named in errors.

    Raises:
        GraphModelError: a part with no node or a single class.
    """
    labelled = np.flatnonzero(label >= 0)
    n = len(label)
    if given is None:
        y = label[labelled]
        _enough(y, where)
        rest, test = train_test_split(labelled, test_size=TEST_SHARE, stratify=y,
                                      random_state=seed)
        train, valid = train_test_split(rest, test_size=VALID_SHARE / (1 - TEST_SHARE),
                                        stratify=label[rest], random_state=seed)
        parts = {"train": train, "valid": valid, "test": test}
    else:
        parts = {name: np.flatnonzero(given == name) for name in ("train", "valid", "test")}
        if len(parts["valid"]) == 0 and len(parts["train"]):
            _enough(label[parts["train"]], f"{where} (train part)")
            train, valid = train_test_split(parts["train"], test_size=VALID_SHARE / (
                1 - TEST_SHARE), stratify=label[parts["train"]], random_state=seed)
            parts["train"], parts["valid"] = train, valid
    masks = {}
    for name, index in parts.items():
        classes = np.unique(label[index])
        if len(classes) < 2:
            what = "no labelled node" if len(index) == 0 else (
                f"only {'positive' if classes[0] == 1 else 'negative'} nodes "
                f"({len(index)})")
            raise GraphModelError(
                f"{where}: the {name} part has {what}: it needs both classes",
                suggestion="put positive and negative nodes in every part of the split "
                           "column (or leave the split out for a stratified random split)")
        mask = np.zeros(n, dtype=bool)
        mask[index] = True
        masks[name] = mask
    return masks


def _enough(y: np.ndarray, where: str) -> None:
    counts = np.bincount(y.astype(np.int64), minlength=2)
    if counts.min() < 5:
        rare = "positive" if counts[1] < counts[0] else "negative"
        raise GraphModelError(
            f"{where}: only {int(counts.min())} {rare} labelled nodes: too few to split into "
            "train, valid and test with both classes in each",
            suggestion="label more nodes, or give a split column")
