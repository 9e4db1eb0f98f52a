"""Guarantee circles, mutual and joint guarantees, co-guarantees and chains, on hand-built
graphs written through each real graph store (embedded SQLite and PostgreSQL, Neo4j)."""

from __future__ import annotations

import networkx as nx
import pytest

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from risk.network.chains import ChainOptions, find_chains
from risk.network.circles import (
    Circle,
    CircleOptions,
    CircleReport,
    bounded_cycles,
    find_circles,
)
from risk.projection import project_portfolio
from tests.graph.conftest import postgres_graph_store, store  # noqa: F401 - fixtures

#: Each borrower's loan: (party, currency, principal in minor units).
LOANS: dict[str, tuple[str, int]] = {}


def _company(party: str) -> Node:
    return Node(party, Label.COMPANY, {"name": party})


def _loan(party: str, currency: str = "CNY", minor: int = 100_000_00) -> Node:
    return Node(f"L-{party}", Label.LOAN, {"principal_minor": minor,
                                           "principal_currency": currency,
                                           "currency": currency})


def _guarantee(guarantor: str, borrower: str, minor: int = 50_000_00,
               currency: str = "CNY") -> Edge:
    return Edge(RelType.GUARANTEES, guarantor, f"L-{borrower}",
                props={"amount_minor": minor, "amount_currency": currency})


def _ring(*members: str) -> list[tuple[str, str]]:
    return list(zip(members, members[1:] + members[:1], strict=True))


# Who guarantees whom, by structure.
THREE_CIRCLE = _ring("A1", "A2", "A3")
FIVE_IN_LARGER = _ring("B1", "B2", "B3", "B4", "B5") + _ring("B3", "Y1", "Y2")
MUTUAL = [("M1", "M2"), ("M2", "M1")]
JOINT = [(a, b) for a in ("J1", "J2", "J3", "J4") for b in ("J1", "J2", "J3", "J4") if a != b]
CO_GUARANTEE = [("K2", "K1"), ("K3", "K1")]
CHAIN = [("Q1", "P1"), ("Q2", "Q1"), ("Q3", "Q2"), ("Q4", "Q3"), ("Q5", "Q4")]
#: Exact sums: 0.10 + 0.20 is 0.30, and nine quadrillion yuan plus a cent keeps the cent.
BIG: dict[str, tuple[str, int]] = {"A1": ("USD", 10), "A2": ("USD", 20),
                                   "A3": ("CNY", 900_000_000_000_000_001)}


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:  # noqa: F811 - the fixture imported above
    pairs = THREE_CIRCLE + FIVE_IN_LARGER + MUTUAL + JOINT + CO_GUARANTEE + CHAIN
    parties = sorted({p for pair in pairs for p in pair})
    nodes = [_company(p) for p in parties]
    nodes += [_loan(p, *BIG[p]) if p in BIG else _loan(p) for p in parties]
    edges = [Edge(RelType.BORROWS, p, f"L-{p}") for p in parties]
    edges += [_guarantee(g, b) for g, b in pairs]
    # A1 guarantees A2 twice over: a second loan of A2, in CNY.
    nodes.append(Node("L-A2-bis", Label.LOAN, {"principal_minor": 5,
                                               "principal_currency": "CNY"}))
    edges += [Edge(RelType.BORROWS, "A2", "L-A2-bis"),
              Edge(RelType.GUARANTEES, "A1", "L-A2-bis",
                   props={"amount_minor": 3, "amount_currency": "CNY"})]
    store.upsert_batch(nodes, edges)
    return store


def _of(report: CircleReport, kind: str, scope: str | None = None) -> dict[frozenset[str],
                                                                          Circle]:
    return {frozenset(c.members): c for c in report.circles
            if c.kind == kind and (scope is None or c.scope == scope)}


def test_a_three_circle_is_one_circle_with_its_loans_and_exact_exposure(
        loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded))
    circle = _of(report, "circle")[frozenset({"A1", "A2", "A3"})]
    assert circle.scope == "component"
    assert circle.loans == ("L-A1", "L-A2", "L-A2-bis", "L-A3")
    assert circle.exposure == {"CNY": "9000000000000000.06", "USD": "0.30"}
    assert circle.guaranteed == {"CNY": "150000.03"}
    assert [(e.guarantor, e.borrower, e.loans) for e in circle.edges] == [
        ("A1", "A2", ("L-A2", "L-A2-bis")), ("A2", "A3", ("L-A3",)), ("A3", "A1", ("L-A1",))]
    assert circle.edges[0].amount == {"CNY": "50000.03"}


def test_a_five_circle_inside_a_larger_component_is_found_as_itself(
        loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded))
    components = _of(report, "circle", "component")
    cycles = _of(report, "circle", "cycle")
    larger = components[frozenset({"B1", "B2", "B3", "B4", "B5", "Y1", "Y2"})]
    five = cycles[frozenset({"B1", "B2", "B3", "B4", "B5"})]
    assert five.members == ("B1", "B2", "B3", "B4", "B5")  # cycle order
    assert [(e.guarantor, e.borrower) for e in five.edges] == _ring(*five.members)
    assert five.component == larger.component
    assert frozenset({"B3", "Y1", "Y2"}) in cycles
    assert len(larger.edges) == 8


def test_cycles_longer_than_the_bound_are_not_listed(loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded), CircleOptions(max_cycle_length=4))
    cycles = _of(report, "circle", "cycle")
    assert frozenset({"B3", "Y1", "Y2"}) in cycles
    assert frozenset({"B1", "B2", "B3", "B4", "B5"}) not in cycles


def test_cycle_search_stops_at_its_cap_and_says_so(loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded), CircleOptions(max_cycle_steps=3))
    assert len(report.truncated_components) == 1
    assert len(_of(report, "circle", "cycle")) <= 1


def test_mutual_pair_and_joint_group_are_told_apart(loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded))
    assert set(_of(report, "mutual")) == {frozenset({"M1", "M2"})}
    joint = _of(report, "joint")
    assert set(joint) == {frozenset({"J1", "J2", "J3", "J4"})}
    assert len(joint[frozenset({"J1", "J2", "J3", "J4"})].edges) == 12
    # The group's 2-, 3- and 4-cycles are the group, not circles or mutual pairs.
    assert not any(member.startswith("J") for c in report.circles if c.kind != "joint"
                   for member in c.members)


def test_a_co_guarantee_is_reported_apart_not_as_a_circle(loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded))
    assert not any("K1" in c.members for c in report.circles)
    by_loan = {co.loan: co for co in report.co_guarantees}
    co = by_loan["L-K1"]
    assert (co.loan, co.borrower, co.guarantors) == ("L-K1", "K1", ("K2", "K3"))
    assert co.guaranteed == {"CNY": "100000.00"}
    assert co.exposure == {"CNY": "100000.00"}
    # Every loan with two or more guarantors is one, whatever else its guarantors do.
    assert set(by_loan) == {"L-K1", "L-B3", "L-J1", "L-J2", "L-J3", "L-J4"}


def test_min_size_leaves_out_smaller_findings(loaded: GraphStore) -> None:
    report = find_circles(project_portfolio(loaded), CircleOptions(min_size=4))
    assert all(len(c.members) >= 4 for c in report.circles)
    assert frozenset({"J1", "J2", "J3", "J4"}) in _of(report, "joint")
    assert not _of(report, "mutual")


def test_chains_follow_exposure_from_borrower_to_guarantors_and_are_capped(
        loaded: GraphStore) -> None:
    projection = project_portfolio(loaded)
    full = [c for c in find_chains(projection).chains if c.steps[0] == ("P1",)]
    assert [(c.steps, c.capped) for c in full] == [
        ((("P1",), ("Q1",), ("Q2",), ("Q3",), ("Q4",), ("Q5",)), False)]
    assert [(e.guarantor, e.borrower) for e in full[0].edges][:2] == [("Q1", "P1"),
                                                                       ("Q2", "Q1")]
    capped = [c for c in find_chains(projection, ChainOptions(max_hops=3)).chains
              if c.steps[0] == ("P1",)]
    assert [(c.steps, c.capped) for c in capped] == [
        ((("P1",), ("Q1",), ("Q2",), ("Q3",)), True)]
    # A co-guarantee is one hop: below the two-hop minimum of a chain.
    assert not any(c.steps[0] == ("K1",) for c in find_chains(projection).chains)


def test_a_chain_through_a_circle_steps_over_the_whole_component(store: GraphStore) -> None:  # noqa: F811
    # X borrows; circle C1 -> C2 -> C3 -> C1 guarantees X (C1 -> X); Z guarantees C2.
    parties = ["C1", "C2", "C3", "X", "Z"]
    store.upsert_batch(
        [_company(p) for p in parties] + [_loan(p) for p in parties],
        [Edge(RelType.BORROWS, p, f"L-{p}") for p in parties]
        + [_guarantee(g, b) for g, b in [*_ring("C1", "C2", "C3"), ("C1", "X"), ("Z", "C2")]])
    [chain] = find_chains(project_portfolio(store)).chains
    assert chain.steps == (("X",), ("C1", "C2", "C3"), ("Z",))
    assert [(e.guarantor, e.borrower) for e in chain.edges] == [("C1", "X"), ("Z", "C2")]


def test_an_empty_graph_has_no_findings(store: GraphStore) -> None:  # noqa: F811
    projection = project_portfolio(store)
    assert projection.n_parties == 0
    report = find_circles(projection)
    assert (report.circles, report.co_guarantees, report.components) == ((), (), 0)
    assert find_chains(projection).chains == ()


@pytest.mark.parametrize(("options", "problem"), [
    ({"min_size": 1}, "min_size"), ({"max_cycle_length": 2}, "max_cycle_length"),
    ({"max_cycle_steps": 0}, "max_cycle_steps")])
def test_bad_options_are_refused_by_name(options: dict[str, int], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        CircleOptions(**options)


@pytest.mark.parametrize("seed", range(20))
def test_bounded_cycles_lists_what_networkx_lists(seed: int) -> None:
    graph = nx.gnp_random_graph(11, 0.3, directed=True, seed=seed)
    successors = [sorted(graph.successors(v)) for v in range(11)]
    predecessors = [sorted(graph.predecessors(v)) for v in range(11)]
    cycles, capped = bounded_cycles(successors, predecessors, 5, 10**9)
    expected = [c for c in nx.simple_cycles(graph, length_bound=5) if len(c) >= 3]
    assert not capped
    assert sorted(map(_canonical, cycles)) == sorted(map(_canonical, expected))


def _canonical(cycle: list[int]) -> tuple[int, ...]:
    start = cycle.index(min(cycle))
    return tuple(cycle[start:] + cycle[:start])
