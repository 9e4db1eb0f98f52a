"""A file to score with a trained model: the model's columns read as the model reads them,
and the columns that label the rows (the training file's id columns, else the file line),
so the scores join back to the lender's records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from risk.models.tabular.errors import MissingColumns
from risk.models.tabular.reading import TextInNumeric, read_table
from risk.models.tabular.training_data import typed_frame

__all__ = ["ScoringData", "load_scoring_data"]


@dataclass
class ScoringData:
    """The rows to score: ``frame`` (the model's features) and ``labels`` (id columns, or
    ``line``), row-aligned."""

    path: str
    frame: pd.DataFrame
    labels: pd.DataFrame
    text_in_numeric: list[TextInNumeric] = field(default_factory=list)


def load_scoring_data(path: str | Path, features: Sequence[str], *,
                      categorical: Sequence[str] = (),
                      id_columns: Sequence[str] = ()) -> ScoringData:
    """Read ``path`` for a model reading ``features`` (``categorical`` ones as levels, the
    others as numbers; text in those is reported and counts as missing).

    Raises :class:`MissingColumns` naming the model's columns the file lacks, and
    :class:`~risk.models.tabular.errors.TabularFileError` for a file that is not a CSV.
    """
    table = read_table(path)
    columns = list(table.cells.columns)
    missing = [c for c in features if c not in columns]
    if missing:
        raise MissingColumns(
            f"{table.path} lacks the model's column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)} (it has {', '.join(repr(c) for c in columns)})")
    numeric = [c for c in features if c not in categorical]
    frame, _, _, reports, _ = typed_frame(table, list(features), numeric_hint=numeric,
                                          categorical_hint=list(categorical))
    present = [c for c in id_columns if c in columns]
    labels = table.cells[present].copy() if present else pd.DataFrame({"line": table.lines})
    return ScoringData(path=table.path, frame=frame, labels=labels.reset_index(drop=True),
                       text_in_numeric=reports)
