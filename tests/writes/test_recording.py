"""Recording rows through the API's write service: the importer's rules, once per event id,
nothing half-written, on every backend pairing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from graph.model import Label, RelType
from ingest.recording import RecordRejected, record_row
from portfolio.write_receipts import IdempotencyConflict, InvalidEventId
from tests.ingest.importing import import_files, rejects_of, write
from tests.writes.conftest import Stores

REPAYMENT = {"id": "R1", "loan_id": "L1", "paid_on": "2025-02-15", "amount": "43000.50"}


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(text(table)))
                   .scalar_one())


def _record(stores: Stores, entity: str, event_id: str, payload: dict[str, object],
            actor: str = "user:ann"):  # type: ignore[no-untyped-def]
    return record_row(entity, event_id, payload, graph=stores.graph, engine=stores.engine,
                      actor=actor)


def test_a_repayment_is_stored_in_minor_units_of_its_loans_currency(stores: Stores) -> None:
    recorded = _record(stores, "repayments", "pay-1", REPAYMENT)

    assert recorded.replayed is False
    assert recorded.values == {**REPAYMENT, "amount": 4_300_050, "currency": "CNY"}
    assert _rows(stores.engine, "SELECT id, loan_id, amount_minor, currency FROM repayment") \
        == [("R1", "L1", 4_300_050, "CNY")]
    assert _rows(stores.engine, "SELECT operation, event_id, actor FROM write_receipt") \
        == [("record:repayments", "pay-1", "user:ann")]


def test_a_replay_answers_the_first_result_and_writes_nothing(stores: Stores) -> None:
    first = _record(stores, "repayments", "pay-1", REPAYMENT)
    again = _record(stores, "repayments", " pay-1 ", dict(REPAYMENT), actor="user:bob")

    assert again.replayed is True
    assert again.values == first.values
    assert _count(stores.engine, "repayment") == 1
    assert _rows(stores.engine, "SELECT actor FROM write_receipt") == [("user:ann",)]


def test_another_payload_under_the_same_event_id_is_a_conflict(stores: Stores) -> None:
    _record(stores, "repayments", "pay-1", REPAYMENT)

    with pytest.raises(IdempotencyConflict, match="'pay-1' was already recorded"):
        _record(stores, "repayments", "pay-1", {**REPAYMENT, "amount": "1.00"})

    assert _rows(stores.engine, "SELECT amount_minor FROM repayment") == [(4_300_050,)]


@pytest.mark.parametrize(("payload", "code", "field", "reason"), [
    ({**REPAYMENT, "loan_id": "L9"}, "INVALID_REFERENCE", "loan_id",
     "unknown loan 'L9': not in this import and not stored"),
    ({**REPAYMENT, "amount": "10.005"}, "INVALID_VALUE", "amount", "3 decimals; CNY allows 2"),
    ({**REPAYMENT, "amount": "-5"}, "INVALID_VALUE", "amount", "negative amount: -5"),
    ({**REPAYMENT, "paid_on": "2025-02-30"}, "INVALID_VALUE", "paid_on",
     "not a date YYYY-MM-DD: '2025-02-30'"),
    ({"id": "R1", "loan_id": "L1", "amount": "1"}, "INVALID_VALUE", "paid_on",
     "required value is missing"),
])
def test_a_bad_repayment_is_refused_naming_the_field_and_nothing_is_written(
        stores: Stores, payload: dict[str, object], code: str, field: str, reason: str) -> None:
    with pytest.raises(RecordRejected) as refused:
        _record(stores, "repayments", "pay-1", payload)

    assert (refused.value.code, refused.value.field, refused.value.reason) == \
        (code, field, reason)
    assert _count(stores.engine, "repayment") == 0
    assert _count(stores.engine, "write_receipt") == 0


def test_a_refused_event_can_be_sent_again_corrected_under_the_same_id(stores: Stores) -> None:
    with pytest.raises(RecordRejected):
        _record(stores, "repayments", "pay-1", {**REPAYMENT, "loan_id": "L9"})

    assert _record(stores, "repayments", "pay-1", REPAYMENT).replayed is False


def test_the_api_refuses_exactly_what_the_importer_rejects(stores: Stores,
                                                           tmp_path: Path) -> None:
    bad = [{**REPAYMENT, "id": "R7", "loan_id": "L9"}, {**REPAYMENT, "id": "R8",
                                                         "amount": "1.234"}]
    folder = tmp_path / "bad"
    folder.mkdir()
    write(folder, "repayments.csv", "id,loan_id,paid_on,amount\n" + "".join(
        f"{r['id']},{r['loan_id']},{r['paid_on']},{r['amount']}\n" for r in bad))
    imported = rejects_of(import_files([folder], graph=stores.graph, engine=stores.engine))

    refused = []
    for row in bad:
        with pytest.raises(RecordRejected) as exc:
            _record(stores, "repayments", f"e-{row['id']}", row)
        refused.append((exc.value.field, exc.value.reason))
    assert refused == [(field, reason) for _, _, field, reason in imported]


def test_a_month_of_transfers_becomes_the_edge_an_import_writes(stores: Stores) -> None:
    recorded = _record(stores, "transactions", "tx-1", {
        "source_account": "A1", "target_account": "A2", "month": "2025-03",
        "amount": "1200.00", "count": 3})

    assert recorded.values["amount"] == 120_000
    edges = stores.graph.edges_of(["A1"], [RelType.TRANSFERS], "out")[0]
    assert [(e.target, e.key, e.props["amount_minor"], e.props["amount_currency"],
             e.props["count"]) for e in edges] == [("A2", "2025-03", 120_000, "CNY", 3)]


def test_an_account_cannot_transfer_to_itself(stores: Stores) -> None:
    with pytest.raises(RecordRejected) as refused:
        _record(stores, "transactions", "tx-1", {
            "source_account": "A1", "target_account": "A1", "month": "2025-03",
            "amount": "1", "count": 1})

    assert refused.value.field == "target_account"
    assert stores.graph.edges_of(["A1"], [RelType.TRANSFERS], "out") == [[]]


def test_an_external_event_becomes_a_node_mentioning_its_parties(stores: Stores) -> None:
    _record(stores, "events", "ev-1", {"id": "E1", "kind": "court_case",
                                       "occurred_on": "2025-04-01", "title": "Lawsuit",
                                       "party_ids": ["C1", "P1"], "severity": 4})

    assert stores.graph.labels_of(["E1"]) == {"E1": Label.EXTERNAL_EVENT}
    mentions = stores.graph.edges_of(["E1"], [RelType.MENTIONED_IN], "in")[0]
    assert sorted(edge.source for edge in mentions) == ["C1", "P1"]


def test_an_event_naming_an_unknown_party_writes_no_node(stores: Stores) -> None:
    with pytest.raises(RecordRejected) as refused:
        _record(stores, "events", "ev-1", {"id": "E1", "kind": "news",
                                           "occurred_on": "2025-04-01", "title": "x",
                                           "party_ids": ["C1", "P404"]})

    assert (refused.value.code, refused.value.field) == ("INVALID_REFERENCE", "party_ids")
    assert stores.graph.labels_of(["E1"]) == {}


def test_a_bureau_snapshot_keeps_the_twenty_percent_rule_figures(stores: Stores) -> None:
    _record(stores, "bureau", "b-1", {"id": "B1", "party_id": "C1", "as_of": "2025-05-01",
                                      "score": 640, "total_debt": "1000.00",
                                      "overdue_90_total": "250.00"})
    assert _rows(stores.engine, "SELECT party_id, score, total_debt_minor, overdue_90_minor, "
                 "currency FROM bureau_snapshot") == [("C1", 640, 100_000, 25_000, "CNY")]

    with pytest.raises(RecordRejected, match="must not exceed total_debt"):
        _record(stores, "bureau", "b-2", {"id": "B2", "party_id": "C1", "as_of": "2025-05-01",
                                          "score": 640, "total_debt": "1.00",
                                          "overdue_90_total": "2.00"})


@pytest.mark.parametrize("event_id", ["", "   ", "x" * 129])
def test_an_event_id_must_be_one_to_128_characters(stores: Stores, event_id: str) -> None:
    with pytest.raises(InvalidEventId):
        _record(stores, "repayments", event_id, REPAYMENT)
    assert _count(stores.engine, "repayment") == 0


# SQLite does not enforce the length of the actor column: the backends that refuse it.
@pytest.mark.parametrize("stores", [
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("neo4j-postgres", marks=[pytest.mark.neo4j, pytest.mark.postgres]),
], indirect=True)
def test_a_receipt_that_cannot_be_stored_leaves_no_record_in_either_store(
        stores: Stores) -> None:
    event = {"id": "E1", "kind": "news", "occurred_on": "2025-04-01", "title": "x",
             "party_ids": ["C1"]}

    with pytest.raises(Exception, match="too long"):
        _record(stores, "events", "ev-1", event, actor="x" * 300)
    with pytest.raises(Exception, match="too long"):
        _record(stores, "repayments", "pay-1", REPAYMENT, actor="x" * 300)

    assert stores.graph.labels_of(["E1"]) == {}
    assert _count(stores.engine, "repayment") == 0
    assert _count(stores.engine, "write_receipt") == 0


def test_the_same_event_sent_twice_at_once_is_written_once(stores: Stores) -> None:
    import threading

    start = threading.Barrier(2)
    answers: list[object] = []

    def send() -> None:
        start.wait()
        answers.append(_record(stores, "events", "ev-1", {
            "id": "E1", "kind": "news", "occurred_on": "2025-04-01", "title": "x",
            "party_ids": ["C1"]}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(answers) == 2
    assert sorted(a.replayed for a in answers) == [False, True]  # type: ignore[attr-defined]
    assert answers[0].values == answers[1].values  # type: ignore[attr-defined]
    assert _count(stores.engine, "write_receipt") == 1
    assert stores.graph.labels_of(["E1"]) == {"E1": Label.EXTERNAL_EVENT}
