"""``accounts`` held by parties and the monthly ``transactions`` between them."""

from __future__ import annotations

from graph.model import Edge, Label, Node, RelType
from ingest.converters import (
    amount,
    choice,
    currency,
    date_text,
    external_id,
    integer,
    month,
    text,
)
from ingest.entities.lending import money_props, pick
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

__all__ = ["ACCOUNTS", "TRANSACTIONS"]

_ACCOUNT = frozenset({Label.ACCOUNT})
_ACCOUNT_PROPS = ("bank", "kind", "opened_on")


def _build_account(values: Values, out: BatchOutput) -> None:
    out.nodes.append(Node(values["id"], Label.ACCOUNT, pick(values, _ACCOUNT_PROPS)))
    out.edges.append(Edge(RelType.HOLDS, values["holder_id"], values["id"]))


ACCOUNTS = EntitySpec(
    name="accounts",
    order=6,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("holder_id", external_id, required=True),
        FieldSpec("bank", text(), required=True),
        FieldSpec("kind", choice(("current", "savings", "settlement"))),
        FieldSpec("opened_on", date_text),
    ),
    key=("id",),
    build=_build_account,
    references=(Reference("holder_id", "party", PARTY),),
    node_label=Label.ACCOUNT,
)


def _check_transaction(values: Values) -> None:
    if values["source_account"] == values["target_account"]:
        raise RowRejected("target_account", "an account cannot transfer to itself")


_TRANSACTION_AMOUNTS = ("amount",)


def _build_transaction(values: Values, out: BatchOutput) -> None:
    props = money_props(values, _TRANSACTION_AMOUNTS)
    props["count"] = values["count"]
    out.edges.append(Edge(RelType.TRANSFERS, values["source_account"], values["target_account"],
                          values["month"], props))


TRANSACTIONS = EntitySpec(
    name="transactions",
    order=7,
    fields=(
        FieldSpec("source_account", external_id, required=True),
        FieldSpec("target_account", external_id, required=True),
        FieldSpec("month", month, required=True),
        FieldSpec("amount", amount, required=True),
        FieldSpec("count", integer(1), required=True),
        FieldSpec("currency", currency),
    ),
    key=("source_account", "target_account", "month"),
    build=_build_transaction,
    check=_check_transaction,
    references=(
        Reference("source_account", "account", _ACCOUNT),
        Reference("target_account", "account", _ACCOUNT),
    ),
    money=MoneyFields(("amount",)),
)
