"""Relations between parties: ``ownerships``, ``directorships``, ``identifiers`` and
``relations``.

Each of the four may carry the dates the relationship held, ``valid_from`` (the first day)
and ``valid_to`` (the day it ended), stored as edge properties of the same names and read
by :mod:`graph.validity`; ``valid_to`` before ``valid_from`` rejects the row.

Identifier nodes are keyed by a keyed hash of their value, so the ``identifiers`` type needs
the key: :data:`IDENTIFIERS` declares the type (columns, identity, references) and
:func:`with_identifier_key` returns it ready to import under one key.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Final, NoReturn

from graph.model import Edge, Label, Node, PropertyValue, RelType
from graph.validity import VALID_FROM, VALID_TO
from ingest.converters import choice, date_text, external_id, fraction, text
from ingest.errors import InvalidValue, RowRejected
from ingest.identifiers import IDENTIFIER_LABELS, identifier_node_id, normalise_identifier
from ingest.specs import PARTY, BatchOutput, DerivedNode, EntitySpec, FieldSpec, Reference, Values

__all__ = ["DIRECTORSHIPS", "IDENTIFIERS", "OWNERSHIPS", "RELATIONS", "with_identifier_key"]

_COMPANY = frozenset({Label.COMPANY})
_PERSON = frozenset({Label.PERSON})

#: The optional columns of every relationship type: the dates it held.
_VALIDITY: Final = (FieldSpec(VALID_FROM, date_text), FieldSpec(VALID_TO, date_text))


def _check_validity(values: Values) -> None:
    start, end = values.get(VALID_FROM), values.get(VALID_TO)
    if start is not None and end is not None and end < start:
        raise RowRejected(VALID_TO, f"valid_to {end} is before valid_from {start}")


def _dated(props: dict[str, PropertyValue], values: Values) -> dict[str, PropertyValue]:
    """``props`` with the row's dates added (an empty cell adds nothing, so a date stored by
    an earlier import stays)."""
    for name in (VALID_FROM, VALID_TO):
        if (value := values.get(name)) is not None:
            props[name] = value
    return props


def _check_ownership(values: Values) -> None:
    if values["owner_id"] == values["company_id"]:
        raise RowRejected("owner_id", "a company cannot own itself")
    _check_validity(values)


def _build_ownership(values: Values, out: BatchOutput) -> None:
    out.edges.append(Edge(RelType.OWNS, values["owner_id"], values["company_id"],
                          props=_dated({"pct": values["pct"]}, values)))


OWNERSHIPS = EntitySpec(
    name="ownerships",
    order=9,
    fields=(
        FieldSpec("owner_id", external_id, required=True),
        FieldSpec("company_id", external_id, required=True),
        FieldSpec("pct", fraction(exclude_zero=True), required=True),
        *_VALIDITY,
    ),
    key=("owner_id", "company_id"),
    build=_build_ownership,
    check=_check_ownership,
    references=(
        Reference("owner_id", "party", PARTY),
        Reference("company_id", "company", _COMPANY),
    ),
)


def _build_directorship(values: Values, out: BatchOutput) -> None:
    role = values.get("role")
    out.edges.append(Edge(RelType.DIRECTS, values["person_id"], values["company_id"],
                          props=_dated({} if role is None else {"role": role}, values)))


DIRECTORSHIPS = EntitySpec(
    name="directorships",
    order=10,
    fields=(
        FieldSpec("person_id", external_id, required=True),
        FieldSpec("company_id", external_id, required=True),
        FieldSpec("role", text(128)),
        *_VALIDITY,
    ),
    key=("person_id", "company_id"),
    build=_build_directorship,
    check=_check_validity,
    references=(
        Reference("person_id", "person", _PERSON),
        Reference("company_id", "company", _COMPANY),
    ),
)


def _check_identifier(values: Values) -> None:
    # Normalise in place, so that duplicates are found on the normalised value.
    try:
        values["value"] = normalise_identifier(values["kind"], values["value"])
    except InvalidValue as exc:
        raise RowRejected("value", exc.message) from None
    _check_validity(values)


#: Where a row keeps its node id once computed: the importer asks for it up to four times
#: a row (resolve, check, register, build), and an HMAC is the dearest step of the row.
_NODE_ID: Final = "_node_id"


def _node_id(values: Values, key: bytes) -> str:
    node_id: str | None = values.get(_NODE_ID)
    if node_id is None:
        node_id = values[_NODE_ID] = identifier_node_id(values["kind"], values["value"], key)
    return node_id


def _identifier_node(values: Values, *, key: bytes) -> DerivedNode:
    return ("value", _node_id(values, key), IDENTIFIER_LABELS[values["kind"]])


def _build_identifier(values: Values, out: BatchOutput, *, key: bytes) -> None:
    kind = values["kind"]
    node_id = _node_id(values, key)
    out.nodes.append(Node(node_id, IDENTIFIER_LABELS[kind], {"value": values["value"]}))
    out.edges.append(Edge(RelType.USES, values["party_id"], node_id, props=_dated({}, values)))


def _needs_key(*_: object) -> NoReturn:
    # The catalog's declaration is never imported as is; a call here is a wiring bug.
    raise RuntimeError("identifier rows need the identifier key: import them through "
                       "with_identifier_key(IDENTIFIERS, key)")


IDENTIFIERS = EntitySpec(
    name="identifiers",
    order=11,
    fields=(
        FieldSpec("party_id", external_id, required=True),
        FieldSpec("kind", choice(IDENTIFIER_LABELS), required=True),
        FieldSpec("value", text(), required=True),
        *_VALIDITY,
    ),
    key=("party_id", "kind", "value"),
    build=_needs_key,
    check=_check_identifier,
    derived_node=_needs_key,
    references=(Reference("party_id", "party", PARTY),),
)


def with_identifier_key(spec: EntitySpec, identifier_key: bytes) -> EntitySpec:
    """``spec`` ready to import: :data:`IDENTIFIERS` with its node ids keyed by
    ``identifier_key``; any other type unchanged (it derives no id from personal data).

    Raises:
        ValueError: ``identifier_key`` is empty.
    """
    if spec is not IDENTIFIERS:
        return spec
    if not identifier_key:
        raise ValueError("the identifier key is empty")
    return replace(IDENTIFIERS, build=partial(_build_identifier, key=identifier_key),
                   derived_node=partial(_identifier_node, key=identifier_key))

RELATION_KINDS = ("family", "employee", "supplier", "customer", "partner")


def _check_relation(values: Values) -> None:
    if values["party_id"] == values["other_id"]:
        raise RowRejected("other_id", "a party cannot be related to itself")
    _check_validity(values)


def _build_relation(values: Values, out: BatchOutput) -> None:
    out.edges.append(Edge(RelType.RELATED, values["party_id"], values["other_id"],
                          values["kind"], _dated({"kind": values["kind"]}, values)))


RELATIONS = EntitySpec(
    name="relations",
    order=15,
    fields=(
        FieldSpec("party_id", external_id, required=True),
        FieldSpec("other_id", external_id, required=True),
        FieldSpec("kind", choice(RELATION_KINDS), required=True),
        *_VALIDITY,
    ),
    key=("party_id", "other_id", "kind"),
    build=_build_relation,
    check=_check_relation,
    references=(
        Reference("party_id", "party", PARTY),
        Reference("other_id", "party", PARTY),
    ),
)
