"""A lender's network from two CSV files: ``NODES.csv`` and ``EDGES.csv``.

``NODES.csv``: a column ``id`` (unique, not empty), the target column named by the caller,
optionally a split column (``train``, ``valid`` or ``test``), and any attribute columns,
numeric or categorical, with missing values (empty, ``NA``, ``N/A``, ``NaN``, ``null``,
``None``, ``-``, ``?``). A node whose target is empty takes part in the graph (a related
person, a party the lender does not score) but in neither training nor evaluation.

``EDGES.csv``: ``source,target`` naming node ids, optionally ``type`` (empty: ``link``) and
``weight`` (a finite number; 1 when the column is absent). Edges are directed and typed;
parallel edges are allowed, self-loops are not. Only the :data:`MAX_EDGE_TYPES` most frequent
types are kept apart; rarer ones become ``other``.

The target without ``positive``: 0/1 (or 0.0/1.0), true/false, yes/no, y/n. With
``positive``: that value is 1, every other non-empty value 0.

Attributes: a column whose values are all numbers is numeric (``float64``, NaN missing); one
with a few words among numbers (at most :data:`NUMERIC_SHARE` numbers) is a mistake,
reported by line; otherwise it is categorical (pandas ``category``). Columns that cannot
inform a model are dropped and named in :attr:`NodeTable.dropped`: constant ones, and
id-like ones (a distinct text per row, or consecutive distinct integers).

Every problem stops the read with a :class:`~risk.models.gnn.errors.GraphModelError` naming
the file, the line and the column (``EDGES.csv:7 target: no node has the id 'C9' in
NODES.csv``). Files are UTF-8 (a byte-order mark is allowed); column order is free.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from risk.models.gnn.errors import GraphModelError

__all__ = [
    "MAX_EDGE_TYPES",
    "MISSING",
    "NUMERIC_SHARE",
    "SPLITS",
    "EdgeTable",
    "NodeTable",
    "read_edges",
    "read_nodes",
]

#: Cells read as missing (compared lower-cased, after stripping blanks).
MISSING: Final = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?"})
#: The values of a split column.
SPLITS: Final = ("train", "valid", "test")
#: Edge types kept apart; rarer types are merged into ``other``.
MAX_EDGE_TYPES: Final = 8
#: A column with at least this share of numbers, and some words, is a numeric column with
#: mistakes in it (reported), not a categorical one.
NUMERIC_SHARE: Final = 0.95
_ID_COLUMN: Final = "id"
_DEFAULT_TYPE: Final = "link"
_OTHER_TYPE: Final = "other"
#: Two-valued targets read without --positive, and which value is the positive one.
_BOOLEAN: Final = ((frozenset({"0", "1"}), "1"), (frozenset({"false", "true"}), "true"),
                   (frozenset({"no", "yes"}), "yes"), (frozenset({"n", "y"}), "y"),
                   (frozenset({"f", "t"}), "t"))
_HINT: Final = ("nodes: id,<target>[,split],attributes...; edges: source,target[,type]"
                "[,weight]; see the README, \"Training on your own network\"")


@dataclass(frozen=True, eq=False)
class NodeTable:
    """The nodes of a network file, row ``i`` being node ``i``.

    ``label``: ``int8`` 1 / 0, -1 where the target is empty. ``split``: ``"train"``,
    ``"valid"``, ``"test"`` per node (``""`` for a node without a label), or ``None``
    without a split column. ``attributes``: numeric (``float64``) and ``category`` columns.
    ``lines``: the file line of each node, for messages.
    """

    path: Path
    target: str
    ids: np.ndarray
    lines: np.ndarray
    label: np.ndarray
    split: np.ndarray | None
    attributes: pd.DataFrame
    dropped: list[str]

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class EdgeTable:
    """The edges of a network file: node indices, a type index per edge into ``types``, a
    weight per edge (1 without a weight column)."""

    path: Path
    source: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    types: list[str]
    weight: np.ndarray
    weighted: bool

    @property
    def m(self) -> int:
        return len(self.source)


def read_nodes(path: Path, target: str, *, split: str | None = None,
               positive: str | None = None) -> NodeTable:
    """Read and check ``NODES.csv``; raise on the first problem (file, line, column)."""
    wanted = [_ID_COLUMN, target] + ([split] if split else [])
    if split is not None and split in (_ID_COLUMN, target):
        raise GraphModelError(f"the split column {split!r} cannot also be the "
                              f"{'id' if split == _ID_COLUMN else 'target'} column")
    if target == _ID_COLUMN:
        raise GraphModelError("the target column cannot be the id column")
    header, lines, columns = _read_columns(path, wanted)
    ids = columns[_ID_COLUMN]
    first: dict[str, int] = {}
    for k, node_id in enumerate(ids):
        if not node_id:
            raise _error(path, lines[k], _ID_COLUMN, "is empty")
        seen = first.setdefault(node_id, lines[k])
        if seen != lines[k]:
            raise _error(path, lines[k], _ID_COLUMN,
                         f"{node_id!r} is given twice (first on line {seen})",
                         "every node id must be unique")
    label = _labels(path, target, lines, columns[target], positive)
    parts = None if split is None else _splits(path, split, lines, columns[split], label)
    attributes, dropped = _attributes(path, lines, {
        name: values for name, values in columns.items() if name not in wanted}, header)
    return NodeTable(path=path, target=target, ids=np.asarray(ids, dtype=object),
                     lines=np.asarray(lines, dtype=np.int64), label=label, split=parts,
                     attributes=attributes, dropped=dropped)


def read_edges(path: Path, nodes: NodeTable) -> EdgeTable:
    """Read and check ``EDGES.csv`` against ``nodes``; raise on the first problem."""
    header, lines, columns = _read_columns(path, ["source", "target"])
    position = {node_id: k for k, node_id in enumerate(nodes.ids.tolist())}
    ends = {}
    for column in ("source", "target"):
        found = np.empty(len(lines), dtype=np.int64)
        for k, node_id in enumerate(columns[column]):
            at = position.get(node_id)
            if at is None:
                problem = "is empty" if not node_id else (
                    f"no node has the id {node_id!r} in {nodes.path.name}")
                raise _error(path, lines[k], column, problem,
                             "every source and target must be an id of the nodes file")
            found[k] = at
        ends[column] = found
    loops = np.flatnonzero(ends["source"] == ends["target"])
    if len(loops):
        k = int(loops[0])
        raise _error(path, lines[k], "target",
                     f"{columns['target'][k]!r} is the source itself: self-loops are not "
                     "allowed", "remove the edges from a node to itself")
    weighted = "weight" in header
    weight = np.ones(len(lines), dtype=np.float64)
    if weighted:
        for k, text in enumerate(columns["weight"]):
            number = _number(text)
            if number is None or not math.isfinite(number):
                problem = "is empty" if not text else f"{text!r} is not a number"
                raise _error(path, lines[k], "weight", problem,
                             "a weight must be a finite number (or leave the column out)")
            weight[k] = number
    kinds = [text or _DEFAULT_TYPE for text in columns["type"]] if "type" in header else (
        [_DEFAULT_TYPE] * len(lines))
    frequent = [name for name, _ in sorted(Counter(kinds).items(),
                                           key=lambda item: (-item[1], item[0]))]
    kept = sorted(frequent[:MAX_EDGE_TYPES])
    if len(frequent) > MAX_EDGE_TYPES:
        kept.append(_OTHER_TYPE if _OTHER_TYPE not in kept else _OTHER_TYPE + "~")
    index = {name: k for k, name in enumerate(kept)}
    other = len(kept) - 1
    kind = np.fromiter((index.get(name, other) for name in kinds), dtype=np.int32,
                       count=len(kinds))
    return EdgeTable(path=path, source=ends["source"], target=ends["target"], kind=kind,
                     types=kept, weight=weight, weighted=weighted)


def _read_columns(path: Path, required: list[str]
                  ) -> tuple[list[str], list[int], dict[str, list[str]]]:
    """The header, each data row's line number, and every column as stripped text."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                raise GraphModelError(f"{path}: the file is empty",
                                      suggestion=f"the first line must be the header; {_HINT}")
            names = [cell.strip() for cell in header]
            missing = [c for c in required if c not in names]
            if missing:
                raise _error(path, 1, missing[0],
                             f"missing column(s) {', '.join(missing)}; the header is "
                             f"{','.join(names)!r}")
            repeated = [name for name, count in Counter(names).items() if count > 1]
            if repeated:
                raise _error(path, 1, repeated[0], "the column is named twice")
            columns: dict[str, list[str]] = {name: [] for name in names}
            cells_of = [columns[name] for name in names]
            lines: list[int] = []
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue  # a blank line
                if len(cells) != len(names):
                    raise _error(path, reader.line_num, None,
                                 f"expected {len(names)} fields, got {len(cells)}")
                lines.append(reader.line_num)
                for values, cell in zip(cells_of, cells, strict=True):
                    values.append(cell.strip())
    except FileNotFoundError:
        raise GraphModelError(f"{path}: no such file", suggestion=_HINT) from None
    except IsADirectoryError:
        raise GraphModelError(f"{path}: is a directory, not a CSV file",
                              suggestion=_HINT) from None
    except UnicodeDecodeError as exc:
        raise GraphModelError(f"{path}: not UTF-8 text (byte {exc.start}); is it a CSV file?",
                              suggestion="save the file as UTF-8 CSV") from None
    except csv.Error as exc:
        raise GraphModelError(f"{path}: malformed CSV: {exc}", suggestion=_HINT) from None
    if not lines:
        raise GraphModelError(f"{path}: the file has a header but no rows", suggestion=_HINT)
    return names, lines, columns


def _labels(path: Path, target: str, lines: list[int], values: list[str],
            positive: str | None) -> np.ndarray:
    label = np.full(len(values), -1, dtype=np.int8)
    known = [k for k, text in enumerate(values) if text.lower() not in MISSING]
    if not known:
        raise GraphModelError(f"{path}: {target}: every target is empty",
                              suggestion="give the target (0/1) of the nodes to learn from")
    if positive is not None:
        wanted = positive.strip()
        number = _number(wanted)
        for k in known:
            text = values[k]
            same = text == wanted or (number is not None and _number(text) == number)
            label[k] = 1 if same else 0
        if not (label == 1).any():
            raise GraphModelError(f"{path}: {target}: no node has the target {positive!r}",
                                  suggestion="--positive names the value of the positive "
                                             "class, as written in the file")
    else:
        distinct: dict[str, int] = {}
        text_of: list[str] = []
        for k in known:
            text = values[k].lower()
            number = _number(text)
            if number in (0.0, 1.0):
                text = "1" if number else "0"
            text_of.append(text)
            distinct.setdefault(text, k)
        ones = next((one for pair, one in _BOOLEAN if set(distinct) <= pair), None)
        if ones is None:
            shown = ", ".join(repr(values[k]) for k in list(distinct.values())[:4])
            more = " ..." if len(distinct) > 4 else ""
            third = list(distinct.values())[min(2, len(distinct) - 1)]
            raise _error(path, lines[third], target,
                         f"the target has the values {shown}{more}, not 0/1",
                         "name the value of the positive class with --positive VALUE")
        label[known] = np.fromiter((text == ones for text in text_of), dtype=np.int8,
                                   count=len(known))
    classes = set(label[known].tolist())
    if len(classes) < 2:
        only = "positive" if classes == {1} else "negative"
        raise GraphModelError(f"{path}: {target}: every labelled node is {only}: a model "
                              "needs both classes",
                              suggestion="check the target column (and --positive)")
    return label


def _splits(path: Path, column: str, lines: list[int], values: list[str],
            label: np.ndarray) -> np.ndarray:
    parts = np.empty(len(values), dtype=object)
    for k, text in enumerate(values):
        value = text.lower()
        if label[k] < 0:
            if value not in ("", *SPLITS):
                raise _error(path, lines[k], column,
                             f"{text!r} is not one of {', '.join(SPLITS)}")
            parts[k] = ""
            continue
        if value not in SPLITS:
            raise _error(path, lines[k], column,
                         "is empty" if not value else
                         f"{text!r} is not one of {', '.join(SPLITS)}",
                         f"every labelled node belongs to {', '.join(SPLITS)}")
        parts[k] = value
    return parts


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _attributes(path: Path, lines: list[int], columns: dict[str, list[str]],
                header: list[str]) -> tuple[pd.DataFrame, list[str]]:
    frame: dict[str, pd.Series] = {}
    dropped: list[str] = []
    rows = len(lines)
    for name in (h for h in header if h in columns):
        values = columns[name]
        missing = np.fromiter((v.lower() in MISSING for v in values), dtype=bool, count=rows)
        numbers = pd.to_numeric(pd.Series(values, dtype=object).where(~missing),
                                errors="coerce").to_numpy(dtype=np.float64)
        words = ~missing & (np.isnan(numbers) | np.isinf(numbers))
        present = int((~missing).sum())
        if present and not words.any():
            column = pd.Series(numbers, name=name)
            known = numbers[~missing]
            distinct = len(np.unique(known))
            integral = bool(np.all(known == np.round(known)))
            if distinct <= 1 or (integral and distinct == rows and distinct > 100
                                 and known.max() - known.min() + 1 == rows):
                dropped.append(name)
                continue
            frame[name] = column
            continue
        if present and words.sum() <= (1 - NUMERIC_SHARE) * present:
            k = int(np.flatnonzero(words)[0])
            raise _error(path, lines[k], name,
                         f"{values[k]!r} is not a number (the column's other values are "
                         "numbers)", "correct the value, or leave the cell empty if it is "
                                     "unknown")
        texts = pd.Series(values, dtype=object).where(~missing)
        distinct = int(texts.nunique(dropna=True))
        if distinct <= 1 or (distinct > 100 and distinct > 0.5 * present):
            dropped.append(name)
            continue
        frame[name] = texts.astype("category")
    return pd.DataFrame(frame, index=pd.RangeIndex(rows)), dropped


def _error(path: Path, line: int, column: str | None, problem: str,
           suggestion: str | None = None) -> GraphModelError:
    where = f"{path}:{line}" + (f" {column}" if column else "")
    return GraphModelError(f"{where}: {problem}", suggestion=suggestion or _HINT)
