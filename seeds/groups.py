"""Corporate groups, company ownership and directorships.

Every company has owners whose stakes sum to at most 1. Most are owned by one or two
persons (their owners become ``企业主``). A corporate group is an ownership tree 2–5 levels
deep under a root company, whose controlling person owns the root and often represents the
subsidiaries; some groups add cross-holdings, minority stakes between member companies
outside the tree's parent links.

Ownership and directorship arrays hold global party indices (persons first, then
companies); a :class:`Group` lists company indices (``0..companies-1``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from seeds.config import PortfolioConfig
from seeds.randomness import stage_rng

__all__ = ["DIRECTOR_ROLES", "Group", "Ownership", "build_ownership"]

DIRECTOR_ROLES = ("legal_representative", "chairman", "general_manager", "supervisor")
_LEGAL_REP, _CHAIRMAN, _MANAGER, _SUPERVISOR = range(4)
_FULL = 10_000  # a whole stake, in ten-thousandths


@dataclass(slots=True)
class Group:
    """One corporate group of company indices, breadth first: ``members[0]`` is the root,
    ``parent`` maps each other member to the company owning its majority, and
    ``cross_holdings`` lists ``(holder, held, pct in ten-thousandths)``."""

    root: int
    controller: int
    depth: int
    members: list[int]
    parent: dict[int, int]
    cross_holdings: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Ownership:
    """Ownership, directorships and groups of the portfolio.

    ``owner``/``company``/``pct`` are parallel arrays of OWNS edges (pct in
    ten-thousandths); ``director``/``directed``/``role`` likewise for DIRECTS edges;
    ``main_owner`` gives each company's largest person owner (by company index).
    """

    owner: np.ndarray
    company: np.ndarray
    pct: np.ndarray
    director: np.ndarray
    directed: np.ndarray
    role: np.ndarray
    main_owner: np.ndarray
    partner_pairs: np.ndarray  # (k, 2) persons co-owning a company
    groups: list[Group]
    group_of: np.ndarray  # per company index, -1 outside groups
    owner_persons: np.ndarray  # person indices that own a company


def _stake(rng: np.random.Generator, low: float, high: float, whole_prob: float) -> int:
    if rng.random() < whole_prob:
        return _FULL
    return int(rng.uniform(low, high) * 100) * 100


def build_ownership(config: PortfolioConfig, sizes: np.ndarray) -> Ownership:
    """Draw groups, owners and directors.

    Parameters:
        config: the portfolio settings.
        sizes: company size codes (0 micro .. 3 large), one per company.

    Complexity: O(companies) time and memory; a Python loop over the companies, which
    number a tenth of the borrowers by default.
    """
    rng = stage_rng(config.seed, "ownership")
    n_p, n_c = config.persons, config.companies
    own_src: list[int] = []
    own_dst: list[int] = []
    own_pct: list[int] = []
    dir_src: list[int] = []
    dir_dst: list[int] = []
    dir_role: list[int] = []
    remaining = np.full(n_c, _FULL, dtype=np.int64)
    group_of = np.full(n_c, -1, dtype=np.int32)
    # Owners and hired managers come from a shuffled list of persons; with few persons
    # (large company shares) they repeat.
    need = 3 * n_c + 16
    people = rng.permutation(n_p) if need <= n_p else rng.integers(0, n_p, need)
    cursor = 0

    def next_person() -> int:
        nonlocal cursor
        person = int(people[cursor % len(people)])
        cursor += 1
        return person

    def own(owner: int, company: int, pct: int) -> None:
        pct = min(pct, int(remaining[company]))
        if pct <= 0:
            return
        remaining[company] -= pct
        own_src.append(owner)
        own_dst.append(n_p + company)
        own_pct.append(pct)

    def direct(person: int, company: int, role: int) -> None:
        dir_src.append(person)
        dir_dst.append(n_p + company)
        dir_role.append(role)

    groups = _draw_groups(config, sizes, rng)
    main_owner = np.full(n_c, -1, dtype=np.int64)
    partners: list[tuple[int, int]] = []
    for g, group in enumerate(groups):
        controller = group.controller = next_person()
        group_of[np.array(group.members)] = g
        wants_cross = len(group.members) >= 3 and rng.random() < config.cross_holding_prob
        main_owner[group.root] = controller
        own(controller, group.root, _stake(rng, 0.3, 0.9, 0.2))
        direct(controller, group.root, _CHAIRMAN)
        for company in group.members[1:]:
            cap = 8_000 if wants_cross else _FULL
            own(n_p + group.parent[company], company,
                min(_stake(rng, 0.51, 0.95, 0.35), cap))
            if rng.random() < 0.5:
                own(controller, company, int(remaining[company] * rng.uniform(0.3, 1.0))
                    // 100 * 100)
            main_owner[company] = controller
            direct(controller if rng.random() < 0.5 else next_person(), company, _LEGAL_REP)
        if wants_cross:
            _add_cross_holdings(group, rng, remaining, own, n_p)
    for company in np.flatnonzero(group_of < 0).tolist():
        owner = main_owner[company] = next_person()
        own(owner, company, _stake(rng, 0.5, 0.95, 0.3 if sizes[company] < 2 else 0.1))
        if remaining[company] > 0 and rng.random() < 0.6:
            partner = next_person()
            if partner != owner:
                own(partner, company,
                    int(remaining[company] * rng.uniform(0.5, 1.0)) // 100 * 100)
                partners.append((owner, partner))
        direct(owner if rng.random() < 0.8 else next_person(), company, _LEGAL_REP)
    for company in np.flatnonzero(sizes >= 2).tolist():
        direct(next_person(), company, _MANAGER)
        if rng.random() < 0.6:
            direct(next_person(), company, _SUPERVISOR)
    owners = np.array(own_src, dtype=np.int64)
    # One role per person and company (a DIRECTS edge has no key): the first one drawn.
    directors, directed = np.array(dir_src, dtype=np.int64), np.array(dir_dst, dtype=np.int64)
    _, first = np.unique(directors * (n_p + n_c) + directed, return_index=True)
    first.sort()
    return Ownership(
        owner=owners, company=np.array(own_dst, dtype=np.int64),
        pct=np.array(own_pct, dtype=np.int64),
        director=directors[first], directed=directed[first],
        role=np.array(dir_role, dtype=np.int8)[first], main_owner=main_owner,
        partner_pairs=np.array(partners, dtype=np.int64).reshape(-1, 2),
        groups=groups, group_of=group_of, owner_persons=np.unique(owners[owners < n_p]),
    )


def _draw_groups(config: PortfolioConfig, sizes: np.ndarray,
                 rng: np.random.Generator) -> list[Group]:
    """Ownership trees under roots drawn from the largest companies. O(companies)."""
    n_c = len(sizes)
    count = config.resolved_group_count
    order = rng.permutation(n_c)
    big_first = order[np.argsort(-np.minimum(sizes[order], 2), kind="stable")]
    roots = big_first[:count]
    is_root = np.zeros(n_c, dtype=bool)
    is_root[roots] = True
    pool = [int(c) for c in order if not is_root[c]]
    cursor = 0
    groups: list[Group] = []
    for root in roots.tolist():
        depth = int(rng.integers(config.group_depth_min, config.group_depth_max + 1))
        members, parent, level = [root], {}, [root]
        for _ in range(depth - 1):
            nxt: list[int] = []
            for i, company in enumerate(level):
                kids = (1 if i == 0 else 0) + min(int(rng.poisson(0.7)), 3)
                for _ in range(kids):
                    if cursor >= len(pool) or len(members) >= 20:
                        break
                    child = pool[cursor]
                    cursor += 1
                    parent[child] = company
                    members.append(child)
                    nxt.append(child)
            if not nxt:
                break
            level = nxt
        if len(members) == 1:  # no company left to own: the root stays independent
            continue
        real_depth = 1
        for company in members:
            steps, node = 1, company
            while node in parent:
                node, steps = parent[node], steps + 1
            real_depth = max(real_depth, steps)
        groups.append(Group(root=root, controller=-1, depth=real_depth, members=members,
                            parent=parent))
    return groups


def _add_cross_holdings(group: Group, rng: np.random.Generator, remaining: np.ndarray,
                        own: Callable[[int, int, int], None], n_p: int) -> None:
    """Add 1–2 minority stakes between members other than parent and child. O(size)."""
    members = group.members
    for _ in range(int(rng.integers(1, 3))):
        holder, held = (int(x) for x in rng.choice(members, 2, replace=False))
        if held == group.root or holder in (group.parent.get(held), -1):
            continue
        if group.parent.get(holder) == held or remaining[held] < 100:
            continue
        if any(h == holder and d == held for h, d, _ in group.cross_holdings):
            continue
        stake = min(int(rng.uniform(0.05, 0.2) * 100) * 100, int(remaining[held]))
        own(n_p + holder, held, stake)
        group.cross_holdings.append((holder, held, stake))
