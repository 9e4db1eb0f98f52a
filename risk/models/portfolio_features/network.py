"""Graph features per borrower as of D: part 1's features (:mod:`risk.network.features`) on
the graph as of D, with "defaulted" meaning the PD model's default (first default day on
or before D), and the relational default facts, with who and when:

* ``guarantors_defaulted``: guarantors of its loans that had defaulted by D;
* ``guaranteed_defaulted``: borrowers of loans it guarantees that had defaulted by D;
* ``related_defaulted``: parties ``RELATED`` to it on D (``valid_from``/``valid_to``)
  that had defaulted by D;
* ``group_defaulted``: other members of its corporate group (ownership as of D,
  :func:`risk.network.groups.find_groups`) that had defaulted by D.

For each, the most recent such default is kept for the words of reason codes
("guarantor C00000081 defaulted on 2025-03-02").

Part 1's columns, prefixed ``graph_``: the degrees by relationship
(:data:`~risk.network.features.DEGREE_NAMES`), own exposure and exposure within k hops
(major units, currencies together), shares of delinquent and defaulted neighbours, the
distance to the nearest defaulted party (the cap + 1 when none within it), PageRank and
approximate betweenness. The community number is an id, not a measure, and is left out.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, Final

import numpy as np

from graph.model import RelType
from graph.validity import valid_mask
from risk.classification.history import RepaymentHistory
from risk.models.portfolio_features.inputs import AsOfInputs, FeatureBlock, major, row_index
from risk.network.control import control, ownership_matrix
from risk.network.features import DEGREE_NAMES, FeatureParameters, party_features
from risk.network.groups import CorporateGroup, groups_from_control, read_ownership
from risk.rules.inputs import text_array

__all__ = ["PART1_COLUMNS", "RELATIONAL_COLUMNS", "network_features"]

RELATIONAL_COLUMNS: Final = ("guarantors_defaulted", "guaranteed_defaulted",
                             "related_defaulted", "group_defaulted")
PART1_COLUMNS: Final = (*(f"graph_{name}" for name in DEGREE_NAMES), "graph_exposure",
                        "graph_exposure_k_hops", "graph_delinquent_neighbour_share",
                        "graph_defaulted_neighbour_share", "graph_distance_to_default",
                        "graph_pagerank", "graph_betweenness")


class _DefinedDefaults(RepaymentHistory):
    """The classification's history as of D, with the defaulted parties of the PD model's
    definition instead of the 90-day rule alone."""

    defaulted: Collection[str] = ()

    def defaulted_parties(self, as_of: date) -> Collection[str]:
        return self.defaulted


def _latest(rows: np.ndarray, others: np.ndarray, days: np.ndarray, n: int
            ) -> tuple[np.ndarray, dict[int, tuple[Any, ...]]]:
    """Per row: how many distinct others, and the most recent (other id, day)."""
    keep = rows >= 0
    rows, others, days = rows[keep], others[keep], days[keep]
    if not len(rows):
        return np.zeros(n), {}
    order = np.lexsort((others, rows))
    rows, others, days = rows[order], others[order], days[order]
    distinct = np.ones(len(rows), dtype=bool)
    distinct[1:] = (rows[1:] != rows[:-1]) | (others[1:] != others[:-1])
    count = np.bincount(rows[distinct], minlength=n).astype(np.float64)
    order = np.lexsort((others, days, rows))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = rows[order][1:] != rows[order][:-1]
    pick = order[last]
    facts = {int(r): (str(o), int(d)) for r, o, d in zip(
        rows[pick].tolist(), others[pick].tolist(), days[pick].tolist(), strict=True)}
    return count, facts


def _groups(inputs: AsOfInputs) -> list[CorporateGroup]:
    """The corporate groups of the ownership as of D (as :func:`find_groups` finds them,
    without the exposure it reads the loan book again for)."""
    arrays = read_ownership(inputs.graph, inputs.as_of)
    matrix = ownership_matrix(len(arrays.ids), arrays.holders, arrays.held, arrays.pct,
                              names=arrays.ids)
    return groups_from_control(arrays.ids, arrays.labels, control(matrix))


def _relational(inputs: AsOfInputs) -> FeatureBlock:
    n = inputs.n
    projection = inputs.rule_inputs.projection
    party_ids = text_array(projection.party_ids)
    day_of = inputs.defaulted_days(party_ids)
    coo = projection.party_graph.tocoo()
    guarantor, borrower = coo.row.astype(np.int64), coo.col.astype(np.int64)
    columns: dict[str, np.ndarray] = {}
    facts: dict[str, dict[int, tuple[Any, ...]]] = {}
    gone = day_of[guarantor] >= 0
    columns["guarantors_defaulted"], facts["guarantors_defaulted"] = _latest(
        row_index(inputs.rows, party_ids[borrower[gone]]), party_ids[guarantor[gone]],
        day_of[guarantor[gone]], n)
    gone = day_of[borrower] >= 0
    columns["guaranteed_defaulted"], facts["guaranteed_defaulted"] = _latest(
        row_index(inputs.rows, party_ids[guarantor[gone]]), party_ids[borrower[gone]],
        day_of[borrower[gone]], n)

    related = inputs.rule_inputs.edges(RelType.RELATED, props=("valid_from", "valid_to"))
    held = valid_mask(related.props["valid_from"], related.props["valid_to"], inputs.as_of) \
        if len(related) else np.zeros(0, dtype=bool)
    one = np.concatenate((related.source[held], related.target[held]))
    other = np.concatenate((related.target[held], related.source[held]))
    other_day = inputs.defaulted_days(other) if len(other) else np.zeros(0, dtype=np.int64)
    gone = other_day >= 0
    columns["related_defaulted"], facts["related_defaulted"] = _latest(
        row_index(inputs.rows, one[gone]) if len(one) else np.zeros(0, dtype=np.int64),
        other[gone], other_day[gone], n)

    members: list[str] = []
    mates: list[str] = []
    for group in _groups(inputs):
        ids = text_array(group.members)
        days = inputs.defaulted_days(ids)
        defaulted = ids[days >= 0]
        for member in group.members:
            for mate in defaulted.tolist():
                if mate != member:
                    members.append(member)
                    mates.append(mate)
    mate_ids = text_array(mates)
    columns["group_defaulted"], facts["group_defaulted"] = _latest(
        row_index(inputs.rows, text_array(members)), mate_ids,
        inputs.defaulted_days(mate_ids) if len(mate_ids) else np.zeros(0, dtype=np.int64), n)
    return FeatureBlock(columns=columns, facts=facts)


def _part1(inputs: AsOfInputs, params: FeatureParameters) -> FeatureBlock:
    history = _DefinedDefaults.seeded(inputs.engine, inputs.as_of, inputs.book, inputs.dq)
    history.defaulted = inputs.defaults.defaulted_by(inputs.as_of).tolist()
    found = party_features(inputs.graph, history, as_of=inputs.as_of, params=params,
                           projection=inputs.rule_inputs.projection)
    n = inputs.n
    at = row_index(text_array(found.party_ids), inputs.rows)
    has = at >= 0
    pick = at[has]

    def spread(values: np.ndarray, missing: float = np.nan) -> np.ndarray:
        out = np.full(n, missing)
        out[has] = values[pick]
        return out

    columns = {f"graph_{name}": spread(found.degrees[:, k].astype(np.float64), 0.0)
               for k, name in enumerate(DEGREE_NAMES)}
    columns["graph_exposure"] = spread(major(found.exposure_own.sum(axis=1)), 0.0)
    columns["graph_exposure_k_hops"] = spread(major(found.exposure_k.sum(axis=1)), 0.0)
    columns["graph_delinquent_neighbour_share"] = spread(found.delinquent_share)
    columns["graph_defaulted_neighbour_share"] = spread(found.defaulted_share)
    distance = np.where(np.isinf(found.distance_to_default), params.distance_cap + 1,
                        found.distance_to_default)
    columns["graph_distance_to_default"] = spread(distance, float(params.distance_cap + 1))
    columns["graph_pagerank"] = spread(found.pagerank, 0.0)
    columns["graph_betweenness"] = spread(found.betweenness, 0.0)
    return FeatureBlock(columns=columns)


def network_features(inputs: AsOfInputs, *,
                     params: FeatureParameters = FeatureParameters()) -> FeatureBlock:
    """The columns of :data:`PART1_COLUMNS` and :data:`RELATIONAL_COLUMNS`."""
    part1 = _part1(inputs, params)
    relational = _relational(inputs)
    return FeatureBlock(columns={**part1.columns, **relational.columns},
                        facts=relational.facts)
