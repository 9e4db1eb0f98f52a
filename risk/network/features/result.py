"""The result of the graph features: every party's features as numpy arrays, with the
readers the CLI and the scan use (one party as plain values, the top by PageRank, CSV)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from portfolio.money import minor_to_decimal
from risk.network.features.parameters import DEGREE_NAMES

__all__ = ["PartyFeatures"]


@dataclass(frozen=True, slots=True, eq=False)
class PartyFeatures:
    """The features of every party, as numpy arrays aligned with ``party_ids`` (sorted).

    ``degrees`` is ``n × len(DEGREE_NAMES)`` int32; ``exposure_own`` and ``exposure_k`` are
    ``n × len(currencies)`` int64 minor units; the shares are float64 (NaN without
    neighbours); ``distance_to_default`` is float64 (``inf`` beyond the cap).
    """

    party_ids: np.ndarray
    currencies: tuple[str, ...]
    as_of: date | None
    hops: int
    degrees: np.ndarray
    exposure_own: np.ndarray
    exposure_k: np.ndarray
    delinquent: np.ndarray
    defaulted: np.ndarray
    delinquent_share: np.ndarray
    defaulted_share: np.ndarray
    distance_to_default: np.ndarray
    community: np.ndarray
    pagerank: np.ndarray
    betweenness: np.ndarray

    @property
    def n_parties(self) -> int:
        return len(self.party_ids)

    def index_of(self, party_id: str) -> int:
        """The row of ``party_id``; -1 when it has no graph features."""
        if not len(self.party_ids):
            return -1
        at = int(np.searchsorted(self.party_ids, party_id))
        return at if at < len(self.party_ids) and self.party_ids[at] == party_id else -1

    def party(self, party_id: str) -> dict[str, object]:
        """One party's features as plain values (money as decimal strings per currency).

        Raises:
            KeyError: the party has no graph features.
        """
        i = self.index_of(party_id)
        if i < 0:
            raise KeyError(party_id)
        return self._row(i)

    def _row(self, i: int) -> dict[str, object]:
        row: dict[str, object] = {"party": str(self.party_ids[i])}
        row.update({name: int(self.degrees[i, k]) for k, name in enumerate(DEGREE_NAMES)})
        row["exposure"] = self._money(self.exposure_own[i])
        row[f"exposure_{self.hops}_hops"] = self._money(self.exposure_k[i])
        row["delinquent"] = bool(self.delinquent[i])
        row["defaulted"] = bool(self.defaulted[i])
        row["delinquent_neighbour_share"] = _finite(self.delinquent_share[i])
        row["defaulted_neighbour_share"] = _finite(self.defaulted_share[i])
        distance = self.distance_to_default[i]
        row["distance_to_default"] = None if math.isinf(distance) else int(distance)
        row["community"] = int(self.community[i])
        row["pagerank"] = float(self.pagerank[i])
        row["betweenness"] = float(self.betweenness[i])
        return row

    def _money(self, minor: np.ndarray) -> dict[str, str]:
        return {code: str(minor_to_decimal(int(minor[c]), code))
                for c, code in enumerate(self.currencies) if minor[c]}

    def top_by_pagerank(self, count: int) -> list[str]:
        """The ``count`` parties of highest PageRank (ties by id)."""
        order = np.lexsort((self.party_ids, -self.pagerank))[:count]
        return [str(p) for p in self.party_ids[order]]

    def write_csv(self, path: Path) -> int:
        """Every party, one row each, money as one column per currency and range; returns
        the rows written."""
        money_columns = [f"exposure_{code}" for code in self.currencies] + [
            f"exposure_{self.hops}_hops_{code}" for code in self.currencies]
        header = ["party", *DEGREE_NAMES, *money_columns, "delinquent", "defaulted",
                  "delinquent_neighbour_share", "defaulted_neighbour_share",
                  "distance_to_default", "community", "pagerank", "betweenness"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for i in range(self.n_parties):
                money = [str(minor_to_decimal(int(m), code)) for m, code in
                         zip(self.exposure_own[i].tolist(), self.currencies, strict=True)]
                money += [str(minor_to_decimal(int(m), code)) for m, code in
                          zip(self.exposure_k[i].tolist(), self.currencies, strict=True)]
                distance = self.distance_to_default[i]
                writer.writerow([
                    self.party_ids[i], *self.degrees[i].tolist(), *money,
                    int(self.delinquent[i]), int(self.defaulted[i]),
                    _csv_float(self.delinquent_share[i]), _csv_float(self.defaulted_share[i]),
                    "" if math.isinf(distance) else int(distance), int(self.community[i]),
                    repr(float(self.pagerank[i])), repr(float(self.betweenness[i]))])
        return self.n_parties


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _csv_float(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))

