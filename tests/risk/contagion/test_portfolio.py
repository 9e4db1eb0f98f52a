"""The portfolio stress test through the real stores: a hand portfolio, computed by hand.

The hand portfolio (CNY; amounts in minor units, fen)::

    C1  company, capital 50,000,000; borrows L1 20,000,000           sector C13, 浙江/杭州
    P1  person, income 100,000/month: buffer 36 x = 3,600,000;        浙江/宁波
        guarantees L1 for 1,800,000; borrows L2 5,000,000
    C3  company, registered capital 1 but an imported loss_buffer 80,000,000 (the override);
        holds 40 % of C1; borrows L3 10,000,000                        sector K70, 江苏/南京
    P2  person, no income: the floor buffer 10,000,000; guarantees L2 for 4,000,000
    C4  company, capital 10,000,000, no loan; C1 pays it 1,000,000 a month for 2024-01..12
        (and 50,000,000 in 2023-12, outside the 12-month window)
    P9  person, income 1,000,000: buffer 36,000,000; holds 60 % of C5 (capital 10,000,000)
        and 60 % of C6 (capital 20,000,000): the group of P9; C5 borrows L5 3,000,000

Defaulting C1 (DebtRank): W(P1←C1) = 1,800,000 / 3,600,000 = 0.5 (guarantee);
W(C3←C1) = 0.4 × 50,000,000 / 80,000,000 = 0.25 (ownership); W(C4←C1) =
0.25 × 12 × 1,000,000 / 10,000,000 = 0.3 (supply). Round 1: P1 0.5, C3 0.25, C4 0.3.
Round 2: P2 gets W(P2←P1) × 0.5 = 0.4 × 0.5 = 0.2. Nothing more: 2 rounds.
Loans hit: L1 (h 1), L2 (0.5), L3 (0.25): exposure at risk 35,000,000 = 350,000.00 CNY;
expected loss 0.45 × (20,000,000 + 2,500,000 + 2,500,000) = 11,250,000 = 112,500.00 CNY.
Values: C1 20, P1 5, C3 10, C5 3 (millions) of 38: additional stress
(5 × 0.5 + 10 × 0.25) / 38 = 5 / 38.
"""

from __future__ import annotations

import pytest

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from risk.contagion.buffers import StressConfig
from risk.contagion.portfolio import (
    BufferBasis,
    LinkKind,
    read_portfolio_network,
    select_group,
    select_parties,
    select_region,
    select_sector,
    stress_portfolio,
)
from risk.errors import ContagionInputError, ShockError

__all__ = ["hand_portfolio"]


def _company(node_id: str, capital: int, **props: object) -> Node:
    return Node(node_id, Label.COMPANY, {"registered_capital_minor": capital,
                                         "registered_capital_currency": "CNY", **props})


def _person(node_id: str, income: int | None, **props: object) -> Node:
    money = {} if income is None else {"monthly_income_minor": income,
                                       "monthly_income_currency": "CNY"}
    return Node(node_id, Label.PERSON, {**money, **props})


def _loan(loan_id: str, minor: int, currency: str = "CNY") -> Node:
    return Node(loan_id, Label.LOAN, {"principal_minor": minor, "currency": currency})


def _guarantee(party: str, loan: str, minor: int) -> Edge:
    return Edge(RelType.GUARANTEES, party, loan,
                props={"amount_minor": minor, "amount_currency": "CNY"})


def hand_portfolio() -> tuple[list[Node], list[Edge]]:
    """The portfolio of the module docstring."""
    nodes = [
        _company("C1", 50_000_000, sector="C13", province="浙江", city="杭州"),
        _person("P1", 100_000, province="浙江", city="宁波"),
        _company("C3", 1, sector="K70", province="江苏", city="南京",
                 loss_buffer_minor=80_000_000, loss_buffer_currency="CNY"),
        _person("P2", None),
        _company("C4", 10_000_000, sector="C13"),
        _person("P9", 1_000_000), _person("P0", 100_000),  # P0 has no link at all
        _company("C5", 10_000_000), _company("C6", 20_000_000),
        _loan("L1", 20_000_000), _loan("L2", 5_000_000), _loan("L3", 10_000_000),
        _loan("L5", 3_000_000),
        *(Node(a, Label.ACCOUNT) for a in ("A1", "A1b", "A4")),
    ]
    edges = [
        Edge(RelType.BORROWS, "C1", "L1"), Edge(RelType.BORROWS, "P1", "L2"),
        Edge(RelType.BORROWS, "C3", "L3"), Edge(RelType.BORROWS, "C5", "L5"),
        _guarantee("P1", "L1", 1_800_000), _guarantee("P2", "L2", 4_000_000),
        Edge(RelType.OWNS, "C3", "C1", props={"pct": 0.4}),
        Edge(RelType.OWNS, "P9", "C5", props={"pct": 0.6}),
        Edge(RelType.OWNS, "P9", "C6", props={"pct": 0.6}),
        Edge(RelType.HOLDS, "C1", "A1"), Edge(RelType.HOLDS, "C1", "A1b"),
        Edge(RelType.HOLDS, "C4", "A4"),
    ]
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    edges += [Edge(RelType.TRANSFERS, "A1", "A4", month,
                   {"amount_minor": 1_000_000, "amount_currency": "CNY"}) for month in months]
    edges.append(Edge(RelType.TRANSFERS, "A1", "A4", "2023-12",
                      {"amount_minor": 50_000_000, "amount_currency": "CNY"}))
    # between two accounts of C1: not a supply link
    edges.append(Edge(RelType.TRANSFERS, "A1", "A1b", "2024-06",
                      {"amount_minor": 9_000_000, "amount_currency": "CNY"}))
    return nodes, edges


def test_the_network_has_the_configured_buffers_and_loss_rules(store: GraphStore) -> None:
    store.upsert_batch(*hand_portfolio())

    pn = read_portfolio_network(store)

    net = pn.network
    at = {party_id: net.index_of(party_id) for party_id in net.ids}
    assert net.ids == ("C1", "C3", "C4", "C5", "C6", "P1", "P2", "P9")
    assert dict(zip(net.ids, net.capital.tolist(), strict=True)) == {
        "C1": 50_000_000, "C3": 80_000_000, "C4": 10_000_000, "C5": 10_000_000,
        "C6": 20_000_000, "P1": 3_600_000, "P2": 10_000_000, "P9": 36_000_000}
    assert dict(zip(net.ids, pn.basis, strict=True))["C3"] is BufferBasis.OVERRIDE
    assert dict(zip(net.ids, pn.basis, strict=True))["P2"] is BufferBasis.FLOOR
    assert net.value.tolist() == [20_000_000, 10_000_000, 0, 3_000_000, 0, 5_000_000, 0, 0]
    amounts = {kind: {(net.ids[i], net.ids[j]): x for (j, i), x in  # (creditor, debtor)
                      matrix.todok().items()} for kind, matrix in pn.links.items()}
    assert amounts[LinkKind.GUARANTEE] == {("P1", "C1"): 1_800_000, ("P2", "P1"): 4_000_000}
    assert amounts[LinkKind.OWNERSHIP] == {("C3", "C1"): 20_000_000,
                                           ("P9", "C5"): 6_000_000, ("P9", "C6"): 12_000_000}
    assert amounts[LinkKind.SUPPLY] == {("C4", "C1"): 3_000_000}
    assert at["C1"] == 0 and pn.currency == "CNY" and pn.left_out == {}


def test_a_default_hits_the_guarantor_the_owner_and_the_supplier(store: GraphStore) -> None:
    store.upsert_batch(*hand_portfolio())
    pn = read_portfolio_network(store)

    run = stress_portfolio(pn, select_parties(store, pn, ["C1"]))

    hit = {p.id: p for p in run.parties}
    assert {i: p.distress for i, p in hit.items()} == pytest.approx(
        {"C1": 1.0, "P1": 0.5, "C3": 0.25, "C4": 0.3, "P2": 0.2})
    assert run.rounds == 2
    assert run.additional_stress == pytest.approx(5 / 38)
    assert run.additional_defaults == 0
    assert (hit["P1"].via, hit["P1"].links, hit["P1"].round) == ("C1", ("guarantee",), 1)
    assert (hit["C3"].via, hit["C3"].links) == ("C1", ("ownership",))
    assert (hit["C4"].via, hit["C4"].links) == ("C1", ("supply",))
    assert hit["P2"].path == ("C1", "P1", "P2") and hit["P2"].round == 2
    assert hit["C1"].path == ("C1",) and hit["C1"].via is None and hit["C1"].round == 0
    assert [(loan, borrower, h) for loan, borrower, h, _, _ in run.loans] == [
        ("L1", "C1", 1.0), ("L2", "P1", 0.5), ("L3", "C3", 0.25)]
    assert run.decimal(run.exposure_minor) == {"CNY": "350000.00"}
    assert run.decimal(run.expected_loss_minor) == {"CNY": "112500.00"}
    # per party: P1's 50,000.00 at h 0.5 and LGD 0.45
    assert hit["P1"].expected_loss_minor == {"CNY": 1_125_000}
    assert run.shocked == ("C1",)
    assert run.below_threshold == 0


def test_parties_under_the_materiality_threshold_are_counted_not_listed(
        store: GraphStore) -> None:
    store.upsert_batch(*hand_portfolio())
    pn = read_portfolio_network(store, StressConfig(min_distress=0.26))

    run = stress_portfolio(pn, select_parties(store, pn, ["C1"]))

    # C3 (0.25) and P2 (0.2) are under 0.26: not hit, L3 not at risk, but in the loss
    assert [p.id for p in run.parties] == ["C1", "P1", "C4"]
    assert run.below_threshold == 2
    assert [loan for loan, *_ in run.loans] == ["L1", "L2"]
    assert run.decimal(run.exposure_minor) == {"CNY": "250000.00"}
    assert run.decimal(run.expected_loss_minor) == {"CNY": "112500.00"}


def test_a_partial_shock_and_the_lgd_scale_the_loss(store: GraphStore) -> None:
    store.upsert_batch(*hand_portfolio())
    pn = read_portfolio_network(store, StressConfig(lgd=1.0))

    run = stress_portfolio(pn, select_parties(store, pn, ["C1"]), 0.5)

    # everything halves: C1 0.5, P1 0.25, P2 0.1, C3 0.125
    assert {p.id: p.distress for p in run.parties}["P2"] == pytest.approx(0.1)
    # 1.0 × (0.5 × 20,000,000 + 0.25 × 5,000,000 + 0.125 × 10,000,000) = 12,500,000
    assert run.expected_loss_minor == {"CNY": 12_500_000}


def test_the_cascade_defaults_a_guarantor_pushed_over_and_names_who_pushed(
        store: GraphStore) -> None:
    nodes, edges = hand_portfolio()
    # P1 now guarantees all of L1: 20,000,000 × 0.45 = 9,000,000 > its 3,600,000 buffer
    edges = [e for e in edges if e.identity != ("GUARANTEES", "P1", "L1", "")]
    edges.append(_guarantee("P1", "L1", 20_000_000))
    store.upsert_batch(nodes, edges)
    pn = read_portfolio_network(store)

    run = stress_portfolio(pn, select_parties(store, pn, ["C1"]), method="cascade")

    hit = {p.id: p for p in run.parties}
    assert run.result.defaults_by_round[1].tolist() == [pn.network.index_of("P1")]
    assert (hit["P1"].distress, hit["P1"].via, hit["P1"].round) == (1.0, "C1", 1)
    # P2 loses 0.45 × 4,000,000 of its 10,000,000 floor when P1 defaults: short of default
    assert hit["P2"].distress == pytest.approx(0.18)
    assert hit["P2"].path == ("C1", "P1", "P2") and hit["P2"].round == 2
    # C3: 0.45 × 20,000,000 / 80,000,000
    assert hit["C3"].distress == pytest.approx(0.1125)


def test_each_selector(store: GraphStore) -> None:
    store.upsert_batch(*hand_portfolio())
    pn = read_portfolio_network(store)
    ids = pn.network.ids

    def named(positions: object) -> list[str]:
        return [ids[i] for i in positions.tolist()]  # type: ignore[attr-defined]

    assert named(select_sector(pn, "c13")) == ["C1", "C4"]
    assert named(select_region(pn, "浙江")) == ["C1", "P1"]  # the province
    assert named(select_region(pn, "南京")) == ["C3"]  # a city
    assert named(select_group(store, pn, "P9")) == ["C5", "C6"]
    assert named(select_parties(store, pn, ["P1", "C3", "P1"])) == ["C3", "P1"]

    run = stress_portfolio(pn, select_group(store, pn, "P9"))
    # P9 loses 0.6 × 10,000,000 + 0.6 × 20,000,000 = 18,000,000 of 36,000,000
    assert {p.id: p.distress for p in run.parties} == pytest.approx(
        {"C5": 1.0, "C6": 1.0, "P9": 0.5})
    assert run.expected_loss_minor == {"CNY": 1_350_000}  # 0.45 × L5's 3,000,000


@pytest.mark.parametrize(("select", "message"), [
    (lambda s, pn: select_parties(s, pn, ["C1", "X404"]), "no node has the id 'X404'"),
    (lambda s, pn: select_parties(s, pn, ["A4"]), "'A4' is not a person or a company (Account)"),
    (lambda s, pn: select_parties(s, pn, ["P0"]), "Person 'P0' has no loan, guarantee, "
                                                  "ownership or supply link"),
    (lambda s, pn: select_sector(pn, "Z99"),
     "no party with a loan, guarantee, ownership or supply link has the sector 'Z99'"),
    (lambda s, pn: select_region(pn, "火星"), "has the province or city '火星'"),
    (lambda s, pn: select_group(s, pn, "P1"), "no corporate group is headed by 'P1'"),
    (lambda s, pn: stress_portfolio(pn, select_parties(s, pn, ["C1"]), 1.5),
     "--shock 1.5 is outside [0, 1]"),
    (lambda s, pn: stress_portfolio(pn, select_parties(s, pn, ["C1"]), -0.1),
     "--shock -0.1 is outside [0, 1]"),
])
def test_bad_selections_name_the_problem(store: GraphStore, select: object,
                                         message: str) -> None:
    store.upsert_batch(*hand_portfolio())
    pn = read_portfolio_network(store)

    with pytest.raises(ShockError) as caught:
        select(store, pn)  # type: ignore[operator]

    assert message in str(caught.value)


def test_a_sector_error_lists_the_known_ones(store: GraphStore) -> None:
    store.upsert_batch(*hand_portfolio())
    pn = read_portfolio_network(store)

    with pytest.raises(ShockError) as caught:
        select_sector(pn, "Z99")

    assert caught.value.suggestion == "known: C13, K70"


def test_several_currencies_need_one_named_and_other_loans_still_count(
        store: GraphStore) -> None:
    nodes, edges = hand_portfolio()
    store.upsert_batch([*nodes, _loan("L9", 1_000_00, "USD")],
                       [*edges, Edge(RelType.BORROWS, "C1", "L9")])

    with pytest.raises(ContagionInputError, match="2 currencies \\(CNY, USD\\)"):
        read_portfolio_network(store)
    pn = read_portfolio_network(store, StressConfig(currency="CNY"))
    run = stress_portfolio(pn, select_parties(store, pn, ["C1"]))

    assert run.decimal(run.exposure_minor) == {"CNY": "350000.00", "USD": "1000.00"}
    assert run.decimal(run.expected_loss_minor) == {"CNY": "112500.00", "USD": "450.00"}


def test_an_empty_portfolio_is_an_error(store: GraphStore) -> None:
    with pytest.raises(ContagionInputError, match="holds no loans"):
        read_portfolio_network(store)


def test_a_stored_percentage_names_the_edge(store: GraphStore) -> None:
    nodes, edges = hand_portfolio()
    store.upsert_batch(nodes, [*edges, Edge(RelType.OWNS, "P9", "C4", props={"pct": 40})])

    with pytest.raises(ContagionInputError, match="OWNS edge P9 -> C4: pct 40"):
        read_portfolio_network(store)
