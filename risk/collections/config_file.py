"""Read the collections settings from a YAML file; every problem names the file, the line
and the field.

The format (every key optional; what is left out keeps its default)::

    buckets:                      # days past due, contiguous from 0, the last open-ended
      - {name: current, min_days: 0, max_days: 0}
      - {name: "1-30", min_days: 1, max_days: 30}
      - {name: "30+", min_days: 31}
    balance_bands:                # outstanding principal, major units, the last open-ended
      - {name: small, below: 50000}
      - {name: large}
    paying_window_days: 30
    max_catch_up_days: 31
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from risk.collections.config import BalanceBand, Bucket, CollectionsConfig
from risk.collections.errors import CollectionsConfigError
from risk.collections.yaml_fields import YamlReader, line_of, scalar_value

__all__ = ["load_collections_config", "parse_collections_config"]

_TOP: Final = ("buckets", "balance_bands", "paying_window_days", "max_catch_up_days")
_BUCKET_KEYS: Final = ("name", "min_days", "max_days")
_BAND_KEYS: Final = ("name", "below")


def load_collections_config(path: Path | str) -> CollectionsConfig:
    """The settings in the YAML file ``path`` over the defaults.

    Raises:
        CollectionsConfigError: the file cannot be read or parsed, a key is unknown, or a
            value is bad (gaps, overlaps, bad bounds); the message names file, line, field.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectionsConfigError("file", f"cannot read it: {exc}", where=str(path)) \
            from exc
    return parse_collections_config(text, str(path))


def parse_collections_config(text: str, file: str = "<collections settings>") \
        -> CollectionsConfig:
    """The settings in the YAML ``text`` (``file`` names it in errors)."""
    reader = YamlReader(file)
    root = reader.compose(text)
    if root is None:
        return CollectionsConfig()
    top = reader.mapping(root, "", _TOP)
    options: dict[str, Any] = {}
    if "buckets" in top:
        buckets = []
        for i, item in enumerate(reader.items(top["buckets"], "buckets")):
            where = f"buckets[{i}]"
            values = reader.mapping(item, where, _BUCKET_KEYS)
            if "name" not in values or "min_days" not in values:
                raise reader.fail(where, "a bucket needs a name and min_days", line_of(item))
            buckets.append(Bucket(
                name=str(scalar_value(values["name"])),
                min_days=reader.integer(values["min_days"], f"{where}.min_days"),
                max_days=None if "max_days" not in values
                or scalar_value(values["max_days"]) is None
                else reader.integer(values["max_days"], f"{where}.max_days")))
        options["buckets"] = tuple(buckets)
    if "balance_bands" in top:
        bands = []
        for i, item in enumerate(reader.items(top["balance_bands"], "balance_bands")):
            where = f"balance_bands[{i}]"
            values = reader.mapping(item, where, _BAND_KEYS)
            if "name" not in values:
                raise reader.fail(where, "a band needs a name", line_of(item))
            below = values.get("below")
            bands.append(BalanceBand(
                name=str(scalar_value(values["name"])),
                below=None if below is None or scalar_value(below) is None
                else reader.amount(below, f"{where}.below")))
        options["balance_bands"] = tuple(bands)
    for name in ("paying_window_days", "max_catch_up_days"):
        if name in top:
            options[name] = reader.integer(top[name], name)
    try:
        return CollectionsConfig(**options)
    except CollectionsConfigError as exc:
        line = reader.lines.get(exc.field) or reader.lines.get(exc.field.rsplit(".", 1)[0])
        raise reader.fail(exc.field, exc.problem, line) from None
