"""Reading a lender's CSV: types, text in numeric columns, id-like columns, the target, and
every bad input refused with an error that names the file, line, column or values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.models.tabular import (
    MissingColumns,
    NotTrainable,
    TabularFileError,
    load_scoring_data,
    load_training_data,
)
from risk.models.tabular.id_columns import looks_like_id_name

GOOD = (
    "LoanID,row,age,income,purpose,rate,default\n"
    "L1,1,30,3000,car,0.101,0\n"
    "L2,2,41,unknown,tv,0.122,1\n"
    "\n"
    "L3,3,35, 4500 , car ,0.093,0\n"
    "L4,4,52,,tv,0.151,1\n"
    "L5,5,29,n.a.,car,0.088,0\n"
    + "".join(f"L{i},{i},{20 + i},{1000 * i},car,0.1,{i % 2}\n" for i in range(6, 26))
)


def _file(tmp_path: Path, text: str | bytes, name: str = "loans.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_columns_are_typed_and_text_in_numbers_reported_with_lines(tmp_path: Path) -> None:
    data = load_training_data(_file(tmp_path, GOOD), "default")
    assert data.numeric == ["age", "income", "rate"]
    assert data.categorical == ["purpose"]
    assert isinstance(data.frame["purpose"].dtype, pd.CategoricalDtype)
    assert list(data.frame["purpose"])[:5] == ["car", "tv", "car", "tv", "car"]  # trimmed
    assert data.frame["income"].iloc[2] == 4500
    assert np.isnan(data.frame["income"].to_numpy()[[1, 3, 4]]).all()
    assert list(data.y[:5]) == [0, 1, 0, 1, 0]
    assert list(data.lines[:6]) == [2, 3, 5, 6, 7, 8]  # the blank line 4 is skipped
    assert data.id_columns == ["LoanID", "row"]
    [report] = data.text_in_numeric
    assert (report.column, report.count, report.lines, report.examples) == (
        "income", 2, [3, 7], ["unknown", "n.a."])
    assert "line 3, 7" in str(report)


def test_id_like_columns_are_set_aside_and_reported(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{1000 + i},X{i},{i * 1.37:.2f},{i % 2}" for i in range(40))
    data = load_training_data(_file(tmp_path, "no,account_no,code,amount,bad\n" + rows), "bad")
    assert data.id_columns == ["no", "account_no", "code"]  # counter, named id, unique text
    assert list(data.frame.columns) == ["amount"]  # unique but continuous: a feature
    assert any("id-like" in note for note in data.notes())
    assert looks_like_id_name("LoanID") and looks_like_id_name("SK_ID_CURR")
    assert not looks_like_id_name("idle_days") and not looks_like_id_name("number_of_loans")


@pytest.mark.parametrize(("target", "positive", "expected", "chosen"), [
    ("status", None, [1, 0, 0, 1, 0], "bad"),          # a word read as default
    ("grade", "C", [0, 0, 1, 0, 1], "C"),              # --positive picks one of several
    ("flag", None, [1, 0, 0, 1, 0], "2"),              # neither 0/1 nor a word: the rarer
    ("flag", "2.0", [1, 0, 0, 1, 0], "2"),             # numbers compare as numbers
])
def test_the_target_becomes_zero_one(tmp_path: Path, target: str, positive: str | None,
                                     expected: list[int], chosen: str) -> None:
    text = ("status,grade,flag,x\nbad,A,2,1\ngood,B,1,2\ngood,C,1,3\nbad,A,2,4\n"
            "good,C,1,5\n")
    data = load_training_data(_file(tmp_path, text), target, positive=positive,
                              drop=[c for c in ("status", "grade", "flag") if c != target])
    assert list(data.y) == expected and data.positive == chosen


@pytest.mark.parametrize(("content", "match"), [
    ("", "is empty"),
    ("  \n\n", "is empty"),
    (b"PK\x03\x04\x00\x00binary", "binary data"),
    ("a,b,default\n", "header line but no data rows"),
    ('{"rows": [1, 2, 3]}\n', "does not look like a CSV file"),
    ("a,b,default\n1,2,0\n3,4,1,5,6\n", "at line 3"),
])
def test_a_file_that_is_not_a_table_is_refused(tmp_path: Path, content: str | bytes,
                                               match: str) -> None:
    path = _file(tmp_path, content, "data.csv")
    with pytest.raises(TabularFileError, match=match) as caught:
        load_training_data(path, "default")
    assert str(path) in caught.value.message


@pytest.mark.parametrize(("content", "options", "match", "hint"), [
    ("a,b\n1,2\n", {}, r"no column 'default'; its columns are 'a', 'b'", "--target"),
    ("a,default\n1,0\n2,0\n", {}, r"one value in every row \('0'\)", None),
    ("a,default\n1,x\n2,y\n3,z\n", {}, r"3 values, not two: 'x' \(1 rows\)", "--positive"),
    ("a,default\n1,x\n2,y\n", {"positive": "q"}, r"--positive 'q' is not a value", None),
    ("a,k,e,default\n1,7,,0\n2,7,,1\n", {}, r"constant columns 'k' \(always '7'\), "
     r"'e' \(empty in every row\)", "--drop k --drop e"),
    ("a,default\n1,0\n2,1\n", {"drop": ["a"]}, "no usable feature left", None),
    ("a,default\n1,0\n2,1\n", {"drop": ["zz"]}, "--drop names no column", None),
])
def test_a_table_no_model_can_learn_from_is_refused(tmp_path: Path, content: str,
                                                    options: dict, match: str,
                                                    hint: str | None) -> None:
    with pytest.raises(NotTrainable, match=match) as caught:
        load_training_data(_file(tmp_path, content), "default", **options)
    if hint is not None:
        assert hint in (caught.value.suggestion or "")


def test_a_file_to_score_is_read_as_the_model_reads_it(tmp_path: Path) -> None:
    path = _file(tmp_path, "LoanID,income,purpose\nL7,3000,1\nL8,lots,2\n")
    rows = load_scoring_data(path, ["income", "purpose"], categorical=["purpose"],
                             id_columns=["LoanID"])
    assert list(rows.labels["LoanID"]) == ["L7", "L8"]
    assert list(rows.frame["purpose"]) == ["1", "2"]  # levels, not numbers
    assert rows.text_in_numeric[0].lines == [3]
    unlabelled = load_scoring_data(path, ["income"], id_columns=["customer"])
    assert list(unlabelled.labels["line"]) == [2, 3]
    with pytest.raises(MissingColumns, match=r"lacks the model's columns 'age', 'rate'"):
        load_scoring_data(path, ["age", "income", "rate"])


def test_semicolon_files_with_decimal_commas_and_numbers_written_two_ways(
        tmp_path: Path) -> None:
    text = "rate;region;default\n" + "".join(
        f"{i},5;{'NS'[i % 2]};{'1.0' if i % 3 == 0 else '0'}\n" for i in range(30))
    data = load_training_data(_file(tmp_path, text), "default")
    assert data.numeric == ["rate"] and data.frame["rate"].iloc[3] == 3.5
    assert data.positive == "1" and int(data.y.sum()) == 10
