"""Weight-of-evidence binning for the scorecard: numeric features in bins whose default rate
rises or falls monotonically, categorical levels grouped by their default rate, missing
values as a bin of their own.

Written here rather than taken from ``optbinning`` (the library that does this) because
optbinning pulls in Google OR-Tools, a large native dependency, for a mixed-integer solver
that the classic greedy procedure below does not need:

* numeric: fine quantile bins (:data:`FINE_BINS`), adjacent bins merged until the default
  rate is monotone (pool-adjacent-violators, in whichever direction keeps more information
  value), then bins holding less than :data:`MIN_BIN_SHARE` of the rows merged into the
  neighbour with the closer rate;
* categorical: levels seen in less than :data:`RARE_SHARE` of the rows pooled into one
  "other" group, groups ordered by default rate and merged the same way (small ones, and
  down to at most :data:`MAX_GROUPS`);
* missing values keep their own bin with their own WoE (0 when training had none).

WoE here is oriented towards risk: ln(share of defaulters in the bin / share of
non-defaulters in the bin), smoothed by half a row, so a positive WoE is a riskier bin
and the scorecard's coefficients are positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from risk.models.reason_codes import format_number, is_missing

__all__ = ["FINE_BINS", "MAX_GROUPS", "MIN_BIN_SHARE", "RARE_SHARE", "Binning", "bin_feature"]

#: Quantile bins a numeric feature starts from.
FINE_BINS: Final = 20
#: No bin (other than the missing one) holds less than this share of the rows.
MIN_BIN_SHARE: Final = 0.05
#: A categorical level rarer than this is pooled into "other".
RARE_SHARE: Final = 0.01
#: At most this many groups of categorical levels.
MAX_GROUPS: Final = 8
#: Code of a value the binning cannot place (a level never seen in training): WoE 0.
UNSEEN: Final = -1


@dataclass(frozen=True)
class Binning:
    """The bins of one feature. Bins ``0..k-1`` are the value bins (numeric: ``edges`` cut
    the line into ``[edges[i-1], edges[i])``; categorical: ``groups[i]`` lists the levels),
    bin ``k`` is the missing bin. ``woe``, ``events`` and ``rows`` have ``k + 1`` entries."""

    feature: str
    kind: str  # "numeric" or "categorical"
    edges: list[float]
    groups: list[list[str]]
    woe: list[float]
    events: list[int]
    rows: list[int]
    iv: float

    @property
    def value_bins(self) -> int:
        return len(self.edges) + 1 if self.kind == "numeric" else len(self.groups)

    def codes(self, values: pd.Series) -> np.ndarray:
        """The bin of each value (missing → the missing bin, unseen level → UNSEEN)."""
        missing_bin = self.value_bins
        if self.kind == "numeric":
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            codes = np.searchsorted(np.asarray(self.edges, dtype=float), numbers, side="right")
            return np.where(np.isnan(numbers), missing_bin, codes)
        where = {level: i for i, group in enumerate(self.groups) for level in group}
        other = next((i for i, group in enumerate(self.groups) if "other" in group), UNSEEN)
        return np.array([missing_bin if is_missing(v) else where.get(str(v), other)
                         for v in values.astype(object)], dtype=int)

    def woe_of(self, codes: np.ndarray) -> np.ndarray:
        """WoE of bin codes (0 for UNSEEN)."""
        table = np.append(np.asarray(self.woe, dtype=float), 0.0)  # index -1 → 0
        return table[codes]

    def describe(self, code: int, value: Any) -> str:
        """A bin in words: "annual_income below 3,200", "missing bureau_score"."""
        name = self.feature
        if code == self.value_bins:
            return f"missing {name}"
        if code == UNSEEN:
            return f"{name} = {value} (not seen in training)"
        if self.kind == "categorical":
            group = self.groups[code]
            if "other" in group and len(group) > 1:
                return f"{name} = {value}"
            return f"{name} is {', '.join(group)}" if len(group) > 1 else f"{name} = {group[0]}"
        if not self.edges:
            return f"{name} = {format_number(float(value))}"
        if code == 0:
            return f"{name} below {format_number(self.edges[0])}"
        if code == len(self.edges):
            return f"{name} {format_number(self.edges[-1])} or more"
        return (f"{name} {format_number(self.edges[code - 1])} to "
                f"{format_number(self.edges[code])}")

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "kind": self.kind, "edges": self.edges,
                "groups": self.groups, "woe": self.woe, "events": self.events,
                "rows": self.rows, "iv": self.iv}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binning:
        return cls(feature=data["feature"], kind=data["kind"],
                   edges=[float(e) for e in data["edges"]],
                   groups=[[str(level) for level in g] for g in data["groups"]],
                   woe=[float(w) for w in data["woe"]], events=[int(e) for e in data["events"]],
                   rows=[int(r) for r in data["rows"]], iv=float(data["iv"]))


def _woe_iv(events: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, float]:
    """WoE per bin (risk-oriented, smoothed by half a row) and the information value."""
    goods = rows - events
    total_events, total_goods = max(events.sum(), 1), max(goods.sum(), 1)
    bad_share = (events + 0.5) / (total_events + 0.5)
    good_share = (goods + 0.5) / (total_goods + 0.5)
    woe = np.log(bad_share / good_share)
    woe = np.where(rows > 0, woe, 0.0)
    iv = float(np.sum((events / total_events - goods / total_goods) * woe))
    return woe, iv


def _monotone(events: list[int], rows: list[int], increasing: bool) -> list[list[int]]:
    """Pool adjacent violators: blocks of consecutive bins with monotone default rates."""
    blocks: list[list[int]] = []  # each block: [events, rows, first bin, last bin]
    for i, (e, n) in enumerate(zip(events, rows, strict=True)):
        blocks.append([e, n, i, i])
        while len(blocks) > 1:
            (e1, n1, a, _), (e2, n2, _, b) = blocks[-2], blocks[-1]
            before, after = e1 / n1, e2 / n2
            if (before > after) if increasing else (before < after):
                blocks[-2:] = [[e1 + e2, n1 + n2, a, b]]
            else:
                break
    return blocks


def _merge_small(blocks: list[list[int]], min_rows: float, max_blocks: int) -> list[list[int]]:
    """Merge the smallest block into the neighbour with the closer rate while one is below
    ``min_rows`` or there are more than ``max_blocks`` (merging neighbours keeps a
    monotone sequence monotone)."""
    blocks = [list(b) for b in blocks]
    while len(blocks) > 1:
        sizes = [b[1] for b in blocks]
        smallest = int(np.argmin(sizes))
        if sizes[smallest] >= min_rows and len(blocks) <= max_blocks:
            break
        if len(blocks) > max_blocks and sizes[smallest] >= min_rows:
            # too many blocks: merge the adjacent pair with the closest rates
            gaps = [abs(blocks[i][0] / blocks[i][1] - blocks[i + 1][0] / blocks[i + 1][1])
                    for i in range(len(blocks) - 1)]
            left = int(np.argmin(gaps))
        else:
            rate = blocks[smallest][0] / blocks[smallest][1]
            candidates = [i for i in (smallest - 1, smallest + 1) if 0 <= i < len(blocks)]
            neighbour = min(candidates,
                            key=lambda i: abs(blocks[i][0] / blocks[i][1] - rate))
            left = min(smallest, neighbour)
        a, b = blocks[left], blocks[left + 1]
        blocks[left:left + 2] = [[a[0] + b[0], a[1] + b[1], a[2], b[3]]]
    return blocks


def _round_edges(edges: np.ndarray) -> np.ndarray:
    """Cut points rounded to three significant digits, so bins read "income below 3,200"
    rather than "below 3,187.46" (a cut moves by at most 0.5%; duplicates merge)."""
    return np.array([float(f"{edge:.3g}") for edge in edges], dtype=float)


def _numeric(name: str, values: np.ndarray, y: np.ndarray) -> Binning:
    present = ~np.isnan(values)
    x, target = values[present], y[present]
    if x.size:
        edges = np.unique(_round_edges(np.quantile(x, np.linspace(0, 1, FINE_BINS + 1)[1:-1])))
        edges = edges[edges > x.min()]  # nothing lies below the smallest value
    else:
        edges = np.array([])
    codes = np.searchsorted(edges, x, side="right")
    rows = np.bincount(codes, minlength=len(edges) + 1)
    events = np.bincount(codes, weights=target, minlength=len(edges) + 1).astype(int)
    keep = rows > 0
    edges = edges[keep[1:]] if keep.size > 1 else edges  # drop edges that open empty bins
    rows, events = rows[keep], events[keep]
    best: tuple[float, list[list[int]]] | None = None
    min_rows = MIN_BIN_SHARE * len(values)
    for increasing in (True, False):
        blocks = _merge_small(_monotone(list(events), list(rows), increasing), min_rows,
                              FINE_BINS)
        _, iv = _woe_iv(np.array([b[0] for b in blocks] + [0]),
                        np.array([b[1] for b in blocks] + [0]))
        if best is None or iv > best[0] + 1e-12:
            best = (iv, blocks)
    assert best is not None
    blocks = best[1]
    inner = [float(edges[b[2] - 1]) for b in blocks[1:]]  # a block starts at its first edge
    return _finish(name, "numeric", inner, [], [b[0] for b in blocks], [b[1] for b in blocks],
                   int(y[~present].sum()), int((~present).sum()))


def _categorical(name: str, values: pd.Series, y: np.ndarray) -> Binning:
    words = values.astype(object).map(lambda v: None if is_missing(v) else str(v))
    present = words.notna().to_numpy()
    table = pd.DataFrame({"level": words[present].to_numpy(), "y": y[present]})
    stats = table.groupby("level", sort=True)["y"].agg(["sum", "count"])
    rare = stats["count"] < RARE_SHARE * len(values)
    groups: list[tuple[list[str], int, int]] = [
        ([str(level)], int(row["sum"]), int(row["count"]))
        for level, row in stats[~rare].iterrows()]
    if rare.any():
        pooled = stats[rare]
        groups.append((["other"], int(pooled["sum"].sum()), int(pooled["count"].sum())))
    groups.sort(key=lambda g: (g[1] + 0.5) / (g[2] + 1.0))
    blocks = _merge_small([[e, n, i, i] for i, (_, e, n) in enumerate(groups)],
                          MIN_BIN_SHARE * len(values), MAX_GROUPS)
    levels = [[level for g in groups[b[2]:b[3] + 1] for level in g[0]] for b in blocks]
    return _finish(name, "categorical", [], levels, [b[0] for b in blocks],
                   [b[1] for b in blocks], int(y[~present].sum()), int((~present).sum()))


def _finish(name: str, kind: str, edges: list[float], groups: list[list[str]],
            events: list[int], rows: list[int], missing_events: int,
            missing_rows: int) -> Binning:
    all_events = np.array([*events, missing_events])
    all_rows = np.array([*rows, missing_rows])
    woe, iv = _woe_iv(all_events, all_rows)
    return Binning(feature=name, kind=kind, edges=edges, groups=groups,
                   woe=[float(w) for w in woe], events=[int(e) for e in all_events],
                   rows=[int(r) for r in all_rows], iv=iv if math.isfinite(iv) else 0.0)


def bin_feature(name: str, values: pd.Series, y: np.ndarray) -> Binning:
    """The WoE binning of one feature against 0/1 outcomes ``y`` (see the module's
    docstring); numeric unless the column is categorical (``category`` or text)."""
    dtype = values.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) \
        and not isinstance(dtype, pd.CategoricalDtype)
    labels = np.asarray(y).astype(int)
    if numeric:
        return _numeric(name, values.to_numpy(dtype=float), labels)
    return _categorical(name, values, labels)
