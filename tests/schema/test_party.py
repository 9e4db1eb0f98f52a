"""party(id) and loan(id): typed fields, loans, guarantees and guarantors."""

from __future__ import annotations

from schema import LoanwatchSchema
from tests.schema.running import codes, execute
from tests.schema.sample import CountingStore

PARTY = """
query Party($id: ID!) {
  party(id: $id) {
    id name label city province
    properties { key value }
    ... on Company { sector size registeredCapital { amount currency } }
    ... on Person { occupation }
    loans { id product principal { amount currency } currency termMonths status
            guarantees { amount { amount currency } share kind guarantor { id name } } }
    guarantees { amount { amount currency } share kind loan { id borrowers { id } } }
    guarantors { id name label }
  }
}
"""

LOAN = """
query Loan($id: ID!) {
  loan(id: $id) { id principal { amount currency } status borrowers { id }
                  guarantees { guarantor { id } share } }
}
"""

NETWORK = """
query Network($id: ID!, $hops: Int!) {
  party(id: $id) {
    guaranteeNetwork(hops: $hops) { truncated nodes { id label } edges { type source target } }
  }
}
"""


def test_a_company_with_its_loans_guarantees_and_guarantors(schema: LoanwatchSchema,
                                                             store: CountingStore) -> None:
    result = execute(schema, store, PARTY, id="C1")
    assert result.errors is None
    assert result.data["party"] == {
        "id": "C1", "name": "Huaxin Trading", "label": "COMPANY", "city": "Wenzhou",
        "province": "Zhejiang", "sector": "wholesale", "size": "small",
        "registeredCapital": None,
        "properties": [
            {"key": "city", "value": "Wenzhou"}, {"key": "name", "value": "Huaxin Trading"},
            {"key": "province", "value": "Zhejiang"}, {"key": "sector", "value": "wholesale"},
            {"key": "size", "value": "small"},
        ],
        "loans": [{
            "id": "L1", "product": "working_capital",
            "principal": {"amount": "500000.00", "currency": "CNY"}, "currency": "CNY",
            "termMonths": 12, "status": "active",
            "guarantees": [{"amount": {"amount": "500000.00", "currency": "CNY"}, "share": 1.0,
                            "kind": "mutual",
                            "guarantor": {"id": "C2", "name": "Dongfang Steel"}}],
        }],
        "guarantees": [{"amount": {"amount": "400000.00", "currency": "CNY"}, "share": 0.5,
                        "kind": "mutual",
                        "loan": {"id": "L2", "borrowers": [{"id": "C2"}]}}],
        "guarantors": [{"id": "C2", "name": "Dongfang Steel", "label": "COMPANY"}],
    }


def test_a_person_shows_typed_fields_and_personal_data_masked(schema: LoanwatchSchema,
                                                               store: CountingStore) -> None:
    party = execute(schema, store, PARTY, id="P1").data["party"]
    assert party["occupation"] == "engineer"
    assert party["name"] == "Zhang *"
    assert party["properties"] == [
        {"key": "city", "value": "Hangzhou"}, {"key": "name", "value": "Zhang *"},
        {"key": "national_id", "value": "330***********1234"},
        {"key": "occupation", "value": "engineer"}, {"key": "vip", "value": "true"},
    ]
    assert [g["id"] for g in party["guarantors"]] == ["P2"]


def test_a_loan_with_its_borrowers_and_guarantees(schema: LoanwatchSchema,
                                                  store: CountingStore) -> None:
    result = execute(schema, store, LOAN, id="L2")
    assert result.data["loan"] == {
        "id": "L2", "principal": {"amount": "800000.00", "currency": "CNY"}, "status": "active",
        "borrowers": [{"id": "C2"}],
        "guarantees": [{"guarantor": {"id": "C1"}, "share": 0.5},
                       {"guarantor": {"id": "C3"}, "share": 0.25}],
    }


def test_the_guarantee_network_walks_only_borrowing_and_guarantees(
        schema: LoanwatchSchema, store: CountingStore) -> None:
    network = execute(schema, store, NETWORK, id="C1", hops=2).data["party"]["guaranteeNetwork"]
    assert network["truncated"] is False
    assert [n["id"] for n in network["nodes"]] == ["C1", "L1", "L2", "C2", "C3"]
    assert [(e["type"], e["source"], e["target"]) for e in network["edges"]] == [
        ("BORROWS", "C1", "L1"), ("BORROWS", "C2", "L2"), ("GUARANTEES", "C1", "L2"),
        ("GUARANTEES", "C2", "L1"), ("GUARANTEES", "C3", "L2"),
    ]


def test_unknown_ids_and_ids_of_other_kinds_are_not_found(schema: LoanwatchSchema,
                                                          store: CountingStore) -> None:
    unknown = execute(schema, store, PARTY, id="C404")
    a_loan = execute(schema, store, PARTY, id="L1")
    a_party = execute(schema, store, LOAN, id="C1")
    for result in (unknown, a_loan, a_party):
        assert codes(result) == ["NOT_FOUND"]
        assert result.data == {"party": None} or result.data == {"loan": None}
    assert unknown.errors[0].message == "no node with id 'C404'"
    assert unknown.errors[0].extensions["suggestion"] == "check the id, or search by name"
    assert a_loan.errors[0].message == "'L1' is a Loan, not a Person or Company"
    assert a_party.errors[0].message == "'C1' is a Company, not a Loan"


def test_a_network_too_deep_is_a_user_error(schema: LoanwatchSchema,
                                            store: CountingStore) -> None:
    result = execute(schema, store, NETWORK, id="C1", hops=7)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.errors[0].message == "hops must be between 0 and 6, got 7"
