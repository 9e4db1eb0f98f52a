"""Reading any CSV file into text cells with their file line numbers, and typing columns.

The file is read by pandas with every cell as text, so nothing is guessed before it is
checked: the separator is the one of ``, ; tab |`` the header line uses most, a file that
is empty, binary (NUL bytes) or does not split into a table is refused with its name and
line, and each data row keeps the line of the file it came from (blank lines skipped), so
every later problem can point at a line.

A column is numeric when at least :data:`NUMERIC_SHARE` of its filled cells are numbers;
the remaining cells (``"n/a"``, ``"unknown"``) are reported with their lines and examples
(:class:`TextInNumeric`) and then count as missing. Any other column is categorical.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from risk.models.tabular.errors import TabularFileError

__all__ = ["NUMERIC_SHARE", "SEPARATORS", "RawTable", "TextInNumeric", "numeric_column",
           "read_table"]

#: Share of a column's filled cells that must be numbers for it to be numeric.
NUMERIC_SHARE: Final = 0.9
#: The separators recognised, most usual first.
SEPARATORS: Final = (",", ";", "\t", "|")
#: How many lines and examples a report of text in a numeric column quotes.
QUOTED: Final = 5
_BINARY_PROBE: Final = 65_536


@dataclass(frozen=True)
class TextInNumeric:
    """Text found in a numeric column: how many cells, the first lines, a few examples."""

    column: str
    count: int
    lines: list[int]
    examples: list[str]

    def __str__(self) -> str:
        where = ", ".join(str(n) for n in self.lines)
        more = ", ..." if self.count > len(self.lines) else ""
        shown = ", ".join(repr(e) for e in self.examples)
        return (f"column {self.column!r} is numeric but {self.count} cell(s) hold text "
                f"(line {where}{more}: {shown}); they count as missing")


@dataclass(frozen=True)
class RawTable:
    """A CSV file as text cells (``None`` when empty): ``cells`` has one column per header
    name and one row per data row; ``lines[i]`` is the file line of row ``i``."""

    path: str
    cells: pd.DataFrame
    lines: np.ndarray


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte is a character: never fails


def _separator(path: str, text: str) -> str:
    header = text.lstrip("\r\n").split("\n", 1)[0]
    if header.lstrip()[:1] in ("{", "[", "<"):
        raise TabularFileError(f"{path} does not look like a CSV file: it starts like JSON or "
                               f"XML ({header.strip()[:40]!r}); export the table as CSV")
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    if counts[best] == 0:
        raise TabularFileError(
            f"{path} does not look like a CSV file: its first line has no separator "
            f"(comma, semicolon, tab or |): {header[:60]!r}")
    return best


def read_table(path: str | Path) -> RawTable:
    """Read ``path`` as a CSV file of text cells.

    Raises :class:`TabularFileError` when the file is missing, empty, binary, has a header
    but no rows, or does not split into columns (naming the file line).
    """
    name = str(path)
    file = Path(path)
    if not file.is_file():
        raise TabularFileError(f"{name}: no such file")
    data = file.read_bytes()
    if not data.strip():
        raise TabularFileError(f"{name} is empty")
    if b"\x00" in data[:_BINARY_PROBE]:
        raise TabularFileError(f"{name} is not a CSV file: it holds binary data "
                               "(NUL bytes); export the table as CSV")
    text = _decode(data)
    separator = _separator(name, text)
    try:
        cells = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, skip_blank_lines=False,
                            skipinitialspace=True, engine="c")
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        where = f" at line {found.group(1)}" if found else ""
        detail = str(exc).split("C error: ")[-1].strip()
        raise TabularFileError(f"{name} is not a readable CSV file{where}: {detail}") from None
    except (pd.errors.EmptyDataError, UnicodeError, ValueError) as exc:
        raise TabularFileError(f"{name} is not a readable CSV file: {exc}") from None
    cells.columns = [str(c).strip() for c in cells.columns]
    cells = cells.apply(lambda column: column.str.strip()).replace("", None)
    filled = cells.notna().any(axis=1).to_numpy()
    lines = np.arange(len(cells)) + 2  # line 1 is the header
    cells, lines = cells.loc[filled].reset_index(drop=True), lines[filled]
    if cells.empty:
        raise TabularFileError(f"{name} has a header line but no data rows")
    return RawTable(path=name, cells=cells.astype(object).where(cells.notna(), None),
                    lines=lines)


def numeric_column(cells: pd.Series, lines: np.ndarray, name: str, *, force: bool = False,
                   ) -> tuple[np.ndarray, TextInNumeric | None] | None:
    """The column as floats (NaN for missing) and a report of the text found in it, or
    ``None`` when it is not mostly numbers (``force``: numeric whatever its share)."""
    present = cells.notna().to_numpy()
    numbers = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
    parsed = ~np.isnan(numbers)
    filled = int(present.sum())
    if parsed.sum() < NUMERIC_SHARE * filled:
        # Decimal commas ("3,5"), as files written with a semicolon separator often have
        # (a comma-separated file would have quoted them): numbers too, when all are so.
        comma = cells.astype(object).where(cells.notna(), "").astype(str)
        if comma[present].str.fullmatch(r"[+-]?\d*,\d+").sum() + parsed.sum() >= filled:
            numbers = pd.to_numeric(comma.str.replace(",", ".", regex=False),
                                    errors="coerce").to_numpy(dtype=float)
            parsed = ~np.isnan(numbers)
    if not force and (filled == 0 or parsed.sum() < NUMERIC_SHARE * filled):
        return None
    text = present & ~parsed
    report = None
    if text.any():
        rows = np.flatnonzero(text)
        examples = list(dict.fromkeys(str(cells.iloc[i]) for i in rows[:200]))[:3]
        report = TextInNumeric(column=name, count=len(rows),
                               lines=[int(n) for n in lines[rows[:QUOTED]]],
                               examples=examples)
    return numbers, report
