"""Planted structures are present as the ground truth declares, and motifs look right."""

from __future__ import annotations

from collections import Counter, defaultdict

from tests.seeds.portfolio_files import PortfolioFiles, normalise_identifier


def test_each_planted_circle_is_a_directed_guarantee_cycle(portfolio: PortfolioFiles) -> None:
    circles = portfolio.truth["guarantee_circles"]
    assert circles
    edges = portfolio.guarantee_edges
    for circle in circles:
        members = circle["members"]
        assert 3 <= len(members) <= 12 and len(set(members)) == len(members)
        for guarantor, borrower in zip(members, members[1:] + members[:1], strict=True):
            assert (guarantor, borrower) in edges


def test_groups_are_ownership_trees_two_to_five_deep(portfolio: PortfolioFiles) -> None:
    owns = {(r["owner_id"], r["company_id"]) for r in portfolio.table("ownerships")}
    directs = {(r["person_id"], r["company_id"]) for r in portfolio.table("directorships")}
    groups = portfolio.truth["groups"]
    assert groups and {g["depth"] for g in groups} <= {2, 3, 4, 5}
    for group in groups:
        assert group["members"][0] == group["root"]
        assert (group["controller"], group["root"]) in owns
        assert (group["controller"], group["root"]) in directs  # as chairman
        for child, parent in group["parent"].items():
            assert (parent, child) in owns
        depth = {group["root"]: 1}
        for member in group["members"][1:]:
            depth[member] = depth[group["parent"][member]] + 1
        assert max(depth.values()) == group["depth"]
    crossed = [c for g in groups for c in g["cross_holdings"]]
    assert crossed
    for holder, held, _pct in crossed:
        assert (holder, held) in owns


def test_identity_rings_share_a_normalised_identifier(portfolio: PortfolioFiles) -> None:
    values: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    raw: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for row in portfolio.table("identifiers"):
        values[(row["party_id"], row["kind"])].add(normalise_identifier(row["kind"],
                                                                        row["value"]))
        raw[(row["party_id"], row["kind"])].add(row["value"])
    holders: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for (party, kind), normals in values.items():
        for normal in normals:
            holders[(kind, normal)].add(party)
    rings = portfolio.truth["identity_rings"]
    assert rings
    written_differently = 0
    for ring in rings:
        assert 3 <= len(ring["members"]) <= 8
        for kind, value in ring["values"].items():
            assert holders[(kind, value)] == set(ring["members"])
            spellings = {v for m in ring["members"] for v in raw[(m, kind)]}
            written_differently += len(spellings) > 1
    assert written_differently > 0
    # Outside rings and households nobody shares a phone or a device.
    ring_members = {m for r in rings for m in r["members"]}
    for (kind, _value), parties in holders.items():
        if kind in ("phone", "device") and len(parties) > 1:
            assert parties <= ring_members


def test_joint_groups_and_mutual_pairs_are_in_the_files(portfolio: PortfolioFiles) -> None:
    kinds = {(g["guarantor_id"], portfolio.loans[g["loan_id"]]["borrower_id"]): g["kind"]
             for g in portfolio.table("guarantees")}
    assert portfolio.truth["joint_groups"]
    for group in portfolio.truth["joint_groups"]:
        assert 3 <= len(group) <= 5
        for a in group:
            for b in group:
                if a != b:
                    assert kinds[(a, b)] == "joint"
    assert portfolio.truth["mutual_pairs"]
    for a, b in portfolio.truth["mutual_pairs"]:
        assert kinds[(a, b)] == kinds[(b, a)] == "mutual"


def _company_edges(portfolio: PortfolioFiles) -> tuple[set[tuple[str, str]], dict[str, str]]:
    size = {r["id"]: r["size"] for r in portfolio.table("companies")}
    edges = {(g, b) for g, b in portfolio.guarantee_edges if g in size and b in size}
    return edges, size


def test_small_firms_reciprocate_more_than_large_ones(portfolio: PortfolioFiles) -> None:
    edges, size = _company_edges(portfolio)
    small = {"micro", "small"}

    def reciprocity(selected: list[tuple[str, str]]) -> float:
        return sum((b, g) in edges for g, b in selected) / max(len(selected), 1)

    among_small = [(g, b) for g, b in edges if size[g] in small and size[b] in small]
    with_large = [(g, b) for g, b in edges if "large" in (size[g], size[b])]
    assert len(among_small) > 50 and len(with_large) > 20
    assert reciprocity(among_small) > 2 * reciprocity(with_large)


def test_large_firms_are_the_guarantors_of_out_stars(portfolio: PortfolioFiles) -> None:
    edges, size = _company_edges(portfolio)
    out_degree = Counter(g for g, _ in edges)

    def star_share(sizes: set[str]) -> float:
        firms = [c for c, s in size.items() if s in sizes]
        return sum(out_degree[c] >= 2 for c in firms) / len(firms)

    assert star_share({"large"}) > 2 * star_share({"micro", "small"})
