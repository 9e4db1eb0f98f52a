"""graph.validity: the as-of rule at its boundaries, its vectorised form, the summary."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from graph.errors import InvalidGraphElement
from graph.validity import ValiditySummary, summarise, valid_mask, valid_on

DAY = date(2024, 6, 30)
#: (props, holds on DAY)
CASES = [
    ({}, True),
    ({"pct": 0.5}, True),
    ({"valid_from": "2024-06-30"}, True),  # the first day counts
    ({"valid_from": "2024-07-01"}, False),  # not yet
    ({"valid_to": "2024-06-30"}, False),  # ended that day
    ({"valid_to": "2024-07-01"}, True),  # its last day
    ({"valid_from": "2024-06-29", "valid_to": "2024-07-01"}, True),
    ({"valid_from": "2024-06-30", "valid_to": "2024-06-30"}, False),  # never held
    ({"valid_from": "2020-01-01", "valid_to": "2021-01-01"}, False),
    ({"valid_from": "", "valid_to": ""}, True),  # empty text is no date
]


@pytest.mark.parametrize(("props", "holds"), CASES)
def test_valid_on_boundaries(props: dict[str, object], holds: bool) -> None:
    assert valid_on(props, DAY) is holds


def test_valid_mask_agrees_with_valid_on_row_by_row() -> None:
    starts = [p.get("valid_from") for p, _ in CASES]
    ends = [p.get("valid_to") for p, _ in CASES]

    mask = valid_mask(starts, ends, DAY)

    assert mask.dtype == bool
    assert mask.tolist() == [holds for _, holds in CASES]
    assert valid_mask(np.array(starts, dtype=object), np.array(ends, dtype=object),
                      DAY).tolist() == mask.tolist()


def test_valid_mask_refuses_columns_of_different_length() -> None:
    with pytest.raises(ValueError, match="valid_from has 2 values, valid_to 1"):
        valid_mask(["2024-01-01", None], [None], DAY)


@pytest.mark.parametrize("bad", ["last year", "2024-02-30", "2024", 20240101])
def test_a_stored_date_that_is_no_date_is_named(bad: object) -> None:
    message = f"a relationship's valid_from/valid_to holds {bad!r}, not a date YYYY-MM-DD"
    with pytest.raises(InvalidGraphElement) as caught:
        valid_mask([None, bad], ["2025-01-01", None], DAY)
    assert caught.value.message == message
    with pytest.raises(InvalidGraphElement, match="not a date YYYY-MM-DD"):
        valid_on({"valid_to": bad}, DAY)


def test_summarise_counts_undated_and_excluded() -> None:
    starts = ["2025-01-01", None, None, "2020-01-01"]
    ends = [None, None, "2024-01-01", None]

    keep, summary = summarise(starts, ends, DAY)
    every, as_stored = summarise(starts, ends, None)

    assert keep.tolist() == [False, True, False, True]
    assert summary == ValiditySummary(DAY, total=4, undated=1, excluded=2)
    assert summary.kept == 2
    assert summary.describe() == ("as of 2024-06-30: 2 of 4 relationships held; "
                                  "1 had no dates and were taken as they stand")
    assert every.tolist() == [True] * 4
    assert as_stored == ValiditySummary(None, total=4, undated=1, excluded=0)
    assert as_stored.describe() == ("as stored: 4 relationships, dates not applied; "
                                    "1 had no dates and were taken as they stand")


def test_summarise_of_nothing() -> None:
    keep, summary = summarise([], [], DAY)
    assert keep.tolist() == [] and summary == ValiditySummary(DAY, 0, 0, 0)
