"""The ground truth of a generated portfolio, for tests and benchmarks to score against.

Written into ``<out>/ground_truth/`` (a sub-directory, so that importing ``<out>`` reads
only the fifteen entity files), deterministically:

``ground_truth.json``
    ``config`` (every setting), ``summary`` (counts, NPL ratio), ``files`` (rows per
    file), and the planted structures, by external id:

    * ``groups``: ``root``, ``controller``, ``depth``, ``members`` (breadth first),
      ``parent`` (member -> majority owner) and ``cross_holdings`` ``[holder, held, pct]``;
    * ``guarantee_circles``: ``members`` in cycle order (each guarantees a loan of the
      next; the last guarantees the first's);
    * ``joint_groups``: member lists; ``mutual_pairs``: reciprocated guarantees
      ``[a, b]`` with ``a < b``;
    * ``identity_rings``: ``members``, ``kinds`` and normalised shared ``values``,
      ``bust_month`` (``YYYY-MM`` or null);
    * ``planted_shocks``: ``structure``, ``index``, ``party_id``, ``month``, ``shock``;
    * ``contagion_seeds``: ``party_id``, ``default_on``, ``cause`` and the ``cascade`` of
      contagion defaults it set off (direct and indirect);
    * ``defaults``: columns ``party_id``, ``default_on``, ``cause`` (base / planted /
      contagion), ``source`` (contagion source or null) and ``round``.

``latent_risk.npy``
    ``float32`` array of shape ``(parties, months)``: the latent risk (logit of the monthly
    default probability) at each month end, frozen after a default. Row ``i`` is person
    ``P{i+1:08d}`` for ``i < persons``, then company ``C{i-persons+1:08d}``; column ``m``
    is month ``json["months"][m]``. Four bytes a cell: 96 MB for a million parties.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from seeds.config import PortfolioConfig
from seeds.identity import identifier_values
from seeds.parties import Parties, party_ids
from seeds.risk import CAUSES, NO_DEFAULT, RiskOutcome, cascades
from seeds.structures import Structures
from seeds.timeline import Timeline

__all__ = ["GROUND_TRUTH_DIR", "write_ground_truth"]

GROUND_TRUTH_DIR = "ground_truth"


def _day_text(days: np.ndarray) -> list[str]:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(str).tolist()


def write_ground_truth(out_dir: Path, config: PortfolioConfig, parties: Parties,
                       structures: Structures, risk: RiskOutcome, summary: dict[str, Any],
                       rows: dict[str, int]) -> Path:
    """Write ``ground_truth.json`` and ``latent_risk.npy``; returns the directory.

    Complexity: O(parties × months) for the latent paths, O(defaults + structures) for
    the JSON.
    """
    target = Path(out_dir) / GROUND_TRUTH_DIR
    target.mkdir(parents=True, exist_ok=True)
    n_p, n = parties.n_persons, parties.n

    def ids(idx: Any) -> list[str]:
        return party_ids(np.asarray(idx, dtype=np.int64), n_p)

    timeline = Timeline(config.as_of, config.months)
    months = (np.arange(config.months) + timeline.start_month).astype("datetime64[M]")
    month_text = months.astype(str).tolist()
    settings = asdict(config)
    settings["as_of"] = config.as_of.isoformat()
    groups = [{
        "root": ids([n_p + g.root])[0], "controller": ids([g.controller])[0], "depth": g.depth,
        "members": ids(n_p + np.array(g.members)),
        "parent": dict(zip(ids(n_p + np.array(list(g.parent))),
                           ids(n_p + np.array(list(g.parent.values()), dtype=np.int64)),
                           strict=True)),
        "cross_holdings": [[*ids([n_p + h, n_p + d]), pct / 10_000]
                           for h, d, pct in g.cross_holdings],
    } for g in structures.ownership.groups]
    net = structures.guarantees
    mutual = net.kind == 1
    pairs = np.unique(np.sort(np.stack([net.guarantor[mutual], net.borrower[mutual]], 1), 1),
                      axis=0)
    shared = identifier_values(config, parties, structures.identity)
    bust: dict[int, int] = {}
    for shock in risk.planted:
        if shock["structure"] == "ring":
            bust[int(shock["index"])] = int(shock["month"])
    rings = [{"members": ids(r.members), "kinds": list(r.kinds), "values": shared[i],
              "bust_month": month_text[bust[i]] if i in bust else None}
             for i, r in enumerate(structures.identity.rings)]
    planted = [{"structure": s["structure"], "index": s["index"],
                "party_id": ids([s["party"]])[0], "month": month_text[int(s["month"])],
                "shock": s["shock"]} for s in risk.planted]
    seeds = [{"party_id": ids([seed])[0], "default_on": _day_text([risk.default_day[seed]])[0],
              "cause": CAUSES[risk.cause[seed]], "cascade": ids(cascade)}
             for seed, cascade in cascades(risk)]
    defaulted = np.flatnonzero(risk.default_day < NO_DEFAULT)
    defaulted = defaulted[np.lexsort((defaulted, risk.default_day[defaulted]))]
    sources = risk.source[defaulted]
    source_ids = ids(np.maximum(sources, 0))
    document = {
        "format": 1,
        "config": settings,
        "as_of": config.as_of.isoformat(),
        "months": month_text,
        "summary": summary,
        "files": rows,
        "groups": groups,
        "guarantee_circles": [{"members": ids(c)} for c in net.circles],
        "joint_groups": [ids(g) for g in net.joint_groups],
        "mutual_pairs": [ids(p) for p in pairs.tolist()],
        "identity_rings": rings,
        "planted_shocks": planted,
        "contagion_seeds": seeds,
        "defaults": {
            "party_id": ids(defaulted),
            "default_on": _day_text(risk.default_day[defaulted]),
            "cause": [CAUSES[c] for c in risk.cause[defaulted].tolist()],
            "source": [s if k >= 0 else None
                       for s, k in zip(source_ids, sources.tolist(), strict=True)],
            "round": risk.round[defaulted].tolist(),
        },
        "latent_risk": {"file": "latent_risk.npy", "dtype": "float32",
                        "shape": [n, config.months], "persons": n_p,
                        "rows": "persons P00000001.. then companies C00000001..",
                        "meaning": "logit of the monthly default probability at month end, "
                                   "frozen after the party's default"},
    }
    (target / "ground_truth.json").write_bytes(orjson.dumps(document) + b"\n")
    np.save(target / "latent_risk.npy", risk.latent, allow_pickle=False)
    return target
