"""A company's imported ``loss_buffer`` through GraphQL, exact, on every backend; a
person's is personal data and has no field (it is withheld from ``properties``)."""

from __future__ import annotations

from graph.model import Label, Node
from schema import LoanwatchSchema
from tests.schema.running import execute
from tests.schema.sample import CountingStore

QUERY = """
query Party($id: ID!) {
  party(id: $id) {
    id properties { key value }
    ... on Company { registeredCapital { amount currency } lossBuffer { amount currency } }
  }
}
"""


def test_a_companys_loss_buffer_is_served_and_a_persons_is_withheld(
        schema: LoanwatchSchema, store: CountingStore) -> None:
    store.upsert_nodes([
        Node("C3", Label.COMPANY, {"loss_buffer": 80_000_000.5,
                                   "loss_buffer_minor": 8_000_000_050,
                                   "loss_buffer_currency": "CNY"}),
        Node("P1", Label.PERSON, {"loss_buffer": 4_800_000.0, "loss_buffer_minor": 480_000_000,
                                  "loss_buffer_currency": "CNY"}),
    ])

    company = execute(schema, store, QUERY, id="C3")
    person = execute(schema, store, QUERY, id="P1")

    assert company.errors is None and person.errors is None
    assert company.data["party"]["lossBuffer"] == {"amount": "80000000.50", "currency": "CNY"}
    assert company.data["party"]["registeredCapital"] == {"amount": "50000000.00",
                                                         "currency": "CNY"}
    assert not [p for p in person.data["party"]["properties"] if "loss_buffer" in p["key"]]
