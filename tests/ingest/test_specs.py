"""Entity declarations are checked when they are made, and the catalog is complete."""

from __future__ import annotations

import pytest

from ingest.catalog import ENTITY_SPECS, ENTITY_TYPES
from ingest.converters import external_id, text
from ingest.specs import BatchOutput, EntitySpec, FieldSpec, Reference, Values


def _build(values: Values, out: BatchOutput) -> None:
    out.add_record("t", values)


def test_the_catalog_holds_the_sixteen_documented_types_in_order() -> None:
    assert ENTITY_TYPES == (
        "persons", "companies", "loans", "installments", "repayments", "accounts",
        "transactions", "guarantees", "ownerships", "directorships", "identifiers",
        "collateral", "bureau", "events", "relations", "modifications")
    assert [spec.order for spec in ENTITY_SPECS.values()] == list(range(1, 17))


@pytest.mark.parametrize(("fields", "key", "references", "message"), [
    ((FieldSpec("id", external_id, True), FieldSpec("id", text())), ("id",), (),
     "a field is declared twice"),
    ((FieldSpec("id", external_id, True),), ("code",), (), "'code' is not one of its fields"),
    ((FieldSpec("id", external_id),), ("id",), (), "field 'id' must be required"),
    ((FieldSpec("id", external_id, True), FieldSpec("owner", external_id)), ("id",),
     (Reference("owner", "party"),), "field 'owner' must be required"),
])
def test_bad_declarations_are_refused(fields: tuple[FieldSpec, ...], key: tuple[str, ...],
                                      references: tuple[Reference, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EntitySpec(name="things", order=1, fields=fields, key=key, build=_build,
                   references=references)
