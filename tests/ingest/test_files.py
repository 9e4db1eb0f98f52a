"""Which files an import reads, in which order, and the errors for files it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import IngestError, UnknownFileType
from ingest.files import FileFormat, plan_files


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("")


def test_a_directory_is_read_in_the_documented_order(tmp_path: Path) -> None:
    _touch(tmp_path, "relations.csv", "loans.part-0002.csv", "persons.jsonl",
           "loans.part-0001.csv", "guarantees.csv", "companies.csv", ".hidden")
    plan = plan_files([tmp_path])
    assert [(f.path.name, f.entity, f.format) for f in plan] == [
        ("persons.jsonl", "persons", FileFormat.JSONL),
        ("companies.csv", "companies", FileFormat.CSV),
        ("loans.part-0001.csv", "loans", FileFormat.CSV),
        ("loans.part-0002.csv", "loans", FileFormat.CSV),
        ("guarantees.csv", "guarantees", FileFormat.CSV),
        ("relations.csv", "relations", FileFormat.CSV),
    ]


def test_files_given_in_any_order_are_sorted_and_read_once(tmp_path: Path) -> None:
    _touch(tmp_path, "loans.csv", "persons.csv")
    plan = plan_files([tmp_path / "loans.csv", tmp_path / "persons.csv", tmp_path / "loans.csv"])
    assert [f.path.name for f in plan] == ["persons.csv", "loans.csv"]


def test_type_names_the_entity_of_files_named_otherwise(tmp_path: Path) -> None:
    _touch(tmp_path, "export-2024.csv")
    (only,) = plan_files([tmp_path / "export-2024.csv"], entity_type="bureau")
    assert only.entity == "bureau"


def test_an_unknown_name_names_the_file_and_the_known_types(tmp_path: Path) -> None:
    _touch(tmp_path, "persons.csv", "borrowers.csv")
    with pytest.raises(UnknownFileType) as caught:
        plan_files([tmp_path])
    assert caught.value.message == (
        f"{tmp_path / 'borrowers.csv'}: the name does not say which entity type it holds; "
        "known types: persons, companies, loans, installments, repayments, accounts, "
        "transactions, guarantees, ownerships, directorships, identifiers, collateral, "
        "bureau, events, relations, modifications")


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    _touch(tmp_path, "persons.xlsx")
    with pytest.raises(UnknownFileType, match=r"persons.xlsx: unknown file type '.xlsx'; "
                                              r"files must end in .csv or .jsonl"):
        plan_files([tmp_path / "persons.xlsx"])


@pytest.mark.parametrize(("paths", "entity_type", "message"), [
    (["missing.csv"], None, "missing.csv: no such file or directory"),
    (["."], "loans", "is a directory; --type applies to files only"),
    (["persons.csv"], "borrowers", "unknown entity type 'borrowers'; known types: persons"),
])
def test_paths_that_cannot_be_imported(tmp_path: Path, paths: list[str],
                                       entity_type: str | None, message: str) -> None:
    _touch(tmp_path, "persons.csv")
    with pytest.raises(IngestError, match=message):
        plan_files([tmp_path / p for p in paths], entity_type)


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="the directory holds no files to import"):
        plan_files([tmp_path])
