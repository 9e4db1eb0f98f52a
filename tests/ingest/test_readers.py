"""Streaming readers: line numbers, quoting, encodings and malformed lines."""

from __future__ import annotations

from pathlib import Path

from ingest.readers import LineFile, read_csv, read_jsonl, source_text


def _csv(tmp_path: Path, data: bytes) -> tuple[list[str] | None, list[tuple[object, ...]]]:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    with LineFile(path) as source:
        header, rows = read_csv(source)
        return header.names, [(line, source_text(text), cells, problem)
                              for line, text, cells, problem in rows]


def test_csv_rows_keep_their_physical_line_numbers(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbfid , name\r\n\r\nP1,"Zhang, Wei"\r\n  \nP2,"Li ""Na"""\n'
    names, rows = _csv(tmp_path, data)
    assert names == ["id", "name"]
    assert rows == [
        (3, 'P1,"Zhang, Wei"', ["P1", "Zhang, Wei"], None),
        (5, 'P2,"Li ""Na"""', ["P2", 'Li "Na"'], None),
    ]


def test_malformed_csv_lines_are_reported_one_by_one(tmp_path: Path) -> None:
    _, rows = _csv(tmp_path, b'id,name\nP1,"Wei\nP2,"Na"x\nP3,ok\nP4,\xff\xfe\n')
    assert rows == [
        (2, 'P1,"Wei', None, "malformed CSV: unterminated quote (a quoted value cannot span "
                             "lines)"),
        (3, 'P2,"Na"x', None, "malformed CSV: text after a closing quote"),
        (4, "P3,ok", ["P3", "ok"], None),
        (5, "P4,\ufffd\ufffd", None, "not valid UTF-8 (byte 4 of the line)"),
    ]


def test_an_empty_csv_file_has_no_header_and_no_rows(tmp_path: Path) -> None:
    assert _csv(tmp_path, b"\n\n") == (None, [])


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"id": "P1"}\n\n{"id": \n[1, 2]\n"P3"\n{"id": "\xff"}\n{"id": "P4"}')
    with LineFile(path) as source:
        rows = [(line, source_text(text), payload, problem)
                for line, text, payload, problem in read_jsonl(source)]
    assert rows == [
        (1, '{"id": "P1"}', {"id": "P1"}, None),
        (3, '{"id": ', None, "malformed JSON: unexpected end of data at column 8"),
        (4, "[1, 2]", None, "a line must hold a JSON object, not an array"),
        (5, '"P3"', None, "a line must hold a JSON object, not a string"),
        (6, '{"id": "\ufffd"}', None, "not valid UTF-8 (byte 9 of the line)"),
        (7, '{"id": "P4"}', {"id": "P4"}, None),
    ]
