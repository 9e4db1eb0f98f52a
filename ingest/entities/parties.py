"""``persons`` and ``companies``: the parties, each a node named by its external id.

``loss_buffer`` is a party's loss-absorbing capacity as the bank assesses it (audited
equity, an assessed capacity of a person); when given, the stress test and the
guarantor-capacity rule use it instead of the registered capital or the income multiple
(:mod:`risk.contagion.capacity`). It is an amount in the row's ``currency`` like the others.
"""

from __future__ import annotations

from decimal import Decimal

from graph.model import Label, Node
from ingest.converters import (
    amount,
    choice,
    currency,
    date_text,
    email_address,
    external_id,
    text,
)
from ingest.entities.lending import money_props
from ingest.errors import RowRejected
from ingest.specs import BatchOutput, EntitySpec, FieldSpec, MoneyFields, Values

__all__ = ["COMPANIES", "PERSONS"]

_PERSON_AMOUNTS = ("monthly_income", "loss_buffer")
_COMPANY_AMOUNTS = ("registered_capital", "annual_revenue", "loss_buffer")


def _node_props(values: Values, amounts: tuple[str, ...]) -> dict[str, object]:
    # Every present value except the id becomes a property; converters already produced
    # graph-ready types (text dates), and amounts become exact minor units beside a float.
    props = dict(values)
    del props["id"]
    props.pop("currency", None)  # each amount carries its own
    for name in amounts:
        props.pop(name, None)
    props.update(money_props(values, amounts))
    return props


def _check_party(values: Values) -> None:
    # A buffer of 0 would take a party to default at the first cent of loss (DebtRank
    # refuses zero capital): a party without a known buffer leaves the cell empty.
    buffer = values.get("loss_buffer")
    if buffer is not None and Decimal(buffer) == 0:
        raise RowRejected("loss_buffer", "must be above 0 (leave it empty when unknown)")


def _build_person(values: Values, out: BatchOutput) -> None:
    out.nodes.append(Node(values["id"], Label.PERSON, _node_props(values, _PERSON_AMOUNTS)))


def _build_company(values: Values, out: BatchOutput) -> None:
    out.nodes.append(Node(values["id"], Label.COMPANY, _node_props(values, _COMPANY_AMOUNTS)))


PERSONS = EntitySpec(
    name="persons",
    order=1,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("name", text(), required=True),
        FieldSpec("national_id", text(64)),
        FieldSpec("birth_date", date_text),
        FieldSpec("gender", choice(("F", "M"))),
        FieldSpec("city", text()),
        FieldSpec("province", text()),
        FieldSpec("occupation", text()),
        FieldSpec("email", email_address),
        FieldSpec("monthly_income", amount),
        FieldSpec("loss_buffer", amount),
        FieldSpec("currency", currency),
    ),
    key=("id",),
    build=_build_person,
    node_label=Label.PERSON,
    check=_check_party,
    money=MoneyFields(_PERSON_AMOUNTS),
)

COMPANIES = EntitySpec(
    name="companies",
    order=2,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("name", text(), required=True),
        FieldSpec("registration_no", text(64)),
        FieldSpec("sector", text()),
        FieldSpec("size", choice(("micro", "small", "medium", "large"))),
        FieldSpec("city", text()),
        FieldSpec("province", text()),
        FieldSpec("founded_on", date_text),
        FieldSpec("registered_capital", amount),
        FieldSpec("annual_revenue", amount),
        FieldSpec("loss_buffer", amount),
        FieldSpec("currency", currency),
    ),
    key=("id",),
    build=_build_company,
    node_label=Label.COMPANY,
    check=_check_party,
    money=MoneyFields(_COMPANY_AMOUNTS),
)
