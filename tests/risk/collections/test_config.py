"""The collections settings: defaults, the YAML file, and every mistake named by its file,
line and field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from risk.collections.config import (
    DEFAULT_COLLECTIONS,
    BalanceBand,
    Bucket,
    CollectionsConfig,
)
from risk.collections.config_file import load_collections_config, parse_collections_config
from risk.collections.errors import CollectionsConfigError


def test_default_buckets_cover_every_day_once() -> None:
    config = DEFAULT_COLLECTIONS
    assert config.bucket_names() == ["current", "1-30", "31-60", "61-90", "90+"]
    days = np.array([0, 1, 30, 31, 60, 61, 90, 91, 5_000])
    assert [config.bucket_names()[i] for i in config.bucket_index(days)] == [
        "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "90+", "90+"]
    assert config.band_of(Decimal("49999.99")) == "small"
    assert config.band_of(Decimal(50_000)) == "medium"
    assert config.band_of(Decimal(10**9)) == "large"


GOOD = """\
buckets:
  - {name: current, min_days: 0, max_days: 5}   # a grace period
  - {name: early, min_days: 6, max_days: 45}
  - {name: late, min_days: 46}
balance_bands:
  - {name: small, below: 1000.50}
  - {name: rest}
paying_window_days: 14
"""


def test_a_file_over_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "collections.yaml"
    path.write_text(GOOD)
    config = load_collections_config(path)
    assert config.buckets == (Bucket("current", 0, 5), Bucket("early", 6, 45),
                              Bucket("late", 46, None))
    assert config.balance_bands == (BalanceBand("small", Decimal("1000.50")),
                                    BalanceBand("rest", None))
    assert (config.paying_window_days, config.max_catch_up_days) == (14, 31)
    assert config.bucket_of(5) == "current" and config.bucket_of(6) == "early"
    assert parse_collections_config("") == DEFAULT_COLLECTIONS


@pytest.mark.parametrize(("text", "message"), [
    # An overlap: 30 is in both the second and the third bucket.
    ("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n"
     "  - {name: a, min_days: 1, max_days: 30}\n  - {name: b, min_days: 30}\n",
     "f.yaml:4: buckets[2].min_days: 30 overlaps buckets[1] ('a', 1-30); start at 31"),
    # A gap: days 31 to 39 in no bucket.
    ("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n"
     "  - {name: a, min_days: 1, max_days: 30}\n  - {name: b, min_days: 40}\n",
     "f.yaml:4: buckets[2].min_days: 40 leaves a gap after buckets[1] ('a', 1-30): days 31 "
     "to 39 are in no bucket"),
    # Bounds the wrong way round.
    ("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n"
     "  - {name: a, min_days: 10, max_days: 3}\n",
     "f.yaml:3: buckets[1].max_days: must be a whole number of days not below min_days (10)"),
    ("buckets:\n  - {name: current, min_days: 1, max_days: 1}\n  - {name: a, min_days: 2}\n",
     "f.yaml:2: buckets[0].min_days: the first (current) bucket must start at 0 days"),
    ("buckets:\n  - {name: current, min_days: 0}\n  - {name: a, min_days: 1}\n",
     "f.yaml:2: buckets[0].max_days: only the last bucket may be open-ended"),
    ("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n"
     "  - {name: a, min_days: 1, max_days: 9}\n",
     "f.yaml:3: buckets[1].max_days: the last bucket must be open-ended"),
    ("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n"
     "  - {name: written_off, min_days: 1}\n",
     "f.yaml:3: buckets[1].name: 'written_off' is reserved"),
    ("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n  - {name: a, min_days: x}\n",
     "f.yaml:3: buckets[1].min_days: must be a whole number, got 'x'"),
    ("buckets:\n  - {name: a, min_days: 0, max_days: 0}\n  - {name: a, min_days: 1}\n",
     "f.yaml:3: buckets[1].name: 'a' is used twice"),
    ("balance_bands:\n  - {name: s, below: 100}\n  - {name: m, below: 50}\n  - {name: l}\n",
     "f.yaml:3: balance_bands[1].below: 50 does not rise above balance_bands[0].below (100)"),
    ("balance_bands:\n  - {name: s, below: -1}\n  - {name: l}\n",
     "f.yaml:2: balance_bands[0].below: must be a positive amount"),
    ("bukets: []\n", "f.yaml:1: bukets: unknown key"),
    ("paying_window_days: 0\n", "f.yaml:1: paying_window_days: must be a whole number of days"),
    ("buckets: [\n", "f.yaml"),
])
def test_mistakes_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(CollectionsConfigError) as caught:
        parse_collections_config(text, "f.yaml")
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CollectionsConfigError, match=r"nowhere\.yaml: file: cannot read it"):
        load_collections_config(tmp_path / "nowhere.yaml")


def test_a_config_built_in_code_is_checked_too() -> None:
    with pytest.raises(CollectionsConfigError, match=r"^buckets: at least two buckets"):
        CollectionsConfig(buckets=(Bucket("current", 0, None),))
