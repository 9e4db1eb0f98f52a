"""Cash-flow rights and control: hand cases on matrices, then through the real stores, then
against the generator's planted groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.network.control import (
    InvalidOwnership,
    cash_flow_rights,
    control,
    ownership_matrix,
)
from risk.network.groups import control_edges, find_groups, write_control_edges
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files

# -- arithmetic on matrices --------------------------------------------------------------


def test_51_of_51_controls_both_with_a_cash_flow_right_of_26_01_percent() -> None:
    # given P holds 51 % of F, which holds 51 % of G
    a = ownership_matrix(3, [0, 1], [1, 2], [0.51, 0.51])

    # when
    ctrl, rights = control(a), cash_flow_rights(a)

    # then P is the ultimate controller of both, down a chain of two steps
    assert ctrl.ultimate.tolist() == [0, 0, 0]
    assert ctrl.parent.tolist() == [-1, 0, 1]
    assert ctrl.depth.tolist() == [0, 1, 2]
    assert ctrl.path(2) == [0, 1, 2]
    assert rights.right(0, 2) == pytest.approx(0.2601, abs=1e-12)
    assert rights.right(0, 1) == pytest.approx(0.51, abs=1e-12)
    assert rights.degenerate == []


def test_a_cross_holding_pair_is_solved_exactly() -> None:
    # given P holds 80 % of A, Q 70 % of B; A holds 30 % of B and B 20 % of A
    p, q, firm_a, firm_b = range(4)
    a = ownership_matrix(4, [p, q, firm_a, firm_b], [firm_a, firm_b, firm_b, firm_a],
                         [0.8, 0.7, 0.3, 0.2])

    rights = cash_flow_rights(a)

    # then, by hand: v_A = e_A + 0.3 v_B, v_B = e_B + 0.2 v_A, so 1 - 0.06 = 0.94 divides
    assert rights.right(p, firm_a) == pytest.approx(0.8 / 0.94, abs=1e-12)
    assert rights.right(p, firm_b) == pytest.approx(0.8 * 0.3 / 0.94, abs=1e-12)
    assert rights.right(q, firm_a) == pytest.approx(0.7 * 0.2 / 0.94, abs=1e-12)
    assert rights.right(q, firm_b) == pytest.approx(0.7 / 0.94, abs=1e-12)
    # the final owners' rights in each firm add up to the whole firm, no more
    assert rights.right(p, firm_b) + rights.right(q, firm_b) == pytest.approx(1.0, abs=1e-12)
    # A's claim on itself through B is what returns around the cycle
    assert rights.right(firm_a, firm_a) == pytest.approx(0.3 * 0.2 / 0.94, abs=1e-12)


def test_stakes_held_through_two_controlled_vehicles_add_up_to_control() -> None:
    # given X holds 51 % of V1 and of V2, which hold 30 % and 25 % of T
    x, v1, v2, t = range(4)
    a = ownership_matrix(4, [x, x, v1, v2], [v1, v2, t, t], [0.51, 0.51, 0.30, 0.25])

    ctrl = control(a, threshold=0.5, plurality=0.0)

    # then X controls T jointly (55 %), and both stakes are the evidence
    assert ctrl.ultimate[t] == x
    assert sorted(e for e in ctrl.evidence if e[1] == t) == [(v1, t, 0.30), (v2, t, 0.25)]
    assert ctrl.depth[t] == 2
    assert ctrl.by_plurality == frozenset()


@pytest.mark.parametrize("big_part", [10, 300])
def test_cash_flow_rights_equal_the_dense_formula(big_part: int) -> None:
    # given a random ownership network with cross-holdings: one part of about
    # ``big_part`` companies (solved by sparse LU above 64 parties) and parts of up to 8
    rng = np.random.default_rng(3)
    n = 400
    holders, held, pct = [], [], []
    for j in range(1, n):
        # stakes of one company sum to at most 0.95, from earlier and (cross) later parties
        owners = rng.choice(np.r_[0:j, j + 1:n], size=int(rng.integers(1, 4)), replace=False)
        if j >= big_part:
            owners = owners[(owners >= big_part) & (owners // 8 == j // 8)]
        shares = rng.dirichlet(np.ones(len(owners))) * 0.95 if len(owners) else []
        holders += owners.tolist()
        held += [j] * len(owners)
        pct += list(shares)
    a = ownership_matrix(n, holders, held, pct)
    dense = a.toarray()

    rights = cash_flow_rights(a)

    expected = dense @ np.linalg.inv(np.eye(n) - dense)
    assert rights.degenerate == []
    assert np.abs(rights.matrix.toarray() - expected).max() < 1e-12


def test_one_vehicle_alone_does_not_control_under_a_pure_majority_rule() -> None:
    x, v1, v2, t = range(4)
    a = ownership_matrix(4, [x, v1, v2], [v1, t, t], [0.51, 0.30, 0.25])

    ctrl = control(a, threshold=0.5, plurality=0.0)

    assert ctrl.ultimate[t] == t
    assert ctrl.parent[t] == -1


def test_the_largest_holder_with_30_percent_controls_by_plurality() -> None:
    # given P holds 30 % of C and Q 20 %
    p, q, c = range(3)
    a = ownership_matrix(3, [p, q], [c, c], [0.30, 0.20])

    assert control(a).ultimate[c] == p
    assert control(a).by_plurality == frozenset({c})
    assert control(a, plurality=0.0).ultimate[c] == c
    # a tie for largest holder gives no one control
    tie = ownership_matrix(3, [p, q], [c, c], [0.35, 0.35])
    assert control(tie).ultimate[c] == c


def test_exactly_half_is_not_majority_control() -> None:
    a = ownership_matrix(3, [0, 1], [2, 2], [0.5, 0.5])

    assert control(a).ultimate.tolist() == [0, 1, 2]


def test_a_100_percent_loop_is_reported_not_solved() -> None:
    # given A and B own each other outright; A holds 60 % of C and P the other 40 %
    p, firm_a, firm_b, c = range(4)
    a = ownership_matrix(4, [firm_a, firm_b, firm_a, p], [firm_b, firm_a, c, c],
                         [1.0, 1.0, 0.6, 0.4])

    rights = cash_flow_rights(a)
    ctrl = control(a)

    # then the loop is named, the rest is solved: no singular matrix, no crash
    assert [(d.kind, d.members) for d in rights.degenerate] == [
        ("closed_loop", (firm_a, firm_b))]
    assert rights.right(p, c) == pytest.approx(0.4)
    assert rights.right(firm_a, c) == pytest.approx(0.6)
    assert rights.right(firm_a, firm_b) == 0.0
    assert ctrl.cycles == [(firm_a, firm_b)]
    assert ctrl.ultimate[firm_a] == firm_a and ctrl.ultimate[firm_b] == firm_b
    # C is held 60 % by A, which heads its own block
    assert ctrl.ultimate[c] == firm_a


def test_two_firms_wholly_owning_each_other_are_a_closed_loop() -> None:
    a = ownership_matrix(2, [0, 1], [1, 0], [1.0, 1.0])

    rights = cash_flow_rights(a)

    assert [(d.kind, d.members) for d in rights.degenerate] == [("closed_loop", (0, 1))]
    assert rights.matrix.nnz == 0
    assert control(a).cycles == [(0, 1)]


def test_stakes_over_100_percent_are_reported_as_over_owned() -> None:
    a = ownership_matrix(3, [0, 1], [2, 2], [0.7, 0.6])

    assert [(d.kind, d.members) for d in cash_flow_rights(a).degenerate] == [
        ("over_owned", (2,))]


def test_a_percentage_where_a_fraction_belongs_names_the_edge() -> None:
    with pytest.raises(InvalidOwnership) as caught:
        ownership_matrix(2, [0], [1], [51.0], names=["P1", "C1"])

    assert "OWNS edge P1 -> C1: pct 51.0 is not a share in (0, 1]" in caught.value.message
    assert caught.value.suggestion == "pct is a fraction: 51 % is 0.51"


@pytest.mark.parametrize(("threshold", "plurality"), [(0.0, 0.0), (1.0, 0.3), (0.5, 0.6)])
def test_bad_control_parameters_are_refused(threshold: float, plurality: float) -> None:
    with pytest.raises(InvalidOwnership):
        control(ownership_matrix(2, [0], [1], [0.6]), threshold, plurality)


# -- through the real stores ---------------------------------------------------------------


def _loan(loan_id: str, minor: int, currency: str = "CNY") -> Node:
    return Node(loan_id, Label.LOAN, {"principal_minor": minor, "currency": currency,
                                     "principal": minor / 100})


def _group_graph() -> tuple[list[Node], list[Edge]]:
    """P1 holds 51 % of C1, which holds 51 % of C2; C2 and C3 (held 55 % by C1) borrow;
    P9 guarantees C2's loan and borrows one itself; P5 holds a lone company C5."""
    nodes = [Node("P1", Label.PERSON), Node("P5", Label.PERSON), Node("P9", Label.PERSON),
             *(Node(c, Label.COMPANY) for c in ("C1", "C2", "C3", "C5")),
             _loan("L1", 100_000_01), _loan("L2", 250_000_50), _loan("L3", 1_00, "USD"),
             _loan("L9", 5_000_00), _loan("L5", 7_00)]
    owns = [("P1", "C1", 0.51), ("C1", "C2", 0.51), ("C1", "C3", 0.55), ("P5", "C5", 0.9)]
    edges = [Edge(RelType.OWNS, h, t, props={"pct": pct}) for h, t, pct in owns]
    edges += [Edge(RelType.BORROWS, b, loan) for b, loan in
              (("C2", "L1"), ("C3", "L2"), ("C1", "L3"), ("P9", "L9"), ("C5", "L5"))]
    edges.append(Edge(RelType.GUARANTEES, "P9", "L1", props={"share": 1.0}))
    return nodes, edges


def test_a_group_with_its_control_tree_and_exact_exposure(store: GraphStore) -> None:
    store.upsert_batch(*_group_graph())

    report = find_groups(store)

    # then one group (the lone company of P5 is no group), with the loans of its members
    # and of their guarantor P9
    [group] = report.groups
    assert group.controller == "P1"
    assert group.members == ["C1", "C2", "C3"]
    assert group.control_edges == [("P1", "C1", 0.51), ("C1", "C2", 0.51),
                                   ("C1", "C3", 0.55)]
    assert group.loans == ["L1", "L2", "L3", "L9"]
    assert group.guarantors == ["P9"]
    assert group.exposure == {"CNY": "355000.51", "USD": "1.00"}
    assert report.degenerate == [] and report.control_cycles == []


def test_controls_edges_are_derived_idempotently_and_stale_ones_marked(
        store: GraphStore) -> None:
    nodes, edges = _group_graph()
    store.upsert_batch(nodes, edges)

    first = write_control_edges(store)
    second = write_control_edges(store)

    stored = store.project([RelType.CONTROLS])
    assert (first.current, first.stale) == (second.current, second.stale) == (4, 0)
    assert sorted(stored.edges()) == [("P1", "C1"), ("P1", "C2"), ("P1", "C3"), ("P5", "C5")]
    c2 = stored.get_edge_data("P1", "C2")[""]
    assert c2["depth"] == 2 and c2["via"] == "P1 > C1 > C2" and c2["rule"] == "majority"
    assert c2["cash_flow_right"] == pytest.approx(0.2601)
    assert c2["current"] is True

    # when C1 sells C3 down to 10 %, P1 no longer controls C3
    store.upsert_edges([Edge(RelType.OWNS, "C1", "C3", props={"pct": 0.10})])
    third = write_control_edges(store)

    stored = store.project([RelType.CONTROLS])
    assert (third.current, third.stale) == (3, 1)
    assert stored.get_edge_data("P1", "C3")[""]["current"] is False
    assert stored.get_edge_data("P1", "C2")[""]["current"] is True


def test_an_empty_graph_has_no_groups_and_writes_no_edges(store: GraphStore) -> None:
    assert find_groups(store).groups == []
    assert (write_control_edges(store).current, write_control_edges(store).stale) == (0, 0)


def test_control_edges_of_a_person_controlled_chain() -> None:
    a = ownership_matrix(3, [0, 1], [1, 2], [0.6, 0.7])

    edges = control_edges(["P", "F", "G"], control(a), cash_flow_rights(a))

    assert [(e.source, e.target, e.props["depth"]) for e in edges] == [
        ("P", "F", 1), ("P", "G", 2)]
    assert edges[1].props["cash_flow_right"] == pytest.approx(0.42)


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return command_line_database(tmp_path, monkeypatch)


def test_groups_json(cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    EmbeddedGraphStore(cli_database).upsert_batch(*_group_graph())

    code = run_loanwatch(monkeypatch, "groups", "--json")

    assert code == 0
    assert orjson.loads(capsys.readouterr().out) == {"groups": [{
        "controller": "P1", "members": ["C1", "C2", "C3"],
        "exposure": {"CNY": "355000.51", "USD": "1.00"},
        "control_edges": [["P1", "C1", 0.51], ["C1", "C2", 0.51], ["C1", "C3", 0.55]],
    }]}


def test_groups_table_and_a_threshold(cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    EmbeddedGraphStore(cli_database).upsert_batch(*_group_graph())

    code = run_loanwatch(monkeypatch, "groups", "--threshold", "0.52", "--plurality", "0")

    out = capsys.readouterr().out
    assert code == 0
    # at 52 % only C1 -> C3 (55 %) is control: C1 heads a group of two
    assert "1 corporate groups" in out
    assert "C1 (Company)" in out and "C1 → C3 55.00%" in out


def test_a_stored_percentage_is_an_error_naming_the_edge(
        cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    EmbeddedGraphStore(cli_database).upsert_batch(
        [Node("P1", Label.PERSON), Node("C1", Label.COMPANY)],
        [Edge(RelType.OWNS, "P1", "C1", props={"pct": 51})])

    code = run_loanwatch(monkeypatch, "groups")

    err = capsys.readouterr().err
    assert code == 1
    assert "error: OWNS edge P1 -> C1: pct 51.0 is not a share in (0, 1]" in err
    assert "hint: pct is a fraction" in err
    assert "Traceback" not in err


# -- the generator's planted groups -------------------------------------------------------


def test_every_planted_group_is_found(tmp_path: Path) -> None:
    out = tmp_path / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=2_000, seed=11, group_count=15,
                                       cross_holding_prob=0.8),
                       out)
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    import_files([out], graph, engine)
    truth = orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())

    found = {g.controller: g for g in find_groups(graph).groups}

    assert truth["groups"]
    assert any(g["cross_holdings"] for g in truth["groups"])
    for planted in truth["groups"]:
        group = found[planted["controller"]]
        assert group.members == sorted(planted["members"])
        # the control tree is the planted one: every member's majority owner is evidence
        evidence = {(h, t) for h, t, _ in group.control_edges}
        assert all((parent, child) in evidence for child, parent in planted["parent"].items())
        assert planted["root"] in group.members
    engine.dispose()
