"""``persons`` and ``companies``: the parties, each a node named by its external id."""

from __future__ import annotations

from graph.model import Label, Node
from ingest.converters import (
    amount,
    choice,
    currency,
    date_text,
    external_id,
    text,
)
from ingest.entities.lending import money_props
from ingest.specs import BatchOutput, EntitySpec, FieldSpec, MoneyFields, Values

__all__ = ["COMPANIES", "PERSONS"]

_PERSON_AMOUNTS = ("monthly_income",)
_COMPANY_AMOUNTS = ("registered_capital", "annual_revenue")


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
        FieldSpec("monthly_income", amount),
        FieldSpec("currency", currency),
    ),
    key=("id",),
    build=_build_person,
    node_label=Label.PERSON,
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
        FieldSpec("currency", currency),
    ),
    key=("id",),
    build=_build_company,
    node_label=Label.COMPANY,
    money=MoneyFields(_COMPANY_AMOUNTS),
)
