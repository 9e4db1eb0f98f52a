"""``persons`` and ``companies``: the parties, each a node named by its external id."""

from __future__ import annotations

from graph.model import Label, Node
from ingest.converters import (
    amount_float,
    choice,
    date_text,
    external_id,
    text,
)
from ingest.specs import BatchOutput, EntitySpec, FieldSpec, Values

__all__ = ["COMPANIES", "PERSONS"]


def _node_props(values: Values) -> dict[str, object]:
    # Every present value except the id becomes a property; converters already produced
    # graph-ready types (text dates, float amounts).
    props = dict(values)
    del props["id"]
    return props


def _build_person(values: Values, out: BatchOutput) -> None:
    out.nodes.append(Node(values["id"], Label.PERSON, _node_props(values)))


def _build_company(values: Values, out: BatchOutput) -> None:
    out.nodes.append(Node(values["id"], Label.COMPANY, _node_props(values)))


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
        FieldSpec("monthly_income", amount_float),
    ),
    key=("id",),
    build=_build_person,
    node_label=Label.PERSON,
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
        FieldSpec("registered_capital", amount_float),
        FieldSpec("annual_revenue", amount_float),
    ),
    key=("id",),
    build=_build_company,
    node_label=Label.COMPANY,
)
