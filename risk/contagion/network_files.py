"""An exposure network from two CSV files a risk team brings.

``NODES.csv``: ``id,capital,value`` — capital is the loss-absorbing buffer (above 0),
value the economic weight (0 or more; not all 0). ``EXPOSURES.csv``:
``creditor,debtor,amount`` — the creditor loses up to ``amount`` (0 or more) when the
debtor defaults; rows of one pair are summed. Other columns are ignored; the column order
is free. Files are UTF-8 (a byte-order mark is allowed).

Every problem stops the load with a :class:`~risk.errors.ContagionInputError` naming the
file, the line and the field (``EXPOSURES.csv:7 debtor: no node has the id 'B9'``).
Nothing is written anywhere.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from risk.contagion.network import ExposureNetwork, build_network
from risk.errors import ContagionInputError

__all__ = ["EXPOSURE_COLUMNS", "FORMAT_HINT", "NODE_COLUMNS", "read_network"]

NODE_COLUMNS: Final[tuple[str, ...]] = ("id", "capital", "value")
EXPOSURE_COLUMNS: Final[tuple[str, ...]] = ("creditor", "debtor", "amount")
#: The hint of an error that brings none of its own.
FORMAT_HINT: Final[str] = ("nodes: id,capital,value (capital > 0, value >= 0); exposures: "
                           "creditor,debtor,amount (amount >= 0, both ids in the nodes "
                           "file); see the README, \"Stress tests\"")


def read_network(nodes_path: Path, exposures_path: Path) -> ExposureNetwork:
    """Read and check both files; raise on the first problem, naming file, line and field."""
    ids: list[str] = []
    capital: list[float] = []
    value: list[float] = []
    first_line: dict[str, int] = {}
    position: dict[str, int] = {}
    for line, row in _rows(nodes_path, NODE_COLUMNS):
        node_id = _text(nodes_path, line, row, "id")
        if node_id in first_line:
            raise _error(nodes_path, line, "id",
                         f"{node_id!r} is given twice (first on line {first_line[node_id]})")
        first_line[node_id] = line
        position[node_id] = len(ids)
        cap = _number(nodes_path, line, row, "capital")
        if cap <= 0:
            raise _error(nodes_path, line, "capital",
                         f"must be above 0, got {row['capital'].strip()!r}",
                         "capital is the loss-absorbing buffer; a node without one cannot "
                         "take a loss")
        val = _number(nodes_path, line, row, "value")
        if val < 0:
            raise _error(nodes_path, line, "value",
                         f"must be 0 or more, got {row['value'].strip()!r}")
        ids.append(node_id)
        capital.append(cap)
        value.append(val)
    if not any(v > 0 for v in value):
        raise ContagionInputError(f"{nodes_path}: value: every value is 0",
                                  suggestion="stress is weighed by value: give at least one "
                                             "node a value above 0")
    creditors: list[int] = []
    debtors: list[int] = []
    amounts: list[float] = []
    for line, row in _rows(exposures_path, EXPOSURE_COLUMNS):
        creditor = _known(exposures_path, line, row, "creditor", position, nodes_path)
        debtor = _known(exposures_path, line, row, "debtor", position, nodes_path)
        if creditor == debtor:
            raise _error(exposures_path, line, "debtor",
                         f"{ids[debtor]!r} is the creditor itself; a node cannot be exposed "
                         "to itself")
        amount = _number(exposures_path, line, row, "amount")
        if amount < 0:
            raise _error(exposures_path, line, "amount",
                         f"must be 0 or more, got {row['amount'].strip()!r}")
        creditors.append(creditor)
        debtors.append(debtor)
        amounts.append(amount)
    return build_network(ids, capital, value, creditors, debtors, amounts)


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header and the row shapes checked."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                raise ContagionInputError(
                    f"{path}: the file is empty",
                    suggestion=f"the first line must be the header {','.join(columns)}")
            names = [cell.strip() for cell in header]
            missing = [c for c in columns if c not in names]
            if missing:
                raise _error(path, 1, missing[0],
                             f"missing column(s) {', '.join(missing)}; the header is "
                             f"{','.join(names)!r}",
                             f"the header must name {','.join(columns)}")
            column_at = {c: names.index(c) for c in columns}
            count = 0
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue  # a blank line
                line = reader.line_num
                if len(cells) != len(names):
                    raise _error(path, line, None,
                                 f"expected {len(names)} fields, got {len(cells)}")
                count += 1
                yield line, {c: cells[i] for c, i in column_at.items()}
            if count == 0:
                raise ContagionInputError(
                    f"{path}: the file has a header but no rows",
                    suggestion="add one row per node (nodes) or per exposure (exposures)")
    except FileNotFoundError:
        raise ContagionInputError(f"{path}: no such file", suggestion=FORMAT_HINT) from None
    except IsADirectoryError:
        raise ContagionInputError(f"{path}: is a directory, not a CSV file",
                                  suggestion=FORMAT_HINT) from None
    except UnicodeDecodeError as exc:
        raise ContagionInputError(f"{path}: not UTF-8 text (byte {exc.start})",
                                  suggestion="save the file as UTF-8 CSV") from None
    except csv.Error as exc:
        raise ContagionInputError(f"{path}: malformed CSV: {exc}",
                                  suggestion=FORMAT_HINT) from None


def _text(path: Path, line: int, row: dict[str, str], field: str) -> str:
    text = row[field].strip()
    if not text:
        raise _error(path, line, field, "is empty")
    return text


def _number(path: Path, line: int, row: dict[str, str], field: str) -> float:
    text = _text(path, line, row, field)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise _error(path, line, field, f"{text!r} is not a number")
    return number


def _known(path: Path, line: int, row: dict[str, str], field: str,
           positions: dict[str, int], nodes_path: Path) -> int:
    node_id = _text(path, line, row, field)
    position = positions.get(node_id)
    if position is None:
        raise _error(path, line, field, f"no node has the id {node_id!r} in {nodes_path}",
                     "every creditor and debtor must be a node of the nodes file")
    return position


def _error(path: Path, line: int, field: str | None, problem: str,
           suggestion: str | None = None) -> ContagionInputError:
    where = f"{path}:{line}" + (f" {field}" if field else "")
    return ContagionInputError(f"{where}: {problem}", suggestion=suggestion or FORMAT_HINT)
