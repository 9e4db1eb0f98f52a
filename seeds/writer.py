"""Streaming writers of the import files: one CSV or JSON Lines file per entity type.

The field names, their order and the file names are the import specs' (``ingest.catalog``,
documented in ``docs/import-format.md``), so the format is declared once. Callers
hand over column-oriented chunks (numpy arrays or lists); each chunk is formatted and
written at once, so memory stays flat however many rows a file gets.

Column kinds and what the caller passes:

* ``str``: a list or numpy array of strings.
* ``int``: integers.
* ``money``: ``int64`` amounts in cents, written with two decimals (``1234.50``); the
  generator's portfolios are in CNY.
* ``ratio``: ``int64`` ten-thousandths, written with four decimals (``0.3500``), so that
  shares that must sum to at most 1 do so exactly.
* ``date``: ``int64`` day numbers since 1970-01-01, written ``YYYY-MM-DD``.
* ``month``: ``int64`` month numbers since 1970-01, written ``YYYY-MM``.
* ``list``: a list of lists of strings; CSV joins items with ``;``, JSON writes an array.

A value marked missing is an empty CSV cell, and an absent key in JSON Lines.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import numpy as np
import orjson

from ingest import converters
from ingest.catalog import ENTITY_SPECS
from ingest.converters import Converter

__all__ = ["ENTITY_ORDER", "SCHEMA", "FileFormat", "PortfolioWriter", "columns_of"]

FileFormat = Literal["csv", "jsonl"]

#: The column kind of each converter the import specs use; any other converter is "str".
_KIND_OF_CONVERTER: Final[dict[Converter, str]] = {
    converters.amount: "money",
    converters.date_text: "date",
    converters.month: "month",
    converters.id_list: "list",
    converters.rate_text: "ratio",
    converters.probability: "ratio",
}
#: Converters made by a factory, known by the factory's name (``integer(1)`` -> "int").
_KIND_OF_FACTORY: Final = {"integer": "int", "fraction": "ratio"}


def _kind(convert: Converter) -> str:
    """How the generator hands over values of a field with this converter."""
    kind = _KIND_OF_CONVERTER.get(convert)
    if kind is not None:
        return kind
    factory = getattr(convert, "__qualname__", "").partition(".<locals>")[0]
    return _KIND_OF_FACTORY.get(factory, "str")


#: Entity type -> ((field, kind), ...), in import order: the import specs' own columns
#: (``ingest.catalog``), so the generator writes exactly the documented format.
SCHEMA: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    name: tuple((field.name, _kind(field.convert)) for field in spec.fields)
    for name, spec in ENTITY_SPECS.items()
}
ENTITY_ORDER: Final = tuple(SCHEMA)

_CENTS: Final = [f"{i:02d}" for i in range(100)]
_TEN_THOUSANDTHS: Final = [f"{i:04d}" for i in range(10_000)]
_FIRST_DAY: Final = -25_567  # 1900-01-01
_LAST_DAY: Final = 84_000  # 2199-12-26


@cache
def _day_table() -> np.ndarray:
    """Every ``YYYY-MM-DD`` string from 1900 to 2199, indexed by day number - ``_FIRST_DAY``."""
    span = np.arange(_FIRST_DAY, _LAST_DAY + 1).astype("datetime64[D]")
    return np.asarray(span.astype(str).tolist(), dtype=object)


def _text(kind: str, values: Any) -> list[str]:
    """Format one column as CSV cell strings. O(n)."""
    if kind == "str":
        return values.tolist() if isinstance(values, np.ndarray) else list(values)
    if kind == "int":
        return list(map(str, np.asarray(values, dtype=np.int64).tolist()))
    if kind == "money":
        whole, frac = np.divmod(np.asarray(values, dtype=np.int64), 100)
        cents = _CENTS
        return [f"{w}.{cents[f]}" for w, f in zip(whole.tolist(), frac.tolist(), strict=True)]
    if kind == "ratio":
        whole, frac = np.divmod(np.asarray(values, dtype=np.int64), 10_000)
        tt = _TEN_THOUSANDTHS
        return [f"{w}.{tt[f]}" for w, f in zip(whole.tolist(), frac.tolist(), strict=True)]
    if kind == "date":
        return _day_table()[np.asarray(values, dtype=np.int64) - _FIRST_DAY].tolist()
    if kind == "month":
        return np.asarray(values, dtype=np.int64).astype("datetime64[M]").astype(str).tolist()
    if kind == "list":
        return [";".join(items) for items in values]
    raise ValueError(f"unknown column kind {kind!r}")


def _json_values(kind: str, values: Any) -> list[Any]:
    """Format one column as JSON-ready Python values. O(n)."""
    if kind in {"str", "date", "month"}:
        return _text(kind, values)
    if kind == "int":
        return np.asarray(values, dtype=np.int64).tolist()
    if kind == "money":
        return (np.asarray(values, dtype=np.int64) / 100).tolist()
    if kind == "ratio":
        return (np.asarray(values, dtype=np.int64) / 10_000).tolist()
    if kind == "list":
        return [list(items) for items in values]
    raise ValueError(f"unknown column kind {kind!r}")


class PortfolioWriter:
    """Writes the fifteen import files of a portfolio into ``out_dir``, chunk by chunk.

    Every file is created (a CSV with only its header when it gets no rows) when the
    writer opens, named ``<entity>.csv`` or ``<entity>.jsonl``.

    Parameters:
        out_dir: the target directory; created when missing.
        file_format: ``"csv"`` or ``"jsonl"``.

    Complexity: each :meth:`write` is O(rows × fields); memory is one chunk.
    """

    def __init__(self, out_dir: Path, file_format: FileFormat = "csv") -> None:
        if file_format not in ("csv", "jsonl"):
            raise ValueError(f"file_format must be 'csv' or 'jsonl', got {file_format!r}")
        self.out_dir = Path(out_dir)
        self.file_format: FileFormat = file_format
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = dict.fromkeys(SCHEMA, 0)
        self._handles: dict[str, Any] = {}
        self._csv: dict[str, Any] = {}
        for entity, fields in SCHEMA.items():
            path = self.path(entity)
            if file_format == "csv":
                handle = path.open("w", encoding="utf-8", newline="")
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow([name for name, _ in fields])
                self._csv[entity] = writer
            else:
                handle = path.open("wb")
            self._handles[entity] = handle

    def path(self, entity: str) -> Path:
        """The file of ``entity``."""
        return self.out_dir / f"{entity}.{self.file_format}"

    def write(self, entity: str, columns: Mapping[str, Any],
              missing: Mapping[str, np.ndarray] | None = None) -> int:
        """Append rows of ``entity``; ``columns`` holds every field of its schema.

        Parameters:
            entity: the entity type (a key of :data:`SCHEMA`).
            columns: field name -> values, all of one length.
            missing: optional field name -> boolean mask of rows where the value is missing.

        Returns:
            the number of rows written.

        Raises:
            ValueError: a field is missing or unknown, or the columns differ in length.
        """
        fields = SCHEMA[entity]
        names = [name for name, _ in fields]
        if set(columns) != set(names):
            raise ValueError(f"{entity}: columns {sorted(columns)} differ from {names}")
        lengths = {len(columns[name]) for name in names}
        if len(lengths) != 1:
            raise ValueError(f"{entity}: columns differ in length: {lengths}")
        count = lengths.pop()
        if count == 0:
            return 0
        missing = missing or {}
        if self.file_format == "csv":
            cells = [_text(kind, columns[name]) for name, kind in fields]
            for name, mask in missing.items():
                column = cells[names.index(name)]
                for i in np.flatnonzero(mask).tolist():
                    column[i] = ""
            self._csv[entity].writerows(zip(*cells, strict=True))
        else:
            values = [_json_values(kind, columns[name]) for name, kind in fields]
            rows = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
            for name, mask in missing.items():
                for i in np.flatnonzero(mask).tolist():
                    del rows[i][name]
            dumps = orjson.dumps
            self._handles[entity].write(b"".join([dumps(row) + b"\n" for row in rows]))
        self.rows[entity] += count
        return count

    def close(self) -> dict[str, int]:
        """Close every file; returns rows written per entity type."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
        return dict(self.rows)

    def __enter__(self) -> PortfolioWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def columns_of(entity: str) -> Sequence[str]:
    """Field names of ``entity`` in file order."""
    return [name for name, _ in SCHEMA[entity]]
