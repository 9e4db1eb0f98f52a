"""Turning one read row (CSV cells or a JSON object) into checked values of an entity.

A row parser checks columns (unknown, missing, required), converts each present value with
its field's converter and raises :class:`RowRejected` naming the first field at fault.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ingest.converters import Converter
from ingest.errors import InvalidValue, RowRejected
from ingest.readers import CsvHeader
from ingest.specs import EntitySpec, Values

__all__ = ["MISSING", "CsvRowParser", "JsonRowParser"]

MISSING = "required value is missing"


def _known(spec: EntitySpec) -> str:
    return ", ".join(spec.column_names)


class CsvRowParser:
    """Parses the cells of one CSV line against the file's header."""

    def __init__(self, spec: EntitySpec, header: CsvHeader) -> None:
        self.spec = spec
        names = header.names or []
        #: Why every row of the file is rejected, when the header itself is at fault.
        self.problem: tuple[str | None, str] | None = None
        #: Parses the cells of one line into values; raises ``RowRejected``.
        self.parse: Callable[[list[str]], Values] = self._reject_all
        if header.problem is not None:
            self.problem = (None, f"{header.problem} (line {header.line})")
            return
        twice = [name for name, n in Counter(names).items() if n > 1]
        unknown = [name for name in names if name not in spec.by_name]
        missing = [name for name in spec.required if name not in names]
        if twice:
            self.problem = (twice[0], f"column {twice[0]!r} appears twice in the header")
        elif unknown:
            self.problem = (unknown[0], f"unknown column {unknown[0]!r}; "
                                        f"known columns: {_known(spec)}")
        elif missing:
            self.problem = (missing[0], f"required column {missing[0]!r} is missing "
                                        "from the header")
        if self.problem is None:
            self.parse = _compile_cells_parser(
                [(name, spec.by_name[name].convert, spec.by_name[name].required)
                 for name in names],
            )

    def _reject_all(self, cells: list[str]) -> Values:
        field, reason = self.problem or (None, "the header is unusable")
        raise RowRejected(field, reason)


def _compile_cells_parser(
    columns: list[tuple[str, Converter, bool]],
) -> Callable[[list[str]], Values]:
    """A function that parses the cells of one line, written out column by column.

    This is the importer's innermost loop: a generic loop over (name, converter, required)
    costs about 0.3 µs a column in tuple unpacking and branching, a third of the parse.
    Generating the straight-line code once per file removes that. Only column positions are
    written into the source; names and converters are passed in as values, so nothing read
    from a file ever becomes code.
    """
    width = len(columns)
    lines = [
        "def parse(cells):",
        f"    if len(cells) != {width}:",
        f"        raise RowRejected(None, f'has {{len(cells)}} values; the header has {width} "
        "columns')",
        "    values = {}",
    ]
    scope: dict[str, object] = {"RowRejected": RowRejected, "InvalidValue": InvalidValue,
                                "MISSING": MISSING}
    for i, (name, convert, required) in enumerate(columns):
        scope[f"name{i}"] = name
        scope[f"convert{i}"] = convert
        lines += [
            f"    cell = cells[{i}].strip()",
            "    if cell:",
            "        try:",
            f"            values[name{i}] = convert{i}(cell)",
            "        except InvalidValue as exc:",
            f"            raise RowRejected(name{i}, exc.message) from None",
        ]
        if required:
            lines += ["    else:", f"        raise RowRejected(name{i}, MISSING)"]
    lines.append("    return values")
    exec("\n".join(lines), scope)
    return scope["parse"]  # type: ignore[return-value]


class JsonRowParser:
    """Parses one JSON Lines object: its keys are the field names."""

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.fields = {name: spec.by_name[name].convert for name in spec.by_name}
        self.required = spec.required

    def parse(self, payload: dict[str, Any]) -> Values:
        values: Values = {}
        fields = self.fields
        for name, value in payload.items():
            convert = fields.get(name)
            if convert is None:
                raise RowRejected(name, f"unknown field {name!r}; known fields: "
                                        f"{_known(self.spec)}")
            if value is None:
                continue
            if type(value) is str:
                value = value.strip()
                if not value:
                    continue
            try:
                values[name] = convert(value)
            except InvalidValue as exc:
                raise RowRejected(name, exc.message) from None
        for name in self.required:
            if name not in values:
                raise RowRejected(name, MISSING)
        return values
