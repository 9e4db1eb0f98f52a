"""Latent risk: a baseline per party, a monthly path, defaults, and contagion in rounds.

The latent risk ``x`` of a party is the logit of its monthly default probability::

    x[i, m] = baseline[i] + z[i, m] + macro[m] + sector[s(i), m] + c[i, m] + planted[i, m]

* ``baseline``: ``logit(base_default_intensity)`` plus effects of observable attributes
  (income, age, occupation, city tier; company size, sector, age), of the network
  position and an unobserved N(0, 0.5) term. Following the motif study, mutual
  guarantees (+0.35) and triangles through one (+0.2 more) are the riskiest positions,
  fully connected joint-guarantee groups the safest (−0.2, peer monitoring); identity-ring
  members carry +0.6. Circle members start like anyone else: their risk comes from
  contagion.
* ``z``: an idiosyncratic AR(1) (ρ 0.85, innovations 0.3); ``macro`` and ``sector``: common
  AR(1) cycles.
* ``c``: contagion. When a party defaults, each out-edge of the contagion graph adds its
  weight times ``contagion_strength`` to the target's ``c``; within the month the targets
  may default at once (``contagion_rounds`` rounds), and ``c`` decays by 0.85 a month.
* ``planted``: stress planted in the structures: a member of 60 % of guarantee circles and
  of 25 % of groups takes a +5 shock in a random month; half of the identity rings "bust",
  every member taking +6 at once. It decays by 0.9 a month.

A party defaults at most once; its path is frozen from then on. A default is attributed to
``planted`` stress or to ``contagion`` (with the neighbour that contributed the largest
shock as its source) when that term alone raised the intensity at least e-fold, otherwise
to ``base``. Contagion seeds are the non-contagion defaults at the root of a chain of
contagion defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.contagion_graph import ContagionGraph
from seeds.guarantee_network import MOTIFS
from seeds.parties import OWNER_OCCUPATION_CODE, Parties
from seeds.randomness import stage_rng
from seeds.structures import Structures
from seeds.timeline import Timeline

__all__ = ["CAUSES", "NO_DEFAULT", "RiskOutcome", "baseline_risk", "cascades", "simulate_risk"]

CAUSES = ("none", "base", "planted", "contagion")
NO_DEFAULT = 10**9  # default day of parties that never default
_RHO, _SIGMA, _DECAY_C, _DECAY_P = 0.85, 0.3, 0.85, 0.9
_MACRO_SD, _SECTOR_SD = 0.12, 0.15
_CIRCLE_STRESS, _GROUP_STRESS, _RING_BUST = (0.6, 5.0), (0.25, 5.0), (0.5, 6.0)
_TIER_RISK = {1: -0.1, 2: 0.0, 3: 0.15}


@dataclass(slots=True)
class RiskOutcome:
    """Result of the simulation; arrays are indexed by global party index."""

    baseline: np.ndarray
    latent: np.ndarray  # float32 (parties, months)
    default_day: np.ndarray  # NO_DEFAULT where none
    default_month: np.ndarray  # -1 where none
    cause: np.ndarray  # index into CAUSES
    source: np.ndarray  # contagion source party, or -1
    round: np.ndarray  # contagion round within the month (0 = drawn directly)
    planted: list[dict[str, int | str | float]] = field(default_factory=list)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def baseline_risk(config: PortfolioConfig, parties: Parties, structures: Structures
                  ) -> np.ndarray:
    """Each party's baseline latent risk.

    Complexity: O(borrowers + guarantee edges), vectorised.
    """
    rng = stage_rng(config.seed, "baseline")
    n_p = parties.n_persons
    x = np.full(parties.n, np.log(config.base_default_intensity
                                  / (1 - config.base_default_intensity)))
    occ_risk = np.array([o.risk for o in cat.OCCUPATIONS] + [cat.OWNER_OCCUPATION.risk])
    x[:n_p] += occ_risk[np.minimum(parties.occupation, OWNER_OCCUPATION_CODE)]
    log_income = np.log(np.maximum(parties.income, 100_000))
    x[:n_p] += -0.45 * (log_income - log_income.mean()) / max(log_income.std(), 1e-9)
    as_of = Timeline(config.as_of, config.months).as_of_day
    age = (as_of - parties.birth_day) / 365.25
    x[:n_p] += np.where(age < 28, 0.3, 0.0) + np.where(age > 55, 0.1, 0.0)
    tier = np.array([_TIER_RISK[c.tier] for c in cat.CITIES])
    x[:n_p] += tier[parties.city[:n_p]]
    x[n_p:] += np.array([s[3] for s in cat.COMPANY_SIZES])[parties.size]
    x[n_p:] += np.array([s.risk for s in cat.SECTORS])[parties.sector]
    x[n_p:] += np.where((as_of - parties.founded_day) < 3 * 365, 0.3, 0.0)
    g = structures.guarantees
    x[g.mutual_parties(parties.n)] += 0.35
    tri = g.motif == MOTIFS.index("triangle")
    x[np.unique(np.concatenate([g.guarantor[tri], g.borrower[tri]]))] += 0.2
    for group in g.joint_groups:  # fully connected: peers monitor each other
        x[group] -= 0.2
    x[structures.identity.ring_members()] += 0.6
    return x + rng.normal(0.0, 0.5, parties.n)


def _planted_schedule(config: PortfolioConfig, structures: Structures
                      ) -> list[dict[str, int | str | float]]:
    """Which circle, group and ring members take a planted shock, and when.

    Complexity: O(circles + groups + ring members).
    """
    rng = stage_rng(config.seed, "planted")
    n_p, months = config.persons, config.months
    out: list[dict[str, int | str | float]] = []
    for i, circle in enumerate(structures.guarantees.circles):
        if rng.random() < _CIRCLE_STRESS[0]:
            out.append({"structure": "circle", "index": i,
                        "month": int(rng.integers(0, months - 3)),
                        "party": int(rng.choice(circle)), "shock": _CIRCLE_STRESS[1]})
    for i, group in enumerate(structures.ownership.groups):
        if rng.random() < _GROUP_STRESS[0]:
            out.append({"structure": "group", "index": i,
                        "month": int(rng.integers(0, months - 3)),
                        "party": n_p + int(rng.choice(group.members)),
                        "shock": _GROUP_STRESS[1]})
    for i, ring in enumerate(structures.identity.rings):
        if rng.random() < _RING_BUST[0]:
            month = int(rng.integers(1, months - 2))
            for member in ring.members:
                out.append({"structure": "ring", "index": i, "month": month,
                            "party": int(member), "shock": _RING_BUST[1]})
    return out


def simulate_risk(config: PortfolioConfig, parties: Parties, structures: Structures,
                  graph: ContagionGraph) -> RiskOutcome:
    """Run the month-by-month simulation of latent risk and defaults.

    Complexity: O(months × (borrowers + contagion edges touched)) time; O(borrowers ×
    months) memory for the recorded paths (float32).
    """
    n, months = parties.n, config.months
    timeline = Timeline(config.as_of, months)
    first_days, last_days = timeline.month_first_days(), timeline.month_last_days()
    rng = stage_rng(config.seed, "risk-init")
    baseline = baseline_risk(config, parties, structures)
    sector = np.concatenate([np.full(parties.n_persons, -1), parties.sector]).astype(np.int64)
    n_sectors = len(cat.SECTORS)
    z = rng.normal(0.0, _SIGMA / np.sqrt(1 - _RHO**2), n)
    macro, sector_f = 0.0, np.zeros(n_sectors + 1)
    c, planted = np.zeros(n), np.zeros(n)
    top_src, top_val = np.full(n, -1, dtype=np.int64), np.zeros(n)
    out = RiskOutcome(
        baseline=baseline.astype(np.float32), latent=np.zeros((n, months), dtype=np.float32),
        default_day=np.full(n, NO_DEFAULT, dtype=np.int64),
        default_month=np.full(n, -1, dtype=np.int16), cause=np.zeros(n, dtype=np.int8),
        source=np.full(n, -1, dtype=np.int64), round=np.zeros(n, dtype=np.int8),
        planted=_planted_schedule(config, structures))
    alive = np.ones(n, dtype=bool)
    kappa = config.contagion_strength
    for m in range(months):
        mr = stage_rng(config.seed, "risk", m)
        z = _RHO * z + _SIGMA * mr.normal(0.0, 1.0, n)
        macro = 0.8 * macro + _MACRO_SD * float(mr.normal())
        sector_f[:n_sectors] = 0.8 * sector_f[:n_sectors] + _SECTOR_SD * mr.normal(0, 1, n_sectors)
        c *= _DECAY_C
        top_val *= _DECAY_C
        planted *= _DECAY_P
        for shock in out.planted:
            if shock["month"] == m:
                planted[int(shock["party"])] += float(shock["shock"])
        x = baseline + z + macro + sector_f[sector] + c + planted
        new = alive & (mr.random(n) < _sigmoid(x))
        idx = np.flatnonzero(new)
        by_plant = planted[idx] >= np.maximum(1.0, c[idx])
        by_contagion = ~by_plant & (c[idx] >= 1.0) & (top_src[idx] >= 0)
        out.cause[idx] = np.where(by_plant, 2, np.where(by_contagion, 3, 1))
        out.source[idx[by_contagion]] = top_src[idx[by_contagion]]
        defaulted = [idx]
        alive[idx] = False
        frontier = idx
        for r in range(1, config.contagion_rounds + 1):
            frontier = _spread(graph, frontier, alive, kappa, x, c, top_src, top_val, mr,
                               draw=True)
            out.cause[frontier], out.round[frontier] = 3, r
            out.source[frontier] = top_src[frontier]
            alive[frontier] = False
            defaulted.append(frontier)
        _spread(graph, frontier, alive, kappa, x, c, top_src, top_val, mr, draw=False)
        out.latent[:, m] = x
        if m > 0:
            gone = out.default_month >= 0
            out.latent[gone, m] = out.latent[gone, m - 1]
        span = last_days[m] - first_days[m] + 1
        for r, batch in enumerate(defaulted):
            out.default_month[batch] = m
            day = first_days[m] + (mr.random(len(batch)) * span).astype(np.int64)
            if r > 0:  # never before the default that set it off
                day = np.maximum(day, out.default_day[out.source[batch]])
            out.default_day[batch] = day
    return out


def _spread(graph: ContagionGraph, frontier: np.ndarray, alive: np.ndarray, kappa: float,
            x: np.ndarray, c: np.ndarray, top_src: np.ndarray, top_val: np.ndarray,
            rng: np.random.Generator, *, draw: bool) -> np.ndarray:
    """Shock the living neighbours of ``frontier``; return those who default at once.

    Complexity: O(edges out of ``frontier`` × log).
    """
    src, tgt, w = graph.out_edges(frontier)
    keep = alive[tgt]
    src, tgt, w = src[keep], tgt[keep], w[keep] * kappa
    if len(tgt) == 0 or kappa == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-w, tgt))
    src, tgt, w = src[order], tgt[order], w[order]
    head = np.concatenate([[True], tgt[1:] != tgt[:-1]])
    targets = tgt[head]
    group = np.cumsum(head) - 1
    shock = np.bincount(group, weights=w)
    best_src, best_w = src[head], w[head]
    better = best_w >= top_val[targets]
    top_src[targets[better]] = best_src[better]
    top_val[targets[better]] = best_w[better]
    p_old = _sigmoid(x[targets])
    c[targets] += shock
    x[targets] += shock
    if not draw:
        return np.zeros(0, dtype=np.int64)
    q = (_sigmoid(x[targets]) - p_old) / (1.0 - p_old)
    return targets[rng.random(len(targets)) < q]


def cascades(outcome: RiskOutcome) -> list[tuple[int, list[int]]]:
    """Contagion seeds with their cascades: ``[(seed, [contagion defaults...]), ...]``.

    Each contagion default follows its source chain to the first default not caused by
    contagion. Seeds are ordered by party index, cascades by default order.

    Complexity: O(defaults × chain length).
    """
    contagion = np.flatnonzero(outcome.cause == 3)
    root: dict[int, int] = {}
    for party in contagion.tolist():
        chain, node = [], party
        while outcome.cause[node] == 3 and node not in root:
            chain.append(node)
            node = int(outcome.source[node])
        top = root.get(node, node)
        for member in chain:
            root[member] = top
    groups: dict[int, list[int]] = {}
    order = np.lexsort((outcome.round[contagion], outcome.default_day[contagion]))
    for party in contagion[order].tolist():
        groups.setdefault(root[party], []).append(party)
    return sorted(groups.items())
