"""Which files an import reads, what each holds, and in which order.

A file's entity type is the first part of its name (``persons.csv``,
``persons.part-0003.jsonl``) unless ``--type`` says otherwise; its format is its extension.
Its first bytes must be UTF-8 text: a binary file named ``loans.csv`` is refused up front
instead of turning into hundreds of thousands of rejected rows.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from ingest.catalog import ENTITY_SPECS, ENTITY_TYPES
from ingest.errors import IngestError, NotText, UnknownFileType
from ingest.specs import EntitySpec

__all__ = ["SNIFF_BYTES", "FileFormat", "ImportFile", "check_text", "plan_files"]

#: Bytes at the start of a file that must be UTF-8 text for it to be read at all.
SNIFF_BYTES: Final = 64 * 1024


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


def check_text(path: Path, sniff_bytes: int = SNIFF_BYTES) -> None:
    """Refuse ``path`` unless its first ``sniff_bytes`` bytes are UTF-8 text without NUL.

    A UTF-8 character cut by the end of the sample is allowed; a bad line further on is a
    rejected row, as usual.

    Raises:
        NotText: the file holds a NUL byte or invalid UTF-8 in its first bytes; the message
            names the file and the offset.
    """
    with path.open("rb") as file:
        head = file.read(sniff_bytes)
    nul = head.find(b"\x00")
    hint = ("export it as UTF-8 CSV or JSON Lines (a UTF-16 export holds NUL bytes; "
            "a spreadsheet or archive is not text)")
    if nul >= 0:
        raise NotText(f"{path}: not a text file (a NUL byte at offset {nul}); "
                      "nothing was imported", suggestion=hint)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise NotText(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); "
                      "nothing was imported", suggestion=hint) from None


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
        check_text(path)
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
    check_text(path)
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
        NotText: a file is not UTF-8 text (see :func:`check_text`).
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
