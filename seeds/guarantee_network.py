"""The guarantee network: who guarantees whose loans, at the level of parties.

The motifs follow the published findings on Chinese inter-firm guarantee networks:

* **Planted guarantee circles** (担保圈): 3–12 firms, each guaranteeing the next one's loan,
  the last guaranteeing the first's; a third of them add a chord (a triangle).
* **Mutual guarantees** (互保) among small and micro firms, mostly in one city, some closed
  into a triangle with a third firm (the riskiest patterns).
* **Background edges** whose guarantor is drawn by a heavy-tailed fitness that grows with
  firm size, so out-degrees are scale-free and large firms are the hubs of 2-out-stars.
* **Group guarantees**: a parent company guarantees a subsidiary's loan; a company's main
  owner (实际控制人) guarantees the company's loan.
* **Joint guarantees** (联保): groups of 3–5 persons, each guaranteeing every other's loan.
* **Family guarantees**: a household member guarantees another's consumer loan.

Edges are unique per ``(guarantor, borrower)``, never a party to itself. A guarantee whose
reverse also exists is of kind ``mutual``; joint-group edges are ``joint``; the rest
``single``. The loans module attaches each edge to one loan of the borrower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds.config import PortfolioConfig
from seeds.groups import Ownership
from seeds.randomness import stage_rng

__all__ = ["KINDS", "MOTIFS", "GuaranteeNetwork", "build_guarantee_network"]

KINDS = ("single", "mutual", "joint")
MOTIFS = ("circle", "mutual_pair", "triangle", "joint", "parent", "owner", "family",
          "background")
_SIZE_FITNESS = np.array([0.4, 1.0, 3.0, 8.0])
_FULL = 10_000


@dataclass(slots=True)
class GuaranteeNetwork:
    """Party-level guarantee edges (global party indices) and the planted structures.

    ``guarantor[i]`` guarantees a loan of ``borrower[i]``; ``share`` is in ten-thousandths;
    ``kind`` indexes :data:`KINDS` and ``motif`` indexes :data:`MOTIFS`. ``circles`` and
    ``joint_groups`` list members in order (a circle: each guarantees the next).
    """

    guarantor: np.ndarray
    borrower: np.ndarray
    kind: np.ndarray
    share: np.ndarray
    motif: np.ndarray
    circles: list[list[int]]
    joint_groups: list[list[int]]

    def mutual_parties(self, n: int) -> np.ndarray:
        """Boolean mask of parties with at least one reciprocated guarantee. O(edges)."""
        mask = np.zeros(n, dtype=bool)
        mutual = self.kind == 1
        mask[self.guarantor[mutual]] = True
        return mask


class _Edges:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []

    def add(self, g: np.ndarray | list[int], b: np.ndarray | list[int], motif: str,
            share: np.ndarray | int = _FULL) -> None:
        g_arr, b_arr = np.asarray(g, dtype=np.int64), np.asarray(b, dtype=np.int64)
        shares = np.broadcast_to(np.asarray(share, dtype=np.int64), g_arr.shape).copy()
        self.parts.append((g_arr, b_arr, shares, MOTIFS.index(motif)))


def build_guarantee_network(config: PortfolioConfig, sizes: np.ndarray, cities: np.ndarray,
                            ownership: Ownership, households: list[list[int]],
                            excluded_persons: np.ndarray) -> GuaranteeNetwork:
    """Draw the guarantee edges.

    Parameters:
        config: the portfolio settings (density, reciprocity, circles, joint share).
        sizes: company size codes, one per company.
        cities: city code per company.
        ownership: groups and main owners.
        households: lists of person indices living together.
        excluded_persons: persons kept out of joint groups (identity-ring members).

    Complexity: O(companies + persons) time and memory, vectorised except for the loops
    over planted circles and joint groups.
    """
    rng = stage_rng(config.seed, "guarantees")
    n_p, n_c = config.persons, config.companies
    edges = _Edges()
    taken = np.zeros(n_c, dtype=bool)
    taken[ownership.group_of >= 0] = True
    circles = _plant_circles(config, rng, sizes, taken, edges)
    pairs = _mutual_pairs(config, rng, sizes, cities, taken, edges)
    joint_groups = _joint_groups(config, rng, excluded_persons, edges)
    for group in ownership.groups:
        kids = [c for c in group.members[1:] if rng.random() < 0.4]
        edges.add([n_p + group.parent[c] for c in kids], [n_p + c for c in kids], "parent")
    owners = ownership.main_owner
    with_owner = np.flatnonzero((owners >= 0) & (rng.random(n_c) < 0.6))
    edges.add(owners[with_owner], n_p + with_owner, "owner")
    family = [h for h in households if rng.random() < 0.08]
    edges.add([h[0] for h in family], [h[1] for h in family], "family")
    n_background = max(0, round(config.guarantee_density * n_c) - 2 * len(pairs))
    fitness = (rng.pareto(1.5, n_c) + 1.0) * _SIZE_FITNESS[sizes]
    cdf = np.cumsum(fitness / fitness.sum())
    g = np.minimum(np.searchsorted(cdf, rng.random(n_background)), n_c - 1)
    b = rng.integers(0, n_c, n_background)
    edges.add(n_p + g, n_p + b, "background")
    echo = rng.random(n_background) < 0.03
    edges.add(n_p + b[echo], n_p + g[echo], "background")
    return _finish(edges, circles, joint_groups)


def _plant_circles(config: PortfolioConfig, rng: np.random.Generator, sizes: np.ndarray,
                   taken: np.ndarray, edges: _Edges) -> list[list[int]]:
    """Directed cycles among free micro, small and medium firms. O(companies)."""
    n_p, n_c = config.persons, len(sizes)
    pool = [int(c) for c in rng.permutation(n_c) if not taken[c] and sizes[c] <= 2]
    budget = min(len(pool), n_c // 3)
    circles: list[list[int]] = []
    cursor = 0
    for _ in range(config.resolved_circle_count):
        k = int(rng.integers(config.circle_size_min, config.circle_size_max + 1))
        if cursor + k > budget:
            break
        members = pool[cursor:cursor + k]
        cursor += k
        taken[members] = True
        ring = [n_p + c for c in members]
        edges.add(ring, ring[1:] + ring[:1], "circle")
        if k >= 4 and rng.random() < 0.33:
            i = int(rng.integers(0, k))
            edges.add([ring[i]], [ring[(i + 2) % k]], "circle")
        circles.append(ring)
    return circles


def _mutual_pairs(config: PortfolioConfig, rng: np.random.Generator, sizes: np.ndarray,
                  cities: np.ndarray, taken: np.ndarray, edges: _Edges) -> np.ndarray:
    """Mutual guarantees among small and micro firms, paired within a city. O(n log n)."""
    n_p = config.persons
    free = np.flatnonzero(~taken & (sizes <= 1))
    n_pairs = min(round(0.5 * config.guarantee_reciprocity * config.guarantee_density
                        * len(free)), len(free) // 2)
    chosen = rng.permutation(free)[:2 * n_pairs]
    chosen = chosen[np.lexsort((rng.random(len(chosen)), cities[chosen]))]
    pairs = chosen.reshape(-1, 2)
    taken[chosen] = True
    a, b = n_p + pairs[:, 0], n_p + pairs[:, 1]
    edges.add(np.concatenate([a, b]), np.concatenate([b, a]), "mutual_pair")
    # A quarter of the pairs close a triangle through a third small firm: B -> C -> A.
    rest = rng.permutation(np.flatnonzero(~taken & (sizes <= 1)))
    n_tri = min(len(pairs) // 4, len(rest))
    if n_tri:
        third = n_p + rest[:n_tri]
        taken[rest[:n_tri]] = True
        edges.add(b[:n_tri], third, "triangle")
        edges.add(third, a[:n_tri], "triangle")
    return pairs


def _joint_groups(config: PortfolioConfig, rng: np.random.Generator,
                  excluded_persons: np.ndarray, edges: _Edges) -> list[list[int]]:
    """Joint-guarantee groups (联保小组) of 3–5 persons, fully connected. O(persons)."""
    n_p = config.persons
    count = round(config.joint_group_share * n_p / 4)
    allowed = np.ones(n_p, dtype=bool)
    allowed[excluded_persons] = False
    pool = rng.permutation(np.flatnonzero(allowed))
    groups: list[list[int]] = []
    cursor = 0
    for _ in range(count):
        k = int(rng.integers(3, 6))
        if cursor + k > len(pool):
            break
        members = pool[cursor:cursor + k].tolist()
        cursor += k
        g = np.repeat(members, k)
        b = np.tile(members, k)
        keep = g != b
        edges.add(g[keep], b[keep], "joint", _FULL // (k - 1))
        groups.append(members)
    return groups


def _finish(edges: _Edges, circles: list[list[int]],
            joint_groups: list[list[int]]) -> GuaranteeNetwork:
    """Drop self-guarantees and repeats (first motif wins), then set kinds. O(E log E)."""
    g = np.concatenate([p[0] for p in edges.parts])
    b = np.concatenate([p[1] for p in edges.parts])
    share = np.concatenate([p[2] for p in edges.parts])
    motif = np.concatenate([np.full(len(p[0]), p[3], dtype=np.int8) for p in edges.parts])
    keep = g != b
    g, b, share, motif = g[keep], b[keep], share[keep], motif[keep]
    width = int(max(g.max(initial=0), b.max(initial=0))) + 1
    key = g * width + b
    _, first = np.unique(key, return_index=True)
    first.sort()
    g, b, share, motif, key = g[first], b[first], share[first], motif[first], key[first]
    reverse = np.isin(b * width + g, key)
    kind = np.where(motif == MOTIFS.index("joint"), 2, np.where(reverse, 1, 0)).astype(np.int8)
    return GuaranteeNetwork(guarantor=g, borrower=b, kind=kind, share=share, motif=motif,
                            circles=circles, joint_groups=joint_groups)
