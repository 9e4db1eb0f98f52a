"""Outside views of parties: credit-``bureau`` snapshots and external ``events``."""

from __future__ import annotations

from decimal import Decimal

from graph.model import Edge, Label, Node, RelType
from ingest.converters import (
    amount,
    choice,
    currency,
    date_text,
    external_id,
    id_list,
    integer,
    text,
)
from ingest.entities.lending import pick
from ingest.errors import RowRejected
from ingest.specs import (
    PARTY,
    BatchOutput,
    EntitySpec,
    FieldSpec,
    MoneyFields,
    Reference,
    Values,
)
from portfolio.bureau import MAX_BUREAU_SCORE, MIN_BUREAU_SCORE

__all__ = ["BUREAU", "EVENTS"]

def _check_bureau(values: Values) -> None:
    debt, overdue_90 = values.get("total_debt"), values.get("overdue_90_total")
    # Amounts are still decimal text here, of one currency.
    if debt is not None and overdue_90 is not None and Decimal(overdue_90) > Decimal(debt):
        raise RowRejected("overdue_90_total", f"must not exceed total_debt ({debt})")


def _build_bureau(values: Values, out: BatchOutput) -> None:
    # Every column given, so that one executemany statement fits all rows.
    get = values.get
    debt = get("total_debt")  # minor units of "currency", settled by the resolver
    overdue_90 = get("overdue_90_total")
    out.add_record("bureau_snapshot", {
        "id": values["id"], "party_id": values["party_id"], "as_of": values["as_of"],
        "score": values["score"], "open_loans": get("open_loans"),
        "total_debt_minor": debt,
        "currency": None if debt is None and overdue_90 is None else values["currency"],
        "overdue_accounts": get("overdue_accounts"), "inquiries_6m": get("inquiries_6m"),
        "overdue_90_minor": overdue_90,
    })


BUREAU = EntitySpec(
    name="bureau",
    order=13,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("party_id", external_id, required=True),
        FieldSpec("as_of", date_text, required=True),
        FieldSpec("score", integer(MIN_BUREAU_SCORE, MAX_BUREAU_SCORE), required=True),
        FieldSpec("open_loans", integer(0)),
        FieldSpec("total_debt", amount),
        FieldSpec("overdue_accounts", integer(0)),
        FieldSpec("inquiries_6m", integer(0)),
        FieldSpec("currency", currency),
        FieldSpec("overdue_90_total", amount),
    ),
    key=("id",),
    build=_build_bureau,
    check=_check_bureau,
    references=(Reference("party_id", "party", PARTY),),
    tables=("bureau_snapshot",),
    money=MoneyFields(("total_debt", "overdue_90_total")),
)

_EVENT_PROPS = ("kind", "occurred_on", "title", "severity")


def _build_event(values: Values, out: BatchOutput) -> None:
    event_id = values["id"]
    props = pick(values, _EVENT_PROPS)
    if "source" in values:
        # "source" is a reserved property name in the graph model (an edge's start).
        props["origin"] = values["source"]
    out.nodes.append(Node(event_id, Label.EXTERNAL_EVENT, props))
    for party_id in values["party_ids"]:
        out.edges.append(Edge(RelType.MENTIONED_IN, party_id, event_id))


EVENTS = EntitySpec(
    name="events",
    order=14,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("kind", choice(("court_case", "news", "social")), required=True),
        FieldSpec("occurred_on", date_text, required=True),
        FieldSpec("title", text(), required=True),
        FieldSpec("party_ids", id_list, required=True),
        FieldSpec("severity", integer(1, 5)),
        FieldSpec("source", text()),
    ),
    key=("id",),
    build=_build_event,
    references=(Reference("party_ids", "party", PARTY, many=True),),
    node_label=Label.EXTERNAL_EVENT,
)
