"""A training file turned into what the models fit on: a typed feature frame and 0/1
outcomes, with everything found on the way reported (:class:`TrainingData`).

The checks run in the order a user fixes things: the file itself (see
:func:`~risk.models.tabular.reading.read_table`), the target column, the columns named by
``--drop``, the target's values, then the features (id-like columns set aside, constant
columns refused, at least one feature left). Each failure is one error naming the file,
the column and the values seen, with the option that fixes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from risk.models.tabular.errors import NotTrainable
from risk.models.tabular.id_columns import is_id_like
from risk.models.tabular.reading import RawTable, TextInNumeric, numeric_column, read_table

__all__ = ["POSITIVE_WORDS", "TrainingData", "load_training_data", "typed_frame"]

#: Target values read as "defaulted" when a two-valued target is text.
POSITIVE_WORDS: Final = frozenset({
    "yes", "y", "true", "t", "bad", "default", "defaulted", "charged off", "positive"})
#: How many distinct target values an error lists.
LISTED: Final = 10


@dataclass
class TrainingData:
    """What a training file holds, ready for the models."""

    path: str
    target: str
    #: The target value counted as default (as written in the file) and why it was chosen.
    positive: str
    positive_reason: str
    frame: pd.DataFrame
    y: np.ndarray
    #: The file line of each row of ``frame``.
    lines: np.ndarray
    numeric: list[str]
    categorical: list[str]
    id_columns: list[str]
    dropped: list[str]
    rows_without_target: int = 0
    text_in_numeric: list[TextInNumeric] = field(default_factory=list)

    @property
    def positives(self) -> int:
        return int(self.y.sum())

    def notes(self) -> list[str]:
        """What a user should know about how the file was read, one line each."""
        notes = [f"{len(self.y)} rows, {len(self.frame.columns)} features "
                 f"({len(self.numeric)} numeric, {len(self.categorical)} categorical); "
                 f"{self.positives} with {self.target} = {self.positive} "
                 f"({self.positive_reason})"]
        if self.id_columns:
            notes.append(f"id-like column(s) set aside: {', '.join(self.id_columns)}")
        if self.dropped:
            notes.append(f"dropped as asked: {', '.join(self.dropped)}")
        if self.rows_without_target:
            notes.append(f"{self.rows_without_target} row(s) without a {self.target} value "
                         "left out")
        notes.extend(str(report) for report in self.text_in_numeric)
        return notes

    def description(self) -> dict[str, Any]:
        """JSON-ready: how the file was read (stored with the model as its training)."""
        return {"data": self.path, "target": self.target, "positive": self.positive,
                "rows": len(self.y), "positives": self.positives,
                "numeric": self.numeric, "categorical": self.categorical,
                "id_columns": self.id_columns, "dropped": self.dropped,
                "rows_without_target": self.rows_without_target,
                "text_in_numeric": {r.column: r.count for r in self.text_in_numeric}}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _canonical(values: pd.Series) -> pd.Series:
    """Target values as text; when all are numbers, written alike ("1.0" and "1" are 1)."""
    text = values.astype(str)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return numbers.map(lambda v: f"{v:g}")
    return text


def _listing(counts: pd.Series) -> str:
    shown = [f"{value!r} ({count} rows)" for value, count in counts.head(LISTED).items()]
    more = f" and {len(counts) - LISTED} more" if len(counts) > LISTED else ""
    return ", ".join(shown) + more


def _outcomes(path: str, target: str, values: pd.Series, positive: str | None,
              ) -> tuple[np.ndarray, str, str]:
    """0/1 outcomes of the target's (non-missing) values, the positive value and why."""
    counts = values.value_counts()
    if len(counts) == 1:
        raise NotTrainable(
            f"{path}: the target {target!r} has one value in every row ({counts.index[0]!r}); "
            "a model needs both defaulters and non-defaulters")
    if positive is not None:
        wanted = positive.strip()
        match = [v for v in counts.index if v == wanted]
        if not match and _number(wanted) is not None:
            match = [v for v in counts.index if _number(v) == _number(wanted)]
        if not match:
            raise NotTrainable(f"{path}: --positive {positive!r} is not a value of "
                               f"{target!r}; its values are {_listing(counts)}")
        chosen, reason = match[0], "--positive"
    elif len(counts) > 2:
        raise NotTrainable(
            f"{path}: the target {target!r} has {len(counts)} values, not two: "
            f"{_listing(counts)}", suggestion="say which value means default with "
                                              "--positive VALUE")
    else:
        first, second = sorted(counts.index, key=str)
        numbers = {_number(first), _number(second)}
        words = [v for v in (first, second) if v.lower() in POSITIVE_WORDS]
        if numbers == {0.0, 1.0}:
            chosen = first if _number(first) == 1.0 else second
            reason = "1 of 0/1"
        elif len(words) == 1:
            chosen, reason = words[0], "read as default"
        else:
            chosen = counts.index[-1]  # value_counts: most frequent first
            reason = "the rarer value; --positive chooses another"
    y = (values == chosen).to_numpy(dtype=np.int8)
    return y, str(chosen), reason


def typed_frame(table: RawTable, columns: Sequence[str], *,
                numeric_hint: Sequence[str] | None = None,
                categorical_hint: Sequence[str] | None = None,
                ) -> tuple[pd.DataFrame, list[str], list[str], list[TextInNumeric],
                           dict[str, np.ndarray | None]]:
    """``columns`` of ``table`` as a frame of float columns and ``category`` columns.

    Without hints each column is typed by its cells; with hints (a model's own types) the
    hinted columns are read as the model reads them. Returns the frame, the numeric and
    categorical names, the text-in-numeric reports and each column's numbers (or None).
    """
    data: dict[str, Any] = {}
    numeric, categorical, reports = [], [], []
    numbers_of: dict[str, np.ndarray | None] = {}
    for name in columns:
        cells = table.cells[name]
        force = numeric_hint is not None and name in numeric_hint
        as_text = categorical_hint is not None and name in categorical_hint
        parsed = None if as_text else numeric_column(cells, table.lines, name, force=force)
        if parsed is None:
            data[name] = pd.Categorical(cells.astype(object).where(cells.notna(), None))
            categorical.append(name)
            numbers_of[name] = None
        else:
            data[name], report = parsed
            numeric.append(name)
            numbers_of[name] = parsed[0]
            if report is not None:
                reports.append(report)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(table.cells)))
    return frame, numeric, categorical, reports, numbers_of


def load_training_data(path: str | Path, target: str, *, positive: str | None = None,
                       drop: Sequence[str] = ()) -> TrainingData:
    """Read and check a training file (see the module's docstring).

    Raises :class:`~risk.models.tabular.errors.TabularFileError` for a file that is not a
    readable CSV and :class:`~risk.models.tabular.errors.NotTrainable` for one no model can
    be trained on as asked.
    """
    table = read_table(path)
    name = table.path
    columns = list(table.cells.columns)
    if target not in columns:
        raise NotTrainable(f"{name} has no column {target!r}; its columns are "
                           f"{', '.join(repr(c) for c in columns)}",
                           suggestion="name the outcome column with --target")
    unknown = [c for c in drop if c not in columns]
    if unknown:
        raise NotTrainable(f"--drop names no column of {name}: {', '.join(unknown)}; its "
                           f"columns are {', '.join(repr(c) for c in columns)}")
    if target in drop:
        raise NotTrainable(f"--drop {target!r} drops the target itself")
    values = table.cells[target]
    has_target = values.notna().to_numpy()
    table = RawTable(path=name, cells=table.cells.loc[has_target].reset_index(drop=True),
                     lines=table.lines[has_target])
    if table.cells.empty:
        raise NotTrainable(f"{name}: the target {target!r} is empty in every row")
    y, chosen, reason = _outcomes(name, target, _canonical(table.cells[target]), positive)
    features = [c for c in columns if c != target and c not in drop]
    frame, numeric, categorical, reports, numbers_of = typed_frame(table, features)
    ids = [c for c in features if is_id_like(c, table.cells[c], numbers_of[c])]
    constant: dict[str, str] = {}
    for column in features:
        if column in ids:
            continue
        distinct = table.cells[column].dropna().unique()
        if len(distinct) == 0:
            constant[column] = f"{column!r} (empty in every row)"
        elif len(distinct) == 1 and table.cells[column].notna().all():
            constant[column] = f"{column!r} (always {distinct[0]!r})"
    if constant:
        raise NotTrainable(
            f"{name}: constant column{'s' if len(constant) > 1 else ''} "
            f"{', '.join(constant.values())}: "
            f"{'they tell' if len(constant) > 1 else 'it tells'} the rows apart in no way",
            suggestion="leave it out with " + " ".join(f"--drop {c}" for c in constant))
    kept = [c for c in features if c not in ids]
    if not kept:
        raise NotTrainable(
            f"{name}: no usable feature left once the target {target!r}"
            + (f", the id-like column(s) {', '.join(ids)}" if ids else "")
            + (f" and the dropped column(s) {', '.join(drop)}" if drop else "")
            + " are set aside")
    return TrainingData(
        path=name, target=target, positive=chosen, positive_reason=reason,
        frame=frame[kept], y=y, lines=table.lines, numeric=[c for c in numeric if c in kept],
        categorical=[c for c in categorical if c in kept], id_columns=ids, dropped=list(drop),
        rows_without_target=int((~has_target).sum()),
        text_in_numeric=[r for r in reports if r.column in kept])
