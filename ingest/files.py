"""Which files an import reads, what each holds, and in which order.

A file's entity type is the first part of its name (``persons.csv``,
``persons.part-0003.jsonl``) unless ``--type`` says otherwise; its format is its extension.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from ingest.catalog import ENTITY_SPECS, ENTITY_TYPES
from ingest.errors import IngestError, UnknownFileType
from ingest.specs import EntitySpec

__all__ = ["FileFormat", "ImportFile", "plan_files"]


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


_EXTENSIONS: Final = {".csv": FileFormat.CSV, ".jsonl": FileFormat.JSONL,
                      ".ndjson": FileFormat.JSONL}
_NAME: Final = re.compile(r"^(?P<type>[a-z0-9_]+)(?:\.part-\d+)?$")


@dataclass(frozen=True, slots=True)
class ImportFile:
    """One file to import: where it is, what it holds, how it is written."""

    path: Path
    spec: EntitySpec
    format: FileFormat

    @property
    def entity(self) -> str:
        return self.spec.name


def _known_types() -> str:
    return ", ".join(ENTITY_TYPES)


def _classify(path: Path, entity_type: str | None) -> ImportFile:
    suffix = path.suffix.lower()
    file_format = _EXTENSIONS.get(suffix)
    if file_format is None:
        raise UnknownFileType(
            f"{path}: unknown file type {suffix or '(no extension)'!r}; "
            "files must end in .csv or .jsonl",
            suggestion=f"name files <type>.csv or <type>.jsonl, with <type> one of: "
                       f"{_known_types()}",
        )
    if entity_type is not None:
        return ImportFile(path, ENTITY_SPECS[entity_type], file_format)
    match = _NAME.match(path.name[: -len(suffix)])
    spec = ENTITY_SPECS.get(match.group("type")) if match else None
    if spec is None:
        raise UnknownFileType(
            f"{path}: the name does not say which entity type it holds; "
            f"known types: {_known_types()}",
            suggestion="name it <type>.csv, <type>.jsonl or <type>.part-0001.csv, "
                       "or pass --type",
        )
    return ImportFile(path, spec, file_format)


def plan_files(paths: Iterable[str | Path], entity_type: str | None = None) -> list[ImportFile]:
    """The files to import, in import order.

    Directories are read whole (their regular files not starting with ``.``, not
    recursing). Files are ordered by their entity type's documented order, then by path,
    so that references always point at something imported earlier, whatever order the
    paths were given in. A file named twice is read once.

    Args:
        paths: files and directories.
        entity_type: the type of every file given (``--type``); not allowed with a
            directory, whose files must say their type.

    Raises:
        UnknownFileType: a file's extension or name says nothing Loanwatch knows; the
            message names the file and the known types. Nothing has been read yet.
        IngestError: a path does not exist, a directory holds no files, ``entity_type`` is
            unknown, or it is given with a directory.
    """
    if entity_type is not None and entity_type not in ENTITY_SPECS:
        raise IngestError(f"unknown entity type {entity_type!r}; known types: {_known_types()}")
    planned: dict[Path, ImportFile] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            if entity_type is not None:
                raise IngestError(
                    f"{path} is a directory; --type applies to files only",
                    suggestion="name the files, or drop --type and let the file names tell",
                )
            children = sorted(p for p in path.iterdir()
                              if p.is_file() and not p.name.startswith("."))
            if not children:
                raise IngestError(f"{path}: the directory holds no files to import")
            for child in children:
                planned.setdefault(child.resolve(), _classify(child, None))
        elif path.is_file():
            planned.setdefault(path.resolve(), _classify(path, entity_type))
        else:
            raise IngestError(f"{path}: no such file or directory")
    return sorted(planned.values(), key=lambda f: (f.spec.order, str(f.path)))
