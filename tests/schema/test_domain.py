"""GraphQL over the whole domain, on every backend: the borrower 360° view against what the
stores hold, every object read back by its global id, the portfolio lists filtered and
sorted against a computation of their own, and the store round trips of a page of
borrowers counted (the same for 10 and for 100)."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from auth.principal import Role
from graph.model import Label, RelType
from graph.store import GraphStore
from portfolio.money import minor_to_decimal
from portfolio.readers import bureau_by_party, installments_by_loan, repayments_by_loan
from risk.classification.tiers import Tier
from risk.scan_results import findings_by_party
from schema import LoanwatchSchema, build_context
from tests.portfolio.databases import postgres_engine
from tests.principals import principal_of
from tests.schema.domain_world import Scanned, portfolio, run, scanned

__all__ = ["portfolio", "postgres_engine", "scanned"]

def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


# -- the borrower 360° view ----------------------------------------------------------------

VIEW = """
query View($id: ID!) {
  party(id: $id) {
    id __typename tier stage daysPastDue exposure { amount currency }
    loans { id schedule { id seq dueOn principalDue { amount currency } }
            repayments { id paidOn amount { amount currency } }
            collateral { id value { amount currency } } }
    guarantees { guarantorId loanId }
    guaranteesReceived { guarantorId loanId amount { amount currency } }
    owners { ownerId companyId pct } holdings { ownerId companyId pct }
    directors { personId companyId role } directorships { personId companyId role }
    relations { kind otherId }
    accounts { id outgoing { id sourceId targetId month amount { amount currency } } }
    identifiers { id } sharedIdentifiers { id parties { id } }
    events { id }
    bureauSnapshots(first: 100) { id asOf score }
    alerts(first: 100) { id number }
    circles { id } group { controller }
  }
}
"""


def _edges(graph: GraphStore, node: str, rel: RelType, direction: str) -> list[Any]:
    return graph.edges_of([node], frozenset({rel}), direction)[0]  # type: ignore[arg-type]


def _busiest(scanned: Scanned) -> str:
    """A borrower of the scan with the most loans, then the most guarantees received."""
    borrowers = scanned.borrowers()

    def weight(party: str) -> tuple[int, int, str]:
        received = sum(len(_edges(scanned.graph, r.loan_id, RelType.GUARANTEES, "in"))
                       for r in borrowers[party])
        return (len(borrowers[party]), received, party)

    return max(sorted(borrowers)[:60], key=weight)


def test_the_360_view_holds_what_the_stores_hold(schema: LoanwatchSchema,
                                                 scanned: Scanned) -> None:
    party = _busiest(scanned)
    view = run(schema, scanned, VIEW, id=party)["party"]
    graph = scanned.graph

    mine = scanned.borrowers()[party]
    assert view["tier"] == max(Tier.from_slug(r.tier) for r in mine).slug
    assert view["stage"] == max(r.stage for r in mine)
    assert view["daysPastDue"] == max(r.dpd for r in mine)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in mine:
        totals[r.currency] += r.exposure
    assert view["exposure"] == [_money(totals[c], c) for c in sorted(totals)]

    loans = [e.target for e in _edges(graph, party, RelType.BORROWS, "out")]
    assert [loan["id"] for loan in view["loans"]] == loans
    schedules = installments_by_loan(scanned.engine, loans)
    repayments = repayments_by_loan(scanned.engine, loans)
    for loan in view["loans"]:
        assert loan["schedule"] == [
            {"id": f"Installment:{i.loan_id}/{i.seq}", "seq": i.seq,
             "dueOn": i.due_on.isoformat(),
             "principalDue": _money(minor_to_decimal(i.principal_due_minor, i.currency),
                                    i.currency)}
            for i in schedules.get(loan["id"], [])]
        assert [(r["id"], r["paidOn"]) for r in loan["repayments"]] == [
            (f"Repayment:{r.id}", r.paid_on.isoformat()) for r in repayments.get(loan["id"], [])]
        assert [c["id"] for c in loan["collateral"]] == [
            e.target for e in _edges(graph, loan["id"], RelType.SECURED_BY, "out")]
    assert any(loan["schedule"] for loan in view["loans"])

    received = [(e.source, e.target) for loan in loans
                for e in _edges(graph, loan, RelType.GUARANTEES, "in")]
    assert [(g["guarantorId"], g["loanId"]) for g in view["guaranteesReceived"]] == received
    assert received, "the busiest borrower should have guarantors"
    assert all(g["amount"] is None or g["amount"]["currency"] == "CNY"
               for g in view["guaranteesReceived"])
    assert [(g["guarantorId"], g["loanId"]) for g in view["guarantees"]] == [
        (e.source, e.target) for e in _edges(graph, party, RelType.GUARANTEES, "out")]
    assert [o["ownerId"] for o in view["owners"]] == [
        e.source for e in _edges(graph, party, RelType.OWNS, "in")]
    assert [o["companyId"] for o in view["holdings"]] == [
        e.target for e in _edges(graph, party, RelType.OWNS, "out")]
    assert [a["id"] for a in view["accounts"]] == [
        e.target for e in _edges(graph, party, RelType.HOLDS, "out")]
    assert [i["id"] for i in view["identifiers"]] == [
        e.target for e in _edges(graph, party, RelType.USES, "out")]
    for shared in view["sharedIdentifiers"]:
        users = [p["id"] for p in shared["parties"]]
        assert party in users and len(users) >= 2
    snapshots = bureau_by_party(scanned.engine, [party]).get(party, [])
    assert [(b["id"], b["score"]) for b in view["bureauSnapshots"]] == [
        (f"BureauSnapshot:{b.id}", b.score) for b in snapshots]
    findings = findings_by_party(scanned.engine, [party]).get(party, [])
    assert len(view["circles"]) == sum(f.kind in ("circle", "mutual", "joint")
                                       for f in findings)


def test_a_shared_identifier_lists_every_party_using_it(schema: LoanwatchSchema,
                                                        scanned: Scanned) -> None:
    shared = {}
    for batch in scanned.graph.iter_edges([RelType.USES]):
        for _, source, target, _, _ in batch:
            shared.setdefault(target, set()).add(source)
    target, users = min((t, u) for t, u in shared.items() if len(u) >= 2)
    party = min(users)
    view = run(schema, scanned, VIEW, id=party)["party"]
    found = {s["id"]: {p["id"] for p in s["parties"]} for s in view["sharedIdentifiers"]}
    assert found[target] == users


# -- global ids ----------------------------------------------------------------------------

NODES = """
query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }
"""
NODE = """
query Node($id: ID!) { node(id: $id) { __typename id ... on Loan { product }
  ... on Installment { seq loanId } ... on BureauSnapshot { score partyId } } }
"""


def _typed_ids(value: Any, found: dict[str, str]) -> None:
    if isinstance(value, dict):
        if "id" in value and "__typename" in value:
            found[value["id"]] = value["__typename"]
        for child in value.values():
            _typed_ids(child, found)
    elif isinstance(value, list):
        for child in value:
            _typed_ids(child, found)


EVERYTHING = """
query Everything($id: ID!) {
  party(id: $id) { __typename id
    loans { __typename id schedule { __typename id } repayments { __typename id }
            collateral { __typename id } }
    accounts { __typename id outgoing { __typename id } }
    identifiers { __typename id } events { __typename id }
    bureauSnapshots { __typename id } alerts { __typename id } }
  importBatches { __typename id }
}
"""


def test_every_object_reads_back_by_its_global_id(schema: LoanwatchSchema,
                                                  scanned: Scanned) -> None:
    found: dict[str, str] = {}
    for party in sorted(scanned.borrowers())[:40]:
        _typed_ids(run(schema, scanned, EVERYTHING, id=party), found)
    kinds = set(found.values())
    assert {"Installment", "Repayment", "Account", "Transaction", "Identifier",
            "BureauSnapshot", "ImportBatch", "Loan"} <= kinds, kinds
    assert kinds & {"Person", "Company"}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for node_id, kind in sorted(found.items()):
        by_kind[kind].append(node_id)
    # Up to 7 ids of every kind in one request, in reverse order, with unknown ones.
    ids = [i for kind in sorted(by_kind) for i in by_kind[kind][:7]]
    asked = [*ids[::-1], "NO-SUCH-NODE", "Alert:999999", "Installment:NOPE/1"]
    got = run(schema, scanned, NODES, ids=asked)["nodes"]
    assert got[:-3] == [{"__typename": found[i], "id": i} for i in asked[:-3]]
    assert got[-3:] == [None, None, None]


def test_one_node_by_id_and_bad_ids(schema: LoanwatchSchema, scanned: Scanned) -> None:
    loan = min(scanned.results)
    assert run(schema, scanned, NODE, id=loan)["node"]["__typename"] == "Loan"
    schedule = installments_by_loan(scanned.engine, [loan])[loan]
    shown = run(schema, scanned, NODE, id=f"Installment:{loan}/{schedule[-1].seq}")["node"]
    assert shown == {"__typename": "Installment", "id": f"Installment:{loan}/{schedule[-1].seq}",
                     "seq": schedule[-1].seq, "loanId": loan}
    for bad in ("Installment:L1/x", "Alert:seven", "  "):
        result = asyncio.run(schema.execute(NODE, variable_values={"id": bad},
                                            context_value=build_context(
                                                scanned.graph, records=scanned.engine,
                                                principal=principal_of(Role.ANALYST))))
        assert [e.extensions["code"] for e in result.errors or []] == ["BAD_USER_INPUT"], bad


def test_a_persons_bureau_figures_are_masked_unless_visible(schema: LoanwatchSchema,
                                                            scanned: Scanned) -> None:
    person = next(p for p in sorted(scanned.borrowers())
                  if p.startswith("P") and bureau_by_party(scanned.engine, [p]))
    snapshot = bureau_by_party(scanned.engine, [person])[person][0]
    gid = f"BureauSnapshot:{snapshot.id}"
    assert run(schema, scanned, NODE, id=gid)["node"]["score"] == snapshot.score
    masked = run(schema, scanned, NODE, id=gid, visible=False)["node"]
    assert masked == {"__typename": "BureauSnapshot", "id": gid, "score": None,
                      "partyId": person}


# -- portfolio lists -----------------------------------------------------------------------

BORROWERS = """
query Borrowers($filter: BorrowerFilter, $order: PortfolioOrder!, $first: Int!,
                $after: String) {
  borrowers(filter: $filter, orderBy: $order, first: $first, after: $after) {
    edges { cursor tier stage daysPastDue exposure { amount currency } loans
            node { id __typename } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
LOANS = """
query Loans($filter: LoanFilter, $order: PortfolioOrder!, $first: Int!) {
  loans(filter: $filter, orderBy: $order, first: $first) {
    edges { tier stage daysPastDue exposure { amount currency } node { id product } }
  }
}
"""


def _expected_borrowers(scanned: Scanned, keep: Any = lambda r: True) -> list[tuple]:
    rows = []
    for party, results in scanned.borrowers().items():
        kept = [r for r in results if keep(r)]
        if not kept:
            continue
        exposure = sum((r.exposure for r in kept if r.currency == "CNY"), Decimal(0))
        rows.append((party, max(Tier.from_slug(r.tier) for r in kept).slug,
                     max(r.stage for r in kept), max(r.dpd for r in kept), exposure, len(kept)))
    return rows


def _shown(edges: list[dict]) -> list[tuple]:
    return [(e["node"]["id"], e["tier"], e["stage"], e["daysPastDue"],
             Decimal(e["exposure"]["amount"]), e["loans"]) for e in edges]


def test_borrowers_sorted_by_exposure_and_paged(schema: LoanwatchSchema,
                                                scanned: Scanned) -> None:
    expected = sorted(_expected_borrowers(scanned), key=lambda r: (-r[4], r[0]))
    first = run(schema, scanned, BORROWERS, order="EXPOSURE_DESC", first=30)["borrowers"]
    second = run(schema, scanned, BORROWERS, order="EXPOSURE_DESC", first=30,
                 after=first["pageInfo"]["endCursor"])["borrowers"]
    assert _shown(first["edges"] + second["edges"]) == expected[:60]
    assert first["pageInfo"]["hasNextPage"]
    by_dpd = run(schema, scanned, BORROWERS, order="DPD_DESC", first=10)["borrowers"]
    assert _shown(by_dpd["edges"]) == sorted(expected, key=lambda r: (-r[3], r[0]))[:10]


@pytest.mark.parametrize("flt, product, keep_party", [
    ({"dpdBuckets": ["DPD_OVER_180", "DPD_91_180"]}, None, lambda row: row[3] > 90),
    ({"tiers": ["PASS"]}, None, lambda row: row[1] == "pass"),
    ({"stages": [2, 3]}, None, lambda row: row[2] >= 2),
    ({"products": ["consumer_loan"]}, "consumer_loan", None),
    ({"exposure": {"min": "100000", "max": "2000000.50"}}, None,
     lambda row: Decimal("100000") <= row[4] <= Decimal("2000000.50")),
])
def test_borrower_filters(schema: LoanwatchSchema, scanned: Scanned, flt: dict,
                          product: str | None, keep_party: Any) -> None:
    if product is not None:
        products = _products(scanned)
        rows = _expected_borrowers(scanned, lambda r: products[r.loan_id] == product)
    else:
        rows = [row for row in _expected_borrowers(scanned) if keep_party(row)]
    assert rows, f"the portfolio should hold borrowers for {flt}"
    got = run(schema, scanned, BORROWERS, filter=flt, order="ID", first=100)["borrowers"]
    assert _shown(got["edges"]) == sorted(rows)[:100]


def _products(scanned: Scanned) -> dict[str, str]:
    nodes = scanned.graph.get_nodes(sorted(scanned.results))
    return {n.id: str(n.props.get("product")) for n in nodes if n is not None}


def test_borrowers_by_region_sector_and_circle(schema: LoanwatchSchema,
                                               scanned: Scanned) -> None:
    borrowers = scanned.borrowers()
    nodes = {n.id: n for n in scanned.graph.get_nodes(sorted(borrowers)) if n is not None}
    province = max(sorted({str(n.props.get("province")) for n in nodes.values()}),
                   key=lambda p: sum(n.props.get("province") == p for n in nodes.values()))
    want = sorted(p for p, n in nodes.items()
                  if province in (n.props.get("province"), n.props.get("city")))
    got = run(schema, scanned, BORROWERS, filter={"region": province.upper()}, order="ID",
              first=100)["borrowers"]["edges"]
    assert [e["node"]["id"] for e in got] == want[:100]
    companies = [n for n in nodes.values() if n.label is Label.COMPANY and n.props.get("sector")]
    sector = str(companies[0].props["sector"])
    got = run(schema, scanned, BORROWERS, filter={"sector": sector, "region": province},
              order="ID", first=100)["borrowers"]["edges"]
    assert [e["node"]["id"] for e in got] == [
        p for p in want if nodes[p].props.get("sector") == sector]
    findings = findings_by_party(scanned.engine, sorted(borrowers))
    circle = next(f for fs in findings.values() for f in fs if f.kind in ("mutual", "circle"))
    got = run(schema, scanned, BORROWERS, filter={"circle": str(circle.id)}, order="ID",
              first=100)["borrowers"]["edges"]
    assert [e["node"]["id"] for e in got] == sorted(set(circle.members) & set(borrowers))


def test_a_list_filter_naming_nothing_known_is_refused(schema: LoanwatchSchema,
                                                       scanned: Scanned) -> None:
    for flt in ({"group": "NOBODY"}, {"circle": "x"}, {"exposure": {"currency": "XXX"}}):
        result = asyncio.run(schema.execute(
            BORROWERS, variable_values={"filter": flt, "order": "ID", "first": 5},
            context_value=build_context(scanned.graph, records=scanned.engine,
                                        principal=principal_of(Role.ANALYST))))
        assert [e.extensions["code"] for e in result.errors or []] == ["BAD_USER_INPUT"], flt


def test_loans_filtered_by_tier_and_sorted_by_exposure(schema: LoanwatchSchema,
                                                       scanned: Scanned) -> None:
    bad = sorted((r for r in scanned.results.values() if r.tier != "pass"),
                 key=lambda r: (-r.exposure, r.loan_id))
    assert bad
    got = run(schema, scanned, LOANS, order="EXPOSURE_DESC", first=50,
              filter={"tiers": ["SPECIAL_MENTION", "SUBSTANDARD", "DOUBTFUL", "LOSS"]}
              )["loans"]["edges"]
    assert [(e["node"]["id"], e["tier"], e["exposure"]) for e in got] == [
        (r.loan_id, r.tier, _money(r.exposure, r.currency)) for r in bad[:50]]


# -- store round trips ---------------------------------------------------------------------

PAGE = """
query Page($first: Int!) {
  borrowers(first: $first, orderBy: ID) {
    edges { node { id name
      loans { id principal { amount currency } }
      guarantors { id name }
      alerts(status: "open") { id rule severity } } }
  }
}
"""


def _round_trips(schema: LoanwatchSchema, scanned: Scanned, first: int) -> dict[str, int]:
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    scanned.graph.calls.clear()
    event.listen(scanned.engine, "before_cursor_execute", note)
    try:
        data = run(schema, scanned, PAGE, first=first)
    finally:
        event.remove(scanned.engine, "before_cursor_execute", note)
    edges = data["borrowers"]["edges"]
    assert len(edges) == first
    assert any(e["node"]["guarantors"] for e in edges)
    return {**scanned.graph.calls, "sql": len(statements)}


def test_a_page_of_borrowers_costs_the_same_round_trips_for_10_and_100(
        schema: LoanwatchSchema, scanned: Scanned) -> None:
    assert len(scanned.borrowers()) >= 100
    small = _round_trips(schema, scanned, 10)
    large = _round_trips(schema, scanned, 100)
    assert small == large, (small, large)
    if scanned.graph.reads_in_process:
        # get_nodes: the page, then the guarantors; edges_of: BORROWS out (loans, alerts),
        # then GUARANTEES in of the loans.
        assert small["get_nodes"] <= 3 and small["edges_of"] <= 3, small
    else:
        # The page's parties and their walk (loans, guarantors) in one call
        # (schema.view_walks); the alerts' BORROWS edges in one more.
        assert small == {"walk": 1, "edges_of": 1, "sql": small["sql"]}, small


def test_a_page_of_borrowers_answers_the_same_with_and_without_its_walk(
        schema: LoanwatchSchema, scanned: Scanned, monkeypatch: pytest.MonkeyPatch) -> None:
    walked = run(schema, scanned, PAGE, first=40)
    monkeypatch.setattr("schema.query.selection_walk", lambda *_: ())
    assert run(schema, scanned, PAGE, first=40) == walked


# -- the README's guide --------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
GUIDE = "## GraphQL for front-end teams"


def guide_queries() -> list[str]:
    """The GraphQL blocks of the README's guide for front-end teams."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(GUIDE):]
    section = section[:section.index("\n## ", len(GUIDE))]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.S)


def test_the_guides_examples_run(schema: LoanwatchSchema, scanned: Scanned) -> None:
    queries = guide_queries()
    assert len(queries) >= 3
    party = _busiest(scanned)
    for query in queries:
        data = run(schema, scanned, query, **({"id": party} if "$id" in query else {}))
        assert data
    view = run(schema, scanned, queries[0], id=party)["party"]
    assert view["id"] == party and view["loans"] and view["guaranteesReceived"]
